//! The processes of a round, one short handler per event kind.

mod chain;
mod home;
mod staffing;

use std::collections::VecDeque;

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use super::rng::{Stream, stream};
use super::{EndState, EventQueue, GiveUp, Observer, Visit, WALK_IN, Who};
use crate::model::{AreaId, Arrivals, Model, SiteId};
use crate::scenario::{Choice, WhenClosed};
use crate::time::{SimDuration, SimTime};

/// No person in this slot.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
enum Event {
    CallUp {
        area: u32,
        round: u32,
        wave: u32,
    },
    SetOff {
        person: u32,
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
        crew: u32,
        site: u32,
        generation: u32,
    },
    Resupply {
        site: u32,
    },
    Trip {
        route: u32,
    },
    TripStop {
        trip: u32,
    },
    TripLab {
        trip: u32,
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
    Step,
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

#[derive(Debug, Clone, Copy)]
struct Person {
    who: Who,
    site: u32,
    state: State,
    generation: u32,
    tries: u32,
    arrived_once: bool,
    set_off: SimTime,
    first_arrival: SimTime,
    arrival: SimTime,
    service_start: SimTime,
    infected: bool,
    /// The tube this person's swab goes into (assigned at the desk).
    tube: u32,
}

impl Person {
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

struct SiteState {
    open: bool,
    /// Closed, but finishing the people who came before closing.
    draining: bool,
    closed_at: SimTime,
    green: VecDeque<u32>,
    normal: VecDeque<u32>,
    waiting: u32,
    /// Person at each post: `desk * stages + stage`.
    slots: Vec<u32>,
    /// Whether the person at a post is done and waits for the next post.
    blocked: Vec<bool>,
    stages: u32,
    occupied: u32,
    busy: u32,
    desks_open: u32,
    /// People at each desk (all posts).
    desk_people: Vec<u32>,
    /// Desks the staff on duty can open (the site's desks when it needs no staff).
    staffed: u32,
    /// Desks short of staff while open, as last reported.
    unstaffed: u32,
    /// People on duty by role.
    on_duty: [u32; ROLES],
    /// Crews on duty here: (team, crew, on duty since).
    present: Vec<(u32, u32, SimTime)>,
    /// Crews that left while their desks were still busy: (team, crew, left at).
    overtime: Vec<(u32, u32, SimTime)>,
    service: Vec<Stream>,
    behaviour: Stream,
}

/// Number of roles.
const ROLES: usize = 6;

struct AreaState {
    arrivals: Stream,
    people: Stream,
}

/// What a run did, besides what its observer saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunInfo {
    /// Events processed.
    pub events: u64,
    /// Most people held in the arena at once (memory grows with this, not the population).
    pub peak_people: usize,
    /// Most tube records held at once (tubes without a result).
    pub peak_tubes: usize,
}

struct Sim<'m, O: Observer> {
    m: &'m Model,
    chain: chain::Chain,
    homes: home::Homes,
    teams: Vec<staffing::TeamState>,
    /// Smallest queue threshold of any reserve, if there are reserves.
    pool_threshold: Option<u32>,
    obs: O,
    now: SimTime,
    queue: EventQueue<Event>,
    sites: Vec<SiteState>,
    areas: Vec<AreaState>,
    people: Vec<Person>,
    free: Vec<u32>,
    events: u64,
}

/// Runs one replication of `model` to its horizon, pushing everything into `obs`.
pub fn simulate<O: Observer>(model: &Model, replication: u32, obs: O) -> (O, RunInfo) {
    let mut sim = Sim::new(model, replication, obs);
    sim.start();
    while let Some((t, ev)) = sim.queue.pop_before(model.horizon) {
        sim.now = t;
        sim.events += 1;
        sim.handle(ev);
    }
    sim.now = model.horizon;
    sim.obs.step(model.horizon);
    sim.report_pending();
    let end = sim.end_state();
    sim.obs.finished(model.horizon, &end);
    let info = RunInfo {
        events: sim.events,
        peak_people: sim.people.len(),
        peak_tubes: sim.chain.records(),
    };
    (sim.obs, info)
}

impl<'m, O: Observer> Sim<'m, O> {
    fn new(m: &'m Model, rep: u32, obs: O) -> Self {
        let seed = m.seed;
        let sites = m
            .sites
            .iter()
            .map(|s| {
                let stages = s.stages.len() as u32;
                let posts = (s.desks * stages) as usize;
                SiteState {
                    open: false,
                    closed_at: SimTime::ZERO,
                    green: VecDeque::new(),
                    normal: VecDeque::new(),
                    waiting: 0,
                    slots: vec![NONE; posts],
                    blocked: vec![false; posts],
                    stages,
                    occupied: 0,
                    busy: 0,
                    desks_open: 0,
                    desk_people: vec![0; s.desks as usize],
                    staffed: 0,
                    unstaffed: 0,
                    on_duty: [0; ROLES],
                    present: Vec::new(),
                    overtime: Vec::new(),
                    draining: false,
                    service: s
                        .stages
                        .iter()
                        .map(|st| {
                            stream(seed, rep, "site", &s.name, &format!("service:{}", st.name))
                        })
                        .collect(),
                    behaviour: stream(seed, rep, "site", &s.name, "behaviour"),
                }
            })
            .collect();
        let areas = m
            .areas
            .iter()
            .map(|a| AreaState {
                arrivals: stream(seed, rep, "area", &a.name, "arrivals"),
                people: stream(seed, rep, "area", &a.name, "people"),
            })
            .collect();
        Sim {
            m,
            chain: chain::Chain::new(m, seed, rep),
            homes: home::Homes::new(m),
            teams: staffing::team_states(m),
            pool_threshold: staffing::pool_threshold(m),
            obs,
            now: SimTime::ZERO,
            queue: EventQueue::default(),
            sites,
            areas,
            people: Vec::new(),
            free: Vec::new(),
            events: 0,
        }
    }

