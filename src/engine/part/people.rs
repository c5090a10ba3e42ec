//! People: call-up waves and walk-ins, from home to the site.
//!
//! A call-up draws every called resident's choices at once from the area's stream (home-bound or
//! not, turnout, green lane, infection, response delay, site and walk), and keeps the residents who
//! come as compact entries of a *wave*, sorted by the time of their next step. One event per wave
//! brings the next resident: a person record exists only from the moment a resident sets off (when
//! the site is chosen by queue length) or arrives. A city whose every site calls a building at once
//! so holds a few bytes per resident on the way and one pending event per wave, not a record and
//! an event per resident.

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use super::slots::Slots;
use super::{Event, Kind, NONE, Observer, Part, Person, State};
use crate::engine::{WALK_IN, Who};
use crate::model::{AreaId, Arrivals, SiteId};
use crate::scenario::Choice;
use crate::time::{SimDuration, SimTime};

/// A resident of a wave who has not set off or arrived yet, in 16 bytes (in a city round
/// millions are in waves at once; 24 bytes with the fields side by side).
#[derive(Debug, Clone, Copy)]
struct Coming {
    /// When they set off (choice by queue length) or arrive (any other choice).
    at: SimTime,
    /// The walk (`at` minus the setting off) in ms, the green-lane and infected flags, and the
    /// local site: see [`Coming::new`].
    rest: u64,
}

/// Bits of [`Coming::rest`] for the walk: 2^35 ms is 397 days, beyond the longest horizon.
const WALK_BITS: u32 = 35;
const WALK_MAX: u64 = (1 << WALK_BITS) - 1;
const PRIORITY: u64 = 1 << WALK_BITS;
const INFECTED: u64 = 1 << (WALK_BITS + 1);
const SITE_SHIFT: u32 = WALK_BITS + 2;
/// The site field's value for "chosen at setting off" (`NONE`).
const SITE_NONE: u64 = (1 << (64 - SITE_SHIFT)) - 1;
const _: () = assert!(crate::model::size::MAX_HORIZON.0 < WALK_MAX);
const _: () = assert!(crate::model::size::MAX_ENTRIES < SITE_NONE);

impl Coming {
    fn new(set_off: SimTime, at: SimTime, site: u32, priority: bool, infected: bool) -> Coming {
        // A walk longer than 2^35 ms ends after every horizon: the resident never comes, and
        // the setting off is never read.
        let walk = at.since(set_off).0.min(WALK_MAX);
        let site = if site == NONE {
            SITE_NONE
        } else {
            u64::from(site)
        };
        let flags = if priority { PRIORITY } else { 0 } | if infected { INFECTED } else { 0 };
        Coming {
            at,
            rest: walk | flags | (site << SITE_SHIFT),
        }
    }

    fn set_off(self) -> SimTime {
        SimTime(self.at.0 - (self.rest & WALK_MAX))
    }

    /// Local site index, or `NONE` when chosen at setting off.
    fn site(self) -> u32 {
        match self.rest >> SITE_SHIFT {
            SITE_NONE => NONE,
            s => s as u32,
        }
    }

    fn priority(self) -> bool {
        self.rest & PRIORITY != 0
    }

    fn infected(self) -> bool {
        self.rest & INFECTED != 0
    }
}

/// A call-up wave of one area: its residents still to come, the next one last.
#[derive(Debug, Clone)]
struct Wave {
    /// Local area index.
    area: u32,
    round: u32,
    coming: Vec<Coming>,
}

/// The waves under way in a partition, in an arena whose slots are reused.
#[derive(Debug, Default)]
pub(super) struct Waves {
    slots: Slots<Wave>,
    /// Residents in waves, not set off or arrived yet.
    pending: u64,
}

impl Waves {
    /// The local area of wave `w`.
    pub(super) fn area(&self, w: u32) -> u32 {
        self.slots.get(w).map_or(0, |x| x.area)
    }

    /// Residents called and coming who have not set off or arrived yet.
    pub(super) fn pending(&self) -> u64 {
        self.pending
    }

    fn add(&mut self, wave: Wave) -> u32 {
        self.pending += wave.coming.len() as u64;
        self.slots.insert(wave)
    }
}

