//! A sweep's aggregates, charts and page: per variant, the mean, standard deviation and 95%
//! confidence interval of every figure, whether the means meet the targets, a figure against a
//! parameter with CI bands, and a heat map for two parameters.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Point, Sweep};
use crate::report::{escape, fmt_real, text_cell};
use crate::runner::mean_ci95;

/// Writes `aggregate.csv`, the charts and `index.html`; returns the files other than
/// `aggregate.csv`.
pub(super) fn write(
    sweep: &Sweep,
    dir: &Path,
    points: &[Point],
    names: &[String],
) -> anyhow::Result<Vec<String>> {
    let aggregate = aggregate(sweep, points, names);
    write_aggregate(sweep, dir, &aggregate, names)?;
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir)?;
    let figures = chart_figures(sweep, names);
    let (bands, heats) = chart_data(sweep, &aggregate, &figures);
    let charts = crate::report::charts::write_sweep_charts(&charts_dir, &bands, &heats)
        .map_err(anyhow::Error::msg)?;
    write_page(sweep, dir, &aggregate, &figures, &charts)?;
    let mut files: Vec<String> = crate::report::charts::chart_files(&charts).collect();
    files.push("index.html".into());
    Ok(files)
}

fn write_aggregate(
    sweep: &Sweep,
    dir: &Path,
    aggregate: &[Aggregate],
    names: &[String],
) -> anyhow::Result<()> {
    let tmp = dir.join(".aggregate.csv.tmp");
    {
        let mut w = csv::Writer::from_path(&tmp)?;
        let mut header = vec!["variant".to_string()];
        header.extend(sweep.paths.iter().map(|p| text_cell(p).into_owned()));
        header.push("replications".into());
        for n in names {
            header.extend([format!("{n}_mean"), format!("{n}_sd"), format!("{n}_ci95")]);
        }
        header.push("meets_targets".into());
        w.write_record(&header)?;
        for a in aggregate {
            let mut row = vec![a.variant.to_string()];
            row.extend(
                sweep.variants[a.variant]
                    .iter()
                    .map(|v| text_cell(v).into_owned()),
            );
            row.push(a.replications.to_string());
            for n in names {
                let (mean, sd, half) = a.figures[n];
                row.extend([fmt_real(mean), fmt_real(sd), fmt_real(half)]);
            }
            row.push(a.meets.map_or(String::new(), |m| m.to_string()));
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    std::fs::rename(&tmp, dir.join("aggregate.csv"))?;
    Ok(())
}

/// One variant's statistics.
struct Aggregate {
    variant: usize,
    replications: usize,
    /// figure → (mean, sd, 95% CI half-width).
    figures: BTreeMap<String, (f64, f64, f64)>,
    /// Whether the means meet every target (`None` without targets).
    meets: Option<bool>,
}

fn aggregate(sweep: &Sweep, points: &[Point], names: &[String]) -> Vec<Aggregate> {
    (0..sweep.variants.len())
        .filter_map(|v| {
            let mine: Vec<&Point> = points.iter().filter(|p| p.variant == v).collect();
            if mine.is_empty() {
                return None;
            }
            let figures: BTreeMap<String, (f64, f64, f64)> = names
                .iter()
                .enumerate()
                .map(|(k, n)| {
                    let xs: Vec<f64> = mine
                        .iter()
                        .map(|p| p.figures[k].1.as_f64())
                        .filter(|x| x.is_finite())
                        .collect();
                    let (mean, half) = mean_ci95(&xs);
                    let sd = if xs.len() > 1 {
                        (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64)
                            .sqrt()
                    } else {
                        f64::NAN
                    };
                    (n.clone(), (mean, sd, half))
                })
                .collect();
            let meets = (!sweep.targets.is_empty()).then(|| {
                sweep.targets.iter().all(|(f, most, least)| {
                    let m = figures.get(f).map_or(f64::NAN, |x| x.0);
                    most.is_none_or(|x| m <= x) && least.is_none_or(|x| m >= x)
                })
            });
            Some(Aggregate {
                variant: v,
                replications: mine.len(),
                figures,
                meets,
            })
        })
        .collect()
}

/// The figures drawn: the targets', else the usual key figures.
fn chart_figures(sweep: &Sweep, names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = sweep.targets.iter().map(|t| t.0.clone()).collect();
    for f in [
        "wait_p95_min",
        "hours_to_95pct",
        "coverage",
        "desk_utilisation",
        "turnaround_p95_h",
    ] {
        if out.len() < 4 && !out.iter().any(|x| x == f) {
            out.push(f.to_string());
        }
    }
    out.retain(|f| names.contains(f));
    out
}

fn chart_data(
    sweep: &Sweep,
    aggregate: &[Aggregate],
    figures: &[String],
) -> (
    Vec<crate::report::charts::Bands>,
    Vec<crate::report::charts::Heat>,
) {
    use crate::report::charts::{Bands, Heat};
    let xs: Vec<f64> = sweep
        .variants
        .iter()
        .map(|v| v[0].parse::<f64>().unwrap_or(f64::NAN))
        .collect();
    let numeric = xs.iter().all(|x| x.is_finite());
    let others = |v: usize| {
        sweep.paths[1..]
            .iter()
            .zip(&sweep.variants[v][1..])
            .map(|(p, x)| {
                // The key's last part reads well in a legend: `queue_capacity=50`.
                let key = p.rsplit('.').next().unwrap_or(p);
                format!("{key}={x}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let first_alone = {
        let mut firsts: Vec<&String> = sweep.variants.iter().map(|v| &v[0]).collect();
        firsts.sort();
        firsts.dedup();
        firsts.len() == sweep.variants.len()
    };
    let bands = figures
        .iter()
        .map(|f| {
            let mut series: Vec<crate::report::charts::BandSeries> = Vec::new();
            for a in aggregate {
                // One line per value of the other parameters, unless the first parameter alone
                // tells the variants apart (a zipped sweep): then one line.
                let label = if sweep.paths.len() > 1 && !first_alone {
                    others(a.variant)
                } else {
                    f.clone()
                };
                let x = if numeric {
                    xs[a.variant]
                } else {
                    a.variant as f64
                };
                let (mean, _, half) = a.figures[f];
                match series.iter_mut().find(|s| s.0 == label) {
                    Some(s) => s.1.push((x, mean, half)),
                    None => series.push((label, vec![(x, mean, half)])),
                }
            }
            let x_desc = if numeric {
                sweep.paths[0].clone()
            } else {
                "variant".to_string()
            };
            let targets = sweep
                .targets
                .iter()
                .filter(|t| &t.0 == f)
                .flat_map(|(_, most, least)| {
                    let most = most.map(|m| (m, format!("target ≤ {}", fmt_real(m))));
                    let least = least.map(|l| (l, format!("target ≥ {}", fmt_real(l))));
                    most.into_iter().chain(least)
                })
                .collect();
            Bands {
                name: f.clone(),
                title: format!("{f} (mean and 95% CI)"),
                x_desc,
                y_desc: f.clone(),
                series,
                targets,
                integer_x: !numeric || xs.iter().all(|x| x.fract() == 0.0),
            }
        })
        .collect();
    let mut heats = Vec::new();
    if sweep.paths.len() == 2 {
        let distinct = |k: usize| {
            let mut v: Vec<String> = Vec::new();
            for var in &sweep.variants {
                if !v.contains(&var[k]) {
                    v.push(var[k].clone());
                }
            }
            v
        };
        let (cols, rows) = (distinct(0), distinct(1));
        if cols.len() * rows.len() == sweep.variants.len()
            && let Some(f) = figures.first()
        {
            // The variant at (column value, row value), if it ran.
            let at = |c: &String, r: &String| {
                let v = sweep.variants.iter().position(|x| &x[0] == c && &x[1] == r);
                v.and_then(|v| aggregate.iter().find(|a| a.variant == v))
            };
            let values = grid(&cols, &rows, &at, |a| {
                a.map_or(f64::NAN, |a| a.figures[f].0)
            });
            let pass = grid(&cols, &rows, &at, |a| a.and_then(|a| a.meets));
            heats.push(Heat {
                pass,
                name: format!("{f}_heat"),
                title: format!("{f} (mean) over both parameters"),
                x_labels: cols,
                y_labels: rows,
                x_desc: sweep.paths[0].clone(),
                y_desc: sweep.paths[1].clone(),
                values,
            });
        }
    }
    (bands, heats)
}

/// A value per (column, row) of a two-parameter grid, from the variant there (if it ran).
fn grid<'a, T>(
    cols: &[String],
    rows: &[String],
    at: &dyn Fn(&String, &String) -> Option<&'a Aggregate>,
    cell: impl Fn(Option<&'a Aggregate>) -> T,
) -> Vec<Vec<T>> {
    cols.iter()
        .map(|c| rows.iter().map(|r| cell(at(c, r))).collect())
        .collect()
}

/// `index.html` of a sweep: the variants, their key figures with CIs, which meet the targets,
/// and the charts.
fn write_page(
    sweep: &Sweep,
    dir: &Path,
    aggregate: &[Aggregate],
    figures: &[String],
    charts: &[String],
) -> std::io::Result<()> {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Sweep {name}</title>\n<style>\nbody {{ font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 76rem; padding: 0 1rem; }}\ntable {{ border-collapse: collapse; font-size: 0.85rem; }}\ntd, th {{ border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: right; }}\ntr.meets {{ background: #e6f4ea; }}\nimg {{ max-width: 100%; height: auto; border: 1px solid #eee; }}\nfigcaption {{ color: #555; font-size: 0.9rem; }}\n@page {{ size: A4; margin: 12mm; }}\n@media print {{ body {{ max-width: none; margin: 0; }} figure, tr {{ break-inside: avoid; }} img {{ width: 100%; border: none; }} }}\n</style>\n</head>\n<body>\n<h1>Sweep {name}</h1>\n<p>{v} variants × {r} replications of <code>{scenario}</code>. Means with the half-width of their 95% confidence interval; <code>aggregate.csv</code> holds every figure.</p>\n",
        name = escape(&sweep.name),
        v = sweep.variants.len(),
        r = sweep.replications,
        scenario = escape(&sweep.scenario.display().to_string()),
    );
    if !sweep.targets.is_empty() {
        let goals: Vec<String> = sweep
            .targets
            .iter()
            .map(|(f, most, least)| match (most, least) {
                (Some(m), Some(l)) => format!("{l} ≤ {f} ≤ {m}"),
                (Some(m), None) => format!("{f} ≤ {m}"),
                (None, Some(l)) => format!("{f} ≥ {l}"),
                (None, None) => f.clone(),
            })
            .collect();
        let best: Vec<String> = aggregate
            .iter()
            .filter(|a| a.meets == Some(true))
            .map(|a| {
                let vals: Vec<String> = sweep
                    .paths
                    .iter()
                    .zip(&sweep.variants[a.variant])
                    .map(|(p, v)| format!("{p} = {v}"))
                    .collect();
                format!(
                    "<li>variant {}: {}</li>",
                    a.variant,
                    escape(&vals.join(", "))
                )
            })
            .collect();
        html.push_str(&format!(
            "<h2>Targets: {}</h2>\n",
            escape(&goals.join(", "))
        ));
        if best.is_empty() {
            html.push_str("<p>No variant meets every target.</p>\n");
        } else {
            html.push_str(&format!(
                "<p>Variants that meet every target (highlighted below):</p>\n<ul>\n{}\n</ul>\n",
                best.join("\n")
            ));
        }
    }
    html.push_str("<table>\n<tr><th>variant</th>");
    for p in &sweep.paths {
        html.push_str(&format!("<th>{}</th>", escape(p)));
    }
    for f in figures {
        html.push_str(&format!("<th>{}</th>", escape(f)));
    }
    html.push_str("</tr>\n");
    for a in aggregate {
        let class = if a.meets == Some(true) {
            " class=\"meets\""
        } else {
            ""
        };
        html.push_str(&format!("<tr{class}><td>{}</td>", a.variant));
        for v in &sweep.variants[a.variant] {
            html.push_str(&format!("<td>{}</td>", escape(v)));
        }
        for f in figures {
            let (m, _, h) = a.figures[f];
            let ci = if h.is_finite() {
                format!(" ± {}", fmt_real(h))
            } else {
                String::new()
            };
            html.push_str(&format!("<td>{}{ci}</td>", fmt_real(m)));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    for c in charts {
        let caption = if c.ends_with("_heat") {
            "The figure's mean for every pair of values, coloured by the scale at the right; the thick line is the target contour between variants that meet every target (✓) and those that do not"
        } else {
            "The figure's mean against the first parameter, one line per value of the others, with its 95% CI band and the target as a dashed line; a cross above the data marks a variant whose replications never reached the figure"
        };
        html.push_str(&format!(
            "<figure><img src=\"charts/{c}.svg\" width=\"{}\" height=\"{}\" alt=\"{c}\"><figcaption>{caption} (<a href=\"charts/{c}.png\">PNG</a>)</figcaption></figure>\n",
            crate::report::charts::WIDTH,
            crate::report::charts::HEIGHT
        ));
    }
    html.push_str("</body>\n</html>\n");
    std::fs::write(dir.join("index.html"), html)
}
