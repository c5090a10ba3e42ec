//! The event kernel and the processes of a testing round: call-ups, walking, queueing with a
//! green lane, pipelined stages at desks, opening hours, balking, reneging and coming back,
//! staff, the sample chain and door-to-door sampling.
//!
//! No I/O, no printing, no serde: what happens is pushed into an [`Observer`], whose methods do
//! nothing by default. Time is integer milliseconds.
//!
//! - [`plan`] splits a scenario into partitions along what couples at an instant;
//! - `queue` orders events by (time, class, sender, sender's sequence), a key every partitioning
//!   agrees on; [`rng`] gives each entity its own random streams;
//! - `part` holds one partition's state and the handlers of its events, a file per process;
//! - `run` runs the partitions in windows of one lookahead under a barrier, exchanging what
//!   crosses between them (see docs/engine.md).

mod part;
pub mod plan;
mod queue;
pub mod rng;
mod run;

pub use plan::{Granularity, Plan};
pub use queue::{EventQueue, Key, Kind, Sender};
pub use run::{Observers, RunInfo, simulate, simulate_plan};

use crate::model::{AreaId, CrewChange, SiteId, TeamId};
use crate::scenario::Role;
use crate::time::{SimDuration, SimTime};

/// Round index given to walk-ins, which belong to no call-up round.
pub const WALK_IN: u32 = u32::MAX;

/// Who a person is, as observers see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Who {
    /// Home area (or walk-in stream).
    pub area: AreaId,
    /// Call-up round, or [`WALK_IN`].
    pub round: u32,
    /// In the priority group.
    pub priority: bool,
}

/// The times of one person's visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    /// When the person set off from home (walk-ins: arrival).
    pub set_off: SimTime,
    /// First arrival at a site.
    pub first_arrival: SimTime,
    /// Arrival of the try that ended the visit.
    pub arrival: SimTime,
    /// Tries that found the queue full before this one.
    pub tries: u32,
    /// When the person reached the first post of a desk (tested people only).
    pub service_start: SimTime,
}

/// Why a person left untested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// The queue was full on the last allowed try.
    Full,
    /// The site was closed and the person does not wait for the opening.
    Closed,
    /// Patience ran out in the queue.
    Reneged,
}

/// A tube with its result, and its way from the desk to the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TubeRecord<'a> {
    /// Number of the tube in the run, in order of opening (re-tests numbered after).
    pub id: u64,
    /// Where it was filled.
    pub site: SiteId,
    /// The lab that tested it.
    pub lab: u32,
    /// Swabs in the tube.
    pub swabs: u32,
    /// An individual re-test of a member of a positive pool.
    pub retest: bool,
    /// Infected people among the swabs.
    pub infected: u32,
    /// The test result.
    pub positive: bool,
    /// First swab into the tube.
    pub first_swab: SimTime,
    /// Closed (full, or its desk closed or handed over).
    pub closed: SimTime,
    /// Picked up by a courier.
    pub picked: SimTime,
    /// Received at the lab.
    pub received: SimTime,
    /// Its plate's run started.
    pub run_start: SimTime,
    /// When the tube was opened.
    pub opened: SimTime,
    /// Each swabbed member's swab time in ms after `opened`.
    pub swab_offsets: &'a [u32],
    /// For a re-swab: the member's first swab, from which their turnaround counts.
    pub origin: Option<SimTime>,
    /// Whether this result is final for its members (negative, or an individual test).
    pub final_for_members: bool,
    /// Transit (pickup to lab) over the route's limit.
    pub transit_over_limit: bool,
    /// Received later than the lab's hold limit after the first swab.
    pub over_hold_limit: bool,
}

impl TubeRecord<'_> {
    /// When each member was swabbed (for a re-swab: their first swab).
    pub fn swab_times(&self) -> impl Iterator<Item = SimTime> + '_ {
        let opened = self.opened;
        let origin = self.origin;
        let offsets = if origin.is_some() {
            &[][..]
        } else {
            self.swab_offsets
        };
        origin.into_iter().chain(
            offsets
                .iter()
                .map(move |&ms| opened.after(SimDuration(u64::from(ms)))),
        )
    }
}

