//! One partition of a run: the state of the entities it owns and the handlers of their events.
//!
//! A partition knows its entities by local index (`a`, `s`, `t`, `r`, `l` below) and maps them
//! to the model's global ids (`ag`, `sg`, `tg`, `rg`, `lg`) for the model and the observer, which
//! only ever see global ids. Every event is scheduled under the key of the entity whose handler
//! runs (its *sender*), so the order of events is the same however the scenario is partitioned.
//! A partition never reads another's state: what crosses (tubes driven to a lab in another
//! partition) leaves through its outbox as a [`Message`].
//!
//! The processes live in their own files: [`people`] (call-ups, waves, walk-ins), [`sites`]
//! (queues, desks, hours), [`staffing`] (rotas, reserves), [`chain`] (tubes, couriers, labs) and
//! [`home`] (door to door).

mod chain;
mod home;
mod people;
mod sites;
mod slots;
mod staffing;

use std::collections::VecDeque;

pub(crate) use chain::TubeData;

use super::plan::Plan;
use super::queue::{EventQueue, Key, Kind, Sender};
use super::rng::{Stream, stream};
use super::{EndState, Observer, Visit, Who};
use crate::model::{Area, AreaId, Lab, Model, Route, Site, Team};
use crate::time::SimTime;

/// No person (or tube) in this slot.
const NONE: u32 = u32::MAX;

/// [`Part::lane`] outside a lane's run (the start, a message delivered): each event goes to its
/// entity's lane.
const NO_LANE: usize = usize::MAX;

/// Event classes: at one instant, staff changes come first, then everything else.
const ROTA_CLASS: u8 = 0;
const CLASS: u8 = 1;

#[derive(Debug, Clone, Copy)]
enum Event {
    CallUp {
        area: u32,
        round: u32,
        wave: u32,
    },
    /// The next person of a call-up wave sets off (or arrives, when the site is known).
    Come {
        wave: u32,
    },
    Arrive {
        person: u32,
    },
    WalkIn {
        area: u32,
    },
    StageDone {
        site: u32,
        slot: u32,
        /// The post's service count when it was scheduled: a paused service's old end is stale.
        generation: u32,
    },
    Renege {
        person: u32,
        generation: u32,
    },
    Hours {
        site: u32,
    },
    Rota {
        team: u32,
    },
    PoolArrive {
        team: u32,
        /// Below `MAX_CREWS`: 16 bits keep every event in 16 bytes, a queue entry in 32.
        crew: u16,
        site: u32,
        generation: u32,
    },
    Resupply {
        site: u32,
    },
    Trip {
        route: u32,
    },
    /// A vehicle on trip `trip` reaches its next stop (a site's event: it takes the tubes).
    TripStop {
        trip: u32,
    },
    /// Local site `site` calls a vehicle of local route `route` (a route's event, at the
    /// instant of the call).
    Call {
        route: u32,
        site: u32,
    },
    /// The vehicle on trip `trip` leaves a stop for its next one (a route's event).
    Leg {
        trip: u32,
    },
    /// A vehicle is back at its lab (the tubes it carried arrive as `LabReceive`).
    TripBack {
        route: u32,
    },
    LabReceive {
        lab: u32,
        parcel: u32,
    },
    LabHours {
        lab: u32,
    },
    BatchTimer {
        lab: u32,
    },
    RunDone {
        lab: u32,
        run: u32,
    },
    HomeVisit {
        team: u32,
        unit: u32,
    },
    /// Disruption `d` begins (`on`) or ends at site `site`.
    Disruption {
        site: u32,
        d: u16,
        on: bool,
    },
    /// Lab disruption `d` begins (`on`) or ends at lab `lab`.
    LabDown {
        lab: u32,
        d: u16,
        on: bool,
    },
    /// A machine of lab `lab` breaks down (`on`) or is repaired, under disruption `d`.
    MachineWear {
        lab: u32,
        d: u16,
        machine: u32,
        on: bool,
    },
}

// A crew number fits `PoolArrive`'s 16 bits.
const _: () = assert!(crate::model::size::MAX_CREWS <= u16::MAX as u32);

