//! Bounds on what a scenario may ask for, and an estimate of a run's size before it starts.
//!
//! Every count, rate and interval of a scenario has a bound derived from the domain (a mass
//! testing round lasts days, not years; a sampling point has tens of desks, not billions; no
//! rota changes crews every millisecond), so that `validate` finishes in seconds for any file it
//! reads, and every file it accepts runs without exhausting the machine. Beyond the per-key
//! bounds, [`estimate`] sizes the whole run (people, events, memory in the worst case, when
//! everyone is in the system at once) and [`check`] refuses a run beyond [`MAX_PEOPLE`],
//! [`MAX_EVENTS`] or [`MAX_BYTES`], naming the key that drives the figure. The bounds are listed
//! in docs/scenario.md.

use super::{Arrivals, Model};
use crate::scenario::{KeyPath, Problem, ScenarioFile};
use crate::time::{DAY, HOUR, MINUTE, SimDuration};

/// Longest horizon: a year (mass-testing rounds last 1-3 days; a year of daily rounds fits).
pub const MAX_HORIZON: SimDuration = SimDuration(366 * DAY);
/// Shortest interval between repeating things (reporting steps, shifts, breaks, deliveries,
/// scheduled trips, rounds): nothing in a round is planned by the second.
pub const MIN_INTERVAL: SimDuration = SimDuration(MINUTE);
/// Most entries one compact block (`count`) may stand for.
pub const MAX_COUNT: u32 = 1_000_000;
/// Most areas, sites or teams a scenario may have after expansion (a national round is
/// ~3 million buildings and ~500,000 sampling points).
pub const MAX_ENTRIES: u64 = 5_000_000;
/// Most call-up rounds of an area (daily rounds for a year and more).
pub const MAX_ROUNDS: u32 = 1_000;
/// Most crews of a rota.
pub const MAX_CREWS: u32 = 1_000;
/// Most desks or lanes of one site (the largest sites had tens).
pub const MAX_DESKS: u32 = 10_000;
/// Most people of one team's crew.
pub const MAX_HEADCOUNT: u32 = 100_000;
/// Most people on duty at one site over all teams that work there.
pub const MAX_STAFF_AT_SITE: u64 = 1_000_000;
/// Highest walk-in rate of one stream, per hour (a busy checkpoint sees hundreds per hour).
pub const MAX_RATE_PER_HOUR: f64 = 1_000_000.0;
/// Most tries of a person who comes back when the queue is full.
pub const MAX_TRIES: u32 = 100;
/// Most phases of an Erlang distribution (each draw sums them).
pub const MAX_ERLANG_K: u32 = 1_000;
/// Most rota changes over the horizon, all rotas together (precomputed at load).
pub const MAX_ROTA_CHANGES: u64 = 20_000_000;
/// Most people one replication may bring (residents × rounds, plus expected walk-ins).
pub const MAX_PEOPLE: f64 = 100_000_000.0;
/// Most events one replication may process (about three hours at today's speed).
pub const MAX_EVENTS: f64 = 50_000_000_000.0;
/// Most memory a run may need in the worst case, when everyone is in the system at once.
pub const MAX_BYTES: f64 = 16.0 * (1u64 << 30) as f64;

/// Bytes per person record in the worst case: the record, its place in a queue, and a pending
/// event (measured layouts in docs/performance.md, rounded up).
const BYTES_PER_PERSON: f64 = 160.0;
/// Bytes per time-series row kept per site and reporting step.
const BYTES_PER_SERIES_ROW: f64 = 120.0;

/// One figure of the size estimate and the key that drives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The estimate.
    pub value: f64,
    /// Path of the key that contributes most.
    pub path: KeyPath,
    /// That key as in `--set`.
    pub key: String,
}

/// The size of one replication, estimated before it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Size {
    /// People who come (residents × rounds in the horizon, plus expected walk-ins).
    pub people: Figure,
    /// Events processed.
    pub events: Figure,
    /// Memory in the worst case (everyone in the system at once), bytes.
    pub bytes: Figure,
    /// Of which the figures kept for reports (time series), bytes.
    pub series_bytes: f64,
}

