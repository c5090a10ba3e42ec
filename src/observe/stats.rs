//! The statistics observer: counters, time-weighted queue and desk figures, wait quantiles,
//! coverage by round, the time series, and the conservation check.

use hdrhistogram::{Counter, Histogram};

use std::sync::Arc;

use rayon::prelude::*;

use super::Row;
use super::chain::ChainStats;
use super::staffing::StaffStats;
use super::tally::Tally;
use super::timeweighted::TimeWeighted;
use crate::engine::{
    EndState, GiveUp, Granularity, Observer, Observers, Plan, TubeRecord, Visit, WALK_IN, Who,
};
use crate::model::{AreaId, CrewChange, Model, SiteId, TeamId};
use crate::scenario::{Role, SiteKind};
use crate::time::{HOUR, MINUTE, SimDuration, SimTime};

/// Significant decimal digits of the run-wide wait histograms: quantiles are exact to within
/// 0.1% (HdrHistogram's relative error at 3 digits) above 100 s, so a p95 of 30 min is within
/// ±1.8 s, and to 100 ms below.
pub const RUN_DIGITS: u8 = 3;

/// Significant decimal digits of the per-site histograms: within 1% (and to the second below
/// 100 s), at about a tenth of the memory of the run-wide ones.
pub const SITE_DIGITS: u8 = 2;

/// Resolution of the per-site histograms below which waits are not told apart: a second.
pub const SITE_FLOOR_MS: u64 = 1000;

/// Resolution of the run-wide histograms: 100 ms, so that every partition's histograms stay
/// small (tens of kilobytes) while quantiles keep 3 significant digits above 100 s.
pub const RUN_FLOOR_MS: u64 = 100;

/// The columns of a summary row, in order: the figures `summary.csv` holds per replication,
/// that sweep targets and plans may name.
pub const SUMMARY_COLUMNS: [&str; 63] = [
    "residents",
    "rounds",
    "called",
    "no_show",
    "arrived",
    "tested",
    "tested_walk_in",
    "coverage",
    "hours_to_90pct",
    "hours_to_95pct",
    "hours_to_99pct",
    "coverage_at_deadline",
    "wait_mean_min",
    "wait_p50_min",
    "wait_p95_min",
    "wait_max_min",
    "wait_green_mean_min",
    "wait_other_mean_min",
    "waited_share",
    "time_in_system_mean_min",
    "time_in_system_p95_min",
    "longest_queue",
    "queue_person_min",
    "gave_up",
    "gave_up_full",
    "gave_up_closed",
    "reneged",
    "turned_away_share",
    "en_route_at_end",
    "in_system_at_end",
    "desk_hours_open",
    "desk_utilisation",
    "desk_hours_unstaffed",
    "staff_person_hours",
    "longest_stint_h",
    "overtime_person_hours",
    "dispatches",
    "vehicles_checked",
    "vehicle_wait_p95_min",
    "lane_hours_uncovered",
    "disrupted_desk_hours",
    "people_disrupted",
    "absent_person_shifts",
    "lab_machine_hours_down",
    "tubes",
    "partial_tubes",
    "tubes_waiting_max",
    "pickup_wait_mean_h",
    "lab_tests_per_person",
    "turnaround_mean_h",
    "turnaround_p95_h",
    "swabs_pending",
    "positives_found",
    "infected_tested",
    "last_result_h",
    "tubes_over_hold_limit",
    "transits_over_limit",
    "stockout_hours",
    "reswabs_at_home",
    "reswab_wait_mean_h",
    "reswab_wait_max_h",
    "called_at_home",
    "tested_at_home",
];

/// Coverage marks reported, as shares of residents.
pub const COVERAGE_MARKS: [f64; 3] = [0.90, 0.95, 0.99];

/// A site's waits: quantiles within 1%, a second apart below 100 s.
type SiteWaits = Waits<SITE_FLOOR_MS, SITE_DIGITS>;

/// The run's waits (and the vehicles'): quantiles within 0.1%, 100 ms apart below 100 s.
type RunWaits = Waits<RUN_FLOOR_MS, RUN_DIGITS>;

/// Wait and time-in-system figures of one group of people, with quantiles to `DIGITS`
/// significant digits, values below `LOW` ms not told apart (a floor of a second keeps a site's
/// histograms small: they are sized by the largest value over the floor). Sums are whole
/// milliseconds, so that the figures of partitions merge exactly, in any order.
#[derive(Debug, Clone)]
struct Waits<const LOW: u64, const DIGITS: u8> {
    wait: Tally<LOW, DIGITS>,
    wait_sum: u128,
    wait_max: u64,
    green_sum: u128,
    green_n: u64,
    /// People who waited at all (a wait above zero).
    waited: u64,
    system: Tally<LOW, DIGITS>,
    system_sum: u128,
}

impl<const LOW: u64, const DIGITS: u8> Waits<LOW, DIGITS> {
    fn new() -> Self {
        Waits {
            wait: Tally::new(),
            wait_sum: 0,
            wait_max: 0,
            green_sum: 0,
            green_n: 0,
            waited: 0,
            system: Tally::new(),
            system_sum: 0,
        }
    }

    #[inline]
    fn record_wait(&mut self, wait_ms: u64, priority: bool) {
        // Saturating a u32 bucket would take four billion equal waits at one site.
        self.wait.record(wait_ms);
        self.wait_sum += u128::from(wait_ms);
        self.wait_max = self.wait_max.max(wait_ms);
        self.waited += u64::from(wait_ms > 0);
        if priority {
            self.green_sum += u128::from(wait_ms);
            self.green_n += 1;
        }
    }

    #[inline]
    fn record_system(&mut self, ms: u64) {
        self.system.record(ms);
        self.system_sum += u128::from(ms);
    }

    /// Adds another group's figures (histogram counts and integer sums: exact).
    fn merge(&mut self, other: &Self) {
        self.wait.add(&other.wait);
        self.system.add(&other.system);
        self.wait_sum += other.wait_sum;
        self.wait_max = self.wait_max.max(other.wait_max);
        self.green_sum += other.green_sum;
        self.green_n += other.green_n;
        self.waited += other.waited;
        self.system_sum += other.system_sum;
    }

    fn fill(&self, row: &mut Row) {
        let (wait, system) = (&self.wait, &self.system);
        let n = wait.len();
        let mins = |ms: f64| if n == 0 { f64::NAN } else { ms / MINUTE as f64 };
        let q = |h: &Tally<LOW, DIGITS>, p: f64| mins(h.value_at_quantile(p) as f64);
        row.real(
            "wait_mean_min",
            mins(self.wait_sum as f64 / n.max(1) as f64),
        )
        .real("wait_p50_min", q(wait, 0.5))
        .real("wait_p95_min", q(wait, 0.95))
        .real("wait_max_min", mins(self.wait_max as f64))
        .real(
            "wait_green_mean_min",
            if self.green_n == 0 {
                f64::NAN
            } else {
                self.green_sum as f64 / self.green_n as f64 / MINUTE as f64
            },
        )
        .real(
            "wait_other_mean_min",
            if n == self.green_n {
                f64::NAN
            } else {
                (self.wait_sum - self.green_sum) as f64 / (n - self.green_n) as f64 / MINUTE as f64
            },
        )
        .real(
            "waited_share",
            if n == 0 {
                f64::NAN
            } else {
                self.waited as f64 / n as f64
            },
        );
        let m = system.len();
        let sys = |ms: f64| if m == 0 { f64::NAN } else { ms / MINUTE as f64 };
        row.real(
            "time_in_system_mean_min",
            sys(self.system_sum as f64 / m.max(1) as f64),
        )
        .real(
            "time_in_system_p95_min",
            sys(system.value_at_quantile(0.95) as f64),
        );
    }
}

