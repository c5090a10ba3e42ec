//! Staff on duty: rota changes, desks opened and closed by the people present, overtime of
//! desks that finish their people after a crew's time, slow-down late in a stint, reserves.

use super::super::rng::{Stream, stream};
use super::{Event, Kind, Observer, Part, ROTA_CLASS};
use crate::engine::plan::Members;
use crate::model::{Change, CrewChange, Model, Place, SiteId, TeamId};
use crate::scenario::Role;
use crate::time::{SimDuration, SimTime};

/// Where a crew of a team is.
#[derive(Debug, Clone, Default)]
pub(super) struct CrewState {
    on: bool,
    since: SimTime,
    /// Bumped at every change, so a reserve's arrival after its crew went off is ignored.
    generation: u32,
    /// A reserve crew's site (local), once it arrived there.
    at: Option<u32>,
    travelling: bool,
    /// People of the crew missing this shift, at each of the team's places (an absence).
    absent: Vec<u32>,
    /// Break turns of a staggered crew that are on break now.
    turns_off: Vec<u32>,
}

/// A team's position in its rota and its crews.
#[derive(Debug, Clone)]
pub(super) struct TeamState {
    cursor: usize,
    crews: Vec<CrewState>,
    /// A stream per absence that hits the team, in the order of the model's disruptions.
    absence: Vec<Stream>,
}

/// The state of the partition's teams, by local index.
pub(super) fn team_states(m: &Model, members: &Members, rep: u32) -> Vec<TeamState> {
    members
        .teams
        .iter()
        .map(|&g| TeamState {
            cursor: 0,
            crews: vec![CrewState::default(); m.rotas[m.teams[g as usize].rota].crews as usize],
            absence: m
                .disruptions
                .iter()
                .filter(|d| d.hits_team(crate::model::TeamId(g)).is_some())
                .map(|d| {
                    stream(
                        m.seed,
                        rep,
                        "disruption",
                        &d.name,
                        &m.teams[g as usize].name,
                    )
                })
                .collect(),
        })
        .collect()
}

/// The smallest queue threshold of the partition's reserves, if it has any.
pub(super) fn pool_threshold(m: &Model, members: &Members) -> Option<u32> {
    members
        .teams
        .iter()
        .filter_map(|&g| match m.teams[g as usize].place {
            Place::Pool { threshold, .. } => Some(threshold),
            Place::Sites(_) | Place::Homes(_) => None,
        })
        .min()
}

/// What the rota changes of one instant touched.
#[derive(Default)]
struct Touched {
    /// (local site, role) whose people on duty changed.
    sites: Vec<(usize, Role)>,
    /// The groups ([`Slot::group`](crate::engine::plan::Slot)) where some crew came on duty:
    /// their reserves may be sent.
    arrivals: Vec<u32>,
    /// Courier and lab teams that changed (local).
    chain_teams: Vec<usize>,
}

