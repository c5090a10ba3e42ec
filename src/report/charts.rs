//! Charts, as SVG and PNG, drawn only from numbers that `observe` computed (and the CSV files
//! hold): coverage over time, queues per site, the wait distribution, staff and desks on duty,
//! lab backlog and the swab-to-result distribution.
//!
//! Text in PNG uses the DejaVu Sans font shipped in `assets/fonts` (no system fonts are read);
//! SVG text is drawn by the viewer, so Chinese site names show there.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::model::Model;
use crate::observe::{LabRow, ProgressRow, SeriesRow};
use crate::runner::Replication;

/// Width of every chart in pixels.
pub const WIDTH: u32 = 1000;
/// Height of every chart in pixels.
pub const HEIGHT: u32 = 560;

/// Okabe and Ito's colour-blind-safe palette.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// Sites drawn in the queue chart: the busiest by longest queue.
const BUSIEST: usize = 8;

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = super::fonts::SHIPPED;
        // The font ships with the source; a failure here is a build defect caught by the tests.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, bytes);
    });
}

/// Draws PNG text with the TrueType or OpenType font `bytes` (e.g. a CJK font, so that Chinese
/// site names show in PNG too) instead of the shipped DejaVu Sans.
pub fn use_font(bytes: &'static [u8]) -> Result<()> {
    register_font();
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| "it is not a TrueType or OpenType font".to_string())
}

type Result<T> = std::result::Result<T, String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Picks one number of a progress row.
type Pick = fn(&ProgressRow) -> u32;

/// Draws one chart twice, as `NAME.svg` and `NAME.png` in `dir`, and yields its name: `$draw`
/// is an expression on `$root`, a drawing area of either backend, returning `Result<()>`.
macro_rules! both {
    ($dir:expr, $name:expr, |$root:ident| $draw:expr) => {{
        let name: &str = $name;
        {
            let path = $dir.join(format!("{name}.svg"));
            let $root = SVGBackend::new(&path, (WIDTH, HEIGHT)).into_drawing_area();
            $draw?;
            $root.present().map_err(err)?;
        }
        {
            let path = $dir.join(format!("{name}.png"));
            let $root = BitMapBackend::new(&path, (WIDTH, HEIGHT)).into_drawing_area();
            $draw?;
            $root.present().map_err(err)?;
        }
        name.to_string()
    }};
}

/// The files that charts of these names take in a results folder: `charts/NAME.svg` and
/// `charts/NAME.png` each, in order.
pub fn chart_files(names: &[String]) -> impl Iterator<Item = String> + '_ {
    names
        .iter()
        .flat_map(|c| [format!("charts/{c}.svg"), format!("charts/{c}.png")])
}

/// Writes every chart of the run (its first replication) into `dir` as SVG and PNG.
pub fn write_charts(dir: &Path, model: &Model, reps: &[Replication]) -> Result<Vec<String>> {
    register_font();
    let Some(first) = reps.first() else {
        return Ok(Vec::new());
    };
    let f = &first.figures;
    let mut files = Vec::new();
    if !model.rounds.is_empty() {
        files.push(both!(dir, "coverage", |r| coverage(&r, model, reps)));
    }
    files.push(both!(dir, "queues", |r| queues(&r, model, &f.series)));
    if !f.wait_bins.is_empty() {
        let (title, x) = ("Wait in the queue", "wait (minutes)");
        let mark = match target_on(model, "wait_p95_min") {
            Some(v) => (v, format!("target: 95% within {v} min")),
            None => (
                super::brief::WAIT_STANDARD_MIN,
                "standard: 95% within 30 min".to_string(),
            ),
        };
        files.push(both!(dir, "waits", |r| distribution(
            &r,
            &f.wait_bins,
            title,
            x,
            Some(&mark)
        )));
    }
    files.push(both!(dir, "staff", |r| staff(&r, model, &f.progress)));
    if !model.teams.is_empty() {
        let rows = crew_rows(model);
        files.push(both!(dir, "crews", |r| crews(&r, model, &rows)));
    }
    if !model.labs.is_empty() {
        files.push(both!(dir, "chain", |r| chain(&r, model, &f.progress)));
        files.push(both!(dir, "labs", |r| labs(&r, model, &f.labs, reps)));
        if !f.turnaround_bins.is_empty() {
            let (title, x) = ("From swab to result", "hours after the swab");
            let mark = target_on(model, "turnaround_p95_h")
                .map(|v| (v, format!("target: 95% within {v} h")));
            files.push(both!(dir, "turnaround", |r| distribution(
                &r,
                &f.turnaround_bins,
                title,
                x,
                mark.as_ref()
            )));
        }
    }
    Ok(files)
}

/// The caption of a chart, for the run page.
pub fn caption(name: &str) -> &'static str {
    match name {
        "coverage" => {
            "Share of the current round's residents tested, with the 90/95/99% marks and each round's deadline"
        }
        "queues" => "People waiting at the busiest sites (mean over each reporting step)",
        "waits" => "Distribution of waits in the queue, people per bin and cumulative share",
        "staff" => "Desks open, desks short of staff, and people on duty by role, all sites",
        "crews" => {
            "When each crew is on duty, team by team (teams alike are one row): a gap is a break or a handover without staff"
        }
        "labs" => {
            "Tubes waiting: closed at sites for a courier, and at each lab; a rising line is a bottleneck of the sample chain"
        }
        "turnaround" => "Distribution of the time from swab to final result",
        "chain" => {
            "Tubes through the sample chain, counted as they pass each stage: the vertical gap between two lines is the tubes at that stage now (waiting at sites, on the road, at the lab)"
        }
        _ => "",
    }
}

fn hours_axis(model: &Model) -> String {
    format!("local time (month-day hour:minute), from {}", model.start)
}