/// One site's figures. What a tested resident's events update (counts, waits, the queue and
/// busy desks) comes first, in the first five cache lines of a record aligned to them
/// (`repr(C)` keeps this order); what staff changes and disruptions update comes after.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
struct SiteStats {
    checkpoint: bool,
    /// Disruptions active here now; desks open while one is; people waiting when one began
    /// or arriving during one.
    disrupted: u32,
    arrived: u64,
    tested: u64,
    waits: SiteWaits,
    queue: TimeWeighted,
    busy: TimeWeighted,
    desks: TimeWeighted,
    unstaffed: TimeWeighted,
    /// Sampler, registrar and marshal on duty.
    on_duty: [u32; 3],
    gave_up: [u64; 3],
    disrupted_desks: TimeWeighted,
    people_disrupted: u64,
    /// The same per disruption that hit the site.
    by_disruption: Vec<SiteDisruption>,
    /// People passed on here from another site (`then`), and passed on from here.
    routed_in: u64,
    passed_on: u64,
}

impl SiteStats {
    /// A person arrived: counted by every disruption on here now.
    fn arrived_during_disruptions(&mut self) {
        if self.disrupted > 0 {
            self.people_disrupted += 1;
            for x in self.by_disruption.iter_mut().filter(|x| x.on) {
                x.people += 1;
            }
        }
    }
}

/// What one disruption did at one site.
#[derive(Debug, Clone)]
struct SiteDisruption {
    d: u32,
    on: bool,
    desks: TimeWeighted,
    people: u64,
}

#[derive(Debug, Clone)]
struct RoundStats {
    start: SimTime,
    residents: u64,
    /// Residents of the round tested in this partition.
    tested: u64,
    marks: [u64; 3],
    /// When each mark was reached over all partitions (found at barriers when there are
    /// several; kept in partition 0).
    reached: [Option<SimTime>; 3],
    /// Tested over all partitions up to the last barrier (partition 0).
    merged: u64,
    by_deadline: u64,
    /// Tests of this partition not yet merged: the time of each person's test (8 bytes a
    /// person: a window may be a reporting step, an hour of a city's tests). In the order the
    /// partition handled them: lane by lane, so not in time order.
    window: Vec<SimTime>,
    /// Where the partition's runs ended, in order: (time, tests in `window` before it).
    ran: Vec<(SimTime, usize)>,
}

impl RoundStats {
    /// How many tests of `window` are before `reached`, a time the partition has run to.
    fn due(&self, reached: SimTime) -> usize {
        let n = self
            .ran
            .iter()
            .rev()
            .find(|&&(t, _)| t <= reached)
            .map_or(0, |&(_, n)| n);
        debug_assert!(self.window[n..].iter().all(|&t| t >= reached));
        n
    }
}

/// One row of the time series: a site at the end of a reporting step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesRow {
    /// End of the step.
    pub t: SimTime,
    /// The site.
    pub site: SiteId,
    /// People waiting at the end of the step.
    pub queue: u32,
    /// Time-weighted mean of people waiting over the step.
    pub queue_mean: f64,
    /// Most people waiting during the step.
    pub queue_max: u32,
    /// Desks open at the end of the step.
    pub desks_open: u32,
    /// Time-weighted mean of desks occupied over the step.
    pub busy_mean: f64,
    /// People who had arrived by the end of the step.
    pub arrived: u64,
    /// People tested by the end of the step.
    pub tested: u64,
    /// People who gave up by the end of the step.
    pub gave_up: u64,
    /// Desks short of staff (while open) at the end of the step.
    pub desks_unstaffed: u32,
    /// Samplers, registrars and marshals on duty at the end of the step.
    pub on_duty: [u32; 3],
}

/// The whole round at the end of a reporting step: everyone, every site, every lab.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressRow {
    /// End of the step.
    pub t: SimTime,
    /// Residents called to sites so far.
    pub called: u64,
    /// Residents to be sampled at home so far.
    pub called_at_home: u64,
    /// People swabbed at sites so far (checkpoints excluded).
    pub tested_at_sites: u64,
    /// People swabbed at home so far.
    pub tested_at_home: u64,
    /// Lab results so far (pools and re-tests).
    pub results: u64,
    /// Cases found so far.
    pub positives: u64,
    /// Coverage of the latest round that has started: its residents tested ÷ its residents
    /// (NaN before the first round or without call-ups).
    pub coverage: f64,
    /// Residents of that round tested so far (in this partition, until merged).
    pub round_tested: u64,
    /// Desks open at all sites at the end of the step.
    pub desks_open: u32,
    /// Desks short of staff at all sites at the end of the step.
    pub desks_unstaffed: u32,
    /// Samplers, registrars and marshals on duty at all sites at the end of the step.
    pub on_duty: [u32; 3],
    /// People waiting at all sampling points at the end of the step.
    pub waiting: u32,
    /// Tubes waiting at all labs at the end of the step.
    pub lab_backlog: u32,
    /// Closed tubes waiting at sites for a courier at the end of the step.
    pub tubes_waiting_pickup: u64,
    /// Tubes closed, picked up by couriers, and delivered to labs so far.
    pub tubes_closed: u64,
    /// See `tubes_closed`.
    pub tubes_picked: u64,
    /// See `tubes_closed`.
    pub tubes_received: u64,
}

/// Collects the figures of one run, or of one partition of a run: its own sites, teams and labs
/// only. [`Stats::finish_parts`] merges the partitions' figures exactly (integer counts and
/// sums, histograms, per-entity figures taken from their partition and combined in entity order),
/// so a run's figures do not depend on how it was partitioned.
#[derive(Debug, Clone)]
pub struct Stats {
    plan: Arc<Plan>,
    part: u32,
    /// The partition's sites, by local index.
    sites: Vec<SiteStats>,
    all: RunWaits,
    /// Checkpoints' vehicles (made on first use: most partitions have no checkpoint).
    vehicles: Option<RunWaits>,
    staff: StaffStats,
    chain: ChainStats,
    rounds: Vec<RoundStats>,
    deadline: Option<SimDuration>,
    /// Per disruption: residents called while a turnout one was on, people absent for an
    /// absence.
    disruption_people: Vec<u64>,
    called: u64,
    coming: u64,
    arrived_called: u64,
    tested_walk_in: u64,
    home_called: u64,
    home_tested: u64,
    /// Whether the scenario has labs (and so a sample chain to check).
    chain_on: bool,
    series: Vec<SeriesRow>,
    progress: Vec<ProgressRow>,
    end: Option<(SimTime, EndState)>,
}