/// Where everyone still in the system is when the run ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndState {
    /// Called and set off (or about to), not yet at a site for the first time.
    pub en_route: u64,
    /// Arrived, now away until coming back (queue was full, or site closed).
    pub away: u64,
    /// In a queue.
    pub waiting: u64,
    /// At a desk.
    pub at_desk: u64,
    /// Events processed in the run.
    pub events: u64,
    /// Tubes being filled or waiting for pickup at sites.
    pub tubes_at_sites: u64,
    /// Tubes on a courier's vehicle.
    pub tubes_in_transit: u64,
    /// Tubes (not re-tests) at a lab without a result.
    pub tubes_at_labs: u64,
    /// Re-tests at a lab without a result.
    pub retests_at_labs: u64,
    /// Re-swabs still to be taken at home, or on their way to a lab.
    pub retests_on_the_way: u64,
    /// Swabs in tubes (not re-tests) without a result yet.
    pub swabs_without_result: u64,
    /// People waiting for, or in, a home visit.
    pub home_waiting: u64,
}

impl EndState {
    /// Adds another partition's end state.
    pub fn add(&mut self, o: &EndState) {
        self.en_route += o.en_route;
        self.away += o.away;
        self.waiting += o.waiting;
        self.at_desk += o.at_desk;
        self.events += o.events;
        self.tubes_at_sites += o.tubes_at_sites;
        self.tubes_in_transit += o.tubes_in_transit;
        self.tubes_at_labs += o.tubes_at_labs;
        self.retests_at_labs += o.retests_at_labs;
        self.retests_on_the_way += o.retests_on_the_way;
        self.swabs_without_result += o.swabs_without_result;
        self.home_waiting += o.home_waiting;
    }
}