/// A time axis label: the civil date and clock at `h` hours after the start.
fn clock_label(model: &Model, h: f64) -> String {
    let t = crate::time::SimTime((h.max(0.0) * crate::time::HOUR as f64).round() as u64);
    let text = model.start.plus(t).to_string();
    text.get(5..).unwrap_or(&text).to_string()
}

/// A count axis label: whole numbers only.
fn count_label(v: &f64) -> String {
    format!("{v:.0}")
}

fn horizon_h(model: &Model) -> f64 {
    model.horizon.hours().max(1e-9)
}

/// The 5%, 50% and 95% points (nearest rank) of `xs`, which it sorts.
fn spread(xs: &mut [f64]) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| xs[((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len()) - 1];
    (at(0.05), at(0.5), at(0.95))
}

/// The bound of the scenario's target on `figure` (over the run, else at every site).
fn target_on(model: &Model, figure: &str) -> Option<f64> {
    use crate::targets::Scope;
    model
        .targets
        .iter()
        .filter(|t| t.figure == figure)
        .find(|t| matches!(t.scope, Scope::Run | Scope::EverySite))
        .map(|t| t.bound.value())
}

/// A chart over the scenario's time: its title, the y axis from 0 to `top` with a label area
/// `y_area` pixels wide, its description and tick format, local clock ticks, the legend's
/// margin, and a dotted line at each midnight.
fn time_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    model: &Model,
    title: &str,
    (top, y_area): (f64, u32),
    (y_desc, y_fmt): (&str, &dyn Fn(&f64) -> String),
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24))
        .margin(12)
        .margin_right(LEGEND_W)
        .x_label_area_size(44)
        .y_label_area_size(y_area)
        .build_cartesian_2d(0.0..horizon_h(model), 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(hours_axis(model))
        .x_label_formatter(&|h| clock_label(model, *h))
        .y_desc(y_desc)
        .y_label_formatter(y_fmt)
        .draw()
        .map_err(err)?;
    day_lines(&mut chart, model)?;
    Ok(chart)
}

/// Hours after the start of each local midnight within the horizon.
fn midnights(model: &Model) -> Vec<f64> {
    let day = crate::time::DAY as f64 / crate::time::HOUR as f64;
    let first = (crate::time::DAY - model.start.millis_of_day) as f64 / crate::time::HOUR as f64;
    let first = if model.start.millis_of_day == 0 {
        0.0
    } else {
        first
    };
    let end = horizon_h(model);
    (0..)
        .map(|k| first + k as f64 * day)
        .take_while(|h| *h <= end)
        .filter(|h| *h > 0.0)
        .collect()
}

/// Draws a thin dotted line at each local midnight, from `y0` to `y1`: the day boundaries.
fn day_lines<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    model: &Model,
) -> Result<()> {
    let y = chart.as_coord_spec().get_y_range();
    let (y0, y1) = (y.start, y.end);
    let style = RGBColor(120, 120, 120).stroke_width(1);
    for h in midnights(model) {
        chart
            .draw_series(DashedLineSeries::new([(h, y0), (h, y1)], 3, 5, style))
            .map_err(err)?;
    }
    Ok(())
}

/// Per reporting step, the 5%, 50% and 95% points (nearest rank) of `pick` across the
/// replications: (hours, 5%, median, 95%). Steps where a replication has no value are left out.
fn across(reps: &[Replication], pick: fn(&ProgressRow) -> f64) -> Vec<(f64, f64, f64, f64)> {
    let first = &reps[0].figures.progress;
    let mut out = Vec::with_capacity(first.len());
    for (i, p) in first.iter().enumerate() {
        let mut xs: Vec<f64> = reps
            .iter()
            .filter_map(|r| r.figures.progress.get(i))
            .map(pick)
            .filter(|c| c.is_finite())
            .collect();
        if xs.len() == reps.len() {
            let (lo, mid, hi) = spread(&mut xs);
            out.push((p.t.hours(), lo, mid, hi));
        }
    }
    out
}

/// Draws a dashed horizontal line at `y` across the time axis: a capacity, standard or target.
fn level<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    model: &Model,
    y: f64,
    style: ShapeStyle,
) -> Result<()> {
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, y), (horizon_h(model), y)],
            8,
            6,
            style,
        ))
        .map_err(err)?;
    Ok(())
}

/// Draws a band (5-95%) and its median line.
fn draw_band<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    band: &[(f64, f64, f64, f64)],
    fill: ShapeStyle,
    line: ShapeStyle,
) -> Result<()> {
    let outline: Vec<(f64, f64)> = band
        .iter()
        .map(|b| (b.0, b.3))
        .chain(band.iter().rev().map(|b| (b.0, b.1)))
        .collect();
    chart
        .draw_series(std::iter::once(Polygon::new(outline, fill)))
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(band.iter().map(|b| (b.0, b.2)), line))
        .map_err(err)?;
    Ok(())
}