/// What a run computed: the summary row, a row per site and per round, and the time series.
#[derive(Debug, Clone)]
pub struct RunFigures {
    /// Key figures of the run.
    pub summary: Row,
    /// Key figures per site, in model order.
    pub sites: Vec<Row>,
    /// Coverage per call-up round.
    pub rounds: Vec<Row>,
    /// The time series.
    pub series: Vec<SeriesRow>,
    /// Per team and crew: (team index, crew index, figures).
    pub staff: Vec<(usize, u32, Row)>,
    /// The whole round per reporting step.
    pub progress: Vec<ProgressRow>,
    /// Distribution of waits: (upper edge in minutes, people, cumulative share) per bin.
    pub wait_bins: Vec<(f64, u64, f64)>,
    /// Distribution of swab-to-result times: (upper edge in hours, people, cumulative share).
    pub turnaround_bins: Vec<(f64, u64, f64)>,
    /// Every tube with a result.
    pub tubes: Vec<super::TubeRow>,
    /// Labs per reporting step.
    pub labs: Vec<super::LabRow>,
    /// Per disruption, in model order: what it cost (`disruptions.csv`).
    pub disruptions: Vec<Row>,
    /// Where everyone was at the horizon.
    pub end: EndState,
}

/// The books of a run did not balance: a bug in swabsim, never a problem of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "conservation violated: {0}. This is a bug in swabsim; please report it with the scenario and seed"
)]
pub struct ConservationError(pub String);

impl Stats {
    /// A collector for a run of `model` as one partition.
    pub fn new(model: &Model) -> Stats {
        Stats::for_part(model, Arc::new(Plan::new(model, Granularity::OneQueue)), 0)
    }

    /// A collector for partition `part` of `plan`.
    pub fn for_part(model: &Model, plan: Arc<Plan>, part: usize) -> Stats {
        let rounds = model
            .rounds
            .iter()
            .map(|r| RoundStats {
                start: r.start,
                residents: r.residents,
                tested: 0,
                marks: COVERAGE_MARKS.map(|m| (m * r.residents as f64).ceil() as u64),
                reached: [None; 3],
                merged: 0,
                by_deadline: 0,
                window: Vec::new(),
                ran: Vec::new(),
            })
            .collect();
        let site = SiteStats {
            checkpoint: false,
            unstaffed: TimeWeighted::default(),
            on_duty: [0; 3],
            arrived: 0,
            tested: 0,
            gave_up: [0; 3],
            queue: TimeWeighted::default(),
            desks: TimeWeighted::default(),
            busy: TimeWeighted::default(),
            waits: Waits::new(),
            disrupted: 0,
            disrupted_desks: TimeWeighted::default(),
            people_disrupted: 0,
            by_disruption: Vec::new(),
            routed_in: 0,
            passed_on: 0,
        };
        let sites = plan.parts[part]
            .sites
            .iter()
            .map(|&g| SiteStats {
                checkpoint: model.sites[g as usize].kind == SiteKind::Checkpoint,
                ..site.clone()
            })
            .collect();
        Stats {
            staff: StaffStats::new(model, &plan, part),
            chain: ChainStats::new(model, &plan, part),
            plan,
            part: part as u32,
            sites,
            all: Waits::new(),
            vehicles: None,
            rounds,
            deadline: model.deadline,
            disruption_people: vec![0; model.disruptions.len()],
            called: 0,
            coming: 0,
            arrived_called: 0,
            tested_walk_in: 0,
            home_called: 0,
            home_tested: 0,
            chain_on: !model.labs.is_empty(),
            series: Vec::new(),
            progress: Vec::new(),
            end: None,
        }
    }

    /// Keeps a row per tube with its result (`tubes.csv`): a trace, whose memory grows with the
    /// tubes; off unless asked for.
    pub fn with_tube_rows(mut self, keep: bool) -> Stats {
        self.chain.keep_tubes = keep;
        self
    }

    /// The local index of global site `g` in this partition.
    #[inline]
    fn local(&self, g: SiteId) -> usize {
        self.plan.site[g.0 as usize].local as usize
    }

    /// Whether this collector sees the whole run in time order (one partition of one lane).
    fn alone(&self) -> bool {
        self.plan.parts.len() == 1 && self.plan.parts[0].lanes <= 1
    }

    /// At a barrier, across partitions, once every partition has run to `reached`: the
    /// coverage marks reached before then, at the exact time of the test that reached them (see
    /// [`nth_in_time`]). A partition may have run further (a staged run's earlier stages run a
    /// step ahead); its tests from `reached` on wait for a later barrier.
    ///
    /// `parts` are the partitions' observers and `stats` finds the collector in each (a run's
    /// observer may carry more than these figures). Nothing here allocates unless a mark is
    /// crossed (see `engine::run` on allocation at barriers), and then only a list of the
    /// partitions' windows, or a partition has tests after `reached`.
    pub fn barrier<O: Observer + Send>(
        parts: &mut Observers<'_, '_, O>,
        stats: fn(&mut O) -> &mut Stats,
        reached: SimTime,
    ) {
        if parts.is_empty() || stats(parts.get(0)).alone() {
            return;
        }
        for r in 0..stats(parts.get(0)).rounds.len() {
            let added: u64 = parts
                .iter_mut()
                .map(|o| stats(o).rounds[r].due(reached) as u64)
                .sum();
            if added == 0 {
                continue;
            }
            let before = stats(parts.get(0)).rounds[r].merged;
            for k in 0..COVERAGE_MARKS.len() {
                let first = &stats(parts.get(0)).rounds[r];
                let mark = first.marks[k];
                if first.reached[k].is_some() || mark == 0 || before + added < mark {
                    continue;
                }
                // Rare (three marks a round): only now are the tests put in time order, each
                // partition's side by side (a step of the 25.7 M city holds millions).
                parts.par_iter_mut().for_each(|o| {
                    let round = &mut stats(o).rounds[r];
                    let n = round.due(reached);
                    round.window[..n].sort_unstable();
                });
                let windows: Vec<&[SimTime]> = parts
                    .iter_mut()
                    .map(|o| {
                        let round = &stats(o).rounds[r];
                        &round.window[..round.due(reached)]
                    })
                    .collect();
                let at = nth_in_time(&windows, mark - before);
                stats(parts.get(0)).rounds[r].reached[k] = Some(at);
            }
            // Tests from `reached` on stay for the next barrier, in place (a new list here
            // would be an allocation at the barrier, where glibc's merging of freed blocks is
            // serial). A list with none left is given back, not kept: a step's window of a city
            // is tens of megabytes summed over partitions.
            parts.par_iter_mut().for_each(|o| {
                let round = &mut stats(o).rounds[r];
                let merged = round.due(reached);
                if merged == round.window.len() {
                    round.window = Vec::new();
                } else {
                    round.window.drain(..merged);
                }
                round.ran.retain(|&(t, _)| t > reached);
                round.ran.iter_mut().for_each(|(_, n)| *n -= merged);
            });
            stats(parts.get(0)).rounds[r].merged += added;
        }
    }

    /// Checks that every person is accounted for, and returns the run's figures.
    pub fn finish(self, model: &Model) -> Result<RunFigures, ConservationError> {
        Stats::finish_parts(vec![self], model)
    }

