//! Sample-chain figures: tubes, lab tests per person, swab-to-result turnaround, positives,
//! lab backlog over time, stock-outs, and the chain's conservation.

use hdrhistogram::Histogram;

use super::Row;
use super::timeweighted::TimeWeighted;
use crate::engine::{EndState, TubeRecord};
use crate::model::{Model, SiteId};
use crate::time::{HOUR, SimDuration, SimTime};

/// One tube's way, for `tubes.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TubeRow {
    /// Tube number in the run.
    pub id: u64,
    /// Site where it was filled.
    pub site: SiteId,
    /// Lab that tested it.
    pub lab: u32,
    /// Swabs in it.
    pub swabs: u32,
    /// Pool size of its site (1 for re-tests).
    pub retest: bool,
    /// Infected members.
    pub infected: u32,
    /// Result.
    pub positive: bool,
    /// Times: first swab, closed, picked up, received, run start, result.
    pub times: [SimTime; 6],
    /// Received later than the hold limit after the first swab.
    pub over_hold_limit: bool,
}

/// One lab at the end of a reporting step, for `labs.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabRow {
    /// End of the step.
    pub t: SimTime,
    /// The lab.
    pub lab: u32,
    /// Tubes waiting (at the door or for a run) at the end of the step.
    pub backlog: u32,
    /// Time-weighted mean of tubes waiting over the step.
    pub backlog_mean: f64,
    /// Time-weighted mean share of machines running over the step.
    pub utilisation: f64,
    /// Results reported by the end of the step.
    pub results: u64,
    /// Plates started by the end of the step.
    pub runs: u64,
}

#[derive(Debug, Clone, Default)]
struct LabStats {
    backlog: TimeWeighted,
    running: TimeWeighted,
    results: u64,
    runs: u64,
}

/// Collects sample-chain figures; fed by [`super::Stats`].
#[derive(Debug, Clone)]
pub(super) struct ChainStats {
    opened: u64,
    closed: u64,
    partial: u64,
    pools: u64,
    retests: u64,
    retests_made: u64,
    persons: u64,
    infected_tested: u64,
    positives: u64,
    over_hold: u64,
    over_transit: u64,
    reswabs: u64,
    reswab_wait_ms: f64,
    reswab_wait_max: u64,
    last_result: Option<SimTime>,
    turnaround: Histogram<u64>,
    turnaround_sum_ms: f64,
    stockout: Vec<TimeWeighted>,
    /// Per site: tubes closed, and (sum, count) of members' turnarounds.
    site_tubes: Vec<u64>,
    site_turnaround: Vec<(f64, u64)>,
    /// Per site: whether its closed tubes wait for a courier.
    on_route: Vec<bool>,
    /// Closed tubes waiting at sites for a courier now, and the most at once.
    waiting: u64,
    waiting_max: u64,
    /// Tubes picked up and the sum of their waits at the site.
    picked: u64,
    pickup_wait_ms: f64,
    /// Swabs without a final result at the horizon.
    pending: u64,
    labs: Vec<LabStats>,
    machines: Vec<u32>,
    pub(super) tubes: Vec<TubeRow>,
    pub(super) lab_rows: Vec<LabRow>,
}

impl ChainStats {
    pub(super) fn new(m: &Model) -> ChainStats {
        ChainStats {
            opened: 0,
            closed: 0,
            partial: 0,
            pools: 0,
            retests: 0,
            retests_made: 0,
            persons: 0,
            infected_tested: 0,
            positives: 0,
            over_hold: 0,
            over_transit: 0,
            reswabs: 0,
            reswab_wait_ms: 0.0,
            reswab_wait_max: 0,
            last_result: None,
            // Turnarounds kept to 3 significant digits (0.1%).
            turnaround: Histogram::new(3).expect("valid histogram precision"),
            turnaround_sum_ms: 0.0,
            stockout: vec![TimeWeighted::default(); m.sites.len()],
            site_tubes: vec![0; m.sites.len()],
            site_turnaround: vec![(0.0, 0); m.sites.len()],
            on_route: m.sites.iter().map(|s| s.route.is_some()).collect(),
            waiting: 0,
            waiting_max: 0,
            picked: 0,
            pickup_wait_ms: 0.0,
            pending: 0,
            labs: vec![LabStats::default(); m.labs.len()],
            machines: m.labs.iter().map(|l| l.machines).collect(),
            tubes: Vec::new(),
            lab_rows: Vec::new(),
        }
    }