/// Receives what happens in a run. Every method does nothing by default.
#[allow(unused_variables)]
pub trait Observer {
    /// A call-up wave reached `called` residents of `area`, of whom `coming` will come.
    fn called(&mut self, t: SimTime, area: AreaId, round: u32, called: u32, coming: u32) {}
    /// A person reached a site for the first time.
    fn arrived(&mut self, t: SimTime, site: SiteId, who: Who) {}
    /// The number of people waiting at a site changed.
    fn queue_changed(&mut self, t: SimTime, site: SiteId, waiting: u32) {}
    /// The number of desks open at a site changed.
    fn desks_changed(&mut self, t: SimTime, site: SiteId, open: u32) {}
    /// The number of desks whose first post is occupied changed.
    fn busy_changed(&mut self, t: SimTime, site: SiteId, busy: u32) {}
    /// A person reached the first post of a desk after waiting `wait`.
    fn service_started(
        &mut self,
        t: SimTime,
        site: SiteId,
        desk: u32,
        who: Who,
        wait: SimDuration,
    ) {
    }
    /// A person left the last post of a desk: tested.
    fn tested(&mut self, t: SimTime, site: SiteId, desk: u32, who: Who, visit: Visit) {}
    /// A person left untested.
    fn gave_up(&mut self, t: SimTime, site: SiteId, who: Who, why: GiveUp, visit: Visit) {}
    /// A person left the last post of a desk at a site that passes people on (`then`): on to
    /// the next site, untested yet.
    fn passed_on(&mut self, t: SimTime, site: SiteId, desk: u32, who: Who, visit: Visit) {}
    /// A person passed on from another site arrived here.
    fn routed_in(&mut self, t: SimTime, site: SiteId, who: Who) {}
    /// A crew of a team came on or went off duty.
    fn crew(&mut self, t: SimTime, team: TeamId, crew: u32, change: CrewChange) {}
    /// Break turn `turn` of a staggered crew, `people` of it, went on break (`on` false) or came
    /// back; the crew stays on duty.
    fn turn(&mut self, t: SimTime, team: TeamId, crew: u32, turn: u32, people: u32, on: bool) {}
    /// The people of a role on duty at a site changed.
    fn staff_changed(&mut self, t: SimTime, site: SiteId, role: Role, on_duty: u32) {}
    /// Desks that the opening hours allow but the staff on duty do not (0 when closed).
    fn unstaffed_changed(&mut self, t: SimTime, site: SiteId, desks: u32) {}
    /// Desks closed for lack of staff finished their people `length` after the crew's time.
    fn overtime(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId, length: SimDuration) {
    }
    /// A reserve crew was sent to a site.
    fn dispatched(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId) {}
    /// A reserve crew reached the site it was sent to and is on duty there.
    fn pool_arrived(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId) {}
    /// `people` residents of `area` in `round` are to be sampled at home.
    fn home_called(&mut self, t: SimTime, area: AreaId, round: u32, people: u32) {}
    /// A household of `people` was swabbed at home.
    fn home_tested(&mut self, t: SimTime, area: AreaId, round: u32, people: u32) {}
    /// A positive pool's member of `area` was swabbed again at home, `wait` after the result.
    fn reswabbed(&mut self, t: SimTime, area: AreaId, wait: SimDuration) {}
    /// A door-to-door unit of a crew finished a visit that kept it busy for `busy`.
    fn home_visited(&mut self, t: SimTime, team: TeamId, crew: u32, busy: SimDuration) {}
    /// A tube was opened at a desk of `site`.
    fn tube_opened(&mut self, t: SimTime, site: SiteId) {}
    /// A tube was closed at `site` with `swabs` swabs (fewer than the pool size: a partial pool).
    fn tube_closed(&mut self, t: SimTime, site: SiteId, swabs: u32, pool: u32) {}
    /// A site ran out of tubes or kits (`out`), or was resupplied.
    fn stockout_changed(&mut self, t: SimTime, site: SiteId, out: bool) {}
    /// Tubes waiting at a lab (at the door or for a run) changed.
    fn lab_backlog(&mut self, t: SimTime, lab: u32, waiting: u32) {}
    /// Machines running at a lab changed.
    fn lab_busy(&mut self, t: SimTime, lab: u32, running: u32) {}
    /// A courier picked up a closed tube at `site`, where it had waited since `closed`.
    fn tube_picked(&mut self, t: SimTime, site: SiteId, closed: SimTime) {}
    /// A vehicle delivered `tubes` tubes to `lab`.
    fn tubes_received(&mut self, t: SimTime, lab: u32, tubes: u32) {}
    /// Disruption `d` began (`on`) or ended at `site`.
    fn disrupted(&mut self, t: SimTime, site: SiteId, d: u32, on: bool) {}
    /// At a shift's start, `absent` people of a crew (over all its places) miss the shift.
    fn crew_absent(&mut self, t: SimTime, team: TeamId, crew: u32, absent: u32) {}
    /// Disruption `d` reached `people`: for a turnout disruption, residents called up while it
    /// was on in the areas it hits; for an absence, the people who missed a shift.
    fn disruption_people(&mut self, t: SimTime, d: u32, people: u64) {}
    /// `machines` of `lab` went out of service (`on`) or came back, by disruption `d`.
    fn lab_down(&mut self, t: SimTime, lab: u32, d: u32, machines: u32, on: bool) {}
    /// A tube has its result.
    fn tube_result(&mut self, t: SimTime, tube: &TubeRecord<'_>) {}
    /// At the horizon: a swab taken at `swab` at `site` has no final result yet (its tube is at a
    /// site, on the road or at a lab, or it is a positive pool's member waiting for a re-test).
    fn pending_swab(&mut self, t: SimTime, site: SiteId, swab: SimTime) {}
    /// A reporting step ends at `t` (called at every step and once at the horizon).
    fn step(&mut self, t: SimTime) {}
    /// The partition has handled every event before `t` (before the barrier, in its own work).
    /// What it was told since the last call came lane by lane: each lane in time order, but
    /// not the lanes together (see [`Plan`](crate::engine::Plan)).
    fn ran_to(&mut self, t: SimTime) {}
    /// The run ended at the horizon.
    fn finished(&mut self, t: SimTime, end: &EndState) {}
}

/// An observer that ignores everything.
impl Observer for () {}

/// Two observers, both told everything, the first first.
impl<A: Observer, B: Observer> Observer for (A, B) {
    fn called(&mut self, t: SimTime, area: AreaId, round: u32, called: u32, coming: u32) {
        self.0.called(t, area, round, called, coming);
        self.1.called(t, area, round, called, coming);
    }
    fn arrived(&mut self, t: SimTime, site: SiteId, who: Who) {
        self.0.arrived(t, site, who);
        self.1.arrived(t, site, who);
    }
    fn queue_changed(&mut self, t: SimTime, site: SiteId, waiting: u32) {
        self.0.queue_changed(t, site, waiting);
        self.1.queue_changed(t, site, waiting);
    }
    fn desks_changed(&mut self, t: SimTime, site: SiteId, open: u32) {
        self.0.desks_changed(t, site, open);
        self.1.desks_changed(t, site, open);
    }
    fn busy_changed(&mut self, t: SimTime, site: SiteId, busy: u32) {
        self.0.busy_changed(t, site, busy);
        self.1.busy_changed(t, site, busy);
    }
    fn service_started(
        &mut self,
        t: SimTime,
        site: SiteId,
        desk: u32,
        who: Who,
        wait: SimDuration,
    ) {
        self.0.service_started(t, site, desk, who, wait);
        self.1.service_started(t, site, desk, who, wait);
    }
    fn tested(&mut self, t: SimTime, site: SiteId, desk: u32, who: Who, visit: Visit) {
        self.0.tested(t, site, desk, who, visit);
        self.1.tested(t, site, desk, who, visit);
    }
    fn gave_up(&mut self, t: SimTime, site: SiteId, who: Who, why: GiveUp, visit: Visit) {
        self.0.gave_up(t, site, who, why, visit);
        self.1.gave_up(t, site, who, why, visit);
    }
    fn passed_on(&mut self, t: SimTime, site: SiteId, desk: u32, who: Who, visit: Visit) {
        self.0.passed_on(t, site, desk, who, visit);
        self.1.passed_on(t, site, desk, who, visit);
    }
    fn routed_in(&mut self, t: SimTime, site: SiteId, who: Who) {
        self.0.routed_in(t, site, who);
        self.1.routed_in(t, site, who);
    }
    fn crew(&mut self, t: SimTime, team: TeamId, crew: u32, change: CrewChange) {
        self.0.crew(t, team, crew, change);
        self.1.crew(t, team, crew, change);
    }
    fn turn(&mut self, t: SimTime, team: TeamId, crew: u32, turn: u32, people: u32, on: bool) {
        self.0.turn(t, team, crew, turn, people, on);
        self.1.turn(t, team, crew, turn, people, on);
    }
    fn staff_changed(&mut self, t: SimTime, site: SiteId, role: Role, on_duty: u32) {
        self.0.staff_changed(t, site, role, on_duty);
        self.1.staff_changed(t, site, role, on_duty);
    }
    fn unstaffed_changed(&mut self, t: SimTime, site: SiteId, desks: u32) {
        self.0.unstaffed_changed(t, site, desks);
        self.1.unstaffed_changed(t, site, desks);
    }
    fn overtime(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId, length: SimDuration) {
        self.0.overtime(t, team, crew, site, length);
        self.1.overtime(t, team, crew, site, length);
    }
    fn dispatched(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId) {
        self.0.dispatched(t, team, crew, site);
        self.1.dispatched(t, team, crew, site);
    }
    fn pool_arrived(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId) {
        self.0.pool_arrived(t, team, crew, site);
        self.1.pool_arrived(t, team, crew, site);
    }
    fn home_called(&mut self, t: SimTime, area: AreaId, round: u32, people: u32) {
        self.0.home_called(t, area, round, people);
        self.1.home_called(t, area, round, people);
    }
    fn home_tested(&mut self, t: SimTime, area: AreaId, round: u32, people: u32) {
        self.0.home_tested(t, area, round, people);
        self.1.home_tested(t, area, round, people);
    }
    fn reswabbed(&mut self, t: SimTime, area: AreaId, wait: SimDuration) {
        self.0.reswabbed(t, area, wait);
        self.1.reswabbed(t, area, wait);
    }
    fn home_visited(&mut self, t: SimTime, team: TeamId, crew: u32, busy: SimDuration) {
        self.0.home_visited(t, team, crew, busy);
        self.1.home_visited(t, team, crew, busy);
    }
    fn tube_opened(&mut self, t: SimTime, site: SiteId) {
        self.0.tube_opened(t, site);
        self.1.tube_opened(t, site);
    }
    fn tube_closed(&mut self, t: SimTime, site: SiteId, swabs: u32, pool: u32) {
        self.0.tube_closed(t, site, swabs, pool);
        self.1.tube_closed(t, site, swabs, pool);
    }
    fn stockout_changed(&mut self, t: SimTime, site: SiteId, out: bool) {
        self.0.stockout_changed(t, site, out);
        self.1.stockout_changed(t, site, out);
    }
    fn lab_backlog(&mut self, t: SimTime, lab: u32, waiting: u32) {
        self.0.lab_backlog(t, lab, waiting);
        self.1.lab_backlog(t, lab, waiting);
    }
    fn lab_busy(&mut self, t: SimTime, lab: u32, running: u32) {
        self.0.lab_busy(t, lab, running);
        self.1.lab_busy(t, lab, running);
    }
    fn tube_picked(&mut self, t: SimTime, site: SiteId, closed: SimTime) {
        self.0.tube_picked(t, site, closed);
        self.1.tube_picked(t, site, closed);
    }
    fn tubes_received(&mut self, t: SimTime, lab: u32, tubes: u32) {
        self.0.tubes_received(t, lab, tubes);
        self.1.tubes_received(t, lab, tubes);
    }
    fn disrupted(&mut self, t: SimTime, site: SiteId, d: u32, on: bool) {
        self.0.disrupted(t, site, d, on);
        self.1.disrupted(t, site, d, on);
    }
    fn crew_absent(&mut self, t: SimTime, team: TeamId, crew: u32, absent: u32) {
        self.0.crew_absent(t, team, crew, absent);
        self.1.crew_absent(t, team, crew, absent);
    }
    fn disruption_people(&mut self, t: SimTime, d: u32, people: u64) {
        self.0.disruption_people(t, d, people);
        self.1.disruption_people(t, d, people);
    }
    fn lab_down(&mut self, t: SimTime, lab: u32, d: u32, machines: u32, on: bool) {
        self.0.lab_down(t, lab, d, machines, on);
        self.1.lab_down(t, lab, d, machines, on);
    }
    fn tube_result(&mut self, t: SimTime, tube: &TubeRecord<'_>) {
        self.0.tube_result(t, tube);
        self.1.tube_result(t, tube);
    }
    fn pending_swab(&mut self, t: SimTime, site: SiteId, swab: SimTime) {
        self.0.pending_swab(t, site, swab);
        self.1.pending_swab(t, site, swab);
    }
    fn step(&mut self, t: SimTime) {
        self.0.step(t);
        self.1.step(t);
    }
    fn ran_to(&mut self, t: SimTime) {
        self.0.ran_to(t);
        self.1.ran_to(t);
    }
    fn finished(&mut self, t: SimTime, end: &EndState) {
        self.0.finished(t, end);
        self.1.finished(t, end);
    }
}

/// An observer that may be absent: told everything when present.
impl<A: Observer> Observer for Option<A> {
    fn called(&mut self, t: SimTime, area: AreaId, round: u32, called: u32, coming: u32) {
        if let Some(o) = self {
            o.called(t, area, round, called, coming);
        }
    }
    fn arrived(&mut self, t: SimTime, site: SiteId, who: Who) {
        if let Some(o) = self {
            o.arrived(t, site, who);
        }
    }
    fn queue_changed(&mut self, t: SimTime, site: SiteId, waiting: u32) {
        if let Some(o) = self {
            o.queue_changed(t, site, waiting);
        }
    }
    fn desks_changed(&mut self, t: SimTime, site: SiteId, open: u32) {
        if let Some(o) = self {
            o.desks_changed(t, site, open);
        }
    }
    fn busy_changed(&mut self, t: SimTime, site: SiteId, busy: u32) {
        if let Some(o) = self {
            o.busy_changed(t, site, busy);
        }
    }
    fn service_started(
        &mut self,
        t: SimTime,
        site: SiteId,
        desk: u32,
        who: Who,
        wait: SimDuration,
    ) {
        if let Some(o) = self {
            o.service_started(t, site, desk, who, wait);
        }
    }
    fn tested(&mut self, t: SimTime, site: SiteId, desk: u32, who: Who, visit: Visit) {
        if let Some(o) = self {
            o.tested(t, site, desk, who, visit);
        }
    }
    fn gave_up(&mut self, t: SimTime, site: SiteId, who: Who, why: GiveUp, visit: Visit) {
        if let Some(o) = self {
            o.gave_up(t, site, who, why, visit);
        }
    }
    fn passed_on(&mut self, t: SimTime, site: SiteId, desk: u32, who: Who, visit: Visit) {
        if let Some(o) = self {
            o.passed_on(t, site, desk, who, visit);
        }
    }
    fn routed_in(&mut self, t: SimTime, site: SiteId, who: Who) {
        if let Some(o) = self {
            o.routed_in(t, site, who);
        }
    }
    fn crew(&mut self, t: SimTime, team: TeamId, crew: u32, change: CrewChange) {
        if let Some(o) = self {
            o.crew(t, team, crew, change);
        }
    }
    fn turn(&mut self, t: SimTime, team: TeamId, crew: u32, turn: u32, people: u32, on: bool) {
        if let Some(o) = self {
            o.turn(t, team, crew, turn, people, on);
        }
    }
    fn staff_changed(&mut self, t: SimTime, site: SiteId, role: Role, on_duty: u32) {
        if let Some(o) = self {
            o.staff_changed(t, site, role, on_duty);
        }
    }
    fn unstaffed_changed(&mut self, t: SimTime, site: SiteId, desks: u32) {
        if let Some(o) = self {
            o.unstaffed_changed(t, site, desks);
        }
    }
    fn overtime(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId, length: SimDuration) {
        if let Some(o) = self {
            o.overtime(t, team, crew, site, length);
        }
    }
    fn dispatched(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId) {
        if let Some(o) = self {
            o.dispatched(t, team, crew, site);
        }
    }
    fn pool_arrived(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId) {
        if let Some(o) = self {
            o.pool_arrived(t, team, crew, site);
        }
    }
    fn home_called(&mut self, t: SimTime, area: AreaId, round: u32, people: u32) {
        if let Some(o) = self {
            o.home_called(t, area, round, people);
        }
    }
    fn home_tested(&mut self, t: SimTime, area: AreaId, round: u32, people: u32) {
        if let Some(o) = self {
            o.home_tested(t, area, round, people);
        }
    }
    fn reswabbed(&mut self, t: SimTime, area: AreaId, wait: SimDuration) {
        if let Some(o) = self {
            o.reswabbed(t, area, wait);
        }
    }
    fn home_visited(&mut self, t: SimTime, team: TeamId, crew: u32, busy: SimDuration) {
        if let Some(o) = self {
            o.home_visited(t, team, crew, busy);
        }
    }
    fn tube_opened(&mut self, t: SimTime, site: SiteId) {
        if let Some(o) = self {
            o.tube_opened(t, site);
        }
    }
    fn tube_closed(&mut self, t: SimTime, site: SiteId, swabs: u32, pool: u32) {
        if let Some(o) = self {
            o.tube_closed(t, site, swabs, pool);
        }
    }
    fn stockout_changed(&mut self, t: SimTime, site: SiteId, out: bool) {
        if let Some(o) = self {
            o.stockout_changed(t, site, out);
        }
    }
    fn lab_backlog(&mut self, t: SimTime, lab: u32, waiting: u32) {
        if let Some(o) = self {
            o.lab_backlog(t, lab, waiting);
        }
    }
    fn lab_busy(&mut self, t: SimTime, lab: u32, running: u32) {
        if let Some(o) = self {
            o.lab_busy(t, lab, running);
        }
    }
    fn tube_picked(&mut self, t: SimTime, site: SiteId, closed: SimTime) {
        if let Some(o) = self {
            o.tube_picked(t, site, closed);
        }
    }
    fn tubes_received(&mut self, t: SimTime, lab: u32, tubes: u32) {
        if let Some(o) = self {
            o.tubes_received(t, lab, tubes);
        }
    }
    fn disrupted(&mut self, t: SimTime, site: SiteId, d: u32, on: bool) {
        if let Some(o) = self {
            o.disrupted(t, site, d, on);
        }
    }
    fn crew_absent(&mut self, t: SimTime, team: TeamId, crew: u32, absent: u32) {
        if let Some(o) = self {
            o.crew_absent(t, team, crew, absent);
        }
    }
    fn disruption_people(&mut self, t: SimTime, d: u32, people: u64) {
        if let Some(o) = self {
            o.disruption_people(t, d, people);
        }
    }
    fn lab_down(&mut self, t: SimTime, lab: u32, d: u32, machines: u32, on: bool) {
        if let Some(o) = self {
            o.lab_down(t, lab, d, machines, on);
        }
    }
    fn tube_result(&mut self, t: SimTime, tube: &TubeRecord<'_>) {
        if let Some(o) = self {
            o.tube_result(t, tube);
        }
    }
    fn pending_swab(&mut self, t: SimTime, site: SiteId, swab: SimTime) {
        if let Some(o) = self {
            o.pending_swab(t, site, swab);
        }
    }
    fn step(&mut self, t: SimTime) {
        if let Some(o) = self {
            o.step(t);
        }
    }
    fn ran_to(&mut self, t: SimTime) {
        if let Some(o) = self {
            o.ran_to(t);
        }
    }
    fn finished(&mut self, t: SimTime, end: &EndState) {
        if let Some(o) = self {
            o.finished(t, end);
        }
    }
}