/// What crosses from one partition to another.
#[derive(Debug)]
pub(crate) struct Message {
    /// The receiving partition.
    pub to: u32,
    /// The key the receiver schedules it under.
    pub key: Key,
    /// The tubes a vehicle brings to lab `lab` (global index).
    pub lab: u32,
    /// The tubes, each moved in its own allocation (not copied into the receiver's arena).
    #[expect(
        clippy::vec_box,
        reason = "each tube keeps its own allocation from desk to result"
    )]
    pub tubes: Vec<Box<TubeData>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    EnRoute,
    Away,
    Waiting,
    /// Left the queue (reneged) but still listed in it until the queue reaches it.
    Gone,
    AtDesk,
}

/// A person in the arena: 64 bytes, one cache line (with a [`Who`] inside, whose padding no
/// other field can use, it was 72 and most records straddled two lines).
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
struct Person {
    /// Home area (or walk-in stream), as in [`Who`].
    area: AreaId,
    /// Call-up round, or [`WALK_IN`](crate::engine::WALK_IN).
    round: u32,
    /// In the priority group.
    priority: bool,
    /// Local index of the site.
    site: u32,
    state: State,
    generation: u32,
    tries: u32,
    arrived_once: bool,
    /// Passed on from another site and not yet arrived at this one.
    routed: bool,
    infected: bool,
    /// The area's own pool size, or 0 for the site's.
    pool: u8,
    set_off: SimTime,
    first_arrival: SimTime,
    arrival: SimTime,
    service_start: SimTime,
    /// The tube this person's swab goes into (assigned at the desk).
    tube: u32,
}

impl Person {
    fn who(&self) -> Who {
        Who {
            area: self.area,
            round: self.round,
            priority: self.priority,
        }
    }

    fn visit(&self) -> Visit {
        Visit {
            set_off: self.set_off,
            first_arrival: self.first_arrival,
            arrival: self.arrival,
            tries: self.tries,
            service_start: self.service_start,
        }
    }
}

/// Number of roles.
const ROLES: usize = 6;

/// A site's state. The fields a resident's events read (queue, posts, desks, counts) come first,
/// in the first four cache lines of a record aligned to them (`repr(C)` keeps this order; the
/// posts' arrays never grow, so they are boxed slices, a word smaller than vectors); what staff
/// changes and disruptions read comes after.
#[repr(C, align(64))]
struct SiteState {
    waiting: u32,
    /// Disruptions stopping registration now.
    stopped: u32,
    desks_open: u32,
    /// Desks whose first post is taken.
    busy: u32,
    /// `busy` as the observers last heard it: a first post freed and taken again by the next
    /// person in the same handler is no change to them (see [`Part::report_busy`]).
    busy_told: u32,
    occupied: u32,
    /// log2 of the slots per desk: the stages rounded up to a power of two, so that a slot's
    /// desk and stage are a shift and a mask (a division by the stages was 1% of a city's
    /// time in perf).
    post_shift: u32,
    stages: u32,
    /// Person at each post: at [`SiteState::slot`]`(desk, stage)`; a desk's slots past its
    /// last stage stay empty.
    slots: Box<[u32]>,
    /// Whether the person at a post is done and waits for the next post.
    blocked: Box<[bool]>,
    normal: VecDeque<u32>,
    green: VecDeque<u32>,
    /// People at each desk (all posts).
    desk_people: Box<[u32]>,
    service: Box<[Stream]>,
    /// Where a crew that hands over can work (`shift_end = "hand-over"`): per post, when its
    /// service ends and a count that makes a paused service's old end stale; empty elsewhere.
    due: Box<[SimTime]>,
    generation: Box<[u32]>,
    /// Product of the slowdowns of the disruptions now.
    slow: f64,
    /// The site's pool size (the model's), beside it.
    pool: u32,
    open: bool,
    /// Closed, but finishing the people who came before closing.
    draining: bool,
    /// [`Site::fills_tubes`], kept here: asked about five times per resident, it took two
    /// lookups into the model each time.
    tube_sampling: bool,
    /// A crew that hands over left this instant: desks that close now pause their people.
    hand_over_now: bool,
    closed_at: SimTime,
    /// Desks the staff on duty can open (the site's desks when it needs no staff).
    staffed: u32,
    /// Desks the plan opens now (`desks_by_time`; the site's desks without one).
    planned: u32,
    /// Desks short of staff while open, as last reported.
    unstaffed: u32,
    /// People on duty by role.
    on_duty: [u32; ROLES],
    /// Crews on duty here: (local team, crew, on duty since).
    present: Vec<(u32, u32, SimTime)>,
    /// Crews that left while their desks were still busy: (local team, crew, left at).
    overtime: Vec<(u32, u32, SimTime)>,
    /// Paused services: (post, time left), waiting for their desk to open again.
    paused: Vec<(u32, crate::time::SimDuration)>,
    behaviour: Stream,
    /// Which next site, and the walk there (`then`); made for sites that pass people on.
    routing: Option<Stream>,
}

