//! Sample-chain figures: tubes, lab tests per person, swab-to-result turnaround, positives,
//! lab backlog over time, stock-outs, and the chain's conservation.

use super::Row;
use super::tally::Tally;
use super::timeweighted::TimeWeighted;
use crate::engine::{EndState, Plan, TubeRecord};
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

/// Collects sample-chain figures of one partition (its sites and labs); fed by
/// [`super::Stats`]. Sums are whole milliseconds, so partitions merge exactly.
#[derive(Debug, Clone, Default)]
pub(super) struct ChainStats {
    /// Global ids of the partition's sites and labs, by local index.
    site_ids: Vec<u32>,
    lab_ids: Vec<u32>,
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
    reswab_wait_ms: u128,
    reswab_wait_max: u64,
    last_result: Option<SimTime>,
    /// Swab-to-result times. Counts are 32-bit: every partition has one, and at the horizon
    /// each grows to cover the age of its pending swabs (a thousand partitions of a city held
    /// 150 MB in 64-bit counts); a bucket overflows only past 4 billion swabs of equal time.
    turnaround: Option<Tally<1, 3>>,
    turnaround_sum_ms: u128,
    stockout: Vec<TimeWeighted>,
    /// Per site: tubes closed.
    site_tubes: Vec<u64>,
    /// Per global site: (sum, count) of members' turnarounds, recorded where the results are
    /// (a lab's partition need not hold the site); in site order after merging.
    site_turnaround: std::collections::BTreeMap<u32, (u128, u64)>,
    site_turnaround_all: Vec<(u128, u64)>,
    /// Per site: whether its closed tubes wait for a courier; how many wait now, and the most.
    on_route: Vec<bool>,
    site_waiting: Vec<u64>,
    site_waiting_max: Vec<u64>,
    /// Closed tubes waiting at the partition's sites now.
    waiting: u64,
    /// Tubes picked up and the sum of their waits at the site.
    picked: u64,
    /// Tubes delivered to the partition's labs.
    received: u64,
    /// Machine-milliseconds out of service so far, in all and per disruption, and the outages
    /// still on: (disruption, machines, since).
    down_ms: u128,
    down_by: Vec<u128>,
    down_now: Vec<(u32, u32, SimTime)>,
    pickup_wait_ms: u128,
    /// Swabs without a final result at the horizon.
    pending: u64,
    labs: Vec<LabStats>,
    machines: Vec<u32>,
    /// Every tube with its result, kept only when asked for (a trace: it grows with the tubes).
    pub(super) keep_tubes: bool,
    pub(super) tubes: Vec<TubeRow>,
    pub(super) lab_rows: Vec<LabRow>,
}

impl ChainStats {
    pub(super) fn new(m: &Model, plan: &Plan, part: usize) -> ChainStats {
        let members = &plan.parts[part];
        let n = members.sites.len();
        ChainStats {
            site_ids: members.sites.clone(),
            lab_ids: members.labs.clone(),
            // Turnarounds kept to 3 significant digits (0.1%).
            turnaround: Some(Tally::new()),
            stockout: vec![TimeWeighted::default(); n],
            site_tubes: vec![0; n],
            on_route: members
                .sites
                .iter()
                .map(|&g| m.sites[g as usize].route.is_some())
                .collect(),
            site_waiting: vec![0; n],
            site_waiting_max: vec![0; n],
            labs: vec![LabStats::default(); members.labs.len()],
            machines: members
                .labs
                .iter()
                .map(|&g| m.labs[g as usize].machines)
                .collect(),
            ..ChainStats::default()
        }
    }