    fn start(&mut self) {
        for s in 0..self.sites.len() {
            self.sites[s].staffed = self.staffed(s);
            self.set_hours(s, true);
        }
        self.start_rotas();
        self.start_chain();
        for (a, area) in self.m.areas.iter().enumerate() {
            match &area.arrivals {
                Arrivals::CallUp(cu) => {
                    for r in 0..cu.rounds {
                        for (w, (at, _)) in cu.waves.iter().enumerate() {
                            let t = SimTime(cu.round_every.0 * u64::from(r) + cu.offset.0 + at.0);
                            if t < self.m.horizon {
                                let ev = Event::CallUp {
                                    area: a as u32,
                                    round: r,
                                    wave: w as u32,
                                };
                                self.queue.push(t, ev);
                            }
                        }
                    }
                }
                Arrivals::WalkIn(w) => self.next_walk_in(a, w.begin),
            }
        }
        self.queue.push(SimTime(self.m.report_every.0), Event::Step);
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::CallUp { area, round, wave } => {
                self.call_up(area as usize, round, wave as usize)
            }
            Event::SetOff { person } => self.set_off(person),
            Event::Arrive { person } => self.arrive(person),
            Event::WalkIn { area } => self.walk_in(area as usize),
            Event::StageDone { site, slot } => self.stage_done(site as usize, slot as usize),
            Event::Renege { person, generation } => self.renege(person, generation),
            Event::Hours { site } => self.set_hours(site as usize, false),
            Event::Rota { team } => self.rota_change(team as usize),
            Event::PoolArrive {
                team,
                crew,
                site,
                generation,
            } => self.pool_arrive(team as usize, crew, site as usize, generation),
            Event::Resupply { site } => self.resupply(site as usize),
            Event::Trip { route } => self.scheduled_trip(route as usize),
            Event::TripStop { trip } => self.trip_stop(trip as usize),
            Event::TripLab { trip } => self.trip_lab(trip as usize),
            Event::LabHours { lab } => self.lab_hours(lab as usize, false),
            Event::BatchTimer { lab } => self.batch_timer(lab as usize),
            Event::RunDone { lab, run } => self.run_done(lab as usize, run as usize),
            Event::HomeVisit { team, unit } => self.home_visit(team as usize, unit as usize),
            Event::Step => self.step(),
        }
    }

