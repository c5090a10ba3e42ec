//! The per-person trace (`--trace`): one row per person who was tested or gave up.
//!
//! Memory grows with the population served; it is kept only when a user asks for it.

use crate::engine::{GiveUp, Observer, Visit, Who};
use crate::model::SiteId;
use crate::time::SimTime;

/// How a person's visit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Swabbed.
    Tested,
    /// Left untested.
    GaveUp(GiveUp),
}

/// One person's visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRow {
    /// Who.
    pub who: Who,
    /// Where.
    pub site: SiteId,
    /// Desk, for tested people.
    pub desk: Option<u32>,
    /// The times of the visit.
    pub visit: Visit,
    /// When the visit ended.
    pub end: SimTime,
    /// How it ended.
    pub outcome: Outcome,
    /// The visit's number among those that ended at its site: with `end` and `site`, a total
    /// order of the rows that does not depend on how the run was partitioned.
    pub seq: u64,
}

/// Collects a [`TraceRow`] per person.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// The rows, in the order visits ended.
    pub rows: Vec<TraceRow>,
    /// Visits ended so far, per site.
    ended: Vec<u64>,
}

impl Trace {
    fn next_seq(&mut self, site: SiteId) -> u64 {
        let s = site.0 as usize;
        if self.ended.len() <= s {
            self.ended.resize(s + 1, 0);
        }
        self.ended[s] += 1;
        self.ended[s] - 1
    }

    /// The traces of a run's partitions as one, in the order visits ended (by time, site, and
    /// order at the site).
    pub fn merge(parts: Vec<Trace>) -> Trace {
        let mut rows: Vec<TraceRow> = parts.into_iter().flat_map(|t| t.rows).collect();
        rows.sort_by_key(|r| (r.end, r.site, r.seq));
        Trace {
            rows,
            ended: Vec::new(),
        }
    }
}

impl Observer for Trace {
    fn tested(&mut self, t: SimTime, site: SiteId, desk: u32, who: Who, visit: Visit) {
        let seq = self.next_seq(site);
        self.rows.push(TraceRow {
            who,
            site,
            desk: Some(desk),
            visit,
            end: t,
            outcome: Outcome::Tested,
            seq,
        });
    }

    fn gave_up(&mut self, t: SimTime, site: SiteId, who: Who, why: GiveUp, visit: Visit) {
        let seq = self.next_seq(site);
        self.rows.push(TraceRow {
            who,
            site,
            desk: None,
            visit,
            end: t,
            outcome: Outcome::GaveUp(why),
            seq,
        });
    }
}

impl Outcome {
    /// The name written in `trace.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Tested => "tested",
            Outcome::GaveUp(GiveUp::Full) => "gave-up-full",
            Outcome::GaveUp(GiveUp::Closed) => "gave-up-closed",
            Outcome::GaveUp(GiveUp::Reneged) => "reneged",
        }
    }
}