    /// Checks the books of every partition and of the whole run, and returns the run's figures
    /// merged from the partitions' collectors (given in partition order).
    pub fn finish_parts(parts: Vec<Stats>, model: &Model) -> Result<RunFigures, ConservationError> {
        for p in &parts {
            let (_, end) = p
                .end
                .ok_or_else(|| ConservationError("the run did not finish".into()))?;
            p.check_people(&end)?;
        }
        let mut all = merge(parts, model);
        let (horizon, end) = all.end.expect("checked above");
        if all.chain_on {
            let swabbed = all.swabbed();
            all.chain.check(&end, swabbed).map_err(ConservationError)?;
        }
        let passes = model.sites.iter().any(|x| x.passes_on());
        // A row per site, side by side (20,560 rows and their wait quantiles were about a third
        // of the serial merge of the 25.7 M city); `collect` keeps the sites' order.
        let sites: Vec<Row> = (0..all.sites.len())
            .into_par_iter()
            .map(|s| all.site_row(model, s, horizon, passes))
            .collect();
        let rounds = all.round_rows();
        let disruptions = all.disruption_rows(model, horizon);
        let summary = all.summary_row(horizon, &end);
        Ok(RunFigures {
            summary,
            sites,
            rounds,
            series: all.series,
            staff: all.staff.rows(),
            progress: std::mem::take(&mut all.progress),
            wait_bins: bins(&all.all.wait.hdr(), MINUTE, MINUTE as f64),
            turnaround_bins: all.chain.turnaround_bins(),
            tubes: std::mem::take(&mut all.chain.tubes),
            labs: std::mem::take(&mut all.chain.lab_rows),
            disruptions,
            end,
        })
    }

    /// One row per disruption: the desk-hours it hit and the people it reached (registration),
    /// the residents called while it was on (turnout), the person-shifts missed (absence), the
    /// machine-hours out of service (lab). Columns that do not apply to its kind are empty.
    fn disruption_rows(&mut self, model: &Model, horizon: SimTime) -> Vec<Row> {
        use crate::model::Effect;
        model
            .disruptions
            .iter()
            .enumerate()
            .map(|(d, x)| {
                let d32 = d as u32;
                let mut desk_ms = 0.0;
                let mut people = 0u64;
                for st in self.sites.iter_mut() {
                    if let Some(s) = st.by_disruption.iter_mut().find(|s| s.d == d32) {
                        desk_ms += s.desks.integral(horizon);
                        people += s.people;
                    }
                }
                let na = f64::NAN;
                let (desk_hours, people, absent, machines) = match x.effect {
                    Effect::Registration { .. } => (desk_ms / HOUR as f64, people as f64, na, na),
                    Effect::Turnout { .. } => (na, self.disruption_people[d] as f64, na, na),
                    Effect::Absence { .. } => (na, na, self.disruption_people[d] as f64, na),
                    Effect::Lab { .. } => (
                        na,
                        na,
                        na,
                        self.chain.machine_hours_down(horizon, Some(d32)),
                    ),
                };
                let mut row = Row::default();
                row.real("desk_hours", desk_hours)
                    .real("people_affected", people)
                    .real("person_shifts_absent", absent)
                    .real("machine_hours_down", machines);
                row
            })
            .collect()
    }

    /// The checkpoints' figures, made on first use.
    fn vehicles(&mut self) -> &mut RunWaits {
        self.vehicles.get_or_insert_with(Waits::new)
    }

    /// People swabbed at sampling points and at home.
    fn swabbed(&self) -> u64 {
        let at_sites: u64 = self
            .sites
            .iter()
            .filter(|s| !s.checkpoint)
            .map(|s| s.tested)
            .sum();
        at_sites + self.home_tested
    }

    /// The people's books of one partition (sites, areas and home teams never span two).
    fn check_people(&self, end: &EndState) -> Result<(), ConservationError> {
        let sum = |f: &dyn Fn(&SiteStats) -> u64| self.sites.iter().map(f).sum::<u64>();
        // Each person counts once: arrived at the first site; tested, gave up or still there.
        let arrived = sum(&|s| s.arrived);
        let tested = sum(&|s| s.tested);
        let gave_up = sum(&|s| s.gave_up.iter().sum());
        // Everyone passed on from a site arrived at the next, or is walking there (away).
        let (passed, routed) = (sum(&|s| s.passed_on), sum(&|s| s.routed_in));
        if routed > passed || passed - routed > end.away {
            return Err(ConservationError(format!(
                "{passed} passed on to another site, but {routed} arrived there and {} are away",
                end.away
            )));
        }
        let waiting = self
            .sites
            .iter()
            .map(|s| s.queue.value() as u64)
            .sum::<u64>();
        let in_system = end.away + end.waiting + end.at_desk;
        if arrived != tested + gave_up + in_system {
            return Err(ConservationError(format!(
                "arrived {arrived} ≠ tested {tested} + gave up {gave_up} + still in the system {in_system}"
            )));
        }
        if self.coming != self.arrived_called + end.en_route {
            return Err(ConservationError(format!(
                "{} residents set off, but {} arrived and {} are on their way",
                self.coming, self.arrived_called, end.en_route
            )));
        }
        if waiting != end.waiting {
            return Err(ConservationError(format!(
                "the queues hold {} people, but the observed queue lengths add up to {waiting}",
                end.waiting
            )));
        }
        if self.home_called != self.home_tested + end.home_waiting {
            return Err(ConservationError(format!(
                "{} residents to be sampled at home, but {} were and {} are waiting",
                self.home_called, self.home_tested, end.home_waiting
            )));
        }
        Ok(())
    }

    fn round_rows(&self) -> Vec<Row> {
        self.rounds
            .iter()
            .enumerate()
            .map(|(r, rs)| {
                let mut row = Row::default();
                row.count("round", r as u64 + 1)
                    .count("residents", rs.residents)
                    .count("tested", rs.tested)
                    .real("coverage", share(rs.tested, rs.residents));
                for (k, name) in ["hours_to_90pct", "hours_to_95pct", "hours_to_99pct"]
                    .into_iter()
                    .enumerate()
                {
                    row.real(
                        name,
                        rs.reached[k].map_or(f64::NAN, |t| t.since(rs.start).hours()),
                    );
                }
                row.real(
                    "coverage_at_deadline",
                    if self.deadline.is_some() {
                        share(rs.by_deadline, rs.residents)
                    } else {
                        f64::NAN
                    },
                );
                row
            })
            .collect()
    }

