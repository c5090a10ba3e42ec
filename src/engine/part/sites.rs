//! Sites: arrivals, queues with a green lane, pipelined posts at desks, opening hours with
//! draining, coming back, giving up and reneging.

use std::collections::VecDeque;

use super::super::rng::stream;
use super::{Event, NONE, Observer, Part, ROLES, SiteState, State};
use crate::engine::GiveUp;
use crate::model::Site;
use crate::scenario::WhenClosed;
use crate::time::{SimDuration, SimTime};

/// A site's state at the start of a run.
pub(super) fn site_state(s: &Site, seed: u64, rep: u32, hand_over: bool) -> SiteState {
    let stages = s.stages.len() as u32;
    let post_shift = stages.next_power_of_two().trailing_zeros();
    let posts = (s.desks << post_shift) as usize;
    let kept = if hand_over { posts } else { 0 };
    SiteState {
        open: false,
        draining: false,
        closed_at: SimTime::ZERO,
        green: VecDeque::new(),
        normal: VecDeque::new(),
        waiting: 0,
        slots: vec![NONE; posts].into(),
        blocked: vec![false; posts].into(),
        stages,
        post_shift,
        occupied: 0,
        busy: 0,
        busy_told: 0,
        desks_open: 0,
        desk_people: vec![0; s.desks as usize].into(),
        staffed: 0,
        planned: s.desks,
        stopped: 0,
        slow: 1.0,
        unstaffed: 0,
        on_duty: [0; ROLES],
        present: Vec::new(),
        overtime: Vec::new(),
        due: vec![SimTime::ZERO; kept].into(),
        generation: vec![0; kept].into(),
        paused: Vec::new(),
        hand_over_now: false,
        service: s
            .stages
            .iter()
            .map(|st| stream(seed, rep, "site", &s.name, &format!("service:{}", st.name)))
            .collect(),
        behaviour: stream(seed, rep, "site", &s.name, "behaviour"),
        routing: s
            .passes_on()
            .then(|| stream(seed, rep, "site", &s.name, "routing")),
        tube_sampling: s.fills_tubes(),
        pool: s.pool,
    }
}