fn coverage<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    model: &Model,
    reps: &[Replication],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut keys: Vec<Key> = Vec::new();
    let mut chart = time_chart(
        root,
        model,
        "Coverage over time",
        (1.0, 56),
        ("share of residents tested", &|v| {
            format!("{:.0}%", v * 100.0)
        }),
    )?;
    for (k, mark) in [0.90, 0.95, 0.99].into_iter().enumerate() {
        let style = PALETTE[k + 1].stroke_width(1);
        chart
            .draw_series(LineSeries::new(
                [(0.0, mark), (horizon_h(model), mark)],
                style,
            ))
            .map_err(err)?;
        keys.push((format!("{:.0}% tested", mark * 100.0), style));
    }
    if let Some(goal) = target_on(model, "coverage_at_deadline") {
        let style = BLACK.stroke_width(2);
        level(&mut chart, model, goal, style)?;
        keys.push((format!("target {:.1}%", goal * 100.0), style));
    }
    if let Some(deadline) = model.deadline {
        let style = PALETTE[5].stroke_width(2);
        for r in &model.rounds {
            let x = r.start.after(deadline).hours();
            chart
                .draw_series(LineSeries::new([(x, 0.0), (x, 1.0)], style))
                .map_err(err)?;
        }
        keys.push(("deadline".into(), style));
    }
    let line = PALETTE[0].stroke_width(3);
    let first = &reps[0].figures.progress;
    if reps.len() > 1 {
        // Median and 5-95% of the replications at every reporting step.
        let band = across(reps, |p| p.coverage);
        let fill = PALETTE[0].mix(0.25).filled();
        draw_band(&mut chart, &band, fill, line)?;
        keys.push((format!("tested, median of {}", reps.len()), line));
        keys.push(("5-95% of replications".into(), fill));
    } else {
        chart
            .draw_series(LineSeries::new(
                first
                    .iter()
                    .filter(|p| p.coverage.is_finite())
                    .map(|p| (p.t.hours(), p.coverage)),
                line,
            ))
            .map_err(err)?;
        keys.push(("tested".into(), line));
    }
    draw_legend(root, &keys)
}

/// Width kept free right of the plotting area for the legend, so that it never hides data.
pub const LEGEND_W: u32 = 250;

/// Colour of the legend's frame: drawn nowhere else, so a check of the SVG can find the box.
pub const LEGEND_FRAME: RGBColor = RGBColor(0x50, 0x50, 0x50);

/// Longest legend label, in characters, that fits [`LEGEND_W`].
const LABEL_CHARS: usize = 30;

/// A legend label cut to fit beside the chart.
fn fit(label: &str) -> String {
    fit_to(label, LABEL_CHARS)
}

/// A legend entry: its label and the style of its line (a filled style is drawn as a dot).
type Key = (String, ShapeStyle);

/// Most legend entries drawn; the rest are counted in a last line.
const MAX_KEYS: usize = 18;

/// Draws the legend in the strip of [`LEGEND_W`] right of the plotting area (every chart with a
/// legend keeps that margin), so that it never covers data.
fn draw_legend<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, keys: &[Key]) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let (x0, y0, line) = ((WIDTH - LEGEND_W + 12) as i32, 50, 22);
    let shown = keys.len().min(MAX_KEYS);
    let more = keys.len() - shown;
    let lines = (shown + usize::from(more > 0)) as i32;
    let (x1, y1) = (WIDTH as i32 - 6, y0 + lines * line + 10);
    root.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.filled()))
        .map_err(err)?;
    root.draw(&Rectangle::new(
        [(x0, y0), (x1, y1)],
        LEGEND_FRAME.stroke_width(1),
    ))
    .map_err(err)?;
    let font = ("sans-serif", 14).into_font().color(&BLACK);
    for (k, (label, style)) in keys.iter().take(shown).enumerate() {
        let y = y0 + 5 + k as i32 * line + line / 2;
        if style.filled && style.color.3 < 1.0 {
            // A band: a block of its colour.
            root.draw(&Rectangle::new([(x0 + 8, y - 6), (x0 + 30, y + 6)], *style))
                .map_err(err)?;
        } else if style.filled {
            root.draw(&Circle::new((x0 + 18, y), 5, *style))
                .map_err(err)?;
        } else {
            root.draw(&PathElement::new(vec![(x0 + 8, y), (x0 + 30, y)], *style))
                .map_err(err)?;
        }
        root.draw(&Text::new(fit(label), (x0 + 38, y - 8), font.clone()))
            .map_err(err)?;
    }
    if more > 0 {
        let y = y0 + 5 + shown as i32 * line + 3;
        root.draw(&Text::new(format!("… and {more} more"), (x0 + 38, y), font))
            .map_err(err)?;
    }
    Ok(())
}

fn queues<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    model: &Model,
    rows: &[SeriesRow],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut keys: Vec<Key> = Vec::new();
    // One pass over the rows: the longest queue of every site.
    let mut longest = vec![0u32; model.sites.len()];
    for r in rows {
        let q = &mut longest[r.site.0 as usize];
        *q = (*q).max(r.queue_max);
    }
    let mut busiest: Vec<(u32, u32)> = longest
        .into_iter()
        .enumerate()
        .map(|(s, q)| (s as u32, q))
        .collect();
    busiest.sort_by_key(|&(s, q)| (std::cmp::Reverse(q), s));
    busiest.truncate(BUSIEST);
    // The queue space of the sites drawn, when they share one.
    let spaces: std::collections::BTreeSet<Option<u32>> = busiest
        .iter()
        .map(|&(s, _)| model.sites[s as usize].queue_capacity)
        .collect();
    let space = match spaces.into_iter().collect::<Vec<_>>()[..] {
        [Some(space)] => Some(space),
        _ => None,
    };
    let top = rows
        .iter()
        .map(|r| r.queue_max)
        .max()
        .unwrap_or(0)
        .max(space.unwrap_or(0))
        .max(1) as f64;
    let title = if model.sites.len() > BUSIEST {
        "Queues at the busiest sites"
    } else {
        "Queues"
    };
    let mut chart = time_chart(
        root,
        model,
        title,
        (top * 1.05, 56),
        ("people waiting", &count_label),
    )?;
    let mut lines: Vec<Vec<(f64, f64)>> = vec![Vec::new(); busiest.len()];
    let rank: std::collections::BTreeMap<u32, usize> = busiest
        .iter()
        .enumerate()
        .map(|(k, &(s, _))| (s, k))
        .collect();
    for r in rows {
        if let Some(&k) = rank.get(&r.site.0) {
            lines[k].push((r.t.hours(), r.queue_mean));
        }
    }
    if let Some(space) = space {
        let style = BLACK.stroke_width(2);
        level(&mut chart, model, f64::from(space), style)?;
        keys.push((format!("queue space ({space})"), style));
    }
    for (k, &(s, _)) in busiest.iter().enumerate() {
        let style = PALETTE[k % PALETTE.len()].stroke_width(2);
        let points = std::mem::take(&mut lines[k]);
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(err)?;
        keys.push((fit(&model.sites[s as usize].name), style));
    }
    draw_legend(root, &keys)
}

