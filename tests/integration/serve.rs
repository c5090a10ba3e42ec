//! `swabsim serve`: the what-if page's server reruns the scenario exactly as `swabsim run --set`,
//! listens only on this machine unless told otherwise, and serves nothing outside its runs.
//! (CI also drives the page itself in headless Chromium: tests/browser/check_serve.mjs.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::cli::swabsim;

/// A server on a free port, with a temporary folder of its own, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
    tmp: tempfile::TempDir,
}

impl Server {
    fn start(scenario: &str, replications: &str) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("swabsim"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("TMPDIR", tmp.path())
            .args(["serve", scenario, "-r", replications, "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server { child, addr, tmp }
    }

    /// Sends SIGTERM (as `kill` does) and waits up to 10 s for the server to end: its exit
    /// status, or `None` if it could not be sent or the server went on.
    fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        for _ in 0..if sent { 200 } else { 0 } {
            if let Some(status) = self.child.try_wait().ok()? {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }

    /// What the server left in its temporary folder.
    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// (status, body) of one HTTP/1.1 request.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        let status = reply[9..12].parse().unwrap();
        let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        // A chunked body: the chunks without their sizes.
        let body = if reply
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            let mut out = String::new();
            let mut rest = body;
            while let Some((size, tail)) = rest.split_once("\r\n") {
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                if n == 0 {
                    break;
                }
                out.push_str(&tail[..n]);
                rest = &tail[n + 2..];
            }
            out
        } else {
            body.to_string()
        };
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() && self.terminate().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `kill` (SIGTERM), as a shell, a job scheduler or CI stops a server, ends it cleanly and
/// removes its runs, as Ctrl-C does; before this the folder of runs stayed in /tmp.
#[test]
fn a_terminated_server_removes_its_runs() {
    let mut server = Server::start("scenarios/dongyuegong.toml", "1");
    let (status, reply) = server.request("POST", "/api/run", r#"{"sets": []}"#);
    assert_eq!(status, 200, "{reply}");
    let runs = server.leftovers();
    assert!(
        runs.len() == 1 && runs[0].starts_with("swabsim-serve-"),
        "{runs:?}"
    );
    let status = server.terminate().expect("the server stops on SIGTERM");
    assert!(status.success(), "{status:?}");
    assert_eq!(server.leftovers(), Vec::<String>::new());
}

/// The mean row of a run's summary.csv, by column.
fn mean_row(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut r = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let row = r
        .records()
        .map(Result::unwrap)
        .find(|row| &row[0] == "mean")
        .unwrap();
    header
        .iter()
        .zip(row.iter())
        .map(|(h, v)| (h.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_change_on_the_page_gives_the_figures_of_run_with_set() {
    let server = Server::start("scenarios/dongyuegong.toml", "3");
    let (status, page) = server.request("GET", "/", "");
    assert_eq!(status, 200);
    for path in [
        "site.point-{i}.desks",
        "site.point-{i}.hours",
        "team.samplers-{i}.headcount",
        "route.street-van.vehicles",
        "lab.yongzhou-lab.machines",
    ] {
        assert!(
            page.contains(&format!("data-path=\"{path}\"")),
            "no lever {path}"
        );
    }

    let tmp = tempfile::tempdir().unwrap();
    for (sets, out) in [
        (vec![], "as-written"),
        (
            vec!["site.point-{i}.desks=3", "team.samplers-{i}.headcount=3"],
            "three",
        ),
    ] {
        let body = serde_json::json!({ "sets": sets }).to_string();
        let (status, reply) = server.request("POST", "/api/run", &body);
        assert_eq!(status, 200);
        let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
        assert_eq!(reply["ok"], true, "{reply}");
        let mut cmd = swabsim();
        cmd.args([
            "run",
            "scenarios/dongyuegong.toml",
            "-r",
            "3",
            "-q",
            "--out",
        ])
        .arg(tmp.path().join(out));
        for s in &sets {
            cmd.args(["--set", s]);
        }
        cmd.assert().success();
        let expected = mean_row(&tmp.path().join(out));
        for (name, value) in &expected {
            assert_eq!(
                reply["figures"][name].as_str(),
                Some(value.as_str()),
                "{name} with {sets:?}"
            );
        }
        // The run page of that rerun is served, with its charts.
        let run = reply["run"].as_u64().unwrap();
        let (status, html) = server.request("GET", &format!("/runs/{run}/index.html"), "");
        assert_eq!(status, 200);
        assert!(
            html.contains("<svg") || html.contains("charts/"),
            "no charts on the run page"
        );
    }

    // A bad value is reported as `swabsim run --set` reports it; nothing runs.
    let body = serde_json::json!({ "sets": ["site.point-{i}.desks=many"] }).to_string();
    let (_, reply) = server.request("POST", "/api/run", &body);
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["ok"], false);
    assert!(
        reply["error"].as_str().unwrap().contains(
            "--set site.point-{i}.desks=many: `site.point-{i}.desks`: invalid type: string \"many\", expected u32"
        ),
        "{reply}"
    );

    // The scenario file with the changes, for download.
    let body = serde_json::json!({ "sets": ["site.point-{i}.desks=3"] }).to_string();
    let (status, text) = server.request("POST", "/api/scenario", &body);
    assert_eq!(status, 200);
    let written = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dongyuegong.toml"),
    )
    .unwrap();
    assert_ne!(text, written);
    assert!(text.contains("desks = 3"));
    let (_, m) = swabsim::load_str("what-if.toml", &text, &[]).unwrap();
    assert!(m.sites.iter().all(|s| s.desks == 3));

    // Nothing outside the runs is served.
    for path in [
        "/runs/0/../../Cargo.toml",
        "/runs/0/%2e%2e/%2e%2e/Cargo.toml",
        "/runs/0//etc/passwd",
        "/runs/x/index.html",
        "/Cargo.toml",
    ] {
        let (status, _) = server.request("GET", path, "");
        assert!(status == 404 || status == 400, "{path}: {status}");
    }
}

#[test]
fn an_address_other_machines_reach_needs_allow_remote() {
    swabsim()
        .args([
            "serve",
            "scenarios/dongyuegong.toml",
            "--bind",
            "0.0.0.0",
            "--port",
            "0",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "`--bind 0.0.0.0` would let other machines reach the page, which has no login",
        ));
    // A broken scenario is refused before anything listens.
    swabsim()
        .args(["serve", "no-such.toml", "--port", "0"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("cannot read the scenario file"));
}

/// Entries read from CSV files are changed in their files: they get no lever (a `--set` by
/// their name would name nothing in the scenario's text), and the page still runs.
#[test]
fn entries_from_csv_files_get_no_lever() {
    let server = Server::start("scenarios/register/round.toml", "1");
    let (status, page) = server.request("GET", "/", "");
    assert_eq!(status, 200);
    assert!(!page.contains("data-path=\"site.south-gate.desks\""));
    assert!(!page.contains("data-path=\"site.{i}.desks\""));
    let (_, reply) = server.request("POST", "/api/run", r#"{"sets":[]}"#);
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["ok"], true, "{reply}");
}
