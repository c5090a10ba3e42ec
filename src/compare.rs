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
    /// Per summary figure, its value in each replication: (replication, value).
    pub per_rep: BTreeMap<String, Vec<(u32, f64)>>,
    /// With several replications, per `progress.csv` column: (hours, 5%, median, 95%) across
    /// the replications at each step.
    pub bands: BTreeMap<String, Vec<(f64, f64, f64, f64)>>,
    /// Master seed (manifest).
    pub seed: u64,
    /// Replications (manifest).
    pub replications: u64,
    /// `--set` overrides (manifest).
    pub sets: Vec<String>,
    /// The scenario after overrides (manifest).
    pub effective: String,
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
    let mut per_rep: BTreeMap<String, Vec<(u32, f64)>> = BTreeMap::new();
    for r in &rows {
        if let Ok(rep) = r[0].parse::<u32>() {
            for (i, h) in header.iter().enumerate().skip(1) {
                if !h.ends_with("_ci95") {
                    let v = r.get(i).map_or(f64::NAN, |v| num(v));
                    per_rep.entry(h.clone()).or_default().push((rep, v));
                }
            }
        }
    }
    let (ph, prows) = read_csv(&dir.join("progress.csv"))?;
    let t = ph.iter().position(|h| h == "time_h").unwrap_or(1);
    let bands = bands_of(&ph, &prows, t);
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
        per_rep,
        bands,
        seed: manifest["seed"].as_u64().unwrap_or(0),
        replications: manifest["replications"].as_u64().unwrap_or(1),
        sets: manifest["sets"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        effective: manifest["effective_scenario"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    })
}