fn distribution<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    bins: &[(f64, u64, f64)],
    title: &str,
    x_desc: &str,
    mark: Option<&(f64, String)>,
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let (upper, lower) = root.split_vertically(HEIGHT * 6 / 10);
    let width = bins.first().map_or(1.0, |b| b.0).max(1e-9);
    let x_max = bins
        .last()
        .map_or(1.0, |b| b.0)
        .max(width)
        .max(mark.map_or(0.0, |m| m.0 * 1.05));
    let y_max = bins.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let mut hist = ChartBuilder::on(&upper)
        .caption(title, ("sans-serif", 24))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max * 1.05)
        .map_err(err)?;
    hist.configure_mesh()
        .y_desc("people")
        .y_label_formatter(&count_label)
        .draw()
        .map_err(err)?;
    hist.draw_series(bins.iter().map(|&(edge, n, _)| {
        Rectangle::new(
            [(edge - width, 0.0), (edge, n as f64)],
            PALETTE[0].mix(0.7).filled(),
        )
    }))
    .map_err(err)?;
    let mut cdf = ChartBuilder::on(&lower)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max, 0.0..1.0)
        .map_err(err)?;
    cdf.configure_mesh()
        .x_desc(x_desc)
        .y_desc("cumulative share")
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .draw()
        .map_err(err)?;
    let points = std::iter::once((0.0, 0.0)).chain(bins.iter().map(|&(edge, _, cum)| (edge, cum)));
    cdf.draw_series(LineSeries::new(points, PALETTE[5].stroke_width(3)))
        .map_err(err)?;
    if let Some((at, label)) = mark {
        // The standard or target: a vertical line in both panels, and 95% in the lower one.
        let style = BLACK.stroke_width(2);
        hist.draw_series(DashedLineSeries::new(
            [(*at, 0.0), (*at, y_max * 1.05)],
            8,
            6,
            style,
        ))
        .map_err(err)?;
        // The label on the side of the line with more room.
        let right = *at > x_max * 0.6;
        let (x, h) = if right {
            (at - x_max * 0.01, HPos::Right)
        } else {
            (at + x_max * 0.01, HPos::Left)
        };
        let font = ("sans-serif", 14)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(h, VPos::Top));
        hist.draw_series(std::iter::once(Text::new(label.clone(), (x, y_max), font)))
            .map_err(err)?;
        cdf.draw_series(DashedLineSeries::new([(*at, 0.0), (*at, 1.0)], 8, 6, style))
            .map_err(err)?;
        cdf.draw_series(DashedLineSeries::new(
            [(0.0, 0.95), (x_max, 0.95)],
            4,
            4,
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
    }
    Ok(())
}

fn staff<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    model: &Model,
    rows: &[ProgressRow],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut keys: Vec<Key> = Vec::new();
    // Every desk of every site: the most that can open.
    let capacity: u32 = model.sites.iter().map(|s| s.desks).sum();
    let top = rows
        .iter()
        .map(|p| {
            p.desks_open
                .max(p.desks_unstaffed)
                .max(*p.on_duty.iter().max().unwrap_or(&0))
        })
        .max()
        .unwrap_or(0)
        .max(capacity)
        .max(1) as f64;
    let mut chart = time_chart(
        root,
        model,
        "Desks and staff on duty",
        (top * 1.1, 56),
        ("desks / people", &count_label),
    )?;
    let style = BLACK.stroke_width(2);
    level(&mut chart, model, f64::from(capacity), style)?;
    keys.push((format!("desks at all sites ({capacity})"), style));
    let series: [(&str, Pick); 5] = [
        ("desks open", |p| p.desks_open),
        ("desks short of staff", |p| p.desks_unstaffed),
        ("samplers", |p| p.on_duty[0]),
        ("registrars", |p| p.on_duty[1]),
        ("marshals", |p| p.on_duty[2]),
    ];
    // Widest first, so that a role drawn over another with the same numbers stays visible.
    for (k, (label, value)) in series.iter().enumerate() {
        let style = PALETTE[k].stroke_width([3, 3, 6, 2, 2][k]);
        let points = rows.iter().map(|p| (p.t.hours(), f64::from(value(p))));
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(err)?;
        keys.push((label.to_string(), style));
    }
    draw_legend(root, &keys)
}

/// One row of the crew timeline: teams of one role, rota, kind of place and headcount.
struct CrewRow {
    label: String,
    rota: usize,
}

/// Most rows of the crew timeline; more kinds of team are counted in the title.
const MAX_CREW_ROWS: usize = 16;

/// The crew timeline's rows: teams alike (role, rota, kind of place, headcount) share a row.
fn crew_rows(model: &Model) -> Vec<CrewRow> {
    use crate::model::{Place, role_name};
    // (role, rota, kind of place, headcount) and the teams of that kind.
    type Kind = (crate::scenario::Role, usize, u8, u32);
    let mut rows: Vec<(Kind, Vec<&str>)> = Vec::new();
    for t in &model.teams {
        let kind = match t.place {
            Place::Sites(_) => 0,
            Place::Pool { .. } => 1,
            Place::Homes(_) => 2,
        };
        let key = (t.role, t.rota, kind, t.headcount);
        match rows.iter_mut().find(|(k, _)| *k == key) {
            Some((_, names)) => names.push(&t.name),
            None => rows.push((key, vec![&t.name])),
        }
    }
    rows.into_iter()
        .map(|((role, rota, kind, headcount), names)| {
            let what = if kind == 1 { " reserve" } else { "" };
            let teams = if names.len() == 1 {
                names[0].to_string()
            } else {
                format!("{} teams like {}", names.len(), names[0])
            };
            CrewRow {
                label: format!("{}{what} ×{headcount}: {teams}", role_name(role)),
                rota,
            }
        })
        .collect()
}

