//! `swabsim compare`: several run directories side by side — the key figures with their
//! confidence intervals and differences (`compare.csv`), overlaid charts, and a page.
//!
//! Reads only what `report` wrote (the CSV contract of `docs/outputs.md`); computes nothing
//! but differences between runs' figures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::report::charts::{HEIGHT, Overlay, WIDTH, write_overlays};
use crate::report::{RunDir, escape, fmt_real, text_cell};

/// Why runs cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A directory lacks a file every run directory has.
    #[error(
        "{dir} is not a run directory: it has no {file}. Give directories written by `swabsim run`"
    )]
    NotARun {
        /// The directory.
        dir: PathBuf,
        /// The missing file.
        file: &'static str,
    },
    /// Runs of different scenarios.
    #[error(
        "{a} is a run of `{name_a}` but {b} is a run of `{name_b}`; pass --allow-different to compare them anyway"
    )]
    Different {
        /// First run.
        a: PathBuf,
        /// Its scenario.
        name_a: String,
        /// Other run.
        b: PathBuf,
        /// Its scenario.
        name_b: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {why}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
}

/// What `compare` reads of one run.
#[derive(Debug, Clone)]
pub struct RunData {
    /// Column label (the directory's name, made unique).
    pub label: String,
    /// The directory.
    pub dir: PathBuf,
    /// Scenario name (manifest).
    pub name: String,
    /// Summary figures in file order: (figure, value, 95% CI half-width).
    pub figures: Vec<(String, f64, f64)>,
    /// `progress.csv` of replication 0: column → (hours, value) points.
    pub progress: BTreeMap<String, Vec<(f64, f64)>>,
    /// Wait distribution of replication 0: (minutes, cumulative share).
    pub wait_cdf: Vec<(f64, f64)>,
}

fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), CompareError> {
    let fail = |why: String| CompareError::Read {
        path: path.to_path_buf(),
        why,
    };
    let mut r = csv::Reader::from_path(path).map_err(|e| fail(e.to_string()))?;
    let header = r
        .headers()
        .map_err(|e| fail(e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let rows = r
        .records()
        .map(|rec| {
            rec.map(|x| x.iter().map(String::from).collect())
                .map_err(|e| fail(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    Ok((header, rows))
}

fn num(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// Reads one run directory.
pub fn load_run(dir: &Path) -> Result<RunData, CompareError> {
    for file in [
        "manifest.json",
        "summary.csv",
        "progress.csv",
        "distributions.csv",
    ] {
        if !dir.join(file).is_file() {
            return Err(CompareError::NotARun {
                dir: dir.to_path_buf(),
                file,
            });
        }
    }
    let manifest_path = dir.join("manifest.json");
    let manifest: serde_json::Value = std::fs::read(&manifest_path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        .map_err(|why| CompareError::Read {
            path: manifest_path,
            why,
        })?;
    let (header, rows) = read_csv(&dir.join("summary.csv"))?;
    let row = rows
        .iter()
        .find(|r| r[0] == "mean")
        .or_else(|| rows.first())
        .cloned()
        .unwrap_or_default();
    let col = |name: &str| header.iter().position(|h| h == name);
    let figures = header
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, h)| !h.ends_with("_ci95"))
        .map(|(i, h)| {
            let ci = col(&format!("{h}_ci95"))
                .and_then(|c| row.get(c))
                .map_or(f64::NAN, |v| num(v));
            (h.clone(), row.get(i).map_or(f64::NAN, |v| num(v)), ci)
        })
        .collect();
    let (ph, prows) = read_csv(&dir.join("progress.csv"))?;
    let t = ph.iter().position(|h| h == "time_h").unwrap_or(1);
    let progress = ph
        .iter()
        .enumerate()
        .skip(3)
        .map(|(c, h)| {
            let pts = prows
                .iter()
                .filter(|r| r[0] == "0")
                .map(|r| (num(&r[t]), num(&r[c])))
                .filter(|p| p.1.is_finite());
            (h.clone(), pts.collect())
        })
        .collect();
    let (_, drows) = read_csv(&dir.join("distributions.csv"))?;
    let wait_cdf = drows
        .iter()
        .filter(|r| r[0] == "0" && r[1] == "wait_min")
        .map(|r| (num(&r[2]), num(&r[4])))
        .collect();
    Ok(RunData {
        label: dir
            .file_name()
            .map_or("run".into(), |n| n.to_string_lossy().into_owned()),
        dir: dir.to_path_buf(),
        name: manifest["name"].as_str().unwrap_or("").to_string(),
        figures,
        progress,
        wait_cdf,
    })
}

/// Reads the runs, checks that they are comparable, and makes their labels unique.
pub fn load_runs(dirs: &[PathBuf], allow_different: bool) -> Result<Vec<RunData>, CompareError> {
    let mut runs: Vec<RunData> = dirs.iter().map(|d| load_run(d)).collect::<Result<_, _>>()?;
    if !allow_different && let Some(other) = runs.iter().find(|r| r.name != runs[0].name) {
        return Err(CompareError::Different {
            a: runs[0].dir.clone(),
            name_a: runs[0].name.clone(),
            b: other.dir.clone(),
            name_b: other.name.clone(),
        });
    }
    for i in 1..runs.len() {
        if runs[..i].iter().any(|r| r.label == runs[i].label) {
            runs[i].label = format!("{}-{}", runs[i].label, i + 1);
        }
    }
    Ok(runs)
}

/// Writes `compare.csv`, the overlaid charts, `index.html` and `manifest.json` (which lists
/// them, so that `--force` can tell the directory is swabsim's) into the directory `out`.
pub fn write_compare(out: &RunDir, runs: &[RunData]) -> std::io::Result<Vec<String>> {
    let dir = out.path();
    write_table(&dir.join("compare.csv"), runs)?;
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir)?;
    let charts = write_overlays(&charts_dir, &overlays(runs)).map_err(std::io::Error::other)?;
    write_page(&dir.join("index.html"), runs, &charts)?;
    let mut files = vec!["compare.csv".to_string(), "index.html".to_string()];
    files.extend(
        charts
            .iter()
            .flat_map(|c| [format!("charts/{c}.svg"), format!("charts/{c}.png")]),
    );
    files.push("manifest.json".to_string());
    let manifest = serde_json::json!({
        "swabsim_version": env!("CARGO_PKG_VERSION"),
        "kind": "compare",
        "runs": runs.iter().map(|r| r.dir.display().to_string()).collect::<Vec<_>>(),
        "files": files,
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("manifest.json"), text + "\n")?;
    Ok(files)
}

fn write_table(path: &Path, runs: &[RunData]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(std::io::Error::other)?;
    let first = &runs[0];
    let mut header = vec!["figure".to_string()];
    for r in runs {
        header.push(text_cell(&r.label).into_owned());
        header.push(text_cell(&format!("{}_ci95", r.label)).into_owned());
    }
    for r in &runs[1..] {
        header.push(text_cell(&format!("{}_minus_{}", r.label, first.label)).into_owned());
    }
    w.write_record(&header).map_err(std::io::Error::other)?;
    for (figure, base, _) in &first.figures {
        let mut row = vec![figure.clone()];
        let value = |r: &RunData| {
            r.figures
                .iter()
                .find(|f| &f.0 == figure)
                .map_or((f64::NAN, f64::NAN), |f| (f.1, f.2))
        };
        for r in runs {
            let (v, ci) = value(r);
            row.push(fmt_real(v));
            row.push(fmt_real(ci));
        }
        for r in &runs[1..] {
            row.push(fmt_real(value(r).0 - base));
        }
        w.write_record(&row).map_err(std::io::Error::other)?;
    }
    w.flush()
}

fn overlays(runs: &[RunData]) -> Vec<Overlay> {
    let progress = |col: &str| -> Vec<(String, Vec<(f64, f64)>)> {
        runs.iter()
            .map(|r| {
                (
                    r.label.clone(),
                    r.progress.get(col).cloned().unwrap_or_default(),
                )
            })
            .collect()
    };
    let x = "hours since the start".to_string();
    let mut out = vec![
        Overlay {
            name: "coverage",
            title: "Coverage of the current round",
            x_desc: x.clone(),
            y_desc: "share of residents tested",
            percent: true,
            series: progress("coverage_current_round"),
        },
        Overlay {
            name: "waiting",
            title: "People waiting at all sampling points",
            x_desc: x.clone(),
            y_desc: "people",
            percent: false,
            series: progress("waiting"),
        },
        Overlay {
            name: "desks",
            title: "Desks open",
            x_desc: x.clone(),
            y_desc: "desks",
            percent: false,
            series: progress("desks_open"),
        },
        Overlay {
            name: "waits",
            title: "Wait in the queue (cumulative share)",
            x_desc: "wait (minutes)".to_string(),
            y_desc: "share of people served",
            percent: true,
            series: runs
                .iter()
                .map(|r| (r.label.clone(), r.wait_cdf.clone()))
                .collect(),
        },
    ];
    let backlog = progress("lab_backlog");
    if backlog.iter().any(|(_, p)| p.iter().any(|&(_, v)| v > 0.0)) {
        out.push(Overlay {
            name: "labs",
            title: "Tubes waiting at labs",
            x_desc: x,
            y_desc: "tubes",
            percent: false,
            series: backlog,
        });
    }
    out
}

fn write_page(path: &Path, runs: &[RunData], charts: &[String]) -> std::io::Result<()> {
    let labels: Vec<String> = runs.iter().map(|r| escape(&r.label)).collect();
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Comparing {}</title>\n<style>\nbody {{ font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; }}\ntable {{ border-collapse: collapse; font-size: 0.85rem; }}\ntd, th {{ border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: right; }}\ntd:first-child {{ text-align: left; font-family: monospace; }}\nimg {{ max-width: 100%; height: auto; border: 1px solid #eee; }}\n</style>\n</head>\n<body>\n<h1>Comparing {}</h1>\n<p>Runs of <code>{}</code>; figures are means with the 95% CI half-width where a run has replications. <code>compare.csv</code> holds this table.</p>\n<table>\n<tr><th>figure</th>",
        labels.join(", "),
        labels.join(", "),
        escape(&runs[0].name)
    );
    for l in &labels {
        html.push_str(&format!("<th>{l}</th>"));
    }
    html.push_str("</tr>\n");
    for (figure, _, _) in &runs[0].figures {
        html.push_str(&format!("<tr><td>{}</td>", escape(figure)));
        for r in runs {
            let (v, ci) = r
                .figures
                .iter()
                .find(|f| &f.0 == figure)
                .map_or((f64::NAN, f64::NAN), |f| (f.1, f.2));
            let ci = if ci.is_finite() {
                format!(" ± {}", fmt_real(ci))
            } else {
                String::new()
            };
            html.push_str(&format!("<td>{}{ci}</td>", fmt_real(v)));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    for c in charts {
        html.push_str(&format!(
            "<figure><img src=\"charts/{c}.svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" alt=\"{c}\"><figcaption><a href=\"charts/{c}.png\">PNG</a></figcaption></figure>\n"
        ));
    }
    html.push_str("</body>\n</html>\n");
    std::fs::write(path, html)
}