/// Per `progress.csv` column, the 5%, 50% and 95% points (nearest rank) across replications at
/// each step; empty with one replication.
fn bands_of(
    header: &[String],
    rows: &[Vec<String>],
    t: usize,
) -> BTreeMap<String, Vec<(f64, f64, f64, f64)>> {
    let reps: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let mut out = BTreeMap::new();
    if reps.len() < 2 {
        return out;
    }
    // Rows by time: every replication has a row at every step.
    let mut by_t: BTreeMap<u64, Vec<&Vec<String>>> = BTreeMap::new();
    for r in rows {
        by_t.entry(num(&r[t]).to_bits()).or_default().push(r);
    }
    let mut steps: Vec<(f64, Vec<&Vec<String>>)> =
        by_t.into_values().map(|rs| (num(&rs[0][t]), rs)).collect();
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (c, h) in header.iter().enumerate().skip(3) {
        let points = steps
            .iter()
            .filter_map(|(at, rs)| {
                let mut xs: Vec<f64> = rs
                    .iter()
                    .map(|r| num(&r[c]))
                    .filter(|x| x.is_finite())
                    .collect();
                if xs.len() < reps.len() {
                    return None;
                }
                xs.sort_by(f64::total_cmp);
                let at_q =
                    |q: f64| xs[((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len()) - 1];
                Some((*at, at_q(0.05), at_q(0.5), at_q(0.95)))
            })
            .collect();
        out.insert(h.clone(), points);
    }
    out
}

/// How `run` differs from `base` on one figure: the difference of the means, the half-width
/// of its 95% confidence interval, and whether the replications were paired. Runs with the
/// same seed and replications share their random numbers (common random numbers: every
/// entity draws from its own stream), so replication i of one is paired with replication i
/// of the other and the interval is Student's t on the paired differences; otherwise it is
/// Welch's interval for two independent samples. NaN half-width with fewer than two values.
pub fn difference(base: &RunData, run: &RunData, figure: &str) -> (f64, f64, bool) {
    let values = |r: &RunData| -> Vec<(u32, f64)> {
        r.per_rep
            .get(figure)
            .map(|v| v.iter().copied().filter(|x| x.1.is_finite()).collect())
            .unwrap_or_default()
    };
    let (a, b) = (values(base), values(run));
    let mean = |xs: &[(u32, f64)]| xs.iter().map(|x| x.1).sum::<f64>() / xs.len() as f64;
    let fallback = || {
        let v = |r: &RunData| {
            r.figures
                .iter()
                .find(|f| f.0 == figure)
                .map_or(f64::NAN, |f| f.1)
        };
        (v(run) - v(base), f64::NAN, false)
    };
    if a.is_empty() || b.is_empty() {
        return fallback();
    }
    let same_draws = base.seed == run.seed && base.replications == run.replications;
    let ids = |xs: &[(u32, f64)]| xs.iter().map(|x| x.0).collect::<Vec<_>>();
    if same_draws && ids(&a) == ids(&b) && a.len() >= 2 {
        let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| y.1 - x.1).collect();
        let (m, h) = crate::runner::mean_ci95(&d);
        return (m, h, true);
    }
    let diff = mean(&b) - mean(&a);
    if a.len() < 2 || b.len() < 2 {
        return (diff, f64::NAN, false);
    }
    let var = |xs: &[(u32, f64)]| {
        let m = mean(xs);
        xs.iter().map(|x| (x.1 - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64
    };
    let (va, vb) = (var(&a) / a.len() as f64, var(&b) / b.len() as f64);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return (diff, 0.0, false);
    }
    // Welch-Satterthwaite degrees of freedom, rounded down (a wider interval).
    let df =
        (va + vb).powi(2) / (va.powi(2) / (a.len() - 1) as f64 + vb.powi(2) / (b.len() - 1) as f64);
    let t = crate::runner::t_quantile(0.975, (df.floor() as usize).max(1));
    (diff, t * se, false)
}

/// The lines of `run`'s effective scenario that differ from `base`'s: removed with `-`, added
/// with `+`, at most `max` of them.
fn scenario_diff(base: &str, run: &str, max: usize) -> (Vec<String>, usize) {
    let diff = similar::TextDiff::from_lines(base, run);
    let lines: Vec<String> = diff
        .iter_all_changes()
        .filter_map(|c| match c.tag() {
            similar::ChangeTag::Delete => Some(format!("- {}", c.value().trim_end())),
            similar::ChangeTag::Insert => Some(format!("+ {}", c.value().trim_end())),
            similar::ChangeTag::Equal => None,
        })
        .collect();
    let n = lines.len();
    (lines.into_iter().take(max).collect(), n)
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
    files.extend(crate::report::charts::chart_files(&charts));
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
        let name = format!("{}_minus_{}", r.label, first.label);
        header.push(text_cell(&name).into_owned());
        header.push(text_cell(&format!("{name}_ci95")).into_owned());
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
            let (d, half, _) = difference(first, r, figure);
            row.push(fmt_real(if d.is_finite() { d } else { value(r).0 - base }));
            row.push(fmt_real(half));
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
    let bands = |col: &str| -> Vec<Vec<(f64, f64, f64, f64)>> {
        runs.iter()
            .map(|r| r.bands.get(col).cloned().unwrap_or_default())
            .collect()
    };
    let x = "hours since the start".to_string();
    let timed = |name, title, y_desc, percent, col: &str| Overlay {
        name,
        title,
        x_desc: x.clone(),
        y_desc,
        percent,
        series: progress(col),
        bands: bands(col),
    };
    let mut out = vec![
        timed(
            "coverage",
            "Coverage of the current round",
            "share of residents tested",
            true,
            "coverage_current_round",
        ),
        timed(
            "waiting",
            "People waiting at all sampling points",
            "people",
            false,
            "waiting",
        ),
        timed("desks", "Desks open", "desks", false, "desks_open"),
        Overlay {
            name: "waits",
            title: "Wait in the queue (cumulative share, replication 1)",
            x_desc: "wait (minutes)".to_string(),
            y_desc: "share of people served",
            percent: true,
            series: runs
                .iter()
                .map(|r| (r.label.clone(), r.wait_cdf.clone()))
                .collect(),
            bands: Vec::new(),
        },
    ];
    let backlog = progress("lab_backlog");
    if backlog.iter().any(|(_, p)| p.iter().any(|&(_, v)| v > 0.0)) {
        out.push(timed(
            "labs",
            "Tubes waiting at labs",
            "tubes",
            false,
            "lab_backlog",
        ));
    }
    out
}

/// Figures a planner looks at first, shown at the top of the differences.
const HEADLINE: [&str; 9] = [
    "coverage_at_deadline",
    "hours_to_95pct",
    "wait_p95_min",
    "longest_queue",
    "gave_up",
    "turnaround_p95_h",
    "positives_found",
    "staff_person_hours",
    "longest_stint_h",
];

fn write_page(path: &Path, runs: &[RunData], charts: &[String]) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let labels: Vec<String> = runs.iter().map(|r| escape(&r.label)).collect();
    let first = &runs[0];
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Comparing {all}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1.5rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: right; vertical-align: top; }}
td:first-child, th:first-child {{ text-align: left; font-family: monospace; }}
td.better {{ color: #00704F; font-weight: 600; }}
td.worse {{ color: #B03A00; font-weight: 600; }}
td.diff {{ text-align: left; }}
pre {{ text-align: left; margin: 0; font-size: 0.8rem; white-space: pre; overflow-x: auto; max-width: 40rem; }}
img {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
figcaption, .note {{ color: #555; font-size: 0.9rem; }}
@page {{ size: A4; margin: 12mm; }}
@media print {{ body {{ max-width: none; margin: 0; }} figure, tr {{ break-inside: avoid; }} img {{ width: 100%; border: none; }} details {{ display: none; }} }}
</style>
</head>
<body>
<h1>Comparing {all}</h1>
<p>Runs of <code>{name}</code>, each against the first, <b>{base}</b>. <code>compare.csv</code> holds every figure with its difference and the difference's 95% CI.</p>
"#,
        all = labels.join(", "),
        name = escape(&first.name),
        base = labels[0],
    );
    // What changed.
    html.push_str("<h2>What differs between the runs</h2>\n<table>\n<tr><th>run</th><th>seed</th><th>replications</th><th><code>--set</code></th><th>scenario lines changed from the first run</th></tr>\n");
    for (k, r) in runs.iter().enumerate() {
        let sets = if r.sets.is_empty() {
            "—".to_string()
        } else {
            r.sets
                .iter()
                .map(|x| format!("<code>{}</code>", escape(x)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let lines = if k == 0 {
            "(the baseline)".to_string()
        } else {
            let (lines, n) = scenario_diff(&first.effective, &r.effective, 30);
            if n == 0 {
                "none".to_string()
            } else {
                let more = if n > lines.len() {
                    format!("\n… and {} more", n - lines.len())
                } else {
                    String::new()
                };
                format!("<pre>{}{more}</pre>", escape(&lines.join("\n")))
            }
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"diff\">{sets}</td><td class=\"diff\">{lines}</td></tr>",
            labels[k], r.seed, r.replications
        );
    }
    html.push_str("</table>\n");
    // Differences.
    let single = runs.iter().any(|r| r.replications < 2);
    let paired = runs[1..].iter().any(|r| difference(first, r, "tested").2);
    let how = if single {
        "A run with one replication gives no interval: run each with --replications 10 or more to tell a real difference from chance."
    } else if paired {
        "Runs with the first run's seed and replications are paired replication by replication (common random numbers), which narrows the interval."
    } else {
        "The runs do not share seeds and replications, so the intervals are Welch's for independent runs."
    };
    let _ = writeln!(
        html,
        "<h2>Differences from {}</h2>\n<p class=\"note\">Each cell: the run's value (mean over replications), then its difference from the first run with the 95% confidence interval. {how} A difference whose interval excludes zero is coloured: green when the run is better, orange when worse (for figures where lower or higher is plainly better).</p>",
        labels[0]
    );
    let mut order: Vec<&str> = HEADLINE
        .iter()
        .copied()
        .filter(|h| first.figures.iter().any(|f| f.0 == *h))
        .collect();
    let rest: Vec<&str> = first
        .figures
        .iter()
        .map(|f| f.0.as_str())
        .filter(|f| !HEADLINE.contains(f))
        .collect();
    let headline = order.len();
    order.extend(rest);
    let mut table = String::from("<table>\n<tr><th>figure</th>");
    for l in &labels {
        let _ = write!(table, "<th>{l}</th>");
    }
    table.push_str("</tr>\n");
    for (k, figure) in order.iter().enumerate() {
        if k == headline {
            table.push_str("</table>\n<details><summary>Every other figure of summary.csv</summary>\n<table>\n");
        }
        let _ = write!(table, "<tr><td>{}</td>", escape(figure));
        for (i, r) in runs.iter().enumerate() {
            let (v, ci) = r
                .figures
                .iter()
                .find(|f| f.0 == *figure)
                .map_or((f64::NAN, f64::NAN), |f| (f.1, f.2));
            let ci = if ci.is_finite() {
                format!(" ± {}", fmt_real(ci))
            } else {
                String::new()
            };
            if i == 0 {
                let _ = write!(table, "<td>{}{ci}</td>", fmt_real(v));
                continue;
            }
            let (d, half, _) = difference(first, r, figure);
            let sure = half.is_finite() && d.abs() > half;
            let class = match (sure, better_when_lower(figure)) {
                (true, Some(lower)) if (d < 0.0) == lower => " class=\"better\"",
                (true, Some(_)) => " class=\"worse\"",
                _ => "",
            };
            let band = if half.is_finite() {
                format!(" ± {}", fmt_real(half))
            } else {
                String::new()
            };
            let sign = if d > 0.0 { "+" } else { "" };
            let _ = write!(
                table,
                "<td{class}>{}{ci}<br>{sign}{}{band}</td>",
                fmt_real(v),
                fmt_real(d)
            );
        }
        table.push_str("</tr>\n");
    }
    table.push_str("</table>\n");
    if order.len() > headline {
        table.push_str("</details>\n");
    }
    html.push_str(&table);
    for c in charts {
        let _ = writeln!(
            html,
            "<figure><img src=\"charts/{c}.svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" alt=\"{c}\"><figcaption>{} (<a href=\"charts/{c}.png\">PNG</a>)</figcaption></figure>",
            escape(overlay_caption(c))
        );
    }
    html.push_str("</body>\n</html>\n");
    std::fs::write(path, html)
}

/// Whether a lower value of `figure` is better (`Some(true)`), a higher one (`Some(false)`),
/// or neither plainly (`None`).
fn better_when_lower(figure: &str) -> Option<bool> {
    let lower = figure.starts_with("wait_")
        || figure.starts_with("hours_to_")
        || figure.starts_with("turnaround_")
        || figure.starts_with("gave_up")
        || figure.starts_with("longest_")
        || figure.ends_with("_uncovered")
        || figure == "staff_person_hours";
    let higher = figure.starts_with("coverage") || figure == "tested";
    match (lower, higher) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

fn overlay_caption(name: &str) -> &'static str {
    match name {
        "coverage" => "Share of the current round tested: the run that rises first finishes first",
        "waiting" => "People waiting at all sampling points: higher peaks are longer queues",
        "desks" => "Desks open at all sites: the capacity each run put in place",
        "waits" => "Cumulative share of waits: the curve further left waits less",
        "labs" => "Tubes waiting at the labs: a rising line is a lab bottleneck",
        _ => "",
    }
}