impl SiteState {
    /// The slot of `desk`'s post for `stage`.
    #[inline]
    fn slot(&self, desk: usize, stage: usize) -> usize {
        (desk << self.post_shift) | stage
    }

    /// The desk of a slot.
    #[inline]
    fn desk_of(&self, slot: usize) -> usize {
        slot >> self.post_shift
    }

    /// The stage of a slot.
    #[inline]
    fn stage_of(&self, slot: usize) -> usize {
        slot & ((1 << self.post_shift) - 1)
    }
}

struct AreaState {
    arrivals: Stream,
    people: Stream,
}

/// Events scheduled so far by each entity of the partition: the last part of their keys. One
/// vector for every kind (the run, then the areas, sites, teams, routes and labs), so that the
/// count of the entity that runs is one index, not a match on its kind per event scheduled.
struct Seqs {
    counts: Vec<u32>,
    /// Where each kind's counts start in `counts`, by [`Kind`].
    base: [u32; KINDS],
}

/// Number of kinds of entities that schedule events.
const KINDS: usize = 6;

impl Seqs {
    fn new(members: &crate::engine::plan::Members) -> Seqs {
        let mut lens = [0; KINDS];
        lens[Kind::Run as usize] = 1;
        lens[Kind::Area as usize] = members.areas.len();
        lens[Kind::Site as usize] = members.sites.len();
        lens[Kind::Team as usize] = members.teams.len();
        lens[Kind::Route as usize] = members.routes.len();
        lens[Kind::Lab as usize] = members.labs.len();
        let mut base = [0; KINDS];
        let mut next = 0;
        for (b, len) in base.iter_mut().zip(lens) {
            *b = next;
            next += len as u32;
        }
        Seqs {
            counts: vec![0; next as usize],
            base,
        }
    }

    /// Where the count of local entity `local` of `kind` is.
    #[inline(always)]
    fn at(&self, kind: Kind, local: u32) -> u32 {
        self.base[kind as usize] + local
    }
}

/// What a partition did, besides what its observer saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartInfo {
    /// Events processed.
    pub events: u64,
    /// Most people held in the arena at once.
    pub peak_people: usize,
    /// Most tube records held at once.
    pub peak_tubes: usize,
    /// Most events pending at once.
    pub peak_queue: usize,
}

/// One partition of a replication.
pub(crate) struct Part<'m, O: Observer> {
    m: &'m Model,
    plan: &'m Plan,
    id: u32,
    ag: &'m [u32],
    sg: &'m [u32],
    tg: &'m [u32],
    rg: &'m [u32],
    lg: &'m [u32],
    obs: O,
    now: SimTime,
    /// The entity whose handler runs: the events it schedules carry its global id in their key.
    sender: Sender,
    /// Where its count of events scheduled is kept in `seqs` (see [`Part::key`]).
    seq: u32,
    seqs: Seqs,
    /// The queue of the lane that runs now, taken out of `lanes` for its run: a handler's events
    /// go straight here.
    queue: EventQueue<Event>,
    /// One event queue per lane (see [`crate::engine::plan`]), run in this order in a window;
    /// the running lane's is in `queue` meanwhile.
    lanes: Vec<EventQueue<Event>>,
    /// The time of each lane's earliest pending event (`SimTime(u64::MAX)` for none) outside
    /// its own run: a window looks here, not into twenty heaps that are far apart in memory.
    lane_next: Vec<SimTime>,
    /// The lane whose events run now, or [`NO_LANE`].
    lane: usize,
    sites: Vec<SiteState>,
    areas: Vec<AreaState>,
    people: Vec<Person>,
    free: Vec<u32>,
    waves: people::Waves,
    chain: chain::Chain,
    homes: home::Homes,
    teams: Vec<staffing::TeamState>,
    /// Smallest queue threshold of any reserve, if there are reserves.
    pool_threshold: Option<u32>,
    /// Whether any rota slows its crews down after a while (else no service is slowed).
    slowdowns: bool,
    events: u64,
    peak_queue: usize,
    outbox: Vec<Message>,
    /// Each disruption's (start, end) in this replication.
    windows: Vec<(SimTime, SimTime)>,
}

