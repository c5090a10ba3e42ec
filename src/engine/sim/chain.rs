//! The sample chain: tubes filled at desks (pooling, stock, resupply), couriers carrying closed
//! tubes to labs, plates run on machines, results, and individual re-tests of positive pools.

use std::collections::VecDeque;

use rand::Rng;

use super::super::rng::{Stream, stream};
use super::{Event, NONE, Observer, Sim};
use crate::engine::{EndState, TubeRecord};
use crate::model::{Model, SiteId};
use crate::scenario::SiteKind;
use crate::time::{SimDuration, SimTime};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// Being filled, or closed and waiting for a courier, at a site.
    Site,
    Transit,
    Lab,
}

#[derive(Debug, Clone)]
struct Tube {
    id: u64,
    site: u32,
    pool: u32,
    assigned: u32,
    infected: u32,
    swab_times: Vec<SimTime>,
    /// Area and infection of each member, in the order of `swab_times`' assignments.
    members: Vec<(u32, bool)>,
    /// For a re-swab: the member's first swab, from which the turnaround counts.
    origin: Option<SimTime>,
    sealed: bool,
    closed: bool,
    retest: bool,
    place: Place,
    closed_at: SimTime,
    picked: SimTime,
    received: SimTime,
    queued: SimTime,
    lab: u32,
    transit_limit: SimDuration,
}

struct SiteChain {
    /// The tube each desk is filling.
    /// The tubes each desk is filling, one per pool size in use: (pool, tube).
    desk_tubes: Vec<Vec<(u32, u32)>>,
    tubes: Option<u32>,
    kits: Option<u32>,
    out: bool,
    /// Closed tubes waiting for a courier.
    outbox: VecDeque<u32>,
    called: bool,
}

struct RouteState {
    /// Vehicles on a trip.
    out: u32,
    /// Scheduled trips waiting for a vehicle.
    pending_trips: u32,
    /// Sites that called a vehicle while none was free.
    pending_calls: VecDeque<u32>,
}

struct Trip {
    route: u32,
    /// Sites still to visit, in order.
    stops: Vec<u32>,
    next: usize,
    load: Vec<u32>,
}

struct LabState {
    open: bool,
    door: Vec<u32>,
    queue: VecDeque<u32>,
    running: u32,
    timer_at: Option<SimTime>,
    run_rng: Stream,
    result_rng: Stream,
}

/// State of the sample chain in one run.
pub(super) struct Chain {
    tubes: Vec<Tube>,
    free: Vec<u32>,
    next_id: u64,
    sites: Vec<SiteChain>,
    routes: Vec<RouteState>,
    trips: Vec<Option<Trip>>,
    labs: Vec<LabState>,
    runs: Vec<Option<Vec<u32>>>,
    travel: Vec<Stream>,
}

impl Chain {
    pub(super) fn new(m: &Model, seed: u64, rep: u32) -> Chain {
        Chain {
            tubes: Vec::new(),
            free: Vec::new(),
            next_id: 0,
            sites: m
                .sites
                .iter()
                .map(|s| SiteChain {
                    desk_tubes: vec![Vec::new(); s.desks as usize],
                    tubes: s.tubes,
                    kits: s.kits,
                    out: false,
                    outbox: VecDeque::new(),
                    called: false,
                })
                .collect(),
            routes: m
                .routes
                .iter()
                .map(|_| RouteState {
                    out: 0,
                    pending_trips: 0,
                    pending_calls: VecDeque::new(),
                })
                .collect(),
            trips: Vec::new(),
            labs: m
                .labs
                .iter()
                .map(|l| LabState {
                    open: false,
                    door: Vec::new(),
                    queue: VecDeque::new(),
                    running: 0,
                    timer_at: None,
                    run_rng: stream(seed, rep, "lab", &l.name, "runs"),
                    result_rng: stream(seed, rep, "lab", &l.name, "results"),
                })
                .collect(),
            runs: Vec::new(),
            travel: m
                .routes
                .iter()
                .map(|r| stream(seed, rep, "route", &r.name, "travel"))
                .collect(),
        }
    }

