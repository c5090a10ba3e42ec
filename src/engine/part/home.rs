//! Door-to-door sampling: households of sealed areas and homebound residents are visited by the
//! sampling units (people on duty) of the door-to-door team serving their area, and, when labs
//! ask for it, positive pools' members are swabbed again at home before any household.

use std::collections::{BTreeMap, VecDeque};

use rand::Rng;

use super::{Event, NONE, Observer, Part};
use crate::engine::plan::Members;
use crate::model::{AreaId, Model, Place, TeamId};
use crate::time::{SimDuration, SimTime};

#[derive(Debug, Clone, Copy)]
struct Job {
    /// Local area.
    area: u32,
    round: u32,
    size: u32,
    infected: u32,
    /// A re-swab of a positive pool's member: (their first swab, when the job was made).
    reswab: Option<(SimTime, SimTime)>,
}

#[derive(Debug, Clone, Copy)]
struct Unit {
    crew: u32,
    on: bool,
    job: Option<Job>,
    /// Where the unit is (an area), or `NONE` before its first visit.
    area: u32,
    /// The tube the unit is filling (k-in-1), or `NONE`.
    tube: u32,
    started: SimTime,
}

#[derive(Debug, Clone, Default)]
struct HomeTeam {
    /// Re-swabs, served before households.
    reswabs: VecDeque<Job>,
    /// Households waiting, by area (building).
    jobs: BTreeMap<u32, VecDeque<Job>>,
    /// Areas with households waiting, in the order they first had one.
    areas: VecDeque<u32>,
    units: Vec<Unit>,
}

impl HomeTeam {
    fn has_work(&self) -> bool {
        !self.areas.is_empty() || !self.reswabs.is_empty()
    }

    fn push(&mut self, job: Job) {
        let queue = self.jobs.entry(job.area).or_default();
        if queue.is_empty() {
            self.areas.push_back(job.area);
        }
        queue.push_back(job);
    }

    /// The next job of a unit at `here`: a re-swab first, then a household in the same
    /// building, then the first household of the building waiting longest. A building taken up
    /// by a unit goes to the back of the line, so units spread over buildings instead of all
    /// crowding into one and walking to the next together.
    fn next(&mut self, here: u32) -> Option<Job> {
        if let Some(job) = self.reswabs.pop_front() {
            return Some(job);
        }
        let area = if self.jobs.contains_key(&here) {
            here
        } else {
            let a = self.areas.pop_front()?;
            self.areas.push_back(a);
            a
        };
        let queue = self.jobs.get_mut(&area)?;
        let job = queue.pop_front();
        if queue.is_empty() {
            self.jobs.remove(&area);
            self.areas.retain(|&a| a != area);
        }
        job
    }
}

/// Door-to-door state of a run: one entry per team (empty for other teams).
pub(super) struct Homes {
    teams: Vec<HomeTeam>,
}

impl Homes {
    pub(super) fn new(m: &Model, members: &Members) -> Homes {
        let teams = members
            .teams
            .iter()
            .map(|&g| &m.teams[g as usize])
            .map(|t| match &t.place {
                Place::Homes(_) => {
                    let crews = m.rotas[t.rota].crews;
                    let unit = |crew| Unit {
                        crew,
                        on: false,
                        job: None,
                        area: NONE,
                        tube: NONE,
                        started: SimTime::ZERO,
                    };
                    let units = (0..crews)
                        .flat_map(|crew| (0..t.headcount).map(move |_| unit(crew)))
                        .collect();
                    HomeTeam {
                        units,
                        ..HomeTeam::default()
                    }
                }
                _ => HomeTeam::default(),
            })
            .collect();
        Homes { teams }
    }