fn crews<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    model: &Model,
    rows: &[CrewRow],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut keys: Vec<Key> = Vec::new();
    let shown = &rows[..rows.len().min(MAX_CREW_ROWS)];
    let n = shown.len().max(1);
    let title = if rows.len() > shown.len() {
        format!(
            "Crews on duty ({} of {} kinds of team)",
            shown.len(),
            rows.len()
        )
    } else {
        "Crews on duty".to_string()
    };
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24))
        .margin(12)
        .margin_right(LEGEND_W)
        .x_label_area_size(44)
        .y_label_area_size(20)
        .build_cartesian_2d(0.0..horizon_h(model), 0.0..n as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(hours_axis(model))
        .x_label_formatter(&|h| clock_label(model, *h))
        .draw()
        .map_err(err)?;
    day_lines(&mut chart, model)?;
    let end = horizon_h(model);
    let most_crews = shown
        .iter()
        .map(|r| model.rotas[r.rota].crews)
        .max()
        .unwrap_or(1);
    for (k, row) in shown.iter().enumerate() {
        // Rows from the top: the first team kind is the highest bar.
        let y = (n - 1 - k) as f64;
        let rota = &model.rotas[row.rota];
        let mut since: Vec<Option<f64>> = vec![None; rota.crews as usize];
        let mut bars: Vec<(f64, f64, u32)> = Vec::new();
        for c in rota.changes.iter().filter(|c| c.kind.whole_crew()) {
            let at = c.t.hours();
            let slot = &mut since[c.crew as usize];
            match (c.kind.on(), *slot) {
                (true, None) => *slot = Some(at),
                (false, Some(from)) => {
                    bars.push((from, at, c.crew));
                    *slot = None;
                }
                _ => {}
            }
        }
        for (crew, from) in since.iter().enumerate() {
            if let Some(from) = from {
                bars.push((*from, end, crew as u32));
            }
        }
        chart
            .draw_series(bars.iter().map(|&(a, b, crew)| {
                Rectangle::new(
                    [(a, y + 0.2), (b.min(end), y + 0.8)],
                    PALETTE[crew as usize % PALETTE.len()].mix(0.8).filled(),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                fit_to(&row.label, 90),
                (0.0, y + 0.95),
                ("sans-serif", 13).into_font().color(&BLACK),
            )))
            .map_err(err)?;
    }
    for crew in 0..most_crews.min(PALETTE.len() as u32) {
        keys.push((
            format!("crew {}", crew + 1),
            PALETTE[crew as usize].mix(0.8).filled(),
        ));
    }
    draw_legend(root, &keys)
}

/// A label cut to `chars` characters.
fn fit_to(label: &str, chars: usize) -> String {
    if label.chars().count() <= chars {
        label.to_string()
    } else {
        let cut: String = label.chars().take(chars - 1).collect();
        format!("{cut}…")
    }
}

/// The sample chain as a cumulative flow diagram: tubes closed, picked up, delivered, and lab
/// results, with the gaps (tubes waiting at sites, on the road) shaded.
fn chain<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    model: &Model,
    rows: &[ProgressRow],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut keys: Vec<Key> = Vec::new();
    let top = rows
        .iter()
        .map(|p| p.tubes_closed.max(p.results))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut chart = time_chart(
        root,
        model,
        "The sample chain: tubes through each stage",
        (top * 1.05, 64),
        ("tubes so far", &count_label),
    )?;
    let t = |p: &ProgressRow| p.t.hours();
    type Count = fn(&ProgressRow) -> u64;
    let gaps: [(&str, Count, Count, RGBColor); 2] = [
        (
            "waiting at sites",
            |p| p.tubes_closed,
            |p| p.tubes_picked,
            PALETTE[5],
        ),
        (
            "on the road",
            |p| p.tubes_picked,
            |p| p.tubes_received,
            PALETTE[4],
        ),
    ];
    for (label, upper, lower, colour) in gaps {
        let outline: Vec<(f64, f64)> = rows
            .iter()
            .map(|p| (t(p), upper(p) as f64))
            .chain(rows.iter().rev().map(|p| (t(p), lower(p) as f64)))
            .collect();
        let fill = colour.mix(0.35).filled();
        chart
            .draw_series(std::iter::once(Polygon::new(outline, fill)))
            .map_err(err)?;
        keys.push((label.to_string(), fill));
    }
    let lines: [(&str, Count, RGBColor); 4] = [
        ("tubes closed", |p| p.tubes_closed, PALETTE[5]),
        ("picked up by a courier", |p| p.tubes_picked, PALETTE[1]),
        ("delivered to a lab", |p| p.tubes_received, PALETTE[0]),
        ("lab results (with re-tests)", |p| p.results, PALETTE[2]),
    ];
    for (label, value, colour) in lines {
        let style = colour.stroke_width(2);
        chart
            .draw_series(LineSeries::new(
                rows.iter().map(|p| (t(p), value(p) as f64)),
                style,
            ))
            .map_err(err)?;
        keys.push((label.to_string(), style));
    }
    draw_legend(root, &keys)
}