    /// Every swab without a final result: (site, swab time). Positive pools' members count
    /// through their re-test tubes, not through the pool.
    pub(super) fn pending(&self, mut f: impl FnMut(u32, SimTime)) {
        for t in self.tubes.iter().filter(|t| t.assigned > 0 || t.retest) {
            match (&t.origin, t.retest) {
                (Some(origin), _) => f(t.site, *origin),
                (None, _) => t.swab_times.iter().for_each(|&s| f(t.site, s)),
            }
        }
    }

    /// Tube records in the arena (the most held at once: records are reused).
    pub(super) fn records(&self) -> usize {
        self.tubes.len()
    }

    /// Where the tubes and swabs without a result are.
    pub(super) fn end_state(&self, end: &mut EndState) {
        for t in self.tubes.iter().filter(|t| t.assigned > 0 || t.retest) {
            match (t.retest, &t.place) {
                (true, Place::Lab) => end.retests_at_labs += 1,
                (true, _) => end.retests_on_the_way += 1,
                (false, Place::Site) => end.tubes_at_sites += 1,
                (false, Place::Transit) => end.tubes_in_transit += 1,
                (false, Place::Lab) => end.tubes_at_labs += 1,
            }
            if !t.retest {
                end.swabs_without_result += t.swab_times.len() as u64;
            }
        }
    }
}