    /// Re-swabs still to be taken at home: (the drop site of the team, the member's first swab).
    /// (`tg`: the partition's teams' global indices; sites are reported by global id.)
    pub(super) fn pending_reswabs(&self, m: &Model, tg: &[u32], f: &mut dyn FnMut(u32, SimTime)) {
        for (t, team) in self.teams.iter().enumerate() {
            let Place::Homes(h) = &m.teams[tg[t] as usize].place else {
                continue;
            };
            let visiting = team.units.iter().filter_map(|u| u.job.as_ref());
            for j in team.reswabs.iter().chain(visiting) {
                if let Some((first, _)) = j.reswab {
                    f(h.drop.0, first);
                }
            }
        }
    }

    /// People waiting for, or in, a home visit: (first visits, re-swabs).
    pub(super) fn waiting(&self) -> (u64, u64) {
        let mut out = (0, 0);
        for t in &self.teams {
            let visiting = t.units.iter().filter_map(|u| u.job.as_ref());
            for j in t.jobs.values().flatten().chain(&t.reswabs).chain(visiting) {
                if j.reswab.is_some() {
                    out.1 += u64::from(j.size);
                } else {
                    out.0 += u64::from(j.size);
                }
            }
        }
        out
    }
}

impl<O: Observer> Part<'_, O> {
    /// `n` residents of a sealed area in `round`: households to visit.
    pub(super) fn call_households(&mut self, a: usize, round: u32, n: u32) {
        let area = self.m_area(a);
        let per_household = if area.households > 0 {
            f64::from(area.residents) / f64::from(area.households)
        } else {
            1.0
        };
        let households =
            ((f64::from(n) / per_household).round() as u32).clamp(u32::from(n > 0), n.max(1));
        for k in 0..households {
            let size = n / households + u32::from(k < n % households);
            self.home_job(a, round, size);
        }
    }

    /// A household (or a homebound resident) of `size` people joins its team's list.
    pub(super) fn home_job(&mut self, a: usize, round: u32, size: u32) {
        if size == 0 {
            return;
        }
        let Some(t) = self.home_team(a) else { return };
        let area = self.m_area(a);
        let prevalence = area.prevalence;
        let rng = &mut self.areas[a].people;
        let infected = if prevalence > 0.0 {
            (0..size)
                .filter(|_| rng.random::<f64>() < prevalence)
                .count() as u32
        } else {
            0
        };
        self.obs
            .home_called(self.now, AreaId(self.ag[a]), round, size);
        let job = Job {
            area: a as u32,
            round,
            size,
            infected,
            reswab: None,
        };
        self.homes.teams[t].push(job);
        self.dispatch_units(t);
    }

    /// A member of a positive pool is to be swabbed again at home, before any household.
    pub(super) fn reswab_job(&mut self, a: usize, infected: bool, first_swab: SimTime) {
        let Some(t) = self.home_team(a) else { return };
        let job = Job {
            area: a as u32,
            round: 0,
            size: 1,
            infected: u32::from(infected),
            reswab: Some((first_swab, self.now)),
        };
        self.homes.teams[t].reswabs.push_back(job);
        self.dispatch_units(t);
    }

    /// The team that takes a new visit in area `a`: the first of its teams with people on duty,
    /// or else the first.
    fn home_team(&self, a: usize) -> Option<usize> {
        let teams = &self.m_area(a).home_teams;
        let on = |&&t: &&usize| {
            let t = self.team_local(t);
            self.homes.teams[t].units.iter().any(|u| u.on)
        };
        teams
            .iter()
            .find(on)
            .or(teams.first())
            .map(|&t| self.team_local(t))
    }

    fn dispatch_units(&mut self, t: usize) {
        for u in 0..self.homes.teams[t].units.len() {
            let unit = self.homes.teams[t].units[u];
            if unit.on && unit.job.is_none() && self.homes.teams[t].has_work() {
                self.start_visit(t, u);
            }
        }
    }

    fn start_visit(&mut self, t: usize, u: usize) {
        let Place::Homes(visit) = &self.m_team(t).place else {
            return;
        };
        let here = self.homes.teams[t].units[u].area;
        let Some(job) = self.homes.teams[t].next(here) else {
            return;
        };
        let rng = &mut self.areas[job.area as usize].people;
        let here = self.homes.teams[t].units[u].area == job.area;
        let travel = if here {
            SimDuration::ZERO
        } else {
            visit.travel.sample(rng)
        };
        let time = visit.household.sample(rng);
        let unit = &mut self.homes.teams[t].units[u];
        unit.job = Some(job);
        unit.started = self.now;
        let done = self.now.after(travel).after(time);
        self.at(
            done,
            Event::HomeVisit {
                team: t as u32,
                unit: u as u32,
            },
        );
    }

    /// A visit ended: swabs go into tubes for the courier; the unit goes on if on duty.
    pub(super) fn home_visit(&mut self, t: usize, u: usize) {
        let Some(job) = self.homes.teams[t].units[u].job.take() else {
            return;
        };
        let Place::Homes(visit) = &self.m_team(t).place else {
            return;
        };
        let (drop, pool) = (self.site_local(visit.drop.0), visit.pool);
        let unit = self.homes.teams[t].units[u];
        self.homes.teams[t].units[u].area = job.area;
        let busy = self.now.since(unit.started);
        self.obs
            .home_visited(self.now, TeamId(self.tg[t]), unit.crew, busy);
        if let Some((first_swab, made)) = job.reswab {
            self.obs.reswabbed(
                self.now,
                AreaId(self.ag[job.area as usize]),
                self.now.since(made),
            );
            self.reswab_tube(
                drop,
                self.ag[job.area as usize],
                job.infected > 0,
                first_swab,
            );
        } else {
            self.household_swabbed(t, u, job, drop, pool);
        }
        if !self.homes.teams[t].units[u].on {
            self.close_unit_tube(t, u);
        } else if self.homes.teams[t].has_work() {
            self.start_visit(t, u);
        }
    }

    /// A household's first visit: its swabs go into a tube of its own, or the unit's k-in-1 tube.
    fn household_swabbed(&mut self, t: usize, u: usize, job: Job, drop: usize, pool: Option<u32>) {
        self.obs.home_tested(
            self.now,
            AreaId(self.ag[job.area as usize]),
            job.round,
            job.size,
        );
        if self.m_site(drop).route.is_none() {
            return; // no courier, no lab: nothing to keep per tube
        }
        let Some(k) = pool else {
            let id = self.home_tube(drop, job.size);
            self.fill_home_tube(id, self.ag[job.area as usize], job.size, job.infected);
            return;
        };
        let (mut left, mut infected) = (job.size, job.infected);
        while left > 0 {
            let mut id = self.homes.teams[t].units[u].tube;
            if id == NONE {
                id = self.home_tube(drop, k);
                self.homes.teams[t].units[u].tube = id;
            }
            let n = self.chain_room(id).min(left);
            let sick = infected.min(n);
            infected -= sick;
            left -= n;
            if self.fill_home_tube(id, self.ag[job.area as usize], n, sick) {
                self.homes.teams[t].units[u].tube = NONE;
            }
        }
    }

    /// The crew of a door-to-door team comes on or goes off duty.
    pub(super) fn home_crew(&mut self, t: usize, crew: u32, on: bool) {
        for u in 0..self.homes.teams[t].units.len() {
            let unit = &mut self.homes.teams[t].units[u];
            if unit.crew != crew {
                continue;
            }
            unit.on = on;
            if !on && unit.job.is_none() {
                self.close_unit_tube(t, u);
            }
        }
        if on {
            self.dispatch_units(t);
        }
    }

    fn close_unit_tube(&mut self, t: usize, u: usize) {
        let id = std::mem::replace(&mut self.homes.teams[t].units[u].tube, NONE);
        if id != NONE {
            self.seal_home_tube(id);
        }
    }
}