    /// Takes in the other partitions' figures (in partition order after this one, partition 0):
    /// per-site and per-lab figures in global order, everything else added.
    pub(super) fn absorb(&mut self, others: Vec<ChainStats>, plan: &Plan, m: &Model) {
        let mut all: Vec<ChainStats> = Vec::with_capacity(others.len() + 1);
        all.push(std::mem::take(self));
        all.extend(others);
        let mut out = ChainStats {
            site_ids: (0..m.sites.len() as u32).collect(),
            lab_ids: (0..m.labs.len() as u32).collect(),
            turnaround: Some(Tally::new()),
            ..ChainStats::default()
        };
        for p in &mut all {
            if let (Some(h), Some(o)) = (out.turnaround.as_mut(), p.turnaround.as_ref()) {
                h.add(o);
            }
            out.opened += p.opened;
            out.closed += p.closed;
            out.partial += p.partial;
            out.pools += p.pools;
            out.retests += p.retests;
            out.retests_made += p.retests_made;
            out.persons += p.persons;
            out.infected_tested += p.infected_tested;
            out.positives += p.positives;
            out.over_hold += p.over_hold;
            out.over_transit += p.over_transit;
            out.reswabs += p.reswabs;
            out.reswab_wait_ms += p.reswab_wait_ms;
            out.reswab_wait_max = out.reswab_wait_max.max(p.reswab_wait_max);
            out.last_result = out.last_result.max(p.last_result);
            out.turnaround_sum_ms += p.turnaround_sum_ms;
            out.waiting += p.waiting;
            out.picked += p.picked;
            out.received += p.received;
            out.down_ms += p.down_ms;
            if out.down_by.len() < p.down_by.len() {
                out.down_by.resize(p.down_by.len(), 0);
            }
            for (o, x) in out.down_by.iter_mut().zip(&p.down_by) {
                *o += x;
            }
            out.down_now.append(&mut p.down_now);
            out.pickup_wait_ms += p.pickup_wait_ms;
            out.pending += p.pending;
            out.tubes.append(&mut p.tubes);
            out.lab_rows.append(&mut p.lab_rows);
        }
        for slot in &plan.site {
            let p = &mut all[slot.part as usize];
            let s = slot.local as usize;
            out.stockout.push(std::mem::take(&mut p.stockout[s]));
            out.site_tubes.push(p.site_tubes[s]);
            out.on_route.push(p.on_route[s]);
            out.site_waiting.push(p.site_waiting[s]);
            out.site_waiting_max.push(p.site_waiting_max[s]);
        }
        for slot in &plan.lab {
            let p = &mut all[slot.part as usize];
            let l = slot.local as usize;
            out.labs.push(std::mem::take(&mut p.labs[l]));
            out.machines.push(p.machines[l]);
        }
        for p in &all {
            for (&g, &(sum, n)) in &p.site_turnaround {
                let e = out.site_turnaround.entry(g).or_insert((0, 0));
                e.0 += sum;
                e.1 += n;
            }
        }
        out.site_turnaround_all = (0..m.sites.len() as u32)
            .map(|g| out.site_turnaround.get(&g).copied().unwrap_or((0, 0)))
            .collect();
        out.tubes.sort_by_key(|t| (t.times[5], t.id));
        out.lab_rows.sort_by_key(|r| (r.t, r.lab));
        *self = out;
    }

    fn site(&self, g: SiteId) -> usize {
        self.site_ids.partition_point(|&x| x < g.0)
    }

    fn lab(&self, g: u32) -> usize {
        self.lab_ids.partition_point(|&x| x < g)
    }

    pub(super) fn reswabbed(&mut self, wait: SimDuration) {
        self.reswabs += 1;
        self.reswab_wait_ms += u128::from(wait.0);
        self.reswab_wait_max = self.reswab_wait_max.max(wait.0);
    }

    /// Distribution of swab-to-result times in hours, bins of whole quarter hours.
    pub(super) fn turnaround_bins(&self) -> Vec<(f64, u64, f64)> {
        match &self.turnaround {
            Some(h) => super::stats::bins(&h.hdr(), 15 * crate::time::MINUTE, HOUR as f64),
            None => Vec::new(),
        }
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
        let s = self.site(site);
        self.closed += 1;
        self.site_tubes[s] += 1;
        self.partial += u64::from(swabs < pool);
        if self.on_route[s] {
            self.waiting += 1;
            self.site_waiting[s] += 1;
            self.site_waiting_max[s] = self.site_waiting_max[s].max(self.site_waiting[s]);
        }
    }

    pub(super) fn picked(&mut self, t: SimTime, site: SiteId, closed: SimTime) {
        let s = self.site(site);
        self.waiting = self.waiting.saturating_sub(1);
        self.site_waiting[s] = self.site_waiting[s].saturating_sub(1);
        self.picked += 1;
        self.pickup_wait_ms += u128::from(t.since(closed).0);
    }

    /// Machines of a lab went out of service (`on`) or came back, by disruption `d`.
    pub(super) fn lab_down(&mut self, t: SimTime, _lab: u32, d: u32, machines: u32, on: bool) {
        if on {
            self.down_now.push((d, machines, t));
        } else if let Some(k) = self
            .down_now
            .iter()
            .position(|&(x, m, _)| (x, m) == (d, machines))
        {
            let (_, m, since) = self.down_now.remove(k);
            let ms = u128::from(m) * u128::from(t.since(since).0);
            self.down_ms += ms;
            if self.down_by.len() <= d as usize {
                self.down_by.resize(d as usize + 1, 0);
            }
            self.down_by[d as usize] += ms;
        }
    }

    /// Machine-hours out of service up to `horizon`: in all (`None`) or by disruption `d`.
    pub(super) fn machine_hours_down(&self, horizon: SimTime, d: Option<u32>) -> f64 {
        let open: u128 = self
            .down_now
            .iter()
            .filter(|&&(x, _, _)| d.is_none_or(|d| d == x))
            .map(|&(_, m, since)| u128::from(m) * u128::from(horizon.since(since).0))
            .sum();
        let closed = match d {
            None => self.down_ms,
            Some(d) => self.down_by.get(d as usize).copied().unwrap_or(0),
        };
        (closed + open) as f64 / crate::time::HOUR as f64
    }