fn labs<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    model: &Model,
    rows: &[LabRow],
    reps: &[Replication],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut keys: Vec<Key> = Vec::new();
    let progress = &reps[0].figures.progress;
    // With several replications, the tubes waiting at sites as a median and 5-95% band.
    let band = (reps.len() > 1).then(|| across(reps, |p| p.tubes_waiting_pickup as f64));
    let at_sites = progress
        .iter()
        .map(|p| p.tubes_waiting_pickup)
        .max()
        .unwrap_or(0)
        .max(band.iter().flatten().map(|b| b.3 as u64).max().unwrap_or(0));
    let top = rows
        .iter()
        .map(|r| u64::from(r.backlog))
        .max()
        .unwrap_or(0)
        .max(at_sites)
        .max(1) as f64;
    let mut chart = time_chart(
        root,
        model,
        "Tubes waiting: at sites for a courier, and at each lab",
        (top * 1.1, 56),
        ("tubes waiting", &count_label),
    )?;
    let waiting = PALETTE[5].stroke_width(3);
    if let Some(band) = &band {
        let fill = PALETTE[5].mix(0.25).filled();
        draw_band(&mut chart, band, fill, waiting)?;
        keys.push(("at sites (median)".into(), waiting));
        keys.push(("5-95% of replications".into(), fill));
    } else {
        chart
            .draw_series(LineSeries::new(
                progress
                    .iter()
                    .map(|p| (p.t.hours(), p.tubes_waiting_pickup as f64)),
                waiting,
            ))
            .map_err(err)?;
        keys.push(("at sites, for a courier".into(), waiting));
    }
    for (l, lab) in model.labs.iter().enumerate() {
        let style = PALETTE[l % 5].stroke_width(2);
        let points = rows
            .iter()
            .filter(|r| r.lab as usize == l)
            .map(|r| (r.t.hours(), r.backlog_mean));
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(err)?;
        keys.push((fit(&format!("at lab {}", lab.name)), style));
    }
    draw_legend(root, &keys)
}

/// A chart of one line per run, for `swabsim compare`.
pub struct Overlay {
    /// File stem.
    pub name: &'static str,
    /// Title.
    pub title: &'static str,
    /// X axis label.
    pub x_desc: String,
    /// Y axis label.
    pub y_desc: &'static str,
    /// Y values are shares, drawn as percentages from 0 to 100%.
    pub percent: bool,
    /// (run label, points) per run.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    /// Per run, (x, 5%, median, 95%) across its replications, or empty: drawn as a band with
    /// the median as the run's line instead of its points.
    pub bands: Vec<Vec<(f64, f64, f64, f64)>>,
}

/// Writes overlay charts as SVG and PNG into `dir`; returns the file stems.
pub fn write_overlays(dir: &Path, overlays: &[Overlay]) -> Result<Vec<String>> {
    register_font();
    let mut out = Vec::new();
    for o in overlays {
        out.push(both!(dir, o.name, |r| overlay(&r, o)));
    }
    Ok(out)
}

fn overlay<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, o: &Overlay) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut keys: Vec<Key> = Vec::new();
    let points = o.series.iter().flat_map(|(_, p)| p.iter());
    let x_max = points
        .clone()
        .map(|p| p.0)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let band_top = o
        .bands
        .iter()
        .flatten()
        .map(|b| b.3)
        .fold(0.0_f64, f64::max);
    let y_max = if o.percent {
        1.0
    } else {
        points.map(|p| p.1).fold(band_top, f64::max).max(1.0) * 1.05
    };
    let mut chart = ChartBuilder::on(root)
        .caption(o.title, ("sans-serif", 24))
        .margin(12)
        .margin_right(LEGEND_W)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(err)?;
    let percent = o.percent;
    chart
        .configure_mesh()
        .x_desc(o.x_desc.as_str())
        .y_desc(o.y_desc)
        .y_label_formatter(&|v| {
            if percent {
                format!("{:.0}%", v * 100.0)
            } else {
                format!("{v:.0}")
            }
        })
        .draw()
        .map_err(err)?;
    for (k, (label, pts)) in o.series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let style = colour.stroke_width(2);
        let band = o.bands.get(k).filter(|b| !b.is_empty());
        if let Some(band) = band {
            let outline: Vec<(f64, f64)> = band
                .iter()
                .map(|b| (b.0, b.3))
                .chain(band.iter().rev().map(|b| (b.0, b.1)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    colour.mix(0.2).filled(),
                )))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(band.iter().map(|b| (b.0, b.2)), style))
                .map_err(err)?;
            keys.push((fit(&format!("{label} (median, 5-95%)")), style));
            continue;
        }
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), style))
            .map_err(err)?;
        keys.push((fit(label), style));
    }
    draw_legend(root, &keys)
}

/// A labelled line of (x, mean, 95% CI half-width) points.
pub type BandSeries = (String, Vec<(f64, f64, f64)>);

/// A figure against a parameter: one line per series with its 95% confidence band.
pub struct Bands {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// X axis label (the parameter's path).
    pub x_desc: String,
    /// Y axis label (the figure).
    pub y_desc: String,
    /// (label, points (x, mean, half-width)) per series; a NaN mean is a variant that never
    /// reached the figure, drawn as a cross above the data.
    pub series: Vec<BandSeries>,
    /// Target bounds on the figure, drawn as dashed lines: (value, label).
    pub targets: Vec<(f64, String)>,
    /// The parameter takes whole numbers: whole-number ticks.
    pub integer_x: bool,
}

/// A figure over two parameters: one coloured cell per variant, with its value.
pub struct Heat {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// Labels of the columns (first parameter's values) and rows (second's).
    pub x_labels: Vec<String>,
    /// Labels of the rows.
    pub y_labels: Vec<String>,
    /// Axis names.
    pub x_desc: String,
    /// Axis names.
    pub y_desc: String,
    /// Value at (column, row); NaN is blank.
    pub values: Vec<Vec<f64>>,
    /// Whether the variant at (column, row) meets the targets (`None`: no targets or no
    /// variant); the border between passing and failing cells is drawn as the target contour.
    pub pass: Vec<Vec<Option<bool>>>,
}