/// Estimates one replication of `m` (read from `file`, whose blocks name the keys).
pub fn estimate(m: &Model, file: &ScenarioFile) -> Size {
    let horizon = m.horizon.0 as f64;
    let mut people = 0.0;
    let mut biggest: (f64, usize) = (0.0, 0);
    for (i, a) in m.areas.iter().enumerate() {
        let n = match &a.arrivals {
            Arrivals::CallUp(cu) => {
                let every = cu.round_every.0.max(1) as f64;
                let in_horizon = if cu.rounds > 1 {
                    (horizon / every).ceil().min(f64::from(cu.rounds))
                } else {
                    1.0
                };
                f64::from(a.residents) * in_horizon
            }
            Arrivals::WalkIn(w) => {
                let span = w.end.0.min(m.horizon.0).saturating_sub(w.begin.0) as f64;
                w.rate.mean() * span
            }
        };
        people += n;
        if n > biggest.0 {
            biggest = (n, i);
        }
    }
    let people_fig = match m.areas.get(biggest.1) {
        Some(area) => {
            let what = match area.arrivals {
                Arrivals::CallUp(_) => "residents",
                Arrivals::WalkIn(_) => "walkin",
            };
            let block = area.block as usize;
            let name = file.area.get(block).map_or(area.name.as_str(), |a| &a.name);
            Figure {
                value: people,
                path: KeyPath::of(&["area"]).index(block).key(what),
                key: format!("area.{name}.{what}"),
            }
        }
        None => Figure {
            value: people,
            path: KeyPath::of(&["area"]),
            key: "area".into(),
        },
    };
    let steps = horizon / m.report_every.0.max(1) as f64;
    let stages: f64 = m
        .sites
        .iter()
        .map(|s| s.stages.len() as f64)
        .fold(1.0, f64::max);
    let rota_changes: f64 = m
        .teams
        .iter()
        .map(|t| m.rotas[t.rota].changes.len() as f64)
        .sum();
    let person_events = people * (4.0 + stages);
    let events = person_events + steps + rota_changes;
    let events_fig = if rota_changes > person_events {
        Figure {
            value: events,
            path: KeyPath::of(&["rota"]),
            key: "rota".into(),
        }
    } else {
        Figure {
            value: events,
            ..people_fig.clone()
        }
    };
    let series_bytes = steps * (m.sites.len() as f64 + 1.0) * BYTES_PER_SERIES_ROW;
    let people_bytes = people * BYTES_PER_PERSON;
    let desk_bytes: f64 = m
        .sites
        .iter()
        .map(|s| f64::from(s.desks) * (s.stages.len() as f64 * 5.0 + 48.0) + 512.0)
        .sum();
    let bytes = people_bytes
        + series_bytes
        + desk_bytes
        + m.areas.len() as f64 * 256.0
        + rota_changes * 16.0;
    let bytes_fig = if series_bytes > people_bytes {
        Figure {
            value: bytes,
            path: KeyPath::of(&["scenario", "report_every"]),
            key: "scenario.report_every".into(),
        }
    } else {
        Figure {
            value: bytes,
            ..people_fig.clone()
        }
    };
    Size {
        people: people_fig,
        events: events_fig,
        bytes: bytes_fig,
        series_bytes,
    }
}

/// Problems with a run of `replications` of `m` beyond the bounds, each naming its key.
pub fn check(m: &Model, replications: u32, file: &ScenarioFile) -> Vec<Problem> {
    let size = estimate(m, file);
    let mut out = Vec::new();
    let problem = |f: &Figure, message: String, fix: &str| Problem {
        path: f.path.clone(),
        key: f.key.clone(),
        message,
        fix: fix.to_string(),
    };
    if size.people.value > MAX_PEOPLE {
        out.push(problem(
            &size.people,
            format!(
                "the run would bring about {:.3e} people (residents × rounds, plus expected walk-ins), more than {MAX_PEOPLE:.0e}; this key brings the most",
                size.people.value
            ),
            "split the round into several scenarios (by district), or lower the residents, rounds or walk-in rate",
        ));
    }
    if size.events.value > MAX_EVENTS {
        out.push(problem(
            &size.events,
            format!(
                "the run would process about {:.3e} events, more than {MAX_EVENTS:.0e}",
                size.events.value
            ),
            "shorten the horizon or split the scenario",
        ));
    }
    let bytes = size.bytes.value + size.series_bytes * f64::from(replications.saturating_sub(1));
    if bytes > MAX_BYTES && out.is_empty() {
        out.push(problem(
            &size.bytes,
            format!(
                "{replications} replication(s) could need {:.1} GiB of memory in the worst case (everyone in the system at once, and the time series of every replication), more than {:.0} GiB",
                bytes / (1u64 << 30) as f64,
                MAX_BYTES / (1u64 << 30) as f64
            ),
            "run fewer replications at once, choose a longer report_every, or split the scenario",
        ));
    }
    out
}

/// A rate per hour, for messages.
pub fn per_hour(per_ms: f64) -> f64 {
    per_ms * HOUR as f64
}