    pub(super) fn received(&mut self, tubes: u32) {
        self.received += u64::from(tubes);
    }

    /// Tubes closed, picked up and delivered to labs so far.
    pub(super) fn flow(&self) -> (u64, u64, u64) {
        (self.closed, self.picked, self.received)
    }

    /// Closed tubes waiting at sites for a courier now.
    pub(super) fn waiting_now(&self) -> u64 {
        self.waiting
    }

    /// A swab without a final result at the horizon counts in the turnaround with its age then,
    /// so that turnaround figures are not biased low by leaving out the slowest swabs.
    pub(super) fn pending(&mut self, t: SimTime, site: SiteId, swab: SimTime) {
        self.pending += 1;
        self.turnarounds(site, [t.since(swab).0]);
    }

    /// Counts swab-to-result times of swabs at `site`: summed first, so that the site's entry is
    /// looked up once for a whole tube (integer sums: the same figures as one by one).
    fn turnarounds(&mut self, site: SiteId, ms: impl IntoIterator<Item = u64>) {
        let (mut sum, mut n) = (0u128, 0u64);
        for ms in ms {
            if let Some(h) = self.turnaround.as_mut() {
                h.record(ms);
            }
            sum += u128::from(ms);
            n += 1;
        }
        if n > 0 {
            self.turnaround_sum_ms += sum;
            let e = self.site_turnaround.entry(site.0).or_insert((0, 0));
            e.0 += sum;
            e.1 += n;
        }
    }

    pub(super) fn stockout(&mut self, t: SimTime, site: SiteId, out: bool) {
        let s = self.site(site);
        self.stockout[s].set(t, f64::from(u8::from(out)));
    }

    pub(super) fn backlog(&mut self, t: SimTime, lab: u32, waiting: u32) {
        let l = self.lab(lab);
        self.labs[l].backlog.set(t, f64::from(waiting));
    }

    pub(super) fn running(&mut self, t: SimTime, lab: u32, running: u32) {
        let l = self.lab(lab);
        let lab = &mut self.labs[l];
        if f64::from(running) > lab.running.value() {
            lab.runs += 1;
        }
        lab.running.set(t, f64::from(running));
    }

    pub(super) fn result(&mut self, t: SimTime, r: &TubeRecord<'_>) {
        // The max: labs in lanes of their own report out of time order between them.
        self.last_result = self.last_result.max(Some(t));
        let l = self.lab(r.lab);
        self.labs[l].results += 1;
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
            self.turnarounds(r.site, r.swab_times().map(|s| t.since(s).0));
        }
        if !self.keep_tubes {
            return;
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
                lab: self.lab_ids[l],
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
        let turnaround = self.turnaround.get_or_insert_with(Tally::new).hdr();
        let n = turnaround.len();
        let p95 = turnaround.value_at_quantile(0.95) as f64;
        let stockout_ms: f64 = self.stockout.iter_mut().map(|s| s.integral(horizon)).sum();
        row.count("tubes", self.closed)
            .count("partial_tubes", self.partial)
            .count(
                "tubes_waiting_max",
                self.site_waiting_max.iter().copied().max().unwrap_or(0),
            )
            .real(
                "pickup_wait_mean_h",
                if self.picked == 0 {
                    f64::NAN
                } else {
                    hours(self.pickup_wait_ms as f64 / self.picked as f64)
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
                    hours(self.turnaround_sum_ms as f64 / n as f64)
                },
            )
            .real(
                "turnaround_p95_h",
                if n == 0 { f64::NAN } else { hours(p95) },
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
                reswab(self.reswab_wait_ms as f64 / self.reswabs.max(1) as f64),
            )
            .real("reswab_wait_max_h", reswab(self.reswab_wait_max as f64));
    }

    /// Columns of one site: stock-out hours, tubes closed, most closed tubes waiting for a
    /// courier at once, mean turnaround of its people.
    pub(super) fn fill_site(&self, row: &mut Row, s: usize, horizon: SimTime) {
        let (sum, n) = self.site_turnaround_all[s];
        row.real(
            "stockout_hours",
            self.stockout[s].integral_at(horizon) / HOUR as f64,
        )
        .count("tubes", self.site_tubes[s])
        .count("tubes_waiting_max", self.site_waiting_max[s])
        .real(
            "turnaround_mean_h",
            if n == 0 {
                f64::NAN
            } else {
                sum as f64 / n as f64 / HOUR as f64
            },
        );
    }
}