impl<O: Observer> Sim<'_, O> {
    pub(super) fn start_chain(&mut self) {
        for (s, site) in self.m.sites.iter().enumerate() {
            if let Some((every, _, _)) = site.resupply {
                self.queue
                    .push(SimTime(every.0), Event::Resupply { site: s as u32 });
            }
        }
        for (r, route) in self.m.routes.iter().enumerate() {
            if let Some((first, _)) = route.schedule {
                self.queue
                    .push(SimTime(first.0), Event::Trip { route: r as u32 });
            }
        }
        for l in 0..self.m.labs.len() {
            self.lab_hours(l, true);
        }
    }

    /// Whether site `s` fills tubes: a sampling point on a courier route. Without labs there is
    /// no chain, and nothing is kept per tube (memory must not grow with the people swabbed).
    pub(super) fn tube_sampling(&self, s: usize) -> bool {
        self.m.sites[s].kind == SiteKind::Sampling && self.m.sites[s].route.is_some()
    }

    /// Whether desk `desk` has the kit and tube its next person needs.
    pub(super) fn stock_allows(&self, s: usize, desk: usize, pool: u32) -> bool {
        if !self.tube_sampling(s) {
            return true;
        }
        let c = &self.chain.sites[s];
        let kit = c.kits.is_none_or(|k| k > 0);
        let tube_open = c.desk_tubes[desk].iter().any(|&(k, _)| k == pool);
        let tube = tube_open || c.tubes.is_none_or(|t| t > 0);
        kit && tube
    }

    /// The pool size of a person's tube: their area's, or else the site's.
    /// (Read only where tubes are filled: the area lookup misses cache in a city of areas.)
    pub(super) fn pool_of(&self, s: usize, person: u32) -> u32 {
        if !self.tube_sampling(s) {
            return 0;
        }
        let area = self.people[person as usize].who.area.0 as usize;
        self.m.areas[area].pool.unwrap_or(self.m.sites[s].pool)
    }

    /// Reports a stock-out: the site is open and no desk has the kit and tube to start anyone.
    pub(super) fn note_stock(&mut self, s: usize) {
        let c = &self.chain.sites[s];
        let desks = self.m.sites[s].desks as usize;
        let empty = c.kits == Some(0) || c.tubes == Some(0);
        let pool = self.m.sites[s].pool;
        let out = self.sites[s].open && empty && (0..desks).all(|d| !self.stock_allows(s, d, pool));
        if out != self.chain.sites[s].out {
            self.chain.sites[s].out = out;
            self.obs.stockout_changed(self.now, SiteId(s as u32), out);
        }
    }

    /// Opens a tube for a door-to-door team at its drop site (the team brings its own tubes).
    pub(super) fn home_tube(&mut self, drop: usize, pool: u32) -> u32 {
        let id = self.open_tube(drop, pool, true);
        self.chain.tubes[id as usize].retest = false;
        self.obs.tube_opened(self.now, SiteId(drop as u32));
        id
    }

    /// Room left in a tube.
    pub(super) fn chain_room(&self, id: u32) -> u32 {
        let t = &self.chain.tubes[id as usize];
        t.pool - t.assigned
    }

    /// Swabs `n` people (of whom `infected`) into a home tube; closes it when full.
    /// Returns whether it closed.
    pub(super) fn fill_home_tube(&mut self, id: u32, area: u32, n: u32, infected: u32) -> bool {
        let t = &mut self.chain.tubes[id as usize];
        t.assigned += n;
        t.infected += infected;
        t.members.extend((0..n).map(|k| (area, k < infected)));
        t.swab_times
            .extend(std::iter::repeat_n(self.now, n as usize));
        let full = t.assigned >= t.pool;
        if full {
            t.sealed = true;
            self.close_tube(id);
        }
        full
    }

    /// A member of a positive pool was swabbed again at home: a single tube, counted as a
    /// re-test, dropped at `drop` for the courier.
    pub(super) fn reswab_tube(&mut self, drop: usize, area: u32, infected: bool, origin: SimTime) {
        let id = self.open_tube(drop, 1, true);
        let t = &mut self.chain.tubes[id as usize];
        t.assigned = 1;
        t.infected = u32::from(infected);
        t.members.push((area, infected));
        t.swab_times.push(self.now);
        t.origin = Some(origin);
        t.sealed = true;
        self.close_tube(id);
    }

    /// Closes a partly filled home tube (end of the crew's shift).
    pub(super) fn seal_home_tube(&mut self, id: u32) {
        let t = &mut self.chain.tubes[id as usize];
        t.sealed = true;
        if t.assigned > 0 {
            self.close_tube(id);
        }
    }

    /// Puts the person's coming swab into the desk's tube, opening one if needed.
    pub(super) fn assign_tube(&mut self, s: usize, desk: usize, person: u32) {
        if !self.tube_sampling(s) {
            return;
        }
        let pool = self.pool_of(s, person);
        let open = self.chain.sites[s].desk_tubes[desk]
            .iter()
            .find(|&&(k, _)| k == pool)
            .map(|&(_, id)| id);
        let id = match open {
            Some(id) => id,
            None => {
                let id = self.open_tube(s, pool, false);
                self.chain.sites[s].desk_tubes[desk].push((pool, id));
                self.obs.tube_opened(self.now, SiteId(s as u32));
                id
            }
        };
        let c = &mut self.chain.sites[s];
        if let Some(k) = c.kits.as_mut() {
            *k -= 1;
        }
        let tube = &mut self.chain.tubes[id as usize];
        tube.assigned += 1;
        let p = &self.people[person as usize];
        tube.infected += u32::from(p.infected);
        tube.members.push((p.who.area.0, p.infected));
        self.people[person as usize].tube = id;
        if tube.assigned == tube.pool {
            tube.sealed = true;
            self.chain.sites[s].desk_tubes[desk].retain(|&(_, t)| t != id);
        }
        self.note_stock(s);
    }

    fn open_tube(&mut self, s: usize, pool: u32, retest: bool) -> u32 {
        if !retest && let Some(t) = self.chain.sites[s].tubes.as_mut() {
            *t -= 1;
        }
        let tube = Tube {
            id: self.chain.next_id,
            site: s as u32,
            pool,
            assigned: 0,
            infected: 0,
            swab_times: Vec::new(),
            members: Vec::new(),
            origin: None,
            sealed: false,
            closed: false,
            retest,
            place: Place::Site,
            closed_at: self.now,
            picked: self.now,
            received: self.now,
            queued: self.now,
            lab: 0,
            transit_limit: SimDuration::ZERO,
        };
        self.chain.next_id += 1;
        match self.chain.free.pop() {
            Some(id) => {
                self.chain.tubes[id as usize] = tube;
                id
            }
            None => {
                self.chain.tubes.push(tube);
                (self.chain.tubes.len() - 1) as u32
            }
        }
    }

    /// A person's swab went into their tube.
    pub(super) fn swabbed(&mut self, id: u32) {
        if id == NONE {
            return;
        }
        let tube = &mut self.chain.tubes[id as usize];
        tube.swab_times.push(self.now);
        if tube.sealed && tube.swab_times.len() as u32 == tube.assigned {
            self.close_tube(id);
        }
    }

    /// No more swabs go into the tubes of desks `from..` at site `s` (desk closing, handover).
    pub(super) fn seal_tubes(&mut self, s: usize, from: usize) {
        if !self.tube_sampling(s) {
            return;
        }
        for d in from..self.chain.sites[s].desk_tubes.len() {
            for (_, id) in std::mem::take(&mut self.chain.sites[s].desk_tubes[d]) {
                let tube = &mut self.chain.tubes[id as usize];
                tube.sealed = true;
                if tube.swab_times.len() as u32 == tube.assigned {
                    self.close_tube(id);
                }
            }
        }
        self.note_stock(s);
    }

    fn close_tube(&mut self, id: u32) {
        let tube = &mut self.chain.tubes[id as usize];
        tube.closed = true;
        tube.closed_at = self.now;
        let s = tube.site as usize;
        let (swabs, pool) = (tube.swab_times.len() as u32, tube.pool);
        self.obs
            .tube_closed(self.now, SiteId(s as u32), swabs, pool);
        let Some(r) = self.m.sites[s].route else {
            return;
        };
        self.chain.sites[s].outbox.push_back(id);
        let waiting = self.chain.sites[s].outbox.len() as u32;
        if self.m.routes[r].when_waiting.is_some_and(|n| waiting >= n)
            && !self.chain.sites[s].called
        {
            self.chain.sites[s].called = true;
            self.call_vehicle(r, s);
        }
    }

    /// A site closed for the session with closed tubes waiting: the route sends a vehicle for
    /// them, so that no tube waits at a closed site for the next day's trips.
    pub(super) fn session_over(&mut self, s: usize) {
        let Some(r) = self.m.sites[s].route else {
            return;
        };
        if !self.chain.sites[s].outbox.is_empty() && !self.chain.sites[s].called {
            self.chain.sites[s].called = true;
            self.call_vehicle(r, s);
        }
    }

    pub(super) fn resupply(&mut self, s: usize) {
        let Some((every, tubes, kits)) = self.m.sites[s].resupply else {
            return;
        };
        let c = &mut self.chain.sites[s];
        // Stock beyond u32::MAX is as good as unlimited.
        if let Some(t) = c.tubes.as_mut() {
            *t = t.saturating_add(tubes);
        }
        if let Some(k) = c.kits.as_mut() {
            *k = k.saturating_add(kits);
        }
        self.queue
            .push(self.now.after(every), Event::Resupply { site: s as u32 });
        self.note_stock(s);
        self.try_start(s);
    }

    // ---- couriers -----------------------------------------------------------------------

    pub(super) fn scheduled_trip(&mut self, r: usize) {
        if let Some((_, every)) = self.m.routes[r].schedule {
            self.queue
                .push(self.now.after(every), Event::Trip { route: r as u32 });
        }
        if self.vehicle_free(r) {
            let stops = self.m.routes[r].sites.iter().map(|s| s.0).collect();
            self.start_trip(r, stops);
        } else {
            self.chain.routes[r].pending_trips += 1;
        }
    }

    fn call_vehicle(&mut self, r: usize, s: usize) {
        if self.vehicle_free(r) {
            self.start_trip(r, vec![s as u32]);
        } else {
            self.chain.routes[r].pending_calls.push_back(s as u32);
        }
    }

    fn start_trip(&mut self, r: usize, stops: Vec<u32>) {
        self.chain.routes[r].out += 1;
        for &s in &stops {
            self.chain.sites[s as usize].called = false;
        }
        let trip = Trip {
            route: r as u32,
            stops,
            next: 0,
            load: Vec::new(),
        };
        let id = match self.chain.trips.iter().position(Option::is_none) {
            Some(i) => {
                self.chain.trips[i] = Some(trip);
                i
            }
            None => {
                self.chain.trips.push(Some(trip));
                self.chain.trips.len() - 1
            }
        };
        self.next_leg(id);
    }

    fn next_leg(&mut self, id: usize) {
        let Some(trip) = self.chain.trips[id].as_ref() else {
            return;
        };
        let r = trip.route as usize;
        let travel = self.m.routes[r].travel.sample(&mut self.chain.travel[r]);
        let at = self.now.after(travel);
        let ev = if trip.next < trip.stops.len() {
            Event::TripStop { trip: id as u32 }
        } else {
            Event::TripLab { trip: id as u32 }
        };
        self.queue.push(at, ev);
    }

    pub(super) fn trip_stop(&mut self, id: usize) {
        let Some(trip) = self.chain.trips[id].as_mut() else {
            return;
        };
        let r = trip.route as usize;
        let s = trip.stops[trip.next] as usize;
        trip.next += 1;
        let room = self.m.routes[r].box_capacity as usize - trip.load.len();
        let outbox = &mut self.chain.sites[s].outbox;
        let take = room.min(outbox.len());
        for tube in outbox.drain(..take) {
            let t = &mut self.chain.tubes[tube as usize];
            t.place = Place::Transit;
            t.picked = self.now;
            t.transit_limit = self.m.routes[r].pickup_limit;
            trip.load.push(tube);
            self.obs
                .tube_picked(self.now, SiteId(s as u32), t.closed_at);
        }
        self.next_leg(id);
    }

    pub(super) fn trip_lab(&mut self, id: usize) {
        let Some(trip) = self.chain.trips[id].take() else {
            return;
        };
        let r = trip.route as usize;
        let lab = self.m.routes[r].lab;
        // The whole box is received before plates are loaded from it.
        for tube in trip.load {
            self.receive(lab, tube);
        }
        self.note_backlog(lab);
        self.start_runs(lab);
        self.chain.routes[r].out -= 1;
        self.start_waiting_trips(r);
    }

    /// Whether a vehicle of route `r` is at the lab with a driver on duty.
    fn vehicle_free(&self, r: usize) -> bool {
        let route = &self.m.routes[r];
        let drivable = route
            .drivers
            .map_or(route.vehicles, |t| route.vehicles.min(self.team_on_duty(t)));
        self.chain.routes[r].out < drivable
    }

    /// Trips that waited for a vehicle or a driver leave now, calls first.
    pub(super) fn start_waiting_trips(&mut self, r: usize) {
        while self.vehicle_free(r) {
            if let Some(s) = self.chain.routes[r].pending_calls.pop_front() {
                self.start_trip(r, vec![s]);
            } else if self.chain.routes[r].pending_trips > 0 {
                self.chain.routes[r].pending_trips -= 1;
                let stops = self.m.routes[r].sites.iter().map(|s| s.0).collect();
                self.start_trip(r, stops);
            } else {
                return;
            }
        }
    }

    /// Machines of lab `l` that the technicians on duty can run.
    fn machines_staffed(&self, l: usize) -> u32 {
        let lab = &self.m.labs[l];
        lab.technicians.map_or(lab.machines, |(t, per)| {
            lab.machines.min(self.team_on_duty(t) / per)
        })
    }

    /// A courier or lab crew changed: trips and runs that waited for them may start.
    pub(super) fn chain_staff_changed(&mut self, t: usize) {
        for r in 0..self.m.routes.len() {
            if self.m.routes[r].drivers == Some(t) {
                self.start_waiting_trips(r);
            }
        }
        for l in 0..self.m.labs.len() {
            if self.m.labs[l]
                .technicians
                .is_some_and(|(team, _)| team == t)
            {
                self.start_runs(l);
            }
        }
    }

    // ---- labs ---------------------------------------------------------------------------

    fn receive(&mut self, l: usize, id: u32) {
        let t = &mut self.chain.tubes[id as usize];
        t.place = Place::Lab;
        t.received = self.now;
        t.lab = l as u32;
        if self.chain.labs[l].open {
            self.queue_for_run(l, id);
        } else {
            self.chain.labs[l].door.push(id);
        }
    }

    /// A tube joins the lab's queue; plates start when the caller calls `start_runs`.
    fn queue_for_run(&mut self, l: usize, id: u32) {
        self.chain.tubes[id as usize].queued = self.now;
        self.chain.labs[l].queue.push_back(id);
    }

    fn enqueue(&mut self, l: usize, id: u32) {
        self.queue_for_run(l, id);
        self.note_backlog(l);
        self.start_runs(l);
    }

    fn note_backlog(&mut self, l: usize) {
        let lab = &self.chain.labs[l];
        let waiting = (lab.door.len() + lab.queue.len()) as u32;
        self.obs.lab_backlog(self.now, l as u32, waiting);
    }

    pub(super) fn lab_hours(&mut self, l: usize, init: bool) {
        let tod = self.m.time_of_day(self.now);
        let hours = &self.m.labs[l].hours;
        let open = hours.value_at(tod) > 0.0;
        if let Some(until) = hours.until_change(tod) {
            self.queue.push(
                self.now.after(SimDuration(until)),
                Event::LabHours { lab: l as u32 },
            );
        }
        if !init && open == self.chain.labs[l].open {
            return;
        }
        self.chain.labs[l].open = open;
        if open {
            let door = std::mem::take(&mut self.chain.labs[l].door);
            for id in door {
                self.queue_for_run(l, id);
            }
            self.note_backlog(l);
            self.start_runs(l);
        }
    }

    /// Starts plates while machines are free and a plate is full, or the oldest tube has
    /// waited the batch time; otherwise sets a timer for that moment.
    fn start_runs(&mut self, l: usize) {
        let lab = &self.m.labs[l];
        loop {
            let st = &self.chain.labs[l];
            if st.running >= self.machines_staffed(l) || st.queue.is_empty() {
                return;
            }
            let oldest = self.chain.tubes[st.queue[0] as usize].queued;
            let due = oldest.after(lab.batch_wait);
            if st.queue.len() < lab.plate as usize && self.now < due {
                if st.timer_at.is_none_or(|t| t > due || t < self.now) {
                    self.chain.labs[l].timer_at = Some(due);
                    self.queue.push(due, Event::BatchTimer { lab: l as u32 });
                }
                return;
            }
            let n = (lab.plate as usize).min(st.queue.len());
            let plate: Vec<u32> = self.chain.labs[l].queue.drain(..n).collect();
            for &id in &plate {
                self.chain.tubes[id as usize].queued = self.now;
            }
            self.chain.labs[l].running += 1;
            let run_time = lab.run.sample(&mut self.chain.labs[l].run_rng);
            let run = match self.chain.runs.iter().position(Option::is_none) {
                Some(i) => {
                    self.chain.runs[i] = Some(plate);
                    i
                }
                None => {
                    self.chain.runs.push(Some(plate));
                    self.chain.runs.len() - 1
                }
            };
            self.queue.push(
                self.now.after(run_time),
                Event::RunDone {
                    lab: l as u32,
                    run: run as u32,
                },
            );
            self.obs
                .lab_busy(self.now, l as u32, self.chain.labs[l].running);
            self.note_backlog(l);
        }
    }

    pub(super) fn batch_timer(&mut self, l: usize) {
        if self.chain.labs[l].timer_at == Some(self.now) {
            self.chain.labs[l].timer_at = None;
        }
        self.start_runs(l);
    }

    pub(super) fn run_done(&mut self, l: usize, run: usize) {
        let Some(plate) = self.chain.runs[run].take() else {
            return;
        };
        self.chain.labs[l].running -= 1;
        self.obs
            .lab_busy(self.now, l as u32, self.chain.labs[l].running);
        let sensitivity = self.m.labs[l].sensitivity;
        for id in plate {
            let infected = self.chain.tubes[id as usize].infected > 0;
            let positive = infected && self.chain.labs[l].result_rng.random::<f64>() < sensitivity;
            if positive && self.chain.tubes[id as usize].swab_times.len() > 1 {
                self.retest_members(l, id);
            }
            self.report(l, id, positive);
            self.chain.free.push(id);
        }
        self.start_runs(l);
    }

    fn report(&mut self, l: usize, id: u32, positive: bool) {
        let t = &self.chain.tubes[id as usize];
        let lab = &self.m.labs[l];
        let record = TubeRecord {
            id: t.id,
            site: SiteId(t.site),
            lab: l as u32,
            swabs: t.swab_times.len() as u32,
            retest: t.retest,
            infected: t.infected,
            positive,
            first_swab: t.swab_times.first().copied().unwrap_or(t.closed_at),
            closed: t.closed_at,
            picked: t.picked,
            received: t.received,
            run_start: t.queued,
            swab_times: match &t.origin {
                Some(origin) => std::slice::from_ref(origin),
                None => &t.swab_times,
            },
            final_for_members: !positive || t.swab_times.len() == 1,
            transit_over_limit: !t.retest && t.received.since(t.picked) > t.transit_limit,
            over_hold_limit: !t.retest
                && t.received
                    .since(t.swab_times.first().copied().unwrap_or(t.closed_at))
                    > lab.hold_limit,
        };
        self.obs.tube_result(self.now, &record);
        let t = &mut self.chain.tubes[id as usize];
        t.place = Place::Site;
        t.assigned = 0;
        t.retest = false;
        t.origin = None;
        t.members.clear();
    }

    /// Each member of a positive pool is tested on their own (from the stored sample).
    fn retest_members(&mut self, l: usize, pool: u32) {
        let (site, members, times) = {
            let t = &self.chain.tubes[pool as usize];
            (t.site as usize, t.members.clone(), t.swab_times.clone())
        };
        for ((area, infected), swab) in members.into_iter().zip(times) {
            // Re-swabbed at home where a door-to-door team serves the member's area; otherwise
            // (validation prevents it, but a member is never dropped) the stored sample is
            // tested again at the lab.
            let home =
                self.m.labs[l].reswab_at_home && !self.m.areas[area as usize].home_teams.is_empty();
            if home {
                self.reswab_job(area as usize, infected, swab);
                continue;
            }
            let id = self.open_tube(site, 1, true);
            let t = &mut self.chain.tubes[id as usize];
            t.assigned = 1;
            t.infected = u32::from(infected);
            t.members.push((area, infected));
            t.swab_times.push(swab);
            t.sealed = true;
            t.closed = true;
            t.closed_at = self.now;
            t.picked = self.now;
            t.received = self.now;
            t.place = Place::Lab;
            t.lab = l as u32;
            self.enqueue(l, id);
        }
    }
}