    pub(super) fn reswabbed(&mut self, wait: SimDuration) {
        self.reswabs += 1;
        self.reswab_wait_ms += wait.0 as f64;
        self.reswab_wait_max = self.reswab_wait_max.max(wait.0);
    }

    /// Distribution of swab-to-result times in hours, bins of whole quarter hours.
    pub(super) fn turnaround_bins(&self) -> Vec<(f64, u64, f64)> {
        super::stats::bins(&self.turnaround, 15 * crate::time::MINUTE, HOUR as f64)
    }

    /// Tubes waiting at all labs now.
    pub(super) fn backlog_now(&self) -> u32 {
        self.labs.iter().map(|l| l.backlog.value() as u32).sum()
    }

    /// Results (pools and re-tests) and cases found so far.
    pub(super) fn results_so_far(&self) -> (u64, u64) {
        (self.pools + self.retests, self.positives)
    }

    pub(super) fn opened(&mut self) {
        self.opened += 1;
    }

    pub(super) fn closed(&mut self, site: SiteId, swabs: u32, pool: u32) {
        self.closed += 1;
        self.site_tubes[site.0 as usize] += 1;
        self.partial += u64::from(swabs < pool);
        if self.on_route[site.0 as usize] {
            self.waiting += 1;
            self.waiting_max = self.waiting_max.max(self.waiting);
        }
    }

    pub(super) fn picked(&mut self, t: SimTime, closed: SimTime) {
        self.waiting = self.waiting.saturating_sub(1);
        self.picked += 1;
        self.pickup_wait_ms += t.since(closed).0 as f64;
    }

    /// Closed tubes waiting at sites for a courier now.
    pub(super) fn waiting_now(&self) -> u64 {
        self.waiting
    }

    /// A swab without a final result at the horizon counts in the turnaround with its age then,
    /// so that turnaround figures are not biased low by leaving out the slowest swabs.
    pub(super) fn pending(&mut self, t: SimTime, site: SiteId, swab: SimTime) {
        self.pending += 1;
        self.turnaround_point(site, t.since(swab).0);
    }

    fn turnaround_point(&mut self, site: SiteId, ms: u64) {
        let _ = self.turnaround.record(ms);
        self.turnaround_sum_ms += ms as f64;
        let site = &mut self.site_turnaround[site.0 as usize];
        site.0 += ms as f64;
        site.1 += 1;
    }

    pub(super) fn stockout(&mut self, t: SimTime, site: SiteId, out: bool) {
        self.stockout[site.0 as usize].set(t, f64::from(u8::from(out)));
    }

    pub(super) fn backlog(&mut self, t: SimTime, lab: u32, waiting: u32) {
        self.labs[lab as usize].backlog.set(t, f64::from(waiting));
    }

    pub(super) fn running(&mut self, t: SimTime, lab: u32, running: u32) {
        let lab = &mut self.labs[lab as usize];
        if f64::from(running) > lab.running.value() {
            lab.runs += 1;
        }
        lab.running.set(t, f64::from(running));
    }

    pub(super) fn result(&mut self, t: SimTime, r: &TubeRecord<'_>) {
        self.last_result = Some(t);
        self.labs[r.lab as usize].results += 1;
        if r.retest {
            self.retests += 1;
        } else {
            self.pools += 1;
            self.persons += u64::from(r.swabs);
            self.infected_tested += u64::from(r.infected);
            self.over_hold += u64::from(r.over_hold_limit);
            self.over_transit += u64::from(r.transit_over_limit);
        }
        if r.positive && r.swabs > 1 {
            self.retests_made += u64::from(r.swabs);
        }
        if r.positive && r.swabs == 1 {
            self.positives += 1;
        }
        if r.final_for_members {
            for &s in r.swab_times {
                self.turnaround_point(r.site, t.since(s).0);
            }
        }
        self.tubes.push(TubeRow {
            id: r.id,
            site: r.site,
            lab: r.lab,
            swabs: r.swabs,
            retest: r.retest,
            infected: r.infected,
            positive: r.positive,
            times: [r.first_swab, r.closed, r.picked, r.received, r.run_start, t],
            over_hold_limit: r.over_hold_limit,
        });
    }

