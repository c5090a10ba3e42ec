//! The replay on the run page: a time slider (and a play button) over a schematic of the sites.
//! At each reporting step it shows every site's queue, desks open and staff on duty, the
//! round's called and tested shares, and the tubes waiting at sites and at the labs.
//!
//! The data is the first replication's time series (the numbers of `timeseries.csv` and
//! `progress.csv`), inlined in the page as JSON with a small script: the page stays one file
//! that opens offline. A city is kept to a sensible size: above [`MAX_MARKS`] sites, neighbouring
//! sites (in the scenario's order) are drawn as one mark holding their sums, and above
//! [`MAX_FRAMES`] reporting steps every k-th step is kept; the page says when it did either.

use std::fmt::Write as _;

use serde::Serialize;

use super::escape;
use crate::model::Model;
use crate::observe::{ProgressRow, SeriesRow};
use crate::runner::Replication;

/// Most marks drawn on the schematic; more sites are grouped.
pub const MAX_MARKS: usize = 400;
/// Most frames of the slider; longer series are thinned.
pub const MAX_FRAMES: usize = 300;
/// Most rows of the table under the schematic (the longest queues of the frame come first).
const TABLE_ROWS: usize = 20;

/// Width and height of the schematic's drawing box.
const BOX: (f64, f64) = (960.0, 480.0);

#[derive(Serialize)]
struct Data {
    /// Hours since the start, per frame.
    t: Vec<f64>,
    /// Local date and clock, per frame.
    clock: Vec<String>,
    /// Name of each mark (a site, or a group of sites).
    names: Vec<String>,
    /// Position of each mark in the drawing box.
    xy: Vec<(f64, f64)>,
    /// Queue space of each mark (0: unlimited).
    space: Vec<u32>,
    /// Per frame, per mark: people waiting, desks open, staff on duty, tested so far.
    queue: Vec<Vec<u32>>,
    desks: Vec<Vec<u32>>,
    staff: Vec<Vec<u32>>,
    tested: Vec<Vec<u64>>,
    /// Per frame, per mark: the share of its residents tested in the current round (tested
    /// since the round's start ÷ the residents of the areas that go to it, an area's residents
    /// split evenly among its sites), in thousandths; empty without rounds.
    share: Vec<Vec<u16>>,
    /// Per frame: residents called, share of the current round tested, closed tubes waiting at
    /// sites for a courier, tubes on the road, tubes waiting at labs, lab results.
    called: Vec<u64>,
    coverage: Vec<f64>,
    at_sites: Vec<u64>,
    on_road: Vec<u64>,
    at_labs: Vec<u32>,
    results: Vec<u64>,
    /// Residents of every area.
    residents: u64,
}

/// Which mark each site is drawn as, and the marks' names.
fn marks(model: &Model) -> (Vec<usize>, Vec<String>) {
    let n = model.sites.len();
    if n <= MAX_MARKS {
        let names = model.sites.iter().map(|s| s.name.clone()).collect();
        return ((0..n).collect(), names);
    }
    let per = n.div_ceil(MAX_MARKS);
    let of: Vec<usize> = (0..n).map(|s| s / per).collect();
    let groups = n.div_ceil(per);
    let names = (0..groups)
        .map(|g| {
            let (a, b) = (g * per, ((g + 1) * per).min(n) - 1);
            format!("{} … {}", model.sites[a].name, model.sites[b].name)
        })
        .collect();
    (of, names)
}

