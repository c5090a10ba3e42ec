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
}

/// Collects a [`TraceRow`] per person.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// The rows, in the order visits ended.
    pub rows: Vec<TraceRow>,
}

impl Observer for Trace {
    fn tested(&mut self, t: SimTime, site: SiteId, desk: u32, who: Who, visit: Visit) {
        self.rows.push(TraceRow {
            who,
            site,
            desk: Some(desk),
            visit,
            end: t,
            outcome: Outcome::Tested,
        });
    }

    fn gave_up(&mut self, t: SimTime, site: SiteId, who: Who, why: GiveUp, visit: Visit) {
        self.rows.push(TraceRow {
            who,
            site,
            desk: None,
            visit,
            end: t,
            outcome: Outcome::GaveUp(why),
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
