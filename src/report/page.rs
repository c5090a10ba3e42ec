//! `index.html`: one self-contained page (no network; one small inline script for the replay)
//! with the briefing, the replay of the round and every chart, printable on A4.

use std::fmt::Write as _;
use std::path::Path;

use super::charts::{HEIGHT, WIDTH, caption};
use super::fmt_real;
use super::{brief, replay};
use crate::model::Model;
use crate::runner::{Replication, mean_and_ci};

/// Text made safe to put in HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes `index.html` for a run whose charts (file stems) are in `charts/`.
pub fn write_page(
    path: &Path,
    model: &Model,
    reps: &[Replication],
    charts: &[String],
) -> std::io::Result<()> {
    let mut html = String::new();
    let title = escape(&model.title);
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 68rem; padding: 0 1rem; color: #222; }}
h1 {{ font-size: 1.6rem; }}
table {{ border-collapse: collapse; font-size: 0.9rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.2rem 0.8rem; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; font-family: monospace; }}
figure {{ margin: 2rem 0; }}
img {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
figcaption {{ color: #555; font-size: 0.9rem; }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 0.8rem; margin: 1rem 0; }}
.tile {{ border: 1px solid #ccc; border-left: 6px solid #999; border-radius: 4px; padding: 0.5rem 0.8rem; }}
.tile.met {{ border-left-color: #009E73; }}
.tile.missed {{ border-left-color: #D55E00; }}
.tile .t {{ font-size: 0.85rem; color: #555; }}
.tile .v {{ font-size: 1.5rem; font-weight: 600; }}
.tile .s {{ font-size: 0.8rem; color: #444; }}
tr.miss td {{ color: #B00; }}
tr.set td {{ background: #FFF3C4; font-weight: 600; }}
details {{ margin: 1.5rem 0; }}
.cap {{ color: #555; font-size: 0.9rem; }}
.replay .controls {{ display: flex; gap: 0.8rem; align-items: center; }}
.replay input[type=range] {{ flex: 1; }}
.replay output {{ font-family: monospace; font-size: 1.1rem; min-width: 11rem; }}
.replay svg {{ max-width: 100%; height: auto; border: 1px solid #eee; background: #FCFCFC; }}
.replay .round {{ font-size: 0.95rem; }}
@page {{ size: A4; margin: 12mm; }}
@media print {{
  body {{ max-width: none; margin: 0; padding: 0; font-size: 10pt; }}
  .replay, .noprint {{ display: none; }}
  details {{ display: none; }}
  figure, .tile, tr, h2 {{ break-inside: avoid; }}
  figure {{ margin: 0.6rem 0; }}
  img {{ width: 100%; border: none; }}
  .tiles {{ grid-template-columns: repeat(3, 1fr); gap: 0.4rem; }}
  .tile .v {{ font-size: 1.2rem; }}
  a {{ color: inherit; text-decoration: none; }}
}}
</style>
</head>
<body>
<h1>{title}</h1>
<p>Scenario <code>{name}</code>, start {start}, horizon {horizon} h, seed {seed}, {n} replication{s}.
The tables are in the CSV files beside this page; <code>docs/outputs.md</code> defines every column.</p>
"#,
        name = escape(&model.name),
        start = model.start,
        horizon = fmt_real(model.horizon.hours()),
        seed = model.seed,
        n = reps.len(),
        s = if reps.len() == 1 { "" } else { "s" },
    );
    html.push_str(&brief::tiles(model, reps));
    html.push_str(&brief::targets_table(model, reps));
    html.push_str(&brief::disruptions_table(model, reps));
    html.push_str(&brief::inputs(model, reps.len()));
    html.push_str(&brief::sites_table(model, reps));
    html.push_str(&replay::section(model, reps));
    html.push_str("<details><summary>Every figure of summary.csv</summary>\n");
    html.push_str(&figures_table(reps));
    html.push_str("</details>\n");
    for chart in charts {
        let _ = writeln!(
            html,
            "<figure><img src=\"charts/{chart}.svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" alt=\"{cap}\"><figcaption>{cap} (<a href=\"charts/{chart}.png\">PNG</a>)</figcaption></figure>",
            cap = escape(caption(chart)),
        );
    }
    html.push_str("</body>\n</html>\n");
    std::fs::write(path, html)
}

fn figures_table(reps: &[Replication]) -> String {
    let rows: Vec<_> = reps.iter().map(|r| &r.figures.summary).collect();
    let mut out = String::from("<h2>Key figures</h2>\n<table>\n");
    if reps.len() == 1 {
        out.push_str("<tr><th>figure</th><th>value</th></tr>\n");
        for (name, cell) in &reps[0].figures.summary.0 {
            let _ = writeln!(
                out,
                "<tr><td>{name}</td><td>{}</td></tr>",
                fmt_real(cell.as_f64())
            );
        }
    } else {
        out.push_str("<tr><th>figure</th><th>mean</th><th>95% CI ±</th></tr>\n");
        for (name, mean, half) in mean_and_ci(&rows) {
            let _ = writeln!(
                out,
                "<tr><td>{name}</td><td>{}</td><td>{}</td></tr>",
                fmt_real(mean),
                fmt_real(half)
            );
        }
    }
    out.push_str("</table>\n");
    out
}