    fn summary_row(&mut self, horizon: SimTime, end: &EndState) -> Row {
        // People figures cover sampling points; checkpoints have their own columns.
        let mut integral = |pick: fn(&mut SiteStats) -> &mut TimeWeighted, checkpoint: bool| {
            self.sites
                .iter_mut()
                .filter(|s| s.checkpoint == checkpoint)
                .map(|s| pick(s).integral(horizon))
                .sum::<f64>()
        };
        let queue_ms = integral(|s| &mut s.queue, false);
        let desk_ms = integral(|s| &mut s.desks, false);
        let busy_ms = integral(|s| &mut s.busy, false);
        let unstaffed_ms = integral(|s| &mut s.unstaffed, false);
        let lanes_uncovered_ms = integral(|s| &mut s.unstaffed, true);
        let disrupted_ms = integral(|s| &mut s.disrupted_desks, false);
        let people = |s: &&SiteStats| !s.checkpoint;
        let sum =
            |f: &dyn Fn(&SiteStats) -> u64| self.sites.iter().filter(people).map(f).sum::<u64>();
        let residents: u64 = self.rounds.iter().map(|r| r.residents).sum();
        let tested_residents: u64 = self.rounds.iter().map(|r| r.tested).sum();
        let worst = |k: usize| {
            self.rounds
                .iter()
                .map(|r| r.reached[k].map_or(f64::INFINITY, |t| t.since(r.start).hours()))
                .fold(f64::NAN, f64::max)
        };
        let finite = |x: f64| if x.is_finite() { x } else { f64::NAN };
        let (arrived, tested) = (sum(&|s| s.arrived), sum(&|s| s.tested));
        let gave_up = sum(&|s| s.gave_up.iter().sum());
        let mut row = Row::default();
        row.count("residents", self.rounds.first().map_or(0, |r| r.residents))
            .count("rounds", self.rounds.len() as u64)
            .count("called", self.called)
            .count("no_show", self.called - self.coming)
            .count("arrived", arrived)
            .count("tested", tested)
            .count("tested_walk_in", self.tested_walk_in)
            .real("coverage", share(tested_residents, residents))
            .real("hours_to_90pct", finite(worst(0)))
            .real("hours_to_95pct", finite(worst(1)))
            .real("hours_to_99pct", finite(worst(2)))
            .real("coverage_at_deadline", self.worst_deadline_coverage());
        self.all.fill(&mut row);
        let longest = self
            .sites
            .iter()
            .filter(people)
            .map(|s| s.queue.max() as u64)
            .max();
        let (staff_h, stint_h, overtime_h, dispatches) = self.staff.totals();
        let absent_shifts = self.staff.absent_person_shifts();
        let checked: u64 = self
            .sites
            .iter()
            .filter(|s| s.checkpoint)
            .map(|s| s.tested)
            .sum();
        let vehicle_p95 = match &self.vehicles {
            Some(v) if !v.wait.is_empty() => v.wait.value_at_quantile(0.95) as f64 / MINUTE as f64,
            _ => f64::NAN,
        };
        row.count("longest_queue", longest.unwrap_or(0))
            .real("queue_person_min", queue_ms / MINUTE as f64)
            .count("gave_up", gave_up)
            .count("gave_up_full", sum(&|s| s.gave_up[0]))
            .count("gave_up_closed", sum(&|s| s.gave_up[1]))
            .count("reneged", sum(&|s| s.gave_up[2]))
            .real(
                "turned_away_share",
                ratio_count(sum(&|s| s.gave_up[0]), sum(&|s| s.arrived)),
            )
            .count("en_route_at_end", end.en_route)
            .count("in_system_at_end", arrived - tested - gave_up)
            .real("desk_hours_open", desk_ms / HOUR as f64)
            .real("desk_utilisation", ratio(busy_ms, desk_ms))
            .real("desk_hours_unstaffed", unstaffed_ms / HOUR as f64)
            .real("staff_person_hours", staff_h)
            .real("longest_stint_h", stint_h)
            .real("overtime_person_hours", overtime_h)
            .count("dispatches", dispatches)
            .count("vehicles_checked", checked)
            .real("vehicle_wait_p95_min", vehicle_p95)
            .real("lane_hours_uncovered", lanes_uncovered_ms / HOUR as f64)
            .real("disrupted_desk_hours", disrupted_ms / HOUR as f64)
            .count("people_disrupted", sum(&|s| s.people_disrupted))
            .count("absent_person_shifts", absent_shifts)
            .real(
                "lab_machine_hours_down",
                self.chain.machine_hours_down(horizon, None),
            );
        self.chain.fill(&mut row, horizon);
        row.count("called_at_home", self.home_called)
            .count("tested_at_home", self.home_tested);
        row
    }

    fn worst_deadline_coverage(&self) -> f64 {
        match self.deadline {
            Some(_) => self
                .rounds
                .iter()
                .map(|r| share(r.by_deadline, r.residents))
                .fold(f64::NAN, f64::min),
            None => f64::NAN,
        }
    }

    /// `sites.csv`'s row of site `s`; `passes`: some site passes people on (`then`).
    fn site_row(&self, model: &Model, s: usize, horizon: SimTime, passes: bool) -> Row {
        let st = &self.sites[s];
        let queue_ms = st.queue.integral_at(horizon);
        let desk_ms = st.desks.integral_at(horizon);
        let busy_ms = st.busy.integral_at(horizon);
        let unstaffed_ms = st.unstaffed.integral_at(horizon);
        let mut row = Row::default();
        row.count("arrived", st.arrived + st.routed_in)
            .count("tested", st.tested);
        st.waits.fill(&mut row);
        row.count("longest_queue", st.queue.max() as u64)
            .real(
                "queue_mean",
                if horizon.0 > 0 {
                    queue_ms / horizon.0 as f64
                } else {
                    f64::NAN
                },
            )
            .real("queue_person_min", queue_ms / MINUTE as f64)
            .count("gave_up", st.gave_up.iter().sum())
            .count("gave_up_full", st.gave_up[0])
            .count("gave_up_closed", st.gave_up[1])
            .count("reneged", st.gave_up[2])
            .real(
                "turned_away_share",
                ratio_count(st.gave_up[0], st.arrived + st.routed_in),
            )
            .count("desks", u64::from(model.sites[s].desks))
            .real("desk_hours_open", desk_ms / HOUR as f64)
            .real("desk_utilisation", ratio(busy_ms, desk_ms))
            .real("desk_hours_unstaffed", unstaffed_ms / HOUR as f64);
        self.chain.fill_site(&mut row, s, horizon);
        // New columns go at the end; these only when some site passes people on.
        if passes {
            row.count("routed_in", st.routed_in)
                .count("passed_on", st.passed_on);
        }
        row
    }
}

/// `part` ÷ `whole` of two counts; NaN when `whole` is zero.
fn ratio_count(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        f64::NAN
    } else {
        part as f64 / whole as f64
    }
}

/// About 60 bins of a histogram, each a whole number of `unit` wide: (upper edge in units of
/// `scale` ms, count).
pub(super) fn bins<T: Counter>(h: &Histogram<T>, unit: u64, scale: f64) -> Vec<(f64, u64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let step = (h.max() / 60).div_ceil(unit).max(1) * unit;
    let total = h.len() as f64;
    let mut seen = 0;
    h.iter_linear(step)
        .map(|v| {
            let n = v.count_since_last_iteration();
            seen += n;
            (v.value_iterated_to() as f64 / scale, n, seen as f64 / total)
        })
        .collect()
}

/// `num / den`, or NaN (an empty cell) when there is nothing to divide by.
fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { f64::NAN }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        f64::NAN
    } else {
        part as f64 / whole as f64
    }
}

impl Stats {
    /// `n` residents of `round` tested at `t`: coverage marks and the deadline. Alone, the marks
    /// are found at once; as one of several partitions, the test is kept for the barrier.
    fn count_round(&mut self, t: SimTime, round: u32, n: u64) {
        let deadline = self.deadline;
        let alone = self.alone();
        let r = &mut self.rounds[round as usize];
        r.tested += n;
        if !alone {
            r.window.extend(std::iter::repeat_n(t, n as usize));
        } else if r.tested >= r.marks[0] {
            // The marks ascend: below the first, none is reached (one comparison a test).
            for k in 0..COVERAGE_MARKS.len() {
                if r.reached[k].is_none() && r.tested >= r.marks[k] && r.marks[k] > 0 {
                    r.reached[k] = Some(t);
                }
            }
        }
        if deadline.is_some_and(|d| t <= r.start.after(d)) {
            r.by_deadline += n;
        }
    }
}