impl<O: Observer> Part<'_, O> {
    /// Desks the people on duty can open at site `s`.
    pub(super) fn staffed(&self, s: usize) -> u32 {
        let site = self.m_site(s);
        let st = &self.sites[s];
        if st.on_duty[Role::Marshal as usize] < site.marshals {
            return 0;
        }
        match &site.staff {
            None => site.desks,
            Some(need) => need
                .iter()
                .map(|(role, n)| st.on_duty[*role as usize] / n)
                .min()
                .unwrap_or(site.desks)
                .min(site.desks),
        }
    }

    /// People of local team `t` on duty now (its crews on duty, less who is absent or on a
    /// staggered break).
    pub(super) fn team_on_duty(&self, t: usize) -> u32 {
        (0..self.teams[t].crews.len())
            .filter(|&c| self.teams[t].crews[c].on)
            .map(|c| self.crew_present(t, c as u32, 0))
            .sum()
    }

    /// People of crew `crew` of local team `t` who came to its `place`-th place this shift.
    fn crew_came(&self, t: usize, crew: u32, place: usize) -> u32 {
        let head = self.m_team(t).headcount;
        let absent = self.teams[t].crews[crew as usize]
            .absent
            .get(place)
            .copied()
            .unwrap_or(0);
        head - absent.min(head)
    }

    /// People of crew `crew` of local team `t` at work at its `place`-th place: who came, less
    /// the break turns that are off.
    fn crew_present(&self, t: usize, crew: u32, place: usize) -> u32 {
        let came = self.crew_came(t, crew, place);
        let rota = &self.m.rotas[self.m_team(t).rota];
        let off: u32 = self.teams[t].crews[crew as usize]
            .turns_off
            .iter()
            .map(|&k| rota.turn_people(k, came))
            .sum();
        came - off.min(came)
    }

    /// At a shift's start, draws who of crew `crew` of local team `t` misses it, at each of the
    /// team's `places`, from each absence that is on now.
    fn draw_absence(&mut self, t: usize, crew: u32, places: usize) {
        let head = self.m_team(t).headcount;
        let g = crate::model::TeamId(self.tg[t]);
        let mut absent = vec![0u32; places.max(1)];
        let mut k = 0;
        for (di, (d, &(start, end))) in self.m.disruptions.iter().zip(&self.windows).enumerate() {
            let Some(share) = d.hits_team(g) else {
                continue;
            };
            let rng = &mut self.teams[t].absence[k];
            k += 1;
            if !(start <= self.now && self.now < end) || share <= 0.0 {
                continue;
            }
            let draw = rand_distr::Binomial::new(u64::from(head), share.min(1.0));
            let mut missed = 0u64;
            for a in absent.iter_mut() {
                let n = draw
                    .as_ref()
                    .map_or(0, |b| rand::Rng::sample(rng, b) as u32);
                let before = *a;
                *a = (*a + n).min(head);
                missed += u64::from(*a - before);
            }
            self.obs.disruption_people(self.now, di as u32, missed);
        }
        let total: u32 = absent.iter().sum();
        self.teams[t].crews[crew as usize].absent = absent;
        self.obs.crew_absent(self.now, g, crew, total);
    }

    pub(super) fn start_rotas(&mut self) {
        for t in 0..self.teams.len() {
            self.act_as(Kind::Team, t);
            self.schedule_rota(t);
        }
    }

    fn schedule_rota(&mut self, t: usize) {
        let rota = &self.m.rotas[self.m_team(t).rota];
        if let Some(ch) = rota.changes.get(self.teams[t].cursor) {
            let key = self.key(ch.t, ROTA_CLASS);
            self.push(key, Event::Rota { team: t as u32 });
        }
    }

    /// Every rota change of this instant, of every team, takes effect together: crews come and
    /// go first, then each site touched recomputes its desks once. A handover without overlap
    /// or gap therefore never counts both crews on duty, not even for an instant.
    pub(super) fn rota_change(&mut self, first: usize) {
        let mut touched = Touched::default();
        self.team_changes(first, &mut touched);
        while let Some((_, Event::Rota { team })) = self.queue.pop_if(self.now, ROTA_CLASS) {
            self.events += 1;
            self.act_as(Kind::Team, team as usize);
            self.team_changes(team as usize, &mut touched);
        }
        self.act_as(Kind::Team, first);
        touched.sites.sort_unstable();
        touched.sites.dedup();
        for &(s, role) in &touched.sites {
            let on_duty = self.sites[s].on_duty[role as usize];
            self.obs
                .staff_changed(self.now, self.site_id(s), role, on_duty);
        }
        let mut last = usize::MAX;
        for &(s, _) in &touched.sites {
            if s != last {
                last = s;
                self.sites[s].staffed = self.staffed(s);
                self.update_desks(s);
                self.sites[s].hand_over_now = false;
            }
        }
        touched.arrivals.sort_unstable();
        touched.arrivals.dedup();
        for group in touched.arrivals {
            self.dispatch_reserves(group);
        }
        touched.chain_teams.sort_unstable();
        touched.chain_teams.dedup();
        for t in touched.chain_teams {
            self.chain_staff_changed(t);
        }
    }

    /// Applies local team `t`'s changes at this instant; sites are settled by the caller.
    fn team_changes(&mut self, t: usize, touched: &mut Touched) {
        let rota = self.m_team(t).rota;
        while let Some(&ch) = self.m.rotas[rota].changes.get(self.teams[t].cursor)
            && ch.t == self.now
        {
            self.teams[t].cursor += 1;
            self.crew_change(t, ch, touched);
        }
        self.schedule_rota(t);
    }

    fn crew_change(&mut self, t: usize, ch: Change, touched: &mut Touched) {
        if !ch.kind.whole_crew() {
            self.turn_change(t, ch, touched);
            return;
        }
        if ch.kind == CrewChange::ShiftStart
            && !self.teams[t].absence.is_empty()
            && !self.teams[t].crews[ch.crew as usize].on
        {
            let places = match &self.m_team(t).place {
                Place::Sites(ids) => ids.len(),
                _ => 1,
            };
            self.draw_absence(t, ch.crew, places);
        }
        let crew = &mut self.teams[t].crews[ch.crew as usize];
        crew.on = ch.kind.on();
        crew.generation = crew.generation.wrapping_add(1);
        if crew.on {
            crew.since = self.now;
        }
        self.obs
            .crew(self.now, TeamId(self.tg[t]), ch.crew, ch.kind);
        let team = self.m_team(t);
        let sites: Vec<usize> = match &team.place {
            Place::Sites(ids) => ids.iter().map(|s| self.site_local(s.0)).collect(),
            Place::Homes(_) => {
                self.home_crew(t, ch.crew, ch.kind.on());
                Vec::new()
            }
            Place::Pool { .. } => {
                let crew = &mut self.teams[t].crews[ch.crew as usize];
                crew.travelling = false;
                crew.at.take().map(|s| s as usize).into_iter().collect()
            }
        };
        let role = team.role;
        let hands_over = ch.kind == CrewChange::ShiftEnd && self.m.rotas[team.rota].hand_over;
        for (k, s) in sites.into_iter().enumerate() {
            // Handing over, desks that close now pause their people for the next crew, and the
            // leaving crew books no overtime (a site already closed for the day finishes them).
            let here = hands_over && self.sites[s].open && !self.sites[s].due.is_empty();
            self.mark_present_at(s, t, ch.crew, ch.kind.on(), k, !here);
            self.sites[s].hand_over_now |= here;
            touched.sites.push((s, role));
        }
        if !ch.kind.on() {
            self.teams[t].crews[ch.crew as usize].turns_off.clear();
        }
        if matches!(ch.kind, CrewChange::ShiftStart | CrewChange::BreakEnd) {
            touched.arrivals.push(self.team_group(t));
        }
        if matches!(role, Role::Courier | Role::Lab) {
            touched.chain_teams.push(t);
        }
    }

    /// One break turn of a staggered crew goes on break or comes back; the crew stays on duty,
    /// and the sites count its people out or in.
    fn turn_change(&mut self, t: usize, ch: Change, touched: &mut Touched) {
        let crew = ch.crew as usize;
        if !self.teams[t].crews[crew].on {
            return;
        }
        let on = ch.kind.on();
        let off = &mut self.teams[t].crews[crew].turns_off;
        match (on, off.iter().position(|&k| k == ch.turn)) {
            (true, Some(i)) => {
                off.swap_remove(i);
            }
            (false, None) => off.push(ch.turn),
            _ => return,
        }
        let team = self.m_team(t);
        let rota = &self.m.rotas[team.rota];
        let role = team.role;
        let sites: Vec<usize> = match &team.place {
            Place::Sites(ids) => ids.iter().map(|s| self.site_local(s.0)).collect(),
            Place::Homes(_) | Place::Pool { .. } => Vec::new(),
        };
        let mut total = 0;
        for (k, s) in sites.iter().enumerate() {
            let people = rota.turn_people(ch.turn, self.crew_came(t, ch.crew, k));
            total += people;
            let st = &mut self.sites[*s];
            if on {
                st.on_duty[role as usize] += people;
            } else {
                st.on_duty[role as usize] -= people;
            }
            touched.sites.push((*s, role));
        }
        self.obs
            .turn(self.now, TeamId(self.tg[t]), ch.crew, ch.turn, total, on);
        if on {
            touched.arrivals.push(self.team_group(t));
        }
        if matches!(role, Role::Courier | Role::Lab) {
            touched.chain_teams.push(t);
        }
    }

    /// A crew comes on (or goes off) duty at site `s` and the site recomputes its desks.
    fn set_present(&mut self, s: usize, t: usize, crew: u32, on: bool) {
        self.mark_present(s, t, crew, on);
        let role = self.m_team(t).role;
        let on_duty = self.sites[s].on_duty[role as usize];
        self.obs
            .staff_changed(self.now, self.site_id(s), role, on_duty);
        self.sites[s].staffed = self.staffed(s);
        self.update_desks(s);
    }

    /// Counts a crew in (or out) at site `s`, without recomputing the desks.
    fn mark_present(&mut self, s: usize, t: usize, crew: u32, on: bool) {
        self.mark_present_at(s, t, crew, on, 0, true);
    }

    /// Counts a crew in (or out) at site `s`, its `place`-th, less its people absent there or on
    /// a staggered break; a crew going off books overtime for the people its closing desks
    /// still serve, unless `overtime` is false (it hands them over).
    fn mark_present_at(
        &mut self,
        s: usize,
        t: usize,
        crew: u32,
        on: bool,
        place: usize,
        overtime: bool,
    ) {
        let role = self.m_team(t).role as usize;
        let people = self.crew_present(t, crew, place);
        let st = &mut self.sites[s];
        if on {
            st.on_duty[role] += people;
            let since = self.teams[t].crews[crew as usize].since;
            st.present.push((t as u32, crew, since));
        } else {
            st.on_duty[role] -= people;
            st.present
                .retain(|&(pt, pc, _)| (pt, pc) != (t as u32, crew));
            if overtime {
                st.overtime.push((t as u32, crew, self.now));
            }
        }
    }

    /// Crews that left while desks closed for lack of staff were busy: once every such desk has
    /// finished its people, their overtime is over.
    pub(super) fn settle_overtime(&mut self, s: usize) {
        let st = &self.sites[s];
        if st.overtime.is_empty() {
            return;
        }
        // People paused for a hand-over wait for the next crew: nobody is working on them.
        let closing_busy = (st.desks_open as usize..st.desk_people.len()).any(|d| {
            let paused = st
                .paused
                .iter()
                .filter(|&&(slot, _)| st.desk_of(slot as usize) == d)
                .count() as u32;
            st.desk_people[d] > paused
        });
        if closing_busy {
            return;
        }
        let pending = std::mem::take(&mut self.sites[s].overtime);
        for (t, crew, left) in pending {
            let length = self.now.since(left);
            if length > SimDuration::ZERO {
                self.obs.overtime(
                    self.now,
                    TeamId(self.tg[t as usize]),
                    crew,
                    self.site_id(s),
                    length,
                );
            }
        }
    }

    /// Service time `d` at a post of `role`, slowed if every crew of that role here has been on
    /// duty longer than its rota's slow-down threshold.
    pub(super) fn slowed(&self, s: usize, role: Role, d: SimDuration) -> SimDuration {
        if !self.slowdowns {
            return d;
        }
        let freshest = self.sites[s]
            .present
            .iter()
            .filter(|(t, _, _)| self.m_team(*t as usize).role == role)
            .max_by_key(|(_, _, since)| *since);
        let Some(&(t, _, since)) = freshest else {
            return d;
        };
        match self.m.rotas[self.m_team(t as usize).rota].slowdown {
            Some((after, factor)) if self.now.since(since) > after => {
                SimDuration::from_millis_f64(d.0 as f64 * factor)
            }
            _ => d,
        }
    }

    /// Sends every idle reserve crew on duty to the site with the longest queue above its
    /// threshold, among the sites that need its role.
    /// Sends the idle reserves of `group` to the longest queues. Only that group's: those of
    /// another act there, at their own events (so it does not matter which groups share a
    /// partition).
    pub(super) fn dispatch_reserves(&mut self, group: u32) {
        for t in 0..self.teams.len() {
            let Place::Pool { threshold, travel } = self.m_team(t).place else {
                continue;
            };
            if self.team_group(t) != group {
                continue;
            }
            let role = self.m_team(t).role;
            for crew in 0..self.teams[t].crews.len() {
                let c = &self.teams[t].crews[crew];
                if !c.on || c.travelling || c.at.is_some() {
                    continue;
                }
                let Some(s) = self.longest_queue(role, threshold) else {
                    return;
                };
                let c = &mut self.teams[t].crews[crew];
                c.travelling = true;
                let generation = c.generation;
                self.obs
                    .dispatched(self.now, TeamId(self.tg[t]), crew as u32, self.site_id(s));
                let ev = Event::PoolArrive {
                    team: t as u32,
                    crew: crew as u16,
                    site: s as u32,
                    generation,
                };
                self.acting_as(Kind::Team, t, |p| p.at(p.now.after(travel), ev));
            }
        }
    }

    /// The local site with the longest queue above `threshold` among those needing `role`; ties
    /// go to the lowest global id.
    fn longest_queue(&self, role: Role, threshold: u32) -> Option<usize> {
        let needs = |s: usize| {
            let site = self.m_site(s);
            (role == Role::Marshal && site.marshals > 0)
                || site
                    .staff
                    .as_ref()
                    .is_some_and(|n| n.iter().any(|(r, _)| *r == role))
        };
        (0..self.sites.len())
            .filter(|&s| self.sites[s].waiting > threshold && needs(s))
            .max_by_key(|&s| (self.sites[s].waiting, std::cmp::Reverse(self.sg[s])))
    }

    /// The group of local team `t`.
    fn team_group(&self, t: usize) -> u32 {
        self.plan.team[self.tg[t] as usize].group
    }

    pub(super) fn pool_arrive(&mut self, t: usize, crew: u32, s: usize, generation: u32) {
        let c = &mut self.teams[t].crews[crew as usize];
        if c.generation != generation || !c.on {
            return;
        }
        c.travelling = false;
        c.at = Some(s as u32);
        self.obs
            .pool_arrived(self.now, TeamId(self.tg[t]), crew, SiteId(self.sg[s]));
        self.set_present(s, t, crew, true);
    }
}