/// Positions of the marks: the sites' own (`x`/`y` or `lat`/`lon`, averaged over a group) when
/// every site has one, else a tidy grid in the scenario's order.
fn layout(model: &Model, of: &[usize], marks: usize) -> (Vec<(f64, f64)>, bool) {
    let placed: Option<Vec<(f64, f64)>> = model.sites.iter().map(|s| s.at).collect();
    let pad = 40.0;
    let (w, h) = (BOX.0 - 2.0 * pad, BOX.1 - 2.0 * pad);
    if let Some(points) = placed.filter(|p| !p.is_empty()) {
        let mut sum = vec![(0.0, 0.0, 0u32); marks];
        for (s, &(x, y)) in points.iter().enumerate() {
            let m = &mut sum[of[s]];
            m.0 += x;
            m.1 += y;
            m.2 += 1;
        }
        let pts: Vec<(f64, f64)> = sum
            .iter()
            .map(|&(x, y, k)| (x / f64::from(k.max(1)), y / f64::from(k.max(1))))
            .collect();
        let (x0, x1, y0, y1) = pts.iter().fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), p| (a.min(p.0), b.max(p.0), c.min(p.1), d.max(p.1)),
        );
        // One scale for both axes (a map keeps its shape); north (larger y) up.
        let span = ((x1 - x0) / w).max((y1 - y0) / h).max(1e-12);
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let at = pts
            .iter()
            .map(|&(x, y)| (BOX.0 / 2.0 + (x - cx) / span, BOX.1 / 2.0 - (y - cy) / span))
            .collect();
        return (at, true);
    }
    let cols = ((marks as f64 * w / h).sqrt().ceil() as usize).clamp(1, marks.max(1));
    let rows = marks.div_ceil(cols).max(1);
    let (dx, dy) = (w / cols as f64, h / rows as f64);
    let at = (0..marks)
        .map(|m| {
            let (c, r) = (m % cols, m / cols);
            (pad + dx * (c as f64 + 0.5), pad + dy * (r as f64 + 0.5))
        })
        .collect();
    (at, false)
}

fn data(model: &Model, rep: &Replication) -> (Data, String) {
    let (of, names) = marks(model);
    let n_marks = names.len();
    let (xy, placed) = layout(model, &of, n_marks);
    let mut space = vec![0u32; n_marks];
    for (s, site) in model.sites.iter().enumerate() {
        let c = site.queue_capacity.unwrap_or(0);
        space[of[s]] = if site.queue_capacity.is_none() || space[of[s]] == u32::MAX {
            u32::MAX
        } else {
            space[of[s]].saturating_add(c)
        };
    }
    let space = space
        .into_iter()
        .map(|c| if c == u32::MAX { 0 } else { c })
        .collect();
    let series: &[SeriesRow] = &rep.figures.series;
    let progress: &[ProgressRow] = &rep.figures.progress;
    // The steps of the series, in time order; then every k-th of them (and the last).
    let mut times: Vec<crate::time::SimTime> = progress.iter().map(|p| p.t).collect();
    if times.is_empty() {
        times = series.iter().map(|r| r.t).collect();
        times.dedup();
    }
    let every = times.len().div_ceil(MAX_FRAMES).max(1);
    let keep: Vec<usize> = (0..times.len())
        .filter(|&i| i % every == every - 1 || i + 1 == times.len())
        .collect();
    let frame_of: std::collections::HashMap<u64, usize> = keep
        .iter()
        .enumerate()
        .map(|(f, &i)| (times[i].0, f))
        .collect();
    let frames = keep.len();
    let mut d = Data {
        t: keep.iter().map(|&i| times[i].hours()).collect(),
        clock: keep
            .iter()
            .map(|&i| model.start.plus(times[i]).to_string())
            .collect(),
        names,
        xy,
        space,
        queue: vec![vec![0; n_marks]; frames],
        desks: vec![vec![0; n_marks]; frames],
        staff: vec![vec![0; n_marks]; frames],
        tested: vec![vec![0; n_marks]; frames],
        share: Vec::new(),
        called: vec![0; frames],
        coverage: vec![f64::NAN; frames],
        at_sites: vec![0; frames],
        on_road: vec![0; frames],
        at_labs: vec![0; frames],
        results: vec![0; frames],
        residents: model.areas.iter().map(|a| u64::from(a.residents)).sum(),
    };
    for r in series {
        if let Some(&f) = frame_of.get(&r.t.0) {
            let m = of[r.site.0 as usize];
            d.queue[f][m] += r.queue;
            d.desks[f][m] += r.desks_open;
            d.staff[f][m] += r.on_duty.iter().sum::<u32>();
            d.tested[f][m] += r.tested;
        }
    }
    // Each mark's residents: an area's split evenly among the sites it goes to.
    let mut residents = vec![0f64; n_marks];
    for a in &model.areas {
        let n = a.sites.len().max(1) as f64;
        for s in &a.sites {
            residents[of[s.0 as usize]] += f64::from(a.residents) / n;
        }
    }
    if !model.rounds.is_empty() && residents.iter().any(|r| *r > 0.0) {
        d.share = (0..frames)
            .map(|f| {
                let t = d.t[f];
                // The current round, and the last frame at or before its start (none: zero).
                let start = model
                    .rounds
                    .iter()
                    .map(|r| r.start.hours())
                    .filter(|s| *s <= t)
                    .fold(f64::NEG_INFINITY, f64::max);
                let base = (0..f).rev().find(|&k| d.t[k] <= start);
                (0..n_marks)
                    .map(|m| {
                        let before = base.map_or(0, |k| d.tested[k][m]);
                        let done = d.tested[f][m].saturating_sub(before) as f64;
                        if residents[m] > 0.0 && start.is_finite() {
                            (1000.0 * done / residents[m])
                                .round()
                                .min(f64::from(u16::MAX)) as u16
                        } else {
                            0
                        }
                    })
                    .collect()
            })
            .collect();
    }
    for p in progress {
        if let Some(&f) = frame_of.get(&p.t.0) {
            d.called[f] = p.called + p.called_at_home;
            d.coverage[f] = p.coverage;
            d.at_sites[f] = p.tubes_waiting_pickup;
            d.on_road[f] = p.tubes_picked.saturating_sub(p.tubes_received);
            d.at_labs[f] = p.lab_backlog;
            d.results[f] = p.results;
        }
    }
    let mut said = Vec::new();
    if n_marks < model.sites.len() {
        said.push(format!(
            "the {} sites are drawn as {n_marks} marks, each the sum of about {} neighbouring sites in the scenario's order",
            model.sites.len(),
            model.sites.len().div_ceil(n_marks)
        ));
    }
    if every > 1 {
        said.push(format!(
            "every {every}th reporting step is shown ({frames} of {})",
            times.len()
        ));
    }
    said.push(if placed {
        "sites are placed by the positions in the scenario".to_string()
    } else {
        "sites are laid out on a grid in the scenario's order (give sites `x`/`y` or `lat`/`lon` to draw a map)".to_string()
    });
    (d, said.join("; "))
}