/// The time of the `n`-th test (from 1) of all `windows` in time order, each window in time
/// order: the least time by which the windows hold `n` tests. A search over time that counts in
/// each window by bisection, so that the windows (an hour of a city's tests) are not merged
/// into one list. There are at least `n` tests.
fn nth_in_time(windows: &[&[SimTime]], n: u64) -> SimTime {
    let ends = windows
        .iter()
        .filter_map(|w| Some((*w.first()?, *w.last()?)));
    let (mut lo, mut hi) = ends.fold((SimTime(u64::MAX), SimTime::ZERO), |(a, b), (x, y)| {
        (a.min(x), b.max(y))
    });
    // The answer is in lo..=hi: fewer than n tests come before the earliest, all by the latest.
    while lo < hi {
        let mid = SimTime(lo.0 + (hi.0 - lo.0) / 2);
        let by_mid: usize = windows
            .iter()
            .map(|w| w.partition_point(|&t| t <= mid))
            .sum();
        if by_mid as u64 >= n {
            hi = mid;
        } else {
            lo = SimTime(mid.0 + 1);
        }
    }
    lo
}

/// The figures of the partitions (in partition order) as those of one run: each site's from
/// its partition, in site order; counts, integer sums and histograms added.
fn merge(parts: Vec<Stats>, model: &Model) -> Stats {
    let mut parts: Vec<Option<Stats>> = parts.into_iter().map(Some).collect();
    let mut first = parts[0].take().expect("at least one partition");
    let plan = first.plan.clone();
    let mut rest: Vec<Stats> = parts.into_iter().flatten().collect();
    // Each site's figures from its partition, in global order.
    let mut by_part: Vec<std::vec::IntoIter<SiteStats>> = std::iter::once(&mut first)
        .chain(rest.iter_mut())
        .map(|p| std::mem::take(&mut p.sites).into_iter())
        .collect();
    first.sites = plan
        .site
        .iter()
        .map(|slot| {
            by_part[slot.part as usize]
                .next()
                .expect("every site in its partition")
        })
        .collect();
    let staff: Vec<StaffStats> = rest
        .iter_mut()
        .map(|p| std::mem::take(&mut p.staff))
        .collect();
    first.staff.absorb(staff, &plan);
    let chain: Vec<ChainStats> = rest
        .iter_mut()
        .map(|p| std::mem::take(&mut p.chain))
        .collect();
    first.chain.absorb(chain, &plan, model);
    for p in &rest {
        first.all.merge(&p.all);
        if let Some(v) = &p.vehicles {
            first.vehicles().merge(v);
        }
        first.called += p.called;
        for (a, b) in first.disruption_people.iter_mut().zip(&p.disruption_people) {
            *a += b;
        }
        first.coming += p.coming;
        first.arrived_called += p.arrived_called;
        first.tested_walk_in += p.tested_walk_in;
        first.home_called += p.home_called;
        first.home_tested += p.home_tested;
        for (r, o) in first.rounds.iter_mut().zip(&p.rounds) {
            r.tested += o.tested;
            r.by_deadline += o.by_deadline;
        }
        for (row, o) in first.progress.iter_mut().zip(&p.progress) {
            row.add(o);
        }
        if let (Some((t, e)), Some((_, o))) = (first.end.as_mut(), p.end) {
            let _ = t;
            e.add(&o);
        }
    }
    let series: Vec<Vec<SeriesRow>> = std::iter::once(&mut first)
        .chain(rest.iter_mut())
        .map(|p| std::mem::take(&mut p.series))
        .collect();
    first.series = merge_series(series, &plan);
    let rounds = &first.rounds;
    for row in &mut first.progress {
        row.coverage = rounds
            .iter()
            .rfind(|r| r.start <= row.t)
            .map_or(f64::NAN, |r| share(row.round_tested, r.residents));
    }
    first
}

/// The partitions' time series (in partition order) as one, in the order of (step end, site).
///
/// Every partition closes a row for each of its sites at every reporting step, in the order of
/// its sites, so the rows of step `k` are taken site by site from their partitions: no sort of
/// the 25.7 M city's 493,000 rows (a stable sort was about a quarter of the serial merge at the
/// end of a run). Rows of any other shape, which the check below catches, are sorted.
fn merge_series(mut series: Vec<Vec<SeriesRow>>, plan: &Plan) -> Vec<SeriesRow> {
    let sites: Vec<usize> = plan.parts.iter().map(|m| m.sites.len()).collect();
    let steps = series
        .iter()
        .zip(&sites)
        .find(|&(_, &n)| n > 0)
        .map_or(0, |(s, &n)| s.len() / n);
    if series
        .iter()
        .zip(&sites)
        .all(|(s, &n)| s.len() == steps * n)
    {
        // Every row once (each partition's rows are steps × its sites); in strictly increasing
        // (step end, site) order, that is the sorted order.
        // Row `i` is step `i / n`'s site `i % n`: an indexed iterator, so `collect` writes each
        // row once into a vector of the final size, side by side (built by `flat_map` it grew by
        // doubling, copying tens of megabytes at a time: 0.18-0.23 s of the city's merge).
        let n = plan.site.len();
        let out: Vec<SeriesRow> = (0..steps * n)
            .into_par_iter()
            .map(|i| {
                let (k, slot) = (i / n, &plan.site[i % n]);
                let p = slot.part as usize;
                series[p][k * sites[p] + slot.local as usize]
            })
            .collect();
        if out
            .windows(2)
            .all(|w| (w[0].t, w[0].site) < (w[1].t, w[1].site))
        {
            return out;
        }
    }
    let mut all: Vec<SeriesRow> = series.iter_mut().flat_map(std::mem::take).collect();
    all.sort_by_key(|r| (r.t, r.site));
    all
}

impl ProgressRow {
    /// Adds another partition's row of the same step.
    fn add(&mut self, o: &ProgressRow) {
        self.called += o.called;
        self.called_at_home += o.called_at_home;
        self.tested_at_sites += o.tested_at_sites;
        self.tested_at_home += o.tested_at_home;
        self.results += o.results;
        self.positives += o.positives;
        self.round_tested += o.round_tested;
        self.desks_open += o.desks_open;
        self.desks_unstaffed += o.desks_unstaffed;
        for k in 0..3 {
            self.on_duty[k] += o.on_duty[k];
        }
        self.waiting += o.waiting;
        self.lab_backlog += o.lab_backlog;
        self.tubes_waiting_pickup += o.tubes_waiting_pickup;
        self.tubes_closed += o.tubes_closed;
        self.tubes_picked += o.tubes_picked;
        self.tubes_received += o.tubes_received;
    }
}

impl Observer for Stats {
    fn called(&mut self, _t: SimTime, _area: AreaId, _round: u32, called: u32, coming: u32) {
        self.called += u64::from(called);
        self.coming += u64::from(coming);
    }