impl<O: Observer> Part<'_, O> {
    pub(super) fn arrive(&mut self, person: u32) {
        let p = &mut self.people[person as usize];
        let s = p.site as usize;
        p.arrival = self.now;
        if !p.arrived_once {
            p.arrived_once = true;
            p.first_arrival = self.now;
            let who = p.who();
            self.obs.arrived(self.now, self.site_id(s), who);
        } else if p.routed {
            p.routed = false;
            let who = p.who();
            self.obs.routed_in(self.now, self.site_id(s), who);
        }
        let site = self.m_site(s);
        if !self.sites[s].open && site.when_closed != WhenClosed::Queue {
            match site.when_closed {
                WhenClosed::GiveUp => self.give_up(person, GiveUp::Closed),
                _ => match site.until_change(self.m.start.millis_of_day, self.now) {
                    Some(wait) => {
                        self.people[person as usize].state = State::Away;
                        self.at(self.now.after(SimDuration(wait)), Event::Arrive { person });
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
        match &self.m_site(s).come_back {
            Some((after, tries)) if self.people[person as usize].tries + 1 < *tries => {
                let delay = after.sample(&mut self.sites[s].behaviour);
                let p = &mut self.people[person as usize];
                p.tries += 1;
                p.state = State::Away;
                self.at(self.now.after(delay), Event::Arrive { person });
            }
            _ => self.give_up(person, GiveUp::Full),
        }
    }

    fn join_queue(&mut self, person: u32) {
        let s = self.people[person as usize].site as usize;
        let green = self.m_site(s).green_lane && self.people[person as usize].priority;
        let st = &mut self.sites[s];
        if green {
            st.green.push_back(person);
        } else {
            st.normal.push_back(person);
        }
        st.waiting += 1;
        self.people[person as usize].state = State::Waiting;
        self.obs
            .queue_changed(self.now, self.site_id(s), self.sites[s].waiting);
        if self
            .pool_threshold
            .is_some_and(|k| self.sites[s].waiting > k)
        {
            self.dispatch_reserves(self.plan.site[self.sg[s] as usize].group);
        }
        if let Some(patience) = &self.m_site(s).patience {
            let limit = patience.sample(&mut self.sites[s].behaviour);
            let generation = self.people[person as usize].generation;
            self.at(self.now.after(limit), Event::Renege { person, generation });
        }
        self.try_start(s);
    }

    pub(super) fn renege(&mut self, person: u32, generation: u32) {
        let p = &mut self.people[person as usize];
        if p.generation != generation || p.state != State::Waiting {
            return;
        }
        p.state = State::Gone;
        let s = p.site as usize;
        let (who, visit) = (p.who(), p.visit());
        self.sites[s].waiting -= 1;
        self.obs
            .queue_changed(self.now, self.site_id(s), self.sites[s].waiting);
        self.obs
            .gave_up(self.now, self.site_id(s), who, GiveUp::Reneged, visit);
        // The slot is released when the queue reaches the person (see `next_waiting`).
    }

    fn give_up(&mut self, person: u32, why: GiveUp) {
        let p = self.people[person as usize];
        self.obs.gave_up(
            self.now,
            self.site_id(p.site as usize),
            p.who(),
            why,
            p.visit(),
        );
        self.release(person);
    }

    /// Takes the next person who may be served now, green lane first; drops reneged entries.
    fn next_waiting(&mut self, s: usize) -> Option<u32> {
        loop {
            let st = &self.sites[s];
            let pick = match (st.green.front().copied(), st.normal.front().copied()) {
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
        let green = self.m_site(s).green_lane && self.people[person as usize].priority;
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
        let desks = st.desks_open as usize;
        st.open
            && st.waiting == 0
            && (0..desks).any(|d| st.slots[st.slot(d, 0)] == NONE && self.stock_allows(s, d, pool))
    }

    /// The first open desk whose first post is free, from `from` on.
    fn free_desk(&self, s: usize, from: usize) -> Option<usize> {
        let st = &self.sites[s];
        (from..st.desks_open as usize).find(|&d| st.slots[st.slot(d, 0)] == NONE)
    }

    pub(super) fn try_start(&mut self, s: usize) {
        if self.sites[s].stopped > 0 {
            return;
        }
        while self.sites[s].waiting > 0 && self.sites[s].desks_open > 0 {
            let Some(first) = self.free_desk(s, 0) else {
                break;
            };
            let Some(person) = self.next_waiting(s) else {
                break;
            };
            // A free desk that has the kit and tube for this person's pool; if none, the person
            // goes back to the head of their lane and the desks wait for stock.
            let desk = if self.tube_sampling(s) {
                let pool = self.pool_of(s, person);
                let mut d = Some(first);
                while let Some(x) = d {
                    if self.stock_allows(s, x, pool) {
                        break;
                    }
                    d = self.free_desk(s, x + 1);
                }
                d
            } else {
                Some(first)
            };
            let Some(desk) = desk else {
                self.unpop(s, person);
                break;
            };
            self.sites[s].waiting -= 1;
            self.obs
                .queue_changed(self.now, self.site_id(s), self.sites[s].waiting);
            self.assign_tube(s, desk, person);
            self.start_service(s, desk, person);
        }
        self.check_drained(s);
    }

    fn start_service(&mut self, s: usize, desk: usize, person: u32) {
        let p = &mut self.people[person as usize];
        p.state = State::AtDesk;
        p.service_start = self.now;
        let (who, wait) = (p.who(), self.now.since(p.arrival));
        self.obs
            .service_started(self.now, self.site_id(s), desk as u32, who, wait);
        let st = &mut self.sites[s];
        st.busy += 1;
        st.occupied += 1;
        st.desk_people[desk] += 1;
        self.report_busy(s);
        let slot = self.sites[s].slot(desk, 0);
        self.start_post(s, slot, person);
    }

    fn start_post(&mut self, s: usize, slot: usize, person: u32) {
        let site = self.m_site(s);
        let st = &mut self.sites[s];
        debug_assert_eq!(st.slots[slot], NONE, "post {slot} of site {s} is taken");
        let stage = st.stage_of(slot);
        let post = &site.stages[stage];
        let mut d = post.service.sample(&mut st.service[stage]);
        if let Some(role) = post.role {
            d = self.slowed(s, role, d);
        }
        let slow = self.sites[s].slow;
        if slow != 1.0 {
            d = SimDuration::from_millis_f64(d.0 as f64 * slow);
        }
        let st = &mut self.sites[s];
        st.slots[slot] = person;
        st.blocked[slot] = false;
        let generation = if st.due.is_empty() {
            0
        } else {
            st.due[slot] = self.now.after(d);
            st.generation[slot]
        };
        let ev = Event::StageDone {
            site: s as u32,
            slot: slot as u32,
            generation,
        };
        self.at(self.now.after(d), ev);
    }

    /// Desks `from..to` of site `s` close while a crew hands over: the services running there
    /// pause (the people stay at their posts) with the time they have left.
    fn pause_services(&mut self, s: usize, from: usize, to: usize) {
        let st = &mut self.sites[s];
        for slot in st.slot(from, 0)..st.slot(to, 0) {
            if st.slots[slot] != NONE && !st.blocked[slot] && st.due[slot] > self.now {
                st.generation[slot] = st.generation[slot].wrapping_add(1);
                let left = st.due[slot].since(self.now);
                st.paused.push((slot as u32, left));
            }
        }
    }

    /// Paused services at desks below `open` (or all, when the site closes for the day) go on
    /// for the time they had left.
    fn resume_services(&mut self, s: usize, open: usize) {
        let paused = std::mem::take(&mut self.sites[s].paused);
        for (slot, left) in paused {
            if self.sites[s].desk_of(slot as usize) >= open {
                self.sites[s].paused.push((slot, left));
                continue;
            }
            let st = &mut self.sites[s];
            st.due[slot as usize] = self.now.after(left);
            let ev = Event::StageDone {
                site: s as u32,
                slot,
                generation: st.generation[slot as usize],
            };
            self.at(self.now.after(left), ev);
        }
    }

    pub(super) fn stage_done(&mut self, s: usize, slot: usize, generation: u32) {
        if self.sites[s]
            .generation
            .get(slot)
            .is_some_and(|&g| g != generation)
        {
            return;
        }
        let st = &self.sites[s];
        let (person, desk) = (st.slots[slot], st.desk_of(slot));
        if st.stage_of(slot) + 1 == st.stages as usize {
            self.sites[s].slots[slot] = NONE;
            self.sites[s].occupied -= 1;
            self.sites[s].desk_people[desk] -= 1;
            let p = self.people[person as usize];
            if self.m_site(s).passes_on() {
                self.obs
                    .passed_on(self.now, self.site_id(s), desk as u32, p.who(), p.visit());
                self.pass_on(s, person);
            } else {
                self.obs
                    .tested(self.now, self.site_id(s), desk as u32, p.who(), p.visit());
                self.swabbed(p.tube);
                self.release(person);
            }
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

    /// A person done at site `s` goes on to a next site drawn by its shares, after the walk.
    fn pass_on(&mut self, s: usize, person: u32) {
        let site = self.m_site(s);
        let rng = self.sites[s]
            .routing
            .as_mut()
            .expect("a routing stream at a site that passes people on");
        let u: f64 = rand::Rng::random(rng);
        let next = site
            .then
            .iter()
            .find(|(_, cum)| u < *cum)
            .or(site.then.last())
            .map(|(n, _)| n.0)
            .expect("a next site");
        let walk = site
            .then_walk
            .as_ref()
            .map_or(SimDuration::ZERO, |w| w.sample(rng));
        let local = self.site_local(next) as u32;
        let p = &mut self.people[person as usize];
        p.site = local;
        p.state = State::Away;
        p.routed = true;
        p.tries = 0;
        // A patience timer still pending from this site must not fire at the next.
        p.generation = p.generation.wrapping_add(1);
        self.at(self.now.after(walk), Event::Arrive { person });
    }

    /// A post became free: the person blocked at the post before moves up, and so on back to
    /// the first post, which takes the next person from the queue.
    fn post_freed(&mut self, s: usize, slot: usize) {
        let mut free = slot;
        while self.sites[s].stage_of(free) != 0 {
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
        // The next person in the queue often takes the post at once: the observers hear of
        // the desks busy after that, not of a change and its undoing at the same instant.
        self.sites[s].busy -= 1;
        self.try_start(s);
        self.report_busy(s);
    }

    /// Tells the observers how many desks are busy, if that changed since they last heard.
    #[inline]
    fn report_busy(&mut self, s: usize) {
        let st = &mut self.sites[s];
        if st.busy != st.busy_told {
            st.busy_told = st.busy;
            let busy = st.busy;
            self.obs.busy_changed(self.now, self.site_id(s), busy);
        }
    }

    /// Schedules the start and end of every disruption that hits site `s`.
    pub(super) fn schedule_disruptions(&mut self, s: usize) {
        let g = self.site_id(s);
        for (d, x) in self.m.disruptions.iter().enumerate() {
            let (start, end) = self.windows[d];
            if x.hits_site(g) && end > start && start < self.m.horizon {
                let (site, d) = (s as u32, d as u16);
                self.at(start, Event::Disruption { site, d, on: true });
                self.at(end, Event::Disruption { site, d, on: false });
            }
        }
    }

    /// A disruption begins or ends at site `s`: registration stops (desks stay open and
    /// staffed, the queue keeps forming) or slows.
    pub(super) fn disrupt(&mut self, s: usize, d: usize, on: bool) {
        let crate::model::Effect::Registration { slowdown, .. } = self.m.disruptions[d].effect
        else {
            return;
        };
        let st = &mut self.sites[s];
        match (slowdown, on) {
            (Some(f), true) => st.slow *= f,
            (Some(f), false) => st.slow /= f,
            (None, true) => st.stopped += 1,
            (None, false) => st.stopped -= 1,
        }
        // Undoing a product by division leaves rounding: back to exactly 1 when none is on.
        if (st.slow - 1.0).abs() < 1e-12 {
            st.slow = 1.0;
        }
        self.obs.disrupted(self.now, self.site_id(s), d as u32, on);
        if !on {
            self.try_start(s);
        }
    }

    /// Opening hours: at `init` sets the state at time 0; otherwise the state flips.
    pub(super) fn set_hours(&mut self, s: usize, init: bool) {
        let site = self.m_site(s);
        let tod0 = self.m.start.millis_of_day;
        let open = site.open_at(tod0, self.now);
        let planned = site.planned_at(tod0, self.now);
        let next = match (
            site.until_change(tod0, self.now),
            site.until_plan_change(tod0, self.now),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(until) = next {
            self.at(
                self.now.after(SimDuration(until)),
                Event::Hours { site: s as u32 },
            );
        }
        if !init && open == self.sites[s].open {
            if planned != self.sites[s].planned {
                self.sites[s].planned = planned;
                self.update_desks(s);
            }
            return;
        }
        self.sites[s].planned = planned;
        self.sites[s].open = open;
        if !open && !self.sites[s].paused.is_empty() {
            // Nobody comes before the day is over: the desks finish the people they paused.
            self.resume_services(s, usize::MAX);
        }
        if open {
            self.sites[s].draining = false;
        } else {
            self.sites[s].closed_at = self.now;
            self.sites[s].draining = self.has_work(s);
        }
        if init {
            self.obs.desks_changed(self.now, self.site_id(s), 0);
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
    pub(super) fn update_desks(&mut self, s: usize) {
        let st = &self.sites[s];
        let want = if st.open {
            st.staffed.min(st.planned)
        } else if st.draining {
            st.staffed
        } else {
            0
        };
        let short = if st.open {
            st.planned.saturating_sub(st.staffed)
        } else {
            0
        };
        if short != st.unstaffed {
            self.sites[s].unstaffed = short;
            self.obs.unstaffed_changed(self.now, self.site_id(s), short);
        }
        if want != self.sites[s].desks_open {
            let was = self.sites[s].desks_open as usize;
            if want < self.sites[s].desks_open {
                self.seal_tubes(s, want as usize);
                if self.sites[s].hand_over_now && self.sites[s].open {
                    self.pause_services(s, want as usize, was);
                }
            } else if !self.sites[s].paused.is_empty() {
                self.resume_services(s, want as usize);
            }
            self.sites[s].desks_open = want;
            self.obs.desks_changed(self.now, self.site_id(s), want);
            if want == 0 && !self.sites[s].open && self.sites[s].occupied == 0 {
                self.session_over(s);
            }
        }
        self.settle_overtime(s);
        if want > 0 {
            self.try_start(s);
        }
    }
}