/// The replay section of the run page, drawn from the first replication.
pub fn section(model: &Model, reps: &[Replication]) -> String {
    let Some(rep) = reps.first() else {
        return String::new();
    };
    let (d, said) = data(model, rep);
    if d.t.is_empty() {
        return String::new();
    }
    // `</` cannot end the script element early: JSON escapes it as `<\/`.
    let json = serde_json::to_string(&d)
        .unwrap_or_else(|_| "{}".into())
        .replace("</", "<\\/");
    let last = d.t.len() - 1;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<section class="replay" id="replay">
<h2>Replay of the round</h2>
<p class="cap">Drag the slider or press play: each circle is a site, its area the people waiting (ringed orange when the queue space is full), its fill the share of its residents tested in the current round (grey none, green all; an area's residents are split evenly among the sites it goes to), its label the queue, desks open, staff on duty and that share. Replication 1 of {reps}; {said}.</p>
<div class="controls"><button type="button" id="replay-play">▶ play</button>
<input type="range" id="replay-slider" min="0" max="{last}" value="{last}" step="1" aria-label="time">
<output id="replay-clock"></output></div>
<p id="replay-round" class="round"></p>
<svg id="replay-map" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="sites"></svg>
<table id="replay-table"><thead><tr><th>site</th><th>waiting</th><th>desks open</th><th>staff on duty</th><th>tested so far</th>{share_th}</tr></thead><tbody></tbody></table>
<script type="application/json" id="replay-data">{json}</script>
<script>{script}</script>
</section>
"#,
        reps = reps.len(),
        said = escape(&said),
        w = BOX.0,
        h = BOX.1,
        script = SCRIPT.replace("ROWS", &TABLE_ROWS.to_string()),
        share_th = if d.share.is_empty() {
            ""
        } else {
            "<th>of its residents tested this round</th>"
        },
    );
    out
}