    fn arrived(&mut self, _t: SimTime, site: SiteId, who: Who) {
        let s = self.local(site);
        self.sites[s].arrived += 1;
        self.sites[s].arrived_during_disruptions();
        if who.round != WALK_IN {
            self.arrived_called += 1;
        }
    }

    fn queue_changed(&mut self, t: SimTime, site: SiteId, waiting: u32) {
        let s = self.local(site);
        self.sites[s].queue.set(t, f64::from(waiting));
    }

    fn desks_changed(&mut self, t: SimTime, site: SiteId, open: u32) {
        let s = self.local(site);
        self.sites[s].desks.set(t, f64::from(open));
        if self.sites[s].disrupted > 0 {
            let st = &mut self.sites[s];
            st.disrupted_desks.set(t, f64::from(open));
            for x in st.by_disruption.iter_mut().filter(|x| x.on) {
                x.desks.set(t, f64::from(open));
            }
        }
        self.staff.desks_changed(t, s, open);
    }

    fn disrupted(&mut self, t: SimTime, site: SiteId, d: u32, on: bool) {
        let s = self.local(site);
        let st = &mut self.sites[s];
        let k = match st.by_disruption.iter().position(|x| x.d == d) {
            Some(k) => k,
            None => {
                st.by_disruption.push(SiteDisruption {
                    d,
                    on: false,
                    desks: TimeWeighted::default(),
                    people: 0,
                });
                st.by_disruption.len() - 1
            }
        };
        let (desks, queue) = (st.desks.value(), st.queue.value());
        let x = &mut st.by_disruption[k];
        x.on = on;
        if on {
            x.people += queue as u64;
            x.desks.set(t, desks);
        } else {
            x.desks.set(t, 0.0);
        }
        if on {
            if st.disrupted == 0 {
                st.people_disrupted += st.queue.value() as u64;
                st.disrupted_desks.set(t, st.desks.value());
            }
            st.disrupted += 1;
        } else {
            st.disrupted = st.disrupted.saturating_sub(1);
            if st.disrupted == 0 {
                st.disrupted_desks.set(t, 0.0);
            }
        }
    }

    fn busy_changed(&mut self, t: SimTime, site: SiteId, busy: u32) {
        let s = self.local(site);
        self.sites[s].busy.set(t, f64::from(busy));
        self.staff.busy_changed(t, s, busy);
    }

    fn crew(&mut self, t: SimTime, team: TeamId, crew: u32, change: CrewChange) {
        self.staff.crew(t, team, crew, change);
    }

    fn turn(&mut self, t: SimTime, team: TeamId, crew: u32, turn: u32, people: u32, on: bool) {
        self.staff.turn(t, team, crew, turn, people, on);
    }

    fn crew_absent(&mut self, _t: SimTime, team: TeamId, crew: u32, absent: u32) {
        self.staff.absent(team, crew, absent);
    }

    fn disruption_people(&mut self, _t: SimTime, d: u32, people: u64) {
        self.disruption_people[d as usize] += people;
    }

    fn lab_down(&mut self, t: SimTime, lab: u32, d: u32, machines: u32, on: bool) {
        self.chain.lab_down(t, lab, d, machines, on);
    }

    fn staff_changed(&mut self, _t: SimTime, site: SiteId, role: Role, on_duty: u32) {
        let k = match role {
            Role::Sampler => 0,
            Role::Registrar => 1,
            Role::Marshal => 2,
            _ => return,
        };
        let s = self.local(site);
        self.sites[s].on_duty[k] = on_duty;
    }

    fn unstaffed_changed(&mut self, t: SimTime, site: SiteId, desks: u32) {
        let s = self.local(site);
        self.sites[s].unstaffed.set(t, f64::from(desks));
    }

    fn overtime(
        &mut self,
        _t: SimTime,
        team: TeamId,
        crew: u32,
        _site: SiteId,
        length: SimDuration,
    ) {
        self.staff.overtime(team, crew, length);
    }

    fn dispatched(&mut self, _t: SimTime, team: TeamId, crew: u32, _site: SiteId) {
        self.staff.dispatched(team, crew);
    }

    fn pool_arrived(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId) {
        self.staff.pool_arrived(t, team, crew, site);
    }

    fn service_started(
        &mut self,
        _t: SimTime,
        site: SiteId,
        _desk: u32,
        who: Who,
        wait: SimDuration,
    ) {
        let s = self.local(site);
        let st = &mut self.sites[s];
        st.waits.record_wait(wait.0, who.priority);
        let all = if st.checkpoint {
            self.vehicles.get_or_insert_with(Waits::new)
        } else {
            &mut self.all
        };
        all.record_wait(wait.0, who.priority);
    }

    fn tested(&mut self, t: SimTime, site: SiteId, _desk: u32, who: Who, visit: Visit) {
        let s = self.local(site);
        let st = &mut self.sites[s];
        st.tested += 1;
        let in_system = t.since(visit.first_arrival).0;
        st.waits.record_system(in_system);
        if st.checkpoint {
            self.vehicles().record_system(in_system);
            return;
        }
        self.all.record_system(in_system);
        if who.round == WALK_IN {
            self.tested_walk_in += 1;
            return;
        }
        self.count_round(t, who.round, 1);
    }

    fn home_called(&mut self, _t: SimTime, _area: AreaId, _round: u32, people: u32) {
        self.home_called += u64::from(people);
    }

    fn home_tested(&mut self, t: SimTime, _area: AreaId, round: u32, people: u32) {
        self.home_tested += u64::from(people);
        self.count_round(t, round, u64::from(people));
    }

    fn reswabbed(&mut self, _t: SimTime, _area: AreaId, wait: SimDuration) {
        self.chain.reswabbed(wait);
    }

    fn home_visited(&mut self, _t: SimTime, team: TeamId, crew: u32, busy: SimDuration) {
        self.staff.home_visited(team, crew, busy);
    }

    fn passed_on(&mut self, _t: SimTime, site: SiteId, _desk: u32, _who: Who, _visit: Visit) {
        let s = self.local(site);
        self.sites[s].passed_on += 1;
    }

    fn routed_in(&mut self, _t: SimTime, site: SiteId, _who: Who) {
        let s = self.local(site);
        self.sites[s].routed_in += 1;
        self.sites[s].arrived_during_disruptions();
    }

    fn gave_up(&mut self, _t: SimTime, site: SiteId, _who: Who, why: GiveUp, _visit: Visit) {
        let k = match why {
            GiveUp::Full => 0,
            GiveUp::Closed => 1,
            GiveUp::Reneged => 2,
        };
        let s = self.local(site);
        self.sites[s].gave_up[k] += 1;
    }

