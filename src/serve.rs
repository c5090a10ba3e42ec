//! `swabsim serve SCENARIO`: a what-if page on this machine.
//!
//! The page shows the scenario's main levers (desks, opening hours and pooling per site, people
//! per team, vehicles per courier route, machines per lab) beside the run page of the scenario
//! with those values. Changing a lever reruns the scenario exactly as `swabsim run --set` would
//! (same seed, same replications, the same code path and run directory), and the page shows the
//! new figures and charts. The changes can be copied as `--set` lines or saved as a scenario
//! file.
//!
//! The server (axum on tokio) listens on 127.0.0.1 unless `--allow-remote` is given: nothing
//! leaves the machine, so there is no login. Runs go one at a time into a temporary folder that
//! is removed when the server stops (Ctrl-C, SIGTERM, SIGHUP); the last few are kept for the
//! page to show.

use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use swabsim::report::escape;
use swabsim::scenario::{ScenarioFile, SetOverride};

use crate::app::{Failure, run_scenario, say};
use crate::cli::{RunArgs, ServeArgs};

/// Runs kept on disk for the page (older ones are removed).
const KEPT_RUNS: u64 = 12;
/// Most `--set` values one request may carry.
const MAX_SETS: usize = 500;

/// A lever of the page: a `--set` path, what it is, and its value in the scenario file.
#[derive(Debug, Clone, Serialize)]
struct Lever {
    /// The group it is shown in: sites, teams, couriers, labs.
    group: &'static str,
    /// The entry's name as written (`point-{i}` for a compact block).
    entry: String,
    /// What the value is, e.g. "desks".
    label: &'static str,
    /// The `--set` path.
    path: String,
    /// The value as TOML text.
    value: String,
    /// `number` or `hours` (a list of clock ranges, shown as `07:00-12:00, 13:00-19:00`).
    kind: &'static str,
}

impl Lever {
    /// `site.point-{i}`: the entry the lever's path names.
    fn path_prefix(&self) -> String {
        self.path
            .rsplit_once('.')
            .map_or(String::new(), |(p, _)| p.to_string())
    }
}

/// With entries from CSV files, the `kind.name` of every entry written in the scenario's text;
/// `None` when every entry is written there.
fn written_entries(
    source: &swabsim::scenario::Source,
) -> Option<std::collections::HashSet<String>> {
    if source.splices.is_empty() {
        return None;
    }
    let doc = toml_edit::Document::parse(source.written.as_str()).ok()?;
    let mut names = std::collections::HashSet::new();
    for kind in ["site", "team", "route", "lab"] {
        if let Some(entries) = doc.get(kind).and_then(|i| i.as_array_of_tables()) {
            for t in entries.iter().filter(|t| !t.contains_key("from")) {
                if let Some(name) = t.get("name").and_then(|n| n.as_str()) {
                    names.insert(format!("{kind}.{name}"));
                }
            }
        }
    }
    Some(names)
}