impl<O: Observer> Part<'_, O> {
    /// Schedules every area's call-ups (all rounds and waves within the horizon) or first walk-in.
    pub(super) fn start_areas(&mut self) {
        for a in 0..self.areas.len() {
            self.act_as(Kind::Area, a);
            let area = self.m_area(a);
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
                                self.at(t, ev);
                            }
                        }
                    }
                }
                Arrivals::WalkIn(w) => self.next_walk_in(a, w.begin),
            }
        }
    }

    pub(super) fn call_up(&mut self, a: usize, round: u32, wave: usize) {
        let area = self.m_area(a);
        let Arrivals::CallUp(cu) = &area.arrivals else {
            return;
        };
        let called = cu.waves[wave].1;
        if area.sealed_from.is_some_and(|r| round >= r) {
            self.call_households(a, round, called);
            return;
        }
        let by_queue = area.choice == Choice::ShortestQueue;
        // Weather or an announcement on now: fewer come, or later. The draws are the same.
        let (mut turnout, mut response) = (area.turnout, 1.0);
        let g = AreaId(self.ag[a]);
        for (k, (d, &(start, end))) in self.m.disruptions.iter().zip(&self.windows).enumerate() {
            if start <= self.now
                && self.now < end
                && let Some((t, r)) = d.hits_area(g)
            {
                turnout *= t;
                response *= r;
                self.obs
                    .disruption_people(self.now, k as u32, u64::from(called));
            }
        }
        let mut coming = Vec::with_capacity(called as usize);
        let mut at_home = 0;
        for _ in 0..called {
            let rng = &mut self.areas[a].people;
            if area.homebound > 0.0 && rng.random::<f64>() < area.homebound {
                at_home += 1;
                continue;
            }
            if rng.random::<f64>() >= turnout {
                continue;
            }
            let priority = rng.random::<f64>() < area.priority_share;
            let infected = area.prevalence > 0.0 && rng.random::<f64>() < area.prevalence;
            let mut delay = area.response.sample(rng);
            if response != 1.0 {
                delay = SimDuration::from_millis_f64(delay.0 as f64 * response);
            }
            let set_off = self.now.after(delay);
            let c = if by_queue {
                Coming::new(set_off, set_off, NONE, priority, infected)
            } else {
                let site = self.pick_site(a);
                let walk = area.walk.sample(&mut self.areas[a].people);
                Coming::new(set_off, set_off.after(walk), site, priority, infected)
            };
            coming.push(c);
        }
        self.obs.called(
            self.now,
            AreaId(self.ag[a]),
            round,
            called - at_home,
            coming.len() as u32,
        );
        if !coming.is_empty() {
            // The next to come last; equal times keep the order they were called in (a stable
            // sort, then reversed: the first called of equal times is taken first).
            coming.sort_by_key(|c| c.at);
            coming.reverse();
            let first = coming[coming.len() - 1].at;
            let w = self.waves.add(Wave {
                area: a as u32,
                round,
                coming,
            });
            self.at(first, Event::Come { wave: w });
        }
        for _ in 0..at_home {
            self.home_job(a, round, 1);
        }
    }

    /// The next resident of wave `w` sets off or arrives; the wave's next event is scheduled.
    pub(super) fn come(&mut self, w: u32) {
        let Some(wave) = self.waves.slots.get_mut(w) else {
            return;
        };
        let Some(c) = wave.coming.pop() else {
            return;
        };
        // Waves are drained over hours while thousands are still called: give back what the
        // ones that came took.
        if wave.coming.len() <= wave.coming.capacity() / 4 {
            wave.coming.shrink_to_fit();
        }
        let (a, round, next) = (
            wave.area as usize,
            wave.round,
            wave.coming.last().map(|n| n.at),
        );
        self.waves.pending -= 1;
        match next {
            Some(t) => self.at(t, Event::Come { wave: w }),
            None => {
                self.waves.slots.remove(w);
            }
        }
        let who = Who {
            area: AreaId(self.ag[a]),
            round,
            priority: c.priority(),
        };
        let person = self.new_person(who, c.infected(), c.set_off());
        let site = c.site();
        if site == NONE {
            // The queues are read now, when the person sets off.
            let site = self.pick_site(a);
            let walk = self.m_area(a).walk.sample(&mut self.areas[a].people);
            self.people[person as usize].site = site;
            let arrival = self.now.after(walk);
            // The arrival is the site's event: it changes the site's queue.
            self.act_as(Kind::Site, site as usize);
            self.at(arrival, Event::Arrive { person });
        } else {
            self.people[person as usize].site = site;
            self.act_as(Kind::Site, site as usize);
            self.arrive(person);
        }
    }

    pub(super) fn new_person(&mut self, who: Who, infected: bool, set_off: SimTime) -> u32 {
        let pool = self.m.areas[who.area.0 as usize].pool.unwrap_or(0) as u8;
        let p = Person {
            area: who.area,
            round: who.round,
            priority: who.priority,
            site: NONE,
            state: State::EnRoute,
            generation: 0,
            tries: 0,
            arrived_once: false,
            routed: false,
            infected,
            pool,
            set_off,
            first_arrival: self.now,
            arrival: self.now,
            service_start: self.now,
            tube: NONE,
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

    pub(super) fn release(&mut self, id: u32) {
        let p = &mut self.people[id as usize];
        p.state = State::Free;
        p.generation = p.generation.wrapping_add(1);
        self.free.push(id);
    }

    /// The local site a person of area `a` goes to.
    fn pick_site(&mut self, a: usize) -> u32 {
        let area = self.m_area(a);
        let ids = &area.sites;
        let pick = match area.choice {
            Choice::First => 0,
            Choice::Random => self.areas[a].people.random_range(0..ids.len()),
            Choice::ShortestQueue => {
                let load = |i: usize| {
                    let s = self.site_local(ids[i].0);
                    (
                        u64::from(self.sites[s].waiting),
                        u64::from(self.m_site(s).desks),
                    )
                };
                (1..ids.len()).fold(0, |best, i| {
                    let (wb, db) = load(best);
                    let (wi, di) = load(i);
                    if wi * db < wb * di { i } else { best }
                })
            }
        };
        self.site_local(ids[pick].0) as u32
    }

    pub(super) fn walk_in(&mut self, a: usize) {
        let area = self.m_area(a);
        let rng = &mut self.areas[a].people;
        let priority = rng.random::<f64>() < area.priority_share;
        let infected = area.prevalence > 0.0 && rng.random::<f64>() < area.prevalence;
        let who = Who {
            area: AreaId(self.ag[a]),
            round: WALK_IN,
            priority,
        };
        self.next_walk_in(a, self.now);
        let person = self.new_person(who, infected, self.now);
        let site = self.pick_site(a);
        self.people[person as usize].site = site;
        self.act_as(Kind::Site, site as usize);
        self.arrive(person);
    }

    /// Schedules the next walk-in of area `a` at or after `from`: exact for a rate that is
    /// constant between changes (an exponential gap that crosses a change restarts there).
    pub(super) fn next_walk_in(&mut self, a: usize, from: SimTime) {
        let Arrivals::WalkIn(w) = &self.m_area(a).arrivals else {
            return;
        };
        let mut t = from.max(w.begin);
        let constant = w.rate.is_constant();
        while t < w.end {
            let (rate, until) = if constant {
                (w.rate.value_at(0), f64::INFINITY)
            } else {
                let tod = self.m.time_of_day(t);
                let until = w.rate.until_change(tod).map_or(f64::INFINITY, |d| d as f64);
                (w.rate.value_at(tod), until)
            };
            if rate > 0.0 {
                let gap: f64 = Exp1.sample(&mut self.areas[a].arrivals);
                let gap = gap / rate;
                if gap < until {
                    let at = t.after(SimDuration::from_millis_f64(gap));
                    if at < w.end {
                        self.at(at, Event::WalkIn { area: a as u32 });
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

    /// The global site id of local site `s`, for observers.
    pub(super) fn site_id(&self, s: usize) -> SiteId {
        SiteId(self.sg[s])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wave entry is 16 bytes and gives back what it was made of, at the ends of each field.
    #[test]
    fn coming_packs_into_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Coming>(), 16);
        let horizon = crate::model::size::MAX_HORIZON.0;
        for (set_off, walk, site, priority, infected) in [
            (0, 0, 0, false, false),
            (5, 1, NONE, true, false),
            (123_456, horizon, 4_999_999, false, true),
            (u64::from(u32::MAX), 17, 7, true, true),
        ] {
            let c = Coming::new(
                SimTime(set_off),
                SimTime(set_off + walk),
                site,
                priority,
                infected,
            );
            assert_eq!(c.at, SimTime(set_off + walk));
            assert_eq!(c.set_off(), SimTime(set_off));
            assert_eq!(c.site(), site);
            assert_eq!((c.priority(), c.infected()), (priority, infected));
        }
    }
}