    pub(super) fn step(&mut self, t: SimTime) {
        for (l, lab) in self.labs.iter_mut().enumerate() {
            let b = lab.backlog.close_step(t);
            let r = lab.running.close_step(t);
            let machines = f64::from(self.machines[l].max(1));
            self.lab_rows.push(LabRow {
                t,
                lab: l as u32,
                backlog: b.end as u32,
                backlog_mean: b.mean,
                utilisation: r.mean / machines,
                results: lab.results,
                runs: lab.runs,
            });
        }
    }

    /// Every tube in exactly one place, every swab in exactly one tube.
    pub(super) fn check(&self, end: &EndState, swabbed: u64) -> Result<(), String> {
        let pools_without = end.tubes_at_sites + end.tubes_in_transit + end.tubes_at_labs;
        if self.opened != self.pools + pools_without {
            return Err(format!(
                "{} tubes opened, but {} have results, {} are at sites, {} in transit and {} at labs",
                self.opened,
                self.pools,
                end.tubes_at_sites,
                end.tubes_in_transit,
                end.tubes_at_labs
            ));
        }
        if swabbed != self.persons + end.swabs_without_result {
            return Err(format!(
                "{swabbed} people swabbed, but tubes hold {} swabs with results and {} without",
                self.persons, end.swabs_without_result
            ));
        }
        if self.retests_made != self.retests + end.retests_at_labs + end.retests_on_the_way {
            return Err(format!(
                "{} re-tests made, {} with results, {} at labs, {} on the way",
                self.retests_made, self.retests, end.retests_at_labs, end.retests_on_the_way
            ));
        }
        Ok(())
    }

    /// Summary columns.
    pub(super) fn fill(&mut self, row: &mut Row, horizon: SimTime) {
        let hours = |ms: f64| ms / HOUR as f64;
        let n = self.turnaround.len();
        let stockout_ms: f64 = self.stockout.iter_mut().map(|s| s.integral(horizon)).sum();
        row.count("tubes", self.closed)
            .count("partial_tubes", self.partial)
            .count("tubes_waiting_max", self.waiting_max)
            .real(
                "pickup_wait_mean_h",
                if self.picked == 0 {
                    f64::NAN
                } else {
                    hours(self.pickup_wait_ms / self.picked as f64)
                },
            )
            .real(
                "lab_tests_per_person",
                if self.persons == 0 {
                    f64::NAN
                } else {
                    (self.pools + self.retests) as f64 / self.persons as f64
                },
            )
            .real(
                "turnaround_mean_h",
                if n == 0 {
                    f64::NAN
                } else {
                    hours(self.turnaround_sum_ms / n as f64)
                },
            )
            .real(
                "turnaround_p95_h",
                if n == 0 {
                    f64::NAN
                } else {
                    hours(self.turnaround.value_at_quantile(0.95) as f64)
                },
            )
            .count("swabs_pending", self.pending)
            .count("positives_found", self.positives)
            .count("infected_tested", self.infected_tested)
            .real(
                "last_result_h",
                self.last_result.map_or(f64::NAN, |t| t.hours()),
            )
            .count("tubes_over_hold_limit", self.over_hold)
            .count("transits_over_limit", self.over_transit)
            .real("stockout_hours", hours(stockout_ms));
        let reswab = |x: f64| {
            if self.reswabs == 0 {
                f64::NAN
            } else {
                hours(x)
            }
        };
        row.count("reswabs_at_home", self.reswabs)
            .real(
                "reswab_wait_mean_h",
                reswab(self.reswab_wait_ms / self.reswabs.max(1) as f64),
            )
            .real("reswab_wait_max_h", reswab(self.reswab_wait_max as f64));
    }

    /// Columns of one site: stock-out hours, tubes closed, mean turnaround of its people.
    pub(super) fn fill_site(&mut self, row: &mut Row, s: usize, horizon: SimTime) {
        let (sum, n) = self.site_turnaround[s];
        row.real(
            "stockout_hours",
            self.stockout[s].integral(horizon) / HOUR as f64,
        )
        .count("tubes", self.site_tubes[s])
        .real(
            "turnaround_mean_h",
            if n == 0 {
                f64::NAN
            } else {
                sum / n as f64 / HOUR as f64
            },
        );
    }
}