/// Writes band and heat charts (SVG and PNG); returns the file stems.
pub fn write_sweep_charts(dir: &Path, bands: &[Bands], heats: &[Heat]) -> Result<Vec<String>> {
    register_font();
    let mut out = Vec::new();
    for b in bands {
        out.push(both!(dir, &b.name, |r| band_chart(&r, b)));
    }
    for h in heats {
        out.push(both!(dir, &h.name, |r| heat_chart(&r, h)));
    }
    Ok(out)
}

fn band_chart<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, b: &Bands) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut keys: Vec<Key> = Vec::new();
    let all = || b.series.iter().flat_map(|(_, p)| p.iter());
    let pts = || all().filter(|p| p.1.is_finite());
    let half = |p: &(f64, f64, f64)| if p.2.is_finite() { p.2 } else { 0.0 };
    let (x0, x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, z), p| {
        (a.min(p.0), z.max(p.0))
    });
    let (mut y0, mut y1) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, z), p| {
        (a.min(p.1 - half(p)), z.max(p.1 + half(p)))
    });
    for (t, _) in &b.targets {
        y0 = y0.min(*t);
        y1 = y1.max(*t);
    }
    if !x0.is_finite() {
        return Ok(());
    }
    if !y0.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = ((x1 - x0) * 0.05).max(0.5);
    let ypad = ((y1 - y0) * 0.1).max(1e-6);
    // Crosses for variants that never reached the figure sit in a strip above the data.
    let missing = all().any(|p| !p.1.is_finite());
    let top = y1 + ypad * if missing { 2.5 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(b.title.as_str(), ("sans-serif", 24))
        .margin(12)
        .margin_right(LEGEND_W)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(
            (x0 - pad)..(x1 + pad),
            (y0 - ypad).min(0.0f64.max(y0 - ypad))..top,
        )
        .map_err(err)?;
    let ticks = if b.integer_x {
        ((x1 - x0).round() as usize + 1).clamp(2, 12)
    } else {
        10
    };
    let integer_x = b.integer_x;
    chart
        .configure_mesh()
        .x_desc(b.x_desc.as_str())
        .y_desc(b.y_desc.as_str())
        .x_labels(ticks)
        .x_label_formatter(&|x| {
            if integer_x {
                if (x - x.round()).abs() < 1e-9 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            } else {
                format!("{x}")
            }
        })
        .draw()
        .map_err(err)?;
    for (t, label) in &b.targets {
        let style = BLACK.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(
                [(x0 - pad, *t), (x1 + pad, *t)],
                8,
                6,
                style,
            ))
            .map_err(err)?;
        keys.push((label.clone(), style));
    }
    for (k, (label, points)) in b.series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let ok: Vec<&(f64, f64, f64)> = points.iter().filter(|p| p.1.is_finite()).collect();
        let upper: Vec<(f64, f64)> = ok.iter().map(|p| (p.0, p.1 + half(p))).collect();
        let lower: Vec<(f64, f64)> = ok.iter().rev().map(|p| (p.0, p.1 - half(p))).collect();
        let band: Vec<(f64, f64)> = upper.into_iter().chain(lower).collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                colour.mix(0.2).filled(),
            )))
            .map_err(err)?;
        let style = colour.stroke_width(3);
        chart
            .draw_series(LineSeries::new(ok.iter().map(|p| (p.0, p.1)), style))
            .map_err(err)?;
        keys.push((fit(label), style));
        chart
            .draw_series(
                ok.iter()
                    .map(|p| Circle::new((p.0, p.1), 4, colour.filled())),
            )
            .map_err(err)?;
        chart
            .draw_series(points.iter().filter(|p| !p.1.is_finite()).map(|p| {
                // Side by side when several series miss at one x.
                let dx = (k as f64 - (b.series.len() as f64 - 1.0) / 2.0) * pad * 0.25;
                Cross::new((p.0 + dx, y1 + ypad * 1.6), 7, colour.stroke_width(3))
            }))
            .map_err(err)?;
    }
    if missing {
        keys.push(("× never reached".into(), BLACK.stroke_width(0)));
    }
    draw_legend(root, &keys)
}

/// The heat map's colour at `t` in 0..=1: from Okabe-Ito blue (low) to vermillion (high).
fn heat_colour(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    RGBColor(
        (t * 213.0) as u8,
        (114.0 - t * 20.0) as u8,
        (178.0 - t * 178.0) as u8,
    )
}