/// The levers a planner moves most, from the parsed scenario file.
fn levers(file: &ScenarioFile) -> Vec<Lever> {
    let mut out = Vec::new();
    // (group shown on the page, the entry's table in a `--set` path)
    let mut lever = |(group, table): (&'static str, &str),
                     entry: &str,
                     label,
                     key: &str,
                     value: String,
                     kind| {
        out.push(Lever {
            group,
            entry: entry.to_string(),
            label,
            path: format!("{table}.{entry}.{key}"),
            value,
            kind,
        });
    };
    let (sites, teams, couriers, labs) = (
        ("sites", "site"),
        ("teams", "team"),
        ("couriers", "route"),
        ("labs", "lab"),
    );
    for s in &file.site {
        lever(
            sites,
            &s.name,
            "desks",
            "desks",
            s.desks.to_string(),
            "number",
        );
        let hours = s.hours.as_ref().map_or_else(
            || "00:00-24:00".to_string(),
            |h| {
                h.iter()
                    .map(|r| {
                        serde_json::to_value(r)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
        lever(sites, &s.name, "opening hours", "hours", hours, "hours");
        if let Some(pool) = s.pool {
            lever(
                sites,
                &s.name,
                "swabs per tube",
                "pool",
                pool.to_string(),
                "number",
            );
        }
    }
    for t in &file.team {
        lever(
            teams,
            &t.name,
            "people per crew",
            "headcount",
            t.headcount.to_string(),
            "number",
        );
    }
    for r in &file.route {
        lever(
            couriers,
            &r.name,
            "vehicles",
            "vehicles",
            r.vehicles.unwrap_or(1).to_string(),
            "number",
        );
    }
    for l in &file.lab {
        lever(
            labs,
            &l.name,
            "machines",
            "machines",
            l.machines.to_string(),
            "number",
        );
    }
    out
}

struct Served {
    scenario: PathBuf,
    replications: u32,
    runs: PathBuf,
    next: std::sync::atomic::AtomicU64,
    /// One run at a time: a second request waits for the first.
    running: tokio::sync::Mutex<()>,
}

#[derive(Debug, Deserialize)]
struct RunRequest {
    /// `PATH=VALUE` lines.
    sets: Vec<String>,
}

#[derive(Debug, Serialize)]
struct RunReply {
    ok: bool,
    /// The run's folder under `/runs/`.
    run: Option<u64>,
    seconds: f64,
    /// The summary's mean row (or replication 0's with one replication), as written in
    /// `summary.csv`.
    figures: std::collections::BTreeMap<String, String>,
    error: String,
}

fn parse_sets(lines: &[String]) -> Result<Vec<SetOverride>, String> {
    if lines.len() > MAX_SETS {
        return Err(format!("at most {MAX_SETS} changes at once"));
    }
    lines.iter().map(|l| l.parse::<SetOverride>()).collect()
}

async fn run_handler(State(s): State<Arc<Served>>, Json(req): Json<RunRequest>) -> Json<RunReply> {
    let fail = |error: String| RunReply {
        ok: false,
        run: None,
        seconds: 0.0,
        figures: Default::default(),
        error,
    };
    let sets = match parse_sets(&req.sets) {
        Ok(sets) => sets,
        Err(e) => return Json(fail(e)),
    };
    let _one_at_a_time = s.running.lock().await;
    let id = s.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = s.runs.join(id.to_string());
    let args = RunArgs {
        scenario: s.scenario.clone(),
        out: Some(out.clone()),
        seed: None,
        replications: s.replications,
        sets,
        trace: false,
        force: false,
        jobs: None,
        quiet: true,
        font: None,
        partitions: None,
    };
    let started = Instant::now();
    let result = tokio::task::spawn_blocking(move || run_scenario(args)).await;
    let seconds = started.elapsed().as_secs_f64();
    // Keep the last few runs for the page; older ones go.
    if id >= KEPT_RUNS {
        let _ = std::fs::remove_dir_all(s.runs.join((id - KEPT_RUNS).to_string()));
    }
    match result {
        Ok(Ok(())) => match figures(&out.join("summary.csv")) {
            Ok(figures) => Json(RunReply {
                ok: true,
                run: Some(id),
                seconds,
                figures,
                error: String::new(),
            }),
            Err(e) => Json(fail(format!("{e:#}"))),
        },
        Ok(Err(failure)) => Json(fail(failure.message())),
        Err(e) => Json(fail(format!("the run stopped: {e}"))),
    }
}

/// The mean row of `summary.csv` (or its only row), column by column.
fn figures(path: &Path) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).context("cannot read summary.csv")?;
    let header = reader.headers()?.clone();
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let row = rows
        .iter()
        .find(|r| r.get(0) == Some("mean"))
        .or(rows.first())
        .ok_or_else(|| anyhow!("summary.csv has no rows"))?;
    Ok(header
        .iter()
        .zip(row.iter())
        .map(|(h, v)| (h.to_string(), v.to_string()))
        .collect())
}

#[derive(Debug, Deserialize)]
struct ScenarioRequest {
    sets: Vec<String>,
}

/// The scenario file with the changes written in (as `--set` writes them), for download.
async fn scenario_handler(
    State(s): State<Arc<Served>>,
    Json(req): Json<ScenarioRequest>,
) -> Response {
    let text = match std::fs::read_to_string(&s.scenario) {
        Ok(t) => t,
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot read the scenario: {e}"),
            )
                .into_response();
        }
    };
    let sets = match parse_sets(&req.sets) {
        Ok(sets) => sets,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    match swabsim::scenario::apply_sets(&text, &sets) {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        Err(problems) => (
            StatusCode::BAD_REQUEST,
            problems
                .into_iter()
                .map(|(_, m, _)| m)
                .collect::<Vec<_>>()
                .join("\n"),
        )
            .into_response(),
    }
}

/// A file of a kept run: `/runs/3/index.html`, `/runs/3/charts/coverage.svg`.
async fn file_handler(
    State(s): State<Arc<Served>>,
    UrlPath((id, rest)): UrlPath<(u64, String)>,
) -> Response {
    let rel = Path::new(&rest);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = s.runs.join(id.to_string()).join(rel);
    let kind = match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, kind)], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves the what-if page until Ctrl-C (or SIGTERM or SIGHUP).
pub fn serve(args: ServeArgs) -> Result<(), Failure> {
    let ip: IpAddr = args.bind;
    if !ip.is_loopback() && !args.allow_remote {
        return Err(Failure::Input(anyhow!(
            "`--bind {ip}` would let other machines reach the page, which has no login; bind to 127.0.0.1 (the default), or add --allow-remote if you mean it"
        )));
    }
    // The page is built from the scenario as written: refuse a broken one now, with its lines.
    let (loaded, _) =
        swabsim::load_path(&args.scenario, &[]).map_err(|e| Failure::Input(anyhow!(e)))?;
    // Entries read from CSV files (`from`) are not in the scenario's text, where `--set` works:
    // their values are changed in the CSV file, so they get no lever.
    let written = written_entries(&loaded.source);
    let levers: Vec<Lever> = levers(&loaded.file)
        .into_iter()
        .filter(|l| {
            written
                .as_ref()
                .is_none_or(|w| w.contains(&l.path_prefix()))
        })
        .collect();
    let title = loaded
        .file
        .scenario
        .title
        .clone()
        .unwrap_or_else(|| loaded.file.scenario.name.clone());
    let runs = tempfile::Builder::new()
        .prefix("swabsim-serve-")
        .tempdir()
        .map_err(|e| Failure::Run(anyhow!("cannot make a folder for the runs: {e}")))?;
    let served = Arc::new(Served {
        scenario: args.scenario.clone(),
        replications: args.replications,
        runs: runs.path().to_path_buf(),
        next: std::sync::atomic::AtomicU64::new(0),
        running: tokio::sync::Mutex::new(()),
    });
    let page = page(
        &title,
        &args.scenario,
        args.replications,
        loaded.file.scenario.seed,
        &levers,
    );
    let app = axum::Router::new()
        .route("/", get(move || async move { Html(page) }))
        .route("/api/run", post(run_handler))
        .route("/api/scenario", post(scenario_handler))
        .route("/runs/{id}/{*rest}", get(file_handler))
        .with_state(served);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Run(anyhow!("cannot start the server: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, args.port))
            .await
            .map_err(|e| {
                Failure::Input(anyhow!(
                    "cannot listen on {ip}:{}: {e}; choose another --port",
                    args.port
                ))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::Run(anyhow!("cannot read the address: {e}")))?;
        say(format!(
            "swabsim what-if page for {} on http://{addr}/ (Ctrl-C stops it)",
            args.scenario.display()
        ))?;
        axum::serve(listener, app)
            .with_graceful_shutdown(stopped())
            .await
            .map_err(|e| Failure::Run(anyhow!("the server stopped: {e}")))
    })?;
    drop(runs);
    Ok(())
}

/// Ctrl-C, or a polite stop from outside: `kill` (SIGTERM), a job scheduler ending the job, or
/// the terminal closing (SIGHUP). The server then stops and its folder of runs is removed; only
/// SIGKILL, which no program can catch, leaves the folder behind.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The page: levers on the left, key figures and the run page on the right.
fn page(title: &str, scenario: &Path, replications: u32, seed: u64, levers: &[Lever]) -> String {
    let mut rows = String::new();
    let mut group = "";
    for (i, l) in levers.iter().enumerate() {
        if l.group != group {
            if !group.is_empty() {
                rows.push_str("</fieldset>\n");
            }
            group = l.group;
            rows.push_str(&format!("<fieldset><legend>{group}</legend>\n"));
        }
        let input = if l.kind == "number" {
            format!(
                r#"<input type="number" min="0" step="1" id="lever-{i}" data-path="{}" data-kind="number" data-default="{}" value="{}">"#,
                escape(&l.path),
                escape(&l.value),
                escape(&l.value)
            )
        } else {
            format!(
                r#"<input type="text" id="lever-{i}" data-path="{}" data-kind="hours" data-default="{}" value="{}" size="24">"#,
                escape(&l.path),
                escape(&l.value),
                escape(&l.value)
            )
        };
        rows.push_str(&format!(
            "<label for=\"lever-{i}\"><span class=\"entry\">{}</span> {}</label>{input}\n",
            escape(&l.entry),
            escape(l.label)
        ));
    }
    if !group.is_empty() {
        rows.push_str("</fieldset>\n");
    }
    PAGE.replace("{title}", &escape(title))
        .replace("{scenario}", &escape(&scenario.display().to_string()))
        .replace("{replications}", &replications.to_string())
        .replace("{seed}", &seed.to_string())
        .replace("{levers}", &rows)
}

const PAGE: &str = include_str!("serve.html");