/// The replay's script: builds the marks once, then updates them for the slider's frame.
const SCRIPT: &str = r#"
(function () {
  var d = JSON.parse(document.getElementById('replay-data').textContent);
  var svg = document.getElementById('replay-map');
  var slider = document.getElementById('replay-slider');
  var clock = document.getElementById('replay-clock');
  var round = document.getElementById('replay-round');
  var body = document.querySelector('#replay-table tbody');
  var play = document.getElementById('replay-play');
  var NS = 'http://www.w3.org/2000/svg';
  var top = 1;
  d.queue.forEach(function (f) { f.forEach(function (q) { if (q > top) top = q; }); });
  var labels = d.names.length <= 60;
  var marks = d.names.map(function (name, m) {
    var g = document.createElementNS(NS, 'g');
    var c = document.createElementNS(NS, 'circle');
    c.setAttribute('cx', d.xy[m][0]); c.setAttribute('cy', d.xy[m][1]);
    var tip = document.createElementNS(NS, 'title');
    c.appendChild(tip); g.appendChild(c);
    var t = null;
    if (labels) {
      t = document.createElementNS(NS, 'text');
      t.setAttribute('x', d.xy[m][0]); t.setAttribute('y', d.xy[m][1] + 34);
      t.setAttribute('text-anchor', 'middle'); t.setAttribute('font-size', '12');
      g.appendChild(t);
    }
    svg.appendChild(g);
    return { c: c, t: t, tip: tip, name: name };
  });
  var num = function (n) { return Number(n).toLocaleString('en-US'); };
  var pct = function (x) { return isFinite(x) && x !== null ? (100 * x).toFixed(1) + '%' : '—'; };
  function show(f) {
    clock.textContent = d.clock[f];
    round.textContent = 'Call-ups so far (all rounds, ' + num(d.residents) + ' residents): ' + num(d.called[f]) +
      '; current round tested: ' + pct(d.coverage[f]) + '; closed tubes waiting at sites for a courier: ' + num(d.at_sites[f]) +
      '; on the road: ' + num(d.on_road[f]) + '; waiting at labs: ' + num(d.at_labs[f]) + '; lab results: ' + num(d.results[f]) + '.';
    marks.forEach(function (k, m) {
      var q = d.queue[f][m], full = d.space[m] > 0 && q >= d.space[m];
      var share = d.share.length ? d.share[f][m] / 1000 : null;
      k.c.setAttribute('r', (3 + 27 * Math.sqrt(q / top)).toFixed(1));
      // Fill: the share of its residents tested this round, from grey (none) to green (all).
      var g = share === null ? 0 : Math.min(1, share);
      var mix = function (a, b) { return Math.round(a + (b - a) * g); };
      k.c.setAttribute('fill', 'rgb(' + mix(187, 0) + ',' + mix(187, 158) + ',' + mix(187, 115) + ')');
      k.c.setAttribute('fill-opacity', '0.8');
      k.c.setAttribute('stroke', full ? '#D55E00' : '#0072B2');
      k.c.setAttribute('stroke-width', full ? '4' : (q > 0 ? '2' : '0'));
      var tested = share === null ? '' : ', ' + pct(share) + ' of its residents tested this round';
      k.tip.textContent = k.name + ': ' + q + ' waiting, ' + d.desks[f][m] + ' desks, ' + d.staff[f][m] + ' staff' + tested;
      if (k.t) k.t.textContent = k.name + ' · ' + q + ' · ' + d.desks[f][m] + 'd · ' + d.staff[f][m] + 's' + (share === null ? '' : ' · ' + pct(share));
    });
    var order = marks.map(function (k, m) { return m; });
    order.sort(function (a, b) { return d.queue[f][b] - d.queue[f][a] || a - b; });
    body.textContent = '';
    order.slice(0, ROWS).forEach(function (m) {
      var tr = document.createElement('tr');
      tr.dataset.site = d.names[m];
      var cells = [d.names[m], d.queue[f][m], d.desks[f][m], d.staff[f][m], d.tested[f][m]];
      if (d.share.length) cells.push(pct(d.share[f][m] / 1000));
      cells.forEach(function (v, i) {
        var td = document.createElement('td');
        td.textContent = v;
        if (i === 1) td.className = 'queue';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }
  slider.addEventListener('input', function () { show(+slider.value); });
  var timer = null;
  play.addEventListener('click', function () {
    if (timer) { clearInterval(timer); timer = null; play.textContent = '▶ play'; return; }
    if (+slider.value >= +slider.max) slider.value = 0;
    play.textContent = '❚❚ pause';
    timer = setInterval(function () {
      if (+slider.value >= +slider.max) { clearInterval(timer); timer = null; play.textContent = '▶ play'; return; }
      slider.value = +slider.value + 1; show(+slider.value);
    }, 120);
  });
  show(+slider.value);
})();
"#;