impl<'m, O: Observer> Part<'m, O> {
    /// Partition `id` of replication `rep` of `m`, reporting to `obs`.
    pub(crate) fn new(m: &'m Model, plan: &'m Plan, id: u32, rep: u32, obs: O) -> Self {
        let members = &plan.parts[id as usize];
        let seed = m.seed;
        let sites = members
            .sites
            .iter()
            .map(|&g| {
                let g = g as usize;
                sites::site_state(&m.sites[g], seed, rep, plan.hand_over[g])
            })
            .collect();
        let areas = members
            .areas
            .iter()
            .map(|&g| {
                let a = &m.areas[g as usize];
                AreaState {
                    arrivals: stream(seed, rep, "area", &a.name, "arrivals"),
                    people: stream(seed, rep, "area", &a.name, "people"),
                }
            })
            .collect();
        let seqs = Seqs::new(members);
        let lanes = members.lanes.max(1);
        Part {
            m,
            plan,
            id,
            ag: &members.areas,
            sg: &members.sites,
            tg: &members.teams,
            rg: &members.routes,
            lg: &members.labs,
            obs,
            now: SimTime::ZERO,
            sender: Sender {
                kind: Kind::Run,
                index: 0,
            },
            seq: 0,
            seqs,
            queue: EventQueue::default(),
            lanes: (0..lanes).map(|_| EventQueue::default()).collect(),
            lane_next: vec![SimTime(u64::MAX); lanes as usize],
            lane: NO_LANE,
            sites,
            areas,
            people: Vec::new(),
            free: Vec::new(),
            waves: people::Waves::default(),
            chain: chain::Chain::new(m, members, seed, rep),
            homes: home::Homes::new(m, members),
            teams: staffing::team_states(m, members, rep),
            pool_threshold: staffing::pool_threshold(m, members),
            slowdowns: m.rotas.iter().any(|r| r.slowdown.is_some()),
            events: 0,
            peak_queue: 0,
            outbox: Vec::new(),
            windows: m.disruptions.iter().map(|d| d.window(seed, rep)).collect(),
        }
    }

    // ---- the model, by local index ---------------------------------------------------------