    // ---- people -------------------------------------------------------------------------

    fn new_person(&mut self, who: Who) -> u32 {
        let p = Person {
            who,
            site: NONE,
            state: State::EnRoute,
            generation: 0,
            tries: 0,
            arrived_once: false,
            set_off: self.now,
            first_arrival: self.now,
            arrival: self.now,
            service_start: self.now,
            infected: false,
            tube: NONE,
        };
        let area = who.area.0 as usize;
        let prevalence = self.m.areas[area].prevalence;
        let p = Person {
            infected: prevalence > 0.0 && self.areas[area].people.random::<f64>() < prevalence,
            ..p
        };
        match self.free.pop() {
            Some(id) => {
                let generation = self.people[id as usize].generation;
                self.people[id as usize] = Person { generation, ..p };
                id
            }
            None => {
                self.people.push(p);
                (self.people.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, id: u32) {
        let p = &mut self.people[id as usize];
        p.state = State::Free;
        p.generation = p.generation.wrapping_add(1);
        self.free.push(id);
    }

    fn call_up(&mut self, a: usize, round: u32, wave: usize) {
        let area = &self.m.areas[a];
        let Arrivals::CallUp(cu) = &area.arrivals else {
            return;
        };
        let called = cu.waves[wave].1;
        if area.sealed_from.is_some_and(|r| round >= r) {
            self.call_households(a, round, called);
            return;
        }
        let mut coming = 0;
        let mut at_home = 0;
        for _ in 0..called {
            let rng = &mut self.areas[a].people;
            if area.homebound > 0.0 && rng.random::<f64>() < area.homebound {
                at_home += 1;
                continue;
            }
            let rng = &mut self.areas[a].people;
            if rng.random::<f64>() >= area.turnout {
                continue;
            }
            coming += 1;
            let priority = rng.random::<f64>() < area.priority_share;
            let delay = area.response.sample(rng);
            let who = Who {
                area: AreaId(a as u32),
                round,
                priority,
            };
            let person = self.new_person(who);
            let set_off = self.now.after(delay);
            if area.choice == Choice::ShortestQueue {
                // The queues are read when the person sets off, not now.
                self.queue.push(set_off, Event::SetOff { person });
            } else {
                // The choice needs no state of the run: choose and walk now, one event fewer.
                self.people[person as usize].set_off = set_off;
                self.go_to_site(person, set_off);
            }
        }
        self.obs
            .called(self.now, AreaId(a as u32), round, called - at_home, coming);
        for _ in 0..at_home {
            self.home_job(a, round, 1);
        }
    }

    fn set_off(&mut self, person: u32) {
        self.go_to_site(person, self.now);
    }

    /// Chooses the site and schedules the arrival after the walk from `set_off`.
    fn go_to_site(&mut self, person: u32, set_off: SimTime) {
        let a = self.people[person as usize].who.area.0 as usize;
        let site = self.choose_site(a);
        let walk = self.m.areas[a].walk.sample(&mut self.areas[a].people);
        let p = &mut self.people[person as usize];
        p.site = site;
        p.set_off = set_off;
        self.queue
            .push(set_off.after(walk), Event::Arrive { person });
    }

    fn choose_site(&mut self, a: usize) -> u32 {
        let area = &self.m.areas[a];
        let ids = &area.sites;
        let pick = match area.choice {
            Choice::First => 0,
            Choice::Random => self.areas[a].people.random_range(0..ids.len()),
            Choice::ShortestQueue => {
                let load = |i: usize| {
                    let s = ids[i].0 as usize;
                    (
                        u64::from(self.sites[s].waiting),
                        u64::from(self.m.sites[s].desks),
                    )
                };
                (1..ids.len()).fold(0, |best, i| {
                    let (wb, db) = load(best);
                    let (wi, di) = load(i);
                    if wi * db < wb * di { i } else { best }
                })
            }
        };
        ids[pick].0
    }

    fn walk_in(&mut self, a: usize) {
        let area = &self.m.areas[a];
        let priority = self.areas[a].people.random::<f64>() < area.priority_share;
        let who = Who {
            area: AreaId(a as u32),
            round: WALK_IN,
            priority,
        };
        let person = self.new_person(who);
        self.people[person as usize].site = self.choose_site(a);
        self.arrive(person);
        self.next_walk_in(a, self.now);
    }

    /// Schedules the next walk-in of area `a` at or after `from`: exact for a rate that is
    /// constant between changes (an exponential gap that crosses a change restarts there).
    fn next_walk_in(&mut self, a: usize, from: SimTime) {
        let Arrivals::WalkIn(w) = &self.m.areas[a].arrivals else {
            return;
        };
        let mut t = from.max(w.begin);
        while t < w.end {
            let tod = self.m.time_of_day(t);
            let rate = w.rate.value_at(tod);
            let until = w.rate.until_change(tod).map_or(f64::INFINITY, |d| d as f64);
            if rate > 0.0 {
                let gap: f64 = Exp1.sample(&mut self.areas[a].arrivals);
                let gap = gap / rate;
                if gap < until {
                    let at = t.after(SimDuration::from_millis_f64(gap));
                    if at < w.end {
                        self.queue.push(at, Event::WalkIn { area: a as u32 });
                    }
                    return;
                }
            }
            if until.is_infinite() {
                return;
            }
            t = t.after(SimDuration(until as u64));
        }
    }

    // ---- sites and queues ---------------------------------------------------------------

    fn arrive(&mut self, person: u32) {
        let p = &mut self.people[person as usize];
        let s = p.site as usize;
        p.arrival = self.now;
        if !p.arrived_once {
            p.arrived_once = true;
            p.first_arrival = self.now;
            let who = p.who;
            self.obs.arrived(self.now, SiteId(s as u32), who);
        }
        let site = &self.m.sites[s];
        if !self.sites[s].open && site.when_closed != WhenClosed::Queue {
            match site.when_closed {
                WhenClosed::GiveUp => self.give_up(person, GiveUp::Closed),
                _ => match site.until_change(self.m.start.millis_of_day, self.now) {
                    Some(wait) => {
                        self.people[person as usize].state = State::Away;
                        self.queue
                            .push(self.now.after(SimDuration(wait)), Event::Arrive { person });
                    }
                    // The site does not open again: the person goes home untested.
                    None => self.give_up(person, GiveUp::Closed),
                },
            }
            return;
        }
        let full = site
            .queue_capacity
            .is_some_and(|cap| self.sites[s].waiting >= cap);
        if full && !self.desk_free(s, person) {
            self.queue_full(person);
            return;
        }
        self.join_queue(person);
    }

    fn queue_full(&mut self, person: u32) {
        let s = self.people[person as usize].site as usize;
        match &self.m.sites[s].come_back {
            Some((after, tries)) if self.people[person as usize].tries + 1 < *tries => {
                let delay = after.sample(&mut self.sites[s].behaviour);
                let p = &mut self.people[person as usize];
                p.tries += 1;
                p.state = State::Away;
                self.queue
                    .push(self.now.after(delay), Event::Arrive { person });
            }
            _ => self.give_up(person, GiveUp::Full),
        }
    }

    fn join_queue(&mut self, person: u32) {
        let s = self.people[person as usize].site as usize;
        let green = self.m.sites[s].green_lane && self.people[person as usize].who.priority;
        let st = &mut self.sites[s];
        if green {
            st.green.push_back(person);
        } else {
            st.normal.push_back(person);
        }
        st.waiting += 1;
        self.people[person as usize].state = State::Waiting;
        self.obs
            .queue_changed(self.now, SiteId(s as u32), self.sites[s].waiting);
        if self
            .pool_threshold
            .is_some_and(|k| self.sites[s].waiting > k)
        {
            self.dispatch_reserves();
        }
        if let Some(patience) = &self.m.sites[s].patience {
            let limit = patience.sample(&mut self.sites[s].behaviour);
            let generation = self.people[person as usize].generation;
            self.queue
                .push(self.now.after(limit), Event::Renege { person, generation });
        }
        self.try_start(s);
    }

    fn renege(&mut self, person: u32, generation: u32) {
        let p = &mut self.people[person as usize];
        if p.generation != generation || p.state != State::Waiting {
            return;
        }
        p.state = State::Gone;
        let s = p.site as usize;
        self.sites[s].waiting -= 1;
        self.obs
            .queue_changed(self.now, SiteId(s as u32), self.sites[s].waiting);
        let (who, visit) = (p.who, p.visit());
        self.obs
            .gave_up(self.now, SiteId(s as u32), who, GiveUp::Reneged, visit);
        // The slot is released when the queue reaches the person (see `next_waiting`).
    }

    fn give_up(&mut self, person: u32, why: GiveUp) {
        let p = self.people[person as usize];
        self.obs
            .gave_up(self.now, SiteId(p.site), p.who, why, p.visit());
        self.release(person);
    }

    /// Takes the next person who may be served now, green lane first; drops reneged entries.
    fn next_waiting(&mut self, s: usize) -> Option<u32> {
        loop {
            let st = &self.sites[s];
            let lane_head = |q: &VecDeque<u32>| q.front().copied();
            let pick = match (lane_head(&st.green), lane_head(&st.normal)) {
                (Some(g), _) => Some((true, g)),
                (None, Some(n)) => Some((false, n)),
                (None, None) => None,
            };
            let (green, id) = pick?;
            if self.people[id as usize].state == State::Gone {
                self.pop_lane(s, green);
                self.release(id);
                continue;
            }
            if !self.may_serve(s, id) {
                // The green head may wait for the opening while a normal head may be served.
                if green {
                    let n = self.sites[s].normal.front().copied()?;
                    if self.people[n as usize].state == State::Gone {
                        self.sites[s].normal.pop_front();
                        self.release(n);
                        continue;
                    }
                    if self.may_serve(s, n) {
                        self.pop_lane(s, false);
                        return Some(n);
                    }
                }
                return None;
            }
            self.pop_lane(s, green);
            return Some(id);
        }
    }

    /// Puts a person taken from the queue back at the head of their lane.
    fn unpop(&mut self, s: usize, person: u32) {
        let green = self.m.sites[s].green_lane && self.people[person as usize].who.priority;
        let st = &mut self.sites[s];
        if green {
            st.green.push_front(person);
        } else {
            st.normal.push_front(person);
        }
    }

    fn pop_lane(&mut self, s: usize, green: bool) {
        let st = &mut self.sites[s];
        if green {
            st.green.pop_front();
        } else {
            st.normal.pop_front();
        }
    }

    /// An open site serves everyone waiting; a closed one finishes those who came before closing.
    fn may_serve(&self, s: usize, id: u32) -> bool {
        let st = &self.sites[s];
        st.open || (st.draining && self.people[id as usize].arrival < st.closed_at)
    }

    /// Whether a desk could take a person straight away (no waiting place needed).
    fn desk_free(&self, s: usize, person: u32) -> bool {
        let pool = self.pool_of(s, person);
        let st = &self.sites[s];
        let stages = st.stages as usize;
        let desks = st.desks_open as usize;
        st.open
            && st.waiting == 0
            && (0..desks).any(|d| st.slots[d * stages] == NONE && self.stock_allows(s, d, pool))
    }

    fn try_start(&mut self, s: usize) {
        while self.sites[s].waiting > 0 && self.sites[s].desks_open > 0 {
            let stages = self.sites[s].stages as usize;
            if !(0..self.sites[s].desks_open as usize)
                .any(|d| self.sites[s].slots[d * stages] == NONE)
            {
                break;
            }
            let Some(person) = self.next_waiting(s) else {
                break;
            };
            // A free desk that has the kit and tube for this person's pool; if none, the person
            // goes back to the head of their lane and the desks wait for stock.
            let pool = self.pool_of(s, person);
            let Some(desk) = (0..self.sites[s].desks_open as usize).find(|&d| {
                self.sites[s].slots[d * stages] == NONE && self.stock_allows(s, d, pool)
            }) else {
                self.unpop(s, person);
                break;
            };
            self.sites[s].waiting -= 1;
            self.obs
                .queue_changed(self.now, SiteId(s as u32), self.sites[s].waiting);
            self.assign_tube(s, desk, person);
            self.start_service(s, desk, person);
        }
        self.check_drained(s);
    }

    fn start_service(&mut self, s: usize, desk: usize, person: u32) {
        let p = &mut self.people[person as usize];
        p.state = State::AtDesk;
        p.service_start = self.now;
        let (who, wait) = (p.who, self.now.since(p.arrival));
        self.obs
            .service_started(self.now, SiteId(s as u32), desk as u32, who, wait);
        let st = &mut self.sites[s];
        st.busy += 1;
        st.occupied += 1;
        st.desk_people[desk] += 1;
        self.obs
            .busy_changed(self.now, SiteId(s as u32), self.sites[s].busy);
        let slot = desk * self.sites[s].stages as usize;
        self.start_post(s, slot, person);
    }

    fn start_post(&mut self, s: usize, slot: usize, person: u32) {
        let st = &mut self.sites[s];
        debug_assert_eq!(st.slots[slot], NONE, "post {slot} of site {s} is taken");
        let stage = slot % st.stages as usize;
        let post = &self.m.sites[s].stages[stage];
        let mut d = post.service.sample(&mut st.service[stage]);
        if let Some(role) = post.role {
            d = self.slowed(s, role, d);
        }
        let st = &mut self.sites[s];
        st.slots[slot] = person;
        st.blocked[slot] = false;
        let ev = Event::StageDone {
            site: s as u32,
            slot: slot as u32,
        };
        self.queue.push(self.now.after(d), ev);
    }

    fn stage_done(&mut self, s: usize, slot: usize) {
        let stages = self.sites[s].stages as usize;
        let person = self.sites[s].slots[slot];
        if slot % stages + 1 == stages {
            self.sites[s].slots[slot] = NONE;
            self.sites[s].occupied -= 1;
            self.sites[s].desk_people[slot / stages] -= 1;
            let p = self.people[person as usize];
            self.obs.tested(
                self.now,
                SiteId(s as u32),
                (slot / stages) as u32,
                p.who,
                p.visit(),
            );
            self.swabbed(p.tube);
            self.release(person);
            self.post_freed(s, slot);
            self.check_drained(s);
            self.settle_overtime(s);
        } else if self.sites[s].slots[slot + 1] == NONE {
            self.sites[s].slots[slot] = NONE;
            self.start_post(s, slot + 1, person);
            self.post_freed(s, slot);
        } else {
            self.sites[s].blocked[slot] = true;
        }
    }

    /// A post became free: the person blocked at the post before moves up, and so on back to
    /// the first post, which takes the next person from the queue.
    fn post_freed(&mut self, s: usize, slot: usize) {
        let stages = self.sites[s].stages as usize;
        let mut free = slot;
        while !free.is_multiple_of(stages) {
            let prev = free - 1;
            if !self.sites[s].blocked[prev] {
                return;
            }
            let person = self.sites[s].slots[prev];
            self.sites[s].slots[prev] = NONE;
            self.sites[s].blocked[prev] = false;
            self.start_post(s, free, person);
            free = prev;
        }
        self.sites[s].busy -= 1;
        self.obs
            .busy_changed(self.now, SiteId(s as u32), self.sites[s].busy);
        self.try_start(s);
    }

    /// Opening hours: at `init` sets the state at time 0; otherwise the state flips.
    fn set_hours(&mut self, s: usize, init: bool) {
        let site = &self.m.sites[s];
        let tod0 = self.m.start.millis_of_day;
        let open = site.open_at(tod0, self.now);
        if let Some(until) = site.until_change(tod0, self.now) {
            self.queue.push(
                self.now.after(SimDuration(until)),
                Event::Hours { site: s as u32 },
            );
        }
        if !init && open == self.sites[s].open {
            return;
        }
        self.sites[s].open = open;
        if open {
            self.sites[s].draining = false;
        } else {
            self.sites[s].closed_at = self.now;
            self.sites[s].draining = self.has_work(s);
        }
        if init {
            self.obs.desks_changed(self.now, SiteId(s as u32), 0);
        }
        self.note_stock(s);
        self.update_desks(s);
    }

    /// Whether people who came before closing are still at the desks or waiting for them.
    fn has_work(&self, s: usize) -> bool {
        let st = &self.sites[s];
        // Lanes are in arrival order, so the first person still waiting in each lane decides.
        st.occupied > 0
            || [&st.green, &st.normal].into_iter().any(|q| {
                q.iter()
                    .map(|&id| &self.people[id as usize])
                    .find(|p| p.state == State::Waiting)
                    .is_some_and(|p| p.arrival < st.closed_at)
            })
    }

    /// After closing, desks stay open until everyone who came before closing is through.
    fn check_drained(&mut self, s: usize) {
        if self.sites[s].draining && !self.has_work(s) {
            self.sites[s].draining = false;
            self.update_desks(s);
        }
    }

    /// Sets the desks open from the hours and the staff on duty, then serves whoever it can.
    fn update_desks(&mut self, s: usize) {
        let st = &self.sites[s];
        let want = if st.open || st.draining {
            st.staffed
        } else {
            0
        };
        let short = if st.open {
            self.m.sites[s].desks - st.staffed
        } else {
            0
        };
        if short != st.unstaffed {
            self.sites[s].unstaffed = short;
            self.obs
                .unstaffed_changed(self.now, SiteId(s as u32), short);
        }
        if want != self.sites[s].desks_open {
            if want < self.sites[s].desks_open {
                self.seal_tubes(s, want as usize);
            }
            self.sites[s].desks_open = want;
            self.obs.desks_changed(self.now, SiteId(s as u32), want);
            if want == 0 && !self.sites[s].open && self.sites[s].occupied == 0 {
                self.session_over(s);
            }
        }
        self.settle_overtime(s);
        if want > 0 {
            self.try_start(s);
        }
    }

    fn step(&mut self) {
        self.obs.step(self.now);
        let next = self.now.after(self.m.report_every);
        if next < self.m.horizon {
            self.queue.push(next, Event::Step);
        }
    }

    /// Tells the observer of every swab without a final result at the horizon.
    fn report_pending(&mut self) {
        let mut pending: Vec<(u32, SimTime)> = Vec::new();
        self.chain.pending(|s, t| pending.push((s, t)));
        self.homes
            .pending_reswabs(self.m, |s, t| pending.push((s, t)));
        for (s, swab) in pending {
            self.obs.pending_swab(self.now, SiteId(s), swab);
        }
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
}