fn heat_chart<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, h: &Heat) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let (nx, ny) = (h.x_labels.len(), h.y_labels.len());
    let finite = h.values.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, z), v| {
        (a.min(v), z.max(v))
    });
    let mut chart = ChartBuilder::on(root)
        .caption(h.title.as_str(), ("sans-serif", 24))
        .margin(12)
        .margin_right(LEGEND_W)
        .x_label_area_size(44)
        .y_label_area_size(90)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
        .map_err(err)?;
    let (xl, yl) = (h.x_labels.clone(), h.y_labels.clone());
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(h.x_desc.as_str())
        .y_desc(h.y_desc.as_str())
        .x_labels(nx * 2 + 1)
        .y_labels(ny * 2 + 1)
        .x_label_formatter(&move |v| label_at(&xl, *v))
        .y_label_formatter(&move |v| label_at(&yl, *v))
        .draw()
        .map_err(err)?;
    for (i, col) in h.values.iter().enumerate() {
        for (j, &v) in col.iter().enumerate() {
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            let fill = if v.is_finite() {
                heat_colour(t).mix(0.85).filled()
            } else {
                WHITE.filled()
            };
            let (x, y) = (i as f64, j as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    fill,
                )))
                .map_err(err)?;
            let text = if v.is_finite() {
                format!("{v:.2}")
            } else {
                "never reached".into()
            };
            chart
                .draw_series(std::iter::once(Text::new(
                    text,
                    (x + 0.5, y + 0.5),
                    ("sans-serif", 16)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))
                .map_err(err)?;
        }
    }
    // The target contour: a thick line between a cell that meets the targets and one that
    // does not.
    let pass = |i: usize, j: usize| h.pass.get(i).and_then(|c| c.get(j)).copied().flatten();
    let contour = BLACK.stroke_width(4);
    let mut edges: Vec<[(f64, f64); 2]> = Vec::new();
    for i in 0..nx {
        for j in 0..ny {
            let here = pass(i, j);
            if here.is_none() {
                continue;
            }
            if i + 1 < nx && pass(i + 1, j).is_some() && pass(i + 1, j) != here {
                let x = (i + 1) as f64;
                edges.push([(x, j as f64), (x, (j + 1) as f64)]);
            }
            if j + 1 < ny && pass(i, j + 1).is_some() && pass(i, j + 1) != here {
                let y = (j + 1) as f64;
                edges.push([(i as f64, y), ((i + 1) as f64, y)]);
            }
        }
    }
    let mut keys: Vec<Key> = Vec::new();
    if !edges.is_empty() {
        chart
            .draw_series(
                edges
                    .into_iter()
                    .map(|e| PathElement::new(e.to_vec(), contour)),
            )
            .map_err(err)?;
        keys.push(("target contour".into(), contour));
    }
    if h.pass.iter().flatten().any(|p| *p == Some(true)) {
        keys.push(("✓ meets the targets".into(), BLACK.stroke_width(0)));
        chart
            .draw_series(h.pass.iter().enumerate().flat_map(|(i, c)| {
                c.iter()
                    .enumerate()
                    .filter(|(_, p)| **p == Some(true))
                    .map(move |(j, _)| {
                        Text::new(
                            "✓".to_string(),
                            (i as f64 + 0.08, j as f64 + 0.92),
                            ("sans-serif", 18).into_font().color(&BLACK),
                        )
                    })
            }))
            .map_err(err)?;
    }
    draw_legend(root, &keys)?;
    colour_scale(root, lo, hi, keys.len())
}

/// The heat map's colour scale, in the legend strip under `keys_above` legend lines.
fn colour_scale<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    lo: f64,
    hi: f64,
    keys_above: usize,
) -> Result<()> {
    if !lo.is_finite() {
        return Ok(());
    }
    let x0 = (WIDTH - LEGEND_W + 20) as i32;
    let y0 = 50
        + if keys_above > 0 {
            keys_above as i32 * 22 + 30
        } else {
            0
        };
    let (w, hgt, steps) = (24, 240, 48);
    let font = ("sans-serif", 14).into_font().color(&BLACK);
    root.draw(&Text::new("mean of the figure", (x0, y0), font.clone()))
        .map_err(err)?;
    let top = y0 + 22;
    for k in 0..steps {
        // Highest value at the top.
        let t = 1.0 - (k as f64 + 0.5) / steps as f64;
        let (a, b) = (top + k * hgt / steps, top + (k + 1) * hgt / steps);
        root.draw(&Rectangle::new(
            [(x0, a), (x0 + w, b)],
            heat_colour(t).mix(0.85).filled(),
        ))
        .map_err(err)?;
    }
    root.draw(&Rectangle::new(
        [(x0, top), (x0 + w, top + hgt)],
        BLACK.stroke_width(1),
    ))
    .map_err(err)?;
    for (k, v) in [hi, (hi + lo) / 2.0, lo].into_iter().enumerate() {
        let y = top + k as i32 * hgt / 2;
        root.draw(&Text::new(
            format!("{v:.2}"),
            (x0 + w + 8, y),
            font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// The label of the cell whose centre is at `v` (`k + 0.5`), empty elsewhere.
fn label_at(labels: &[String], v: f64) -> String {
    let k = v - 0.5;
    if (k - k.round()).abs() < 1e-6 && k >= 0.0 {
        labels.get(k.round() as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// One candidate of a plan's search: its step, its cost, and whether it was feasible.
#[derive(Debug, Clone, Copy)]
pub struct PlanPoint {
    /// Step of the search, from 1.
    pub step: f64,
    /// Cost.
    pub cost: f64,
    /// Feasible (every target met with confidence).
    pub feasible: bool,
}

/// Writes `search.svg` and `search.png`: every candidate's cost against the step of the search,
/// feasible and not, with the chosen plan's cost as a line.
pub fn write_plan_chart(
    dir: &Path,
    points: &[PlanPoint],
    chosen: Option<f64>,
) -> Result<Vec<String>> {
    register_font();
    Ok(vec![both!(dir, "search", |r| plan_chart(
        &r, points, chosen
    ))])
}

fn plan_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[PlanPoint],
    chosen: Option<f64>,
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut keys: Vec<Key> = Vec::new();
    let steps = points.len().max(1) as f64;
    let top = points.iter().map(|p| p.cost).fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(root)
        .caption("The search: every candidate's cost", ("sans-serif", 24))
        .margin(12)
        .margin_right(LEGEND_W)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..steps + 1.0, 0.0..top * 1.08)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("candidate, in the order the search looked at it")
        .y_desc("cost of the candidate")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(err)?;
    for (feasible, label, colour) in [
        (true, "feasible", PALETTE[2]),
        (false, "not feasible", PALETTE[5]),
    ] {
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| p.feasible == feasible)
                    .map(|p| Circle::new((p.step, p.cost), 4, colour.filled())),
            )
            .map_err(err)?;
        keys.push((label.to_string(), colour.filled()));
    }
    if let Some(c) = chosen {
        let style = BLACK.stroke_width(2);
        chart
            .draw_series(LineSeries::new([(0.0, c), (steps + 1.0, c)], style))
            .map_err(err)?;
        keys.push(("chosen plan".to_string(), style));
    }
    draw_legend(root, &keys)
}