    fn step(&mut self, t: SimTime) {
        self.chain.step(t);
        let (results, positives) = self.chain.results_so_far();
        let (tubes_closed, tubes_picked, tubes_received) = self.chain.flow();
        self.progress.push(ProgressRow {
            t,
            called: self.called,
            called_at_home: self.home_called,
            tested_at_sites: self
                .sites
                .iter()
                .filter(|s| !s.checkpoint)
                .map(|s| s.tested)
                .sum(),
            tested_at_home: self.home_tested,
            results,
            positives,
            coverage: self
                .rounds
                .iter()
                .rfind(|r| r.start <= t)
                .map_or(f64::NAN, |r| share(r.tested, r.residents)),
            round_tested: self
                .rounds
                .iter()
                .rfind(|r| r.start <= t)
                .map_or(0, |r| r.tested),
            desks_open: self.sites.iter().map(|s| s.desks.value() as u32).sum(),
            desks_unstaffed: self.sites.iter().map(|s| s.unstaffed.value() as u32).sum(),
            on_duty: [0, 1, 2].map(|k| self.sites.iter().map(|s| s.on_duty[k]).sum()),
            waiting: self
                .sites
                .iter()
                .filter(|s| !s.checkpoint)
                .map(|s| s.queue.value() as u32)
                .sum(),
            lab_backlog: self.chain.backlog_now(),
            tubes_waiting_pickup: self.chain.waiting_now(),
            tubes_closed,
            tubes_picked,
            tubes_received,
        });
        let part = &self.plan.parts[self.part as usize];
        for (s, st) in self.sites.iter_mut().enumerate() {
            let q = st.queue.close_step(t);
            let d = st.desks.close_step(t);
            let b = st.busy.close_step(t);
            self.series.push(SeriesRow {
                t,
                site: SiteId(part.sites[s]),
                queue: q.end as u32,
                queue_mean: q.mean,
                queue_max: q.max as u32,
                desks_open: d.end as u32,
                busy_mean: b.mean,
                arrived: st.arrived + st.routed_in,
                tested: st.tested,
                gave_up: st.gave_up.iter().sum(),
                desks_unstaffed: st.unstaffed.close_step(t).end as u32,
                on_duty: st.on_duty,
            });
        }
    }

    fn ran_to(&mut self, t: SimTime) {
        if self.alone() {
            return;
        }
        // The tests so far are before `t`, and those to come are not: the barrier counts the
        // tests before a time it reached without putting them in order.
        for r in &mut self.rounds {
            if r.ran.last().is_none_or(|&(_, n)| n < r.window.len()) {
                r.ran.push((t, r.window.len()));
            }
        }
    }

    fn tube_opened(&mut self, _t: SimTime, _site: SiteId) {
        self.chain.opened();
    }

    fn tube_closed(&mut self, _t: SimTime, site: SiteId, swabs: u32, pool: u32) {
        self.chain.closed(site, swabs, pool);
    }

    fn stockout_changed(&mut self, t: SimTime, site: SiteId, out: bool) {
        self.chain.stockout(t, site, out);
    }

    fn lab_backlog(&mut self, t: SimTime, lab: u32, waiting: u32) {
        self.chain.backlog(t, lab, waiting);
    }

    fn lab_busy(&mut self, t: SimTime, lab: u32, running: u32) {
        self.chain.running(t, lab, running);
    }

    fn tube_result(&mut self, t: SimTime, tube: &TubeRecord<'_>) {
        self.chain.result(t, tube);
    }

    fn tube_picked(&mut self, t: SimTime, site: SiteId, closed: SimTime) {
        self.chain.picked(t, site, closed);
    }

    fn tubes_received(&mut self, _t: SimTime, _lab: u32, tubes: u32) {
        self.chain.received(tubes);
    }

    fn pending_swab(&mut self, t: SimTime, site: SiteId, swab: SimTime) {
        self.chain.pending(t, site, swab);
    }

    fn finished(&mut self, t: SimTime, end: &EndState) {
        self.staff.finish(t);
        self.end = Some((t, *end));
    }
}

#[cfg(test)]
mod summary_tests {
    use super::SUMMARY_COLUMNS;

    /// The published list of summary columns is what a run writes, with and without the chain.
    #[test]
    fn summary_columns_are_the_published_list() {
        for path in ["scenarios/tutorial.toml", "scenarios/dongyuegong.toml"] {
            let text = std::fs::read_to_string(path).unwrap();
            let (_, mut m) = crate::load_str(path, &text, &[]).unwrap();
            m.horizon = crate::time::SimTime(2 * crate::time::HOUR);
            let rep = crate::runner::run_one(&m, 0, false, &|| {}).unwrap();
            assert_eq!(
                rep.figures.summary.names(),
                SUMMARY_COLUMNS.to_vec(),
                "{path}"
            );
        }
    }
}

#[cfg(test)]
mod series_tests {
    use super::{SeriesRow, merge_series};
    use crate::engine::{Granularity, Plan};
    use crate::model::SiteId;
    use crate::time::{HOUR, SimTime};

    /// The partitions' series merge into the order a sort by (step end, site) gives, whether
    /// they have the regular shape (taken site by site) or not (sorted).
    #[test]
    fn series_merge_in_step_and_site_order() {
        let path = "scenarios/lingling.toml";
        let text = std::fs::read_to_string(path).unwrap();
        let (_, mut m) = crate::load_str(path, &text, &[]).unwrap();
        m.horizon = SimTime(2 * HOUR);
        let template = crate::runner::run_one(&m, 0, false, &|| {})
            .unwrap()
            .figures
            .series[0];
        let plan = Plan::new(&m, Granularity::Finest);
        assert!(
            plan.parts.len() > 2 && plan.site.len() > 2,
            "a plan worth merging"
        );
        let row = |k: u64, g: u32| SeriesRow {
            t: SimTime((k + 1) * HOUR),
            site: SiteId(g),
            queue: g + 10 * k as u32,
            ..template
        };
        let regular: Vec<Vec<SeriesRow>> = plan
            .parts
            .iter()
            .map(|p| {
                (0..3)
                    .flat_map(|k| p.sites.iter().map(move |&g| row(k, g)))
                    .collect()
            })
            .collect();
        let sorted = |series: &[Vec<SeriesRow>]| {
            let mut all: Vec<SeriesRow> = series.concat();
            all.sort_by_key(|r| (r.t, r.site));
            all
        };
        let expected = sorted(&regular);
        assert_eq!(merge_series(regular.clone(), &plan), expected);
        // A row missing, or a partition's steps out of time order: sorted all the same.
        let mut missing = regular.clone();
        let p = missing.iter().position(|s| !s.is_empty()).unwrap();
        missing[p].remove(0);
        assert_eq!(merge_series(missing.clone(), &plan), sorted(&missing));
        let mut shuffled = regular;
        shuffled[p].reverse();
        assert_eq!(merge_series(shuffled.clone(), &plan), expected);
    }
}

#[cfg(test)]
mod mark_tests {
    use proptest::prelude::*;

    use super::nth_in_time;
    use crate::time::SimTime;

    proptest! {
        /// The n-th test of several partitions' windows is the n-th of their tests sorted.
        #[test]
        fn nth_in_time_is_the_nth_of_the_sorted_tests(
            mut windows in prop::collection::vec(prop::collection::vec(0u64..50, 0..20), 1..6),
            pick in any::<prop::sample::Index>(),
        ) {
            windows.iter_mut().for_each(|w| w.sort_unstable());
            let mut all: Vec<u64> = windows.iter().flatten().copied().collect();
            prop_assume!(!all.is_empty());
            all.sort_unstable();
            let n = pick.index(all.len()) + 1;
            let windows: Vec<Vec<SimTime>> =
                windows.iter().map(|w| w.iter().map(|&t| SimTime(t)).collect()).collect();
            let slices: Vec<&[SimTime]> = windows.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(nth_in_time(&slices, n as u64), SimTime(all[n - 1]));
        }
    }
}