    fn m_area(&self, a: usize) -> &'m Area {
        &self.m.areas[self.ag[a] as usize]
    }
    fn m_site(&self, s: usize) -> &'m Site {
        &self.m.sites[self.sg[s] as usize]
    }
    fn m_team(&self, t: usize) -> &'m Team {
        &self.m.teams[self.tg[t] as usize]
    }
    fn m_route(&self, r: usize) -> &'m Route {
        &self.m.routes[self.rg[r] as usize]
    }
    fn m_lab(&self, l: usize) -> &'m Lab {
        &self.m.labs[self.lg[l] as usize]
    }

    /// Local index of an entity this partition owns, from its slot (`what` and `g` name it in
    /// the check).
    fn owned(&self, slot: super::plan::Slot, what: &str, g: usize) -> usize {
        debug_assert_eq!(
            slot.part, self.id,
            "{what} {g} is not in partition {}",
            self.id
        );
        slot.local as usize
    }
    /// Local index of global site `g` (which this partition owns).
    fn site_local(&self, g: u32) -> usize {
        self.owned(self.plan.site[g as usize], "site", g as usize)
    }
    fn area_local(&self, g: u32) -> usize {
        self.owned(self.plan.area[g as usize], "area", g as usize)
    }
    fn team_local(&self, g: usize) -> usize {
        self.owned(self.plan.team[g], "team", g)
    }

    // ---- scheduling ------------------------------------------------------------------------

    /// The key of the next event the current sender schedules at `t` in `class`.
    fn key(&mut self, t: SimTime, class: u8) -> Key {
        let seq = &mut self.seqs.counts[self.seq as usize];
        let k = Key::new(t, class, self.sender, *seq);
        *seq = seq.wrapping_add(1);
        k
    }

    /// From now on, the events scheduled are those of local entity `local` of `kind`.
    #[inline(always)]
    fn act_as(&mut self, kind: Kind, local: usize) {
        let index = match kind {
            Kind::Run => 0,
            Kind::Area => self.ag[local],
            Kind::Site => self.sg[local],
            Kind::Team => self.tg[local],
            Kind::Route => self.rg[local],
            Kind::Lab => self.lg[local],
        };
        self.sender = Sender { kind, index };
        self.seq = self.seqs.at(kind, local as u32);
    }

    /// Runs `f` as local entity `local` of `kind` (see [`Part::act_as`]), then as before.
    fn acting_as(&mut self, kind: Kind, local: usize, f: impl FnOnce(&mut Self)) {
        let was = (self.sender, self.seq);
        self.act_as(kind, local);
        f(self);
        (self.sender, self.seq) = was;
    }

    /// Schedules `ev` at `t` under the current sender.
    #[inline]
    fn at(&mut self, t: SimTime, ev: Event) {
        let k = self.key(t, CLASS);
        self.push(k, ev);
    }

    /// Schedules `ev` under `key` in the lane that runs now (its entity's lane).
    #[inline]
    fn push(&mut self, key: Key, ev: Event) {
        if self.lane == NO_LANE {
            self.push_to(key, ev);
            return;
        }
        debug_assert_eq!(self.lane_of(&ev), self.lane, "{ev:?} leaves its lane");
        self.queue.push(key, ev);
    }

    /// Schedules `ev` under `key` in the lane of the entity that handles it, which may be
    /// another lane than the one running (a call, a stop, tubes reaching a lab).
    fn push_to(&mut self, key: Key, ev: Event) {
        let lane = self.lane_of(&ev);
        if lane == self.lane {
            self.queue.push(key, ev);
        } else {
            self.lanes[lane].push(key, ev);
        }
        let next = &mut self.lane_next[lane];
        *next = (*next).min(key.time());
    }

    /// The lane of the entity that handles `ev`.
    fn lane_of(&self, ev: &Event) -> usize {
        let p = self.plan;
        let area = |a: u32| p.area[self.ag[a as usize] as usize].lane;
        let site = |s: u32| p.site[self.sg[s as usize] as usize].lane;
        let team = |t: u32| p.team[self.tg[t as usize] as usize].lane;
        let route = |r: u32| p.route[self.rg[r as usize] as usize].lane;
        let lab = |l: u32| p.lab[self.lg[l as usize] as usize].lane;
        let lane = match *ev {
            Event::CallUp { area: a, .. } | Event::WalkIn { area: a } => area(a),
            Event::Come { wave } => area(self.waves.area(wave)),
            Event::Arrive { person } | Event::Renege { person, .. } => {
                site(self.people[person as usize].site)
            }
            Event::StageDone { site: s, .. }
            | Event::Hours { site: s }
            | Event::Resupply { site: s }
            | Event::Disruption { site: s, .. } => site(s),
            Event::Rota { team: t }
            | Event::PoolArrive { team: t, .. }
            | Event::HomeVisit { team: t, .. } => team(t),
            Event::Trip { route: r }
            | Event::TripBack { route: r }
            | Event::Call { route: r, .. } => route(r),
            Event::TripStop { trip } => site(self.chain.stop_site(trip)),
            Event::Leg { trip } => route(self.chain.trip_route(trip)),
            Event::LabReceive { lab: l, .. }
            | Event::LabHours { lab: l }
            | Event::BatchTimer { lab: l }
            | Event::RunDone { lab: l, .. }
            | Event::LabDown { lab: l, .. }
            | Event::MachineWear { lab: l, .. } => lab(l),
        };
        lane as usize
    }

    // ---- running ---------------------------------------------------------------------------

    /// Schedules the first events of every entity of the partition.
    pub(crate) fn start(&mut self) {
        for s in 0..self.sites.len() {
            self.act_as(Kind::Site, s);
            self.sites[s].staffed = self.staffed(s);
            self.set_hours(s, true);
            self.schedule_disruptions(s);
        }
        self.start_rotas();
        self.start_chain();
        self.start_areas();
    }

    /// Handles every event before `limit`: lane by lane, in windows of
    /// [`Plan::lane_window`](crate::engine::Plan) from the earliest pending event. Within a
    /// window nothing a lane does reaches a lane before it (a stop, or tubes reaching a lab,
    /// wait at least the window; a call goes to a route's lane, which runs after its sites'),
    /// so each lane handles its events in key order with all of them known.
    pub(crate) fn run_until(&mut self, limit: SimTime) {
        let pending = self.lanes.iter().map(EventQueue::len).sum();
        self.peak_queue = self.peak_queue.max(pending);
        if self.lanes.len() == 1 {
            self.run_lane(0, limit);
        } else {
            while let Some(first) = self.next_time().filter(|&t| t < limit) {
                let end = self
                    .plan
                    .lane_window
                    .map_or(limit, |w| first.after(w).min(limit));
                for lane in 0..self.lanes.len() {
                    self.run_lane(lane, end);
                }
            }
        }
        self.obs.ran_to(limit);
    }

    /// Handles every event of lane `lane` before `limit`.
    fn run_lane(&mut self, lane: usize, limit: SimTime) {
        if self.lane_next[lane] >= limit {
            return;
        }
        self.lane = lane;
        std::mem::swap(&mut self.queue, &mut self.lanes[lane]);
        while let Some((key, ev)) = self.queue.take_before(limit) {
            self.now = key.time();
            self.events += 1;
            self.handle(ev);
        }
        self.lane_next[lane] = self.queue.next_time().unwrap_or(SimTime(u64::MAX));
        std::mem::swap(&mut self.queue, &mut self.lanes[lane]);
        self.lane = NO_LANE;
    }

    /// Runs the handler of `ev` as the entity it belongs to (its kind is known in each arm, so
    /// acting as it takes no second match on the event).
    fn handle(&mut self, ev: Event) {
        match ev {
            Event::CallUp { area, round, wave } => {
                self.act_as(Kind::Area, area as usize);
                self.call_up(area as usize, round, wave as usize)
            }
            Event::Come { wave } => {
                self.act_as(Kind::Area, self.waves.area(wave) as usize);
                self.come(wave)
            }
            Event::Arrive { person } => {
                self.act_as(Kind::Site, self.people[person as usize].site as usize);
                self.arrive(person)
            }
            Event::WalkIn { area } => {
                self.act_as(Kind::Area, area as usize);
                self.walk_in(area as usize)
            }
            Event::StageDone {
                site,
                slot,
                generation,
            } => {
                self.act_as(Kind::Site, site as usize);
                self.stage_done(site as usize, slot as usize, generation)
            }
            Event::Renege { person, generation } => {
                self.act_as(Kind::Site, self.people[person as usize].site as usize);
                self.renege(person, generation)
            }
            Event::Hours { site } => {
                self.act_as(Kind::Site, site as usize);
                self.set_hours(site as usize, false)
            }
            Event::Disruption { site, d, on } => {
                self.act_as(Kind::Site, site as usize);
                self.disrupt(site as usize, d as usize, on)
            }
            Event::LabDown { lab, d, on } => {
                self.act_as(Kind::Lab, lab as usize);
                self.lab_down(lab as usize, d as usize, on)
            }
            Event::MachineWear {
                lab,
                d,
                machine,
                on,
            } => {
                self.act_as(Kind::Lab, lab as usize);
                self.machine_wear(lab as usize, d, machine, on)
            }
            Event::Rota { team } => {
                self.act_as(Kind::Team, team as usize);
                self.rota_change(team as usize)
            }
            Event::PoolArrive {
                team,
                crew,
                site,
                generation,
            } => {
                self.act_as(Kind::Team, team as usize);
                self.pool_arrive(team as usize, u32::from(crew), site as usize, generation)
            }
            Event::Resupply { site } => {
                self.act_as(Kind::Site, site as usize);
                self.resupply(site as usize)
            }
            Event::Trip { route } => {
                self.act_as(Kind::Route, route as usize);
                self.scheduled_trip(route as usize)
            }
            Event::TripStop { trip } => {
                self.act_as(Kind::Site, self.chain.stop_site(trip) as usize);
                self.trip_stop(trip as usize)
            }
            Event::Call { route, site } => {
                self.act_as(Kind::Route, route as usize);
                self.call_vehicle(route as usize, site as usize)
            }
            Event::Leg { trip } => {
                self.act_as(Kind::Route, self.chain.trip_route(trip) as usize);
                self.next_leg(trip as usize)
            }
            Event::TripBack { route } => {
                self.act_as(Kind::Route, route as usize);
                self.trip_back(route as usize)
            }
            Event::LabReceive { lab, parcel } => {
                self.act_as(Kind::Lab, lab as usize);
                self.lab_receive(lab as usize, parcel)
            }
            Event::LabHours { lab } => {
                self.act_as(Kind::Lab, lab as usize);
                self.lab_hours(lab as usize, false)
            }
            Event::BatchTimer { lab } => {
                self.act_as(Kind::Lab, lab as usize);
                self.batch_timer(lab as usize)
            }
            Event::RunDone { lab, run } => {
                self.act_as(Kind::Lab, lab as usize);
                self.run_done(lab as usize, run as usize)
            }
            Event::HomeVisit { team, unit } => {
                self.act_as(Kind::Team, team as usize);
                self.home_visit(team as usize, unit as usize)
            }
        }
    }

    /// Ends a reporting step at `t` (every event before `t` handled, none at `t` yet).
    pub(crate) fn step(&mut self, t: SimTime) {
        self.now = t;
        self.obs.step(t);
    }

    /// The messages sent since the last call (the outbox keeps its capacity).
    pub(crate) fn outbox(&mut self) -> std::vec::Drain<'_, Message> {
        self.outbox.drain(..)
    }

    /// Takes in a message from another partition.
    pub(crate) fn deliver(&mut self, msg: Message) {
        let lab = self.plan.lab[msg.lab as usize].local;
        let parcel = self.chain.parcel_from(msg.tubes);
        self.push_to(msg.key, Event::LabReceive { lab, parcel });
    }

    /// Ends the run at the horizon: the last step, the swabs without a result, the end state.
    pub(crate) fn finish(mut self, horizon: SimTime) -> (O, PartInfo) {
        self.now = horizon;
        self.obs.step(horizon);
        self.report_pending();
        let end = self.end_state();
        self.obs.finished(horizon, &end);
        let info = PartInfo {
            events: self.events,
            peak_people: self.people.len(),
            peak_tubes: self.chain.records(),
            peak_queue: self.peak_queue,
        };
        (self.obs, info)
    }

    /// The observer, for the coordinator's merges at barriers.
    pub(crate) fn observer(&mut self) -> &mut O {
        &mut self.obs
    }

    /// The time of the partition's next event, if any.
    pub(crate) fn next_time(&self) -> Option<SimTime> {
        let first = self
            .lane_next
            .iter()
            .copied()
            .min()
            .filter(|t| t.0 != u64::MAX);
        debug_assert_eq!(
            first,
            self.lanes.iter().filter_map(EventQueue::next_time).min(),
            "a lane's next event as kept"
        );
        first
    }

    /// Events handled so far.
    pub(crate) fn events(&self) -> u64 {
        self.events
    }

    fn end_state(&self) -> EndState {
        let mut end = EndState {
            events: self.events,
            ..EndState::default()
        };
        self.chain.end_state(&mut end);
        let (first, reswabs) = self.homes.waiting();
        end.home_waiting = first;
        end.retests_on_the_way += reswabs;
        end.en_route = self.waves.pending();
        for p in &self.people {
            match p.state {
                State::EnRoute => end.en_route += 1,
                State::Away => end.away += 1,
                State::Waiting => end.waiting += 1,
                State::AtDesk => end.at_desk += 1,
                State::Free | State::Gone => {}
            }
        }
        end
    }

    /// Tells the observer of every swab without a final result at the horizon.
    fn report_pending(&mut self) {
        let (obs, now) = (&mut self.obs, self.now);
        let mut report = |s, swab| obs.pending_swab(now, crate::model::SiteId(s), swab);
        self.chain.pending(&mut report);
        self.homes.pending_reswabs(self.m, self.tg, &mut report);
    }
}

#[cfg(test)]
mod tests {
    /// Heap entries and tube records stay small (millions of tubes can be on their way).
    #[test]
    fn events_are_small() {
        assert_eq!(std::mem::size_of::<super::Event>(), 16);
        assert_eq!(std::mem::size_of::<super::Person>(), 64);
        assert_eq!(std::mem::size_of::<super::super::queue::Key>(), 16);
        assert!(
            std::mem::size_of::<super::TubeData>() <= 120,
            "{}",
            std::mem::size_of::<super::TubeData>()
        );
    }
}
