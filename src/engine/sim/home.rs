//! Door-to-door sampling: households of sealed areas and homebound residents are visited by the
//! sampling units (people on duty) of the door-to-door team serving their area.

use std::collections::VecDeque;

use rand::Rng;

use super::{Event, NONE, Observer, Sim};
use crate::model::{AreaId, Model, Place, TeamId};
use crate::time::SimDuration;

#[derive(Debug, Clone, Copy)]
struct Job {
    area: u32,
    round: u32,
    size: u32,
    infected: u32,
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
    started: crate::time::SimTime,
}

#[derive(Debug, Clone, Default)]
struct HomeTeam {
    jobs: VecDeque<Job>,
    units: Vec<Unit>,
}

/// Door-to-door state of a run: one entry per team (empty for other teams).
pub(super) struct Homes {
    teams: Vec<HomeTeam>,
}

impl Homes {
    pub(super) fn new(m: &Model) -> Homes {
        let teams = m
            .teams
            .iter()
            .map(|t| match &t.place {
                Place::Homes(_) => {
                    let crews = m.rotas[t.rota].crews;
                    let units = (0..crews)
                        .flat_map(|crew| {
                            (0..t.headcount).map(move |_| Unit {
                                crew,
                                on: false,
                                job: None,
                                area: NONE,
                                tube: NONE,
                                started: crate::time::SimTime::ZERO,
                            })
                        })
                        .collect();
                    HomeTeam {
                        jobs: VecDeque::new(),
                        units,
                    }
                }
                _ => HomeTeam::default(),
            })
            .collect();
        Homes { teams }
    }

    /// People waiting for, or in, a home visit.
    pub(super) fn waiting(&self) -> u64 {
        self.teams
            .iter()
            .map(|t| {
                let queued: u64 = t.jobs.iter().map(|j| u64::from(j.size)).sum();
                let visiting: u64 = t
                    .units
                    .iter()
                    .filter_map(|u| u.job)
                    .map(|j| u64::from(j.size))
                    .sum();
                queued + visiting
            })
            .sum()
    }
}

impl<O: Observer> Sim<'_, O> {
    /// `n` residents of a sealed area in `round`: households to visit.
    pub(super) fn call_households(&mut self, a: usize, round: u32, n: u32) {
        let area = &self.m.areas[a];
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
        let area = &self.m.areas[a];
        let Some(t) = area.home_team else { return };
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
            .home_called(self.now, AreaId(a as u32), round, size);
        self.homes.teams[t].jobs.push_back(Job {
            area: a as u32,
            round,
            size,
            infected,
        });
        self.dispatch_units(t);
    }

    fn dispatch_units(&mut self, t: usize) {
        for u in 0..self.homes.teams[t].units.len() {
            let unit = self.homes.teams[t].units[u];
            if unit.on && unit.job.is_none() && !self.homes.teams[t].jobs.is_empty() {
                self.start_visit(t, u);
            }
        }
    }

    fn start_visit(&mut self, t: usize, u: usize) {
        let Place::Homes(visit) = &self.m.teams[t].place else {
            return;
        };
        let Some(job) = self.homes.teams[t].jobs.pop_front() else {
            return;
        };
        let rng = &mut self.areas[job.area as usize].people;
        let unit = self.homes.teams[t].units[u];
        let travel = if unit.area == job.area {
            SimDuration::ZERO
        } else {
            visit.travel.sample(rng)
        };
        let time = visit.household.sample(rng);
        let unit = &mut self.homes.teams[t].units[u];
        unit.job = Some(job);
        unit.started = self.now;
        let done = self.now.after(travel).after(time);
        self.queue.push(
            done,
            Event::HomeVisit {
                team: t as u32,
                unit: u as u32,
            },
        );
    }

    /// A visit ended: the household is swabbed, its swabs go into tubes for the courier.
    pub(super) fn home_visit(&mut self, t: usize, u: usize) {
        let Some(job) = self.homes.teams[t].units[u].job.take() else {
            return;
        };
        let Place::Homes(visit) = &self.m.teams[t].place else {
            return;
        };
        let (drop, pool) = (visit.drop.0 as usize, visit.pool);
        let unit = self.homes.teams[t].units[u];
        self.homes.teams[t].units[u].area = job.area;
        let busy = self.now.since(unit.started);
        self.obs
            .home_visited(self.now, TeamId(t as u32), unit.crew, busy);
        self.obs
            .home_tested(self.now, AreaId(job.area), job.round, job.size);
        let mut infected = job.infected;
        match pool {
            None => {
                let id = self.home_tube(drop, job.size);
                self.fill_home_tube(id, job.size, infected);
            }
            Some(k) => {
                let mut left = job.size;
                while left > 0 {
                    let mut id = self.homes.teams[t].units[u].tube;
                    if id == NONE {
                        id = self.home_tube(drop, k);
                        self.homes.teams[t].units[u].tube = id;
                    }
                    let room = self.chain_room(id);
                    let n = room.min(left);
                    let sick = infected.min(n);
                    infected -= sick;
                    left -= n;
                    if self.fill_home_tube(id, n, sick) {
                        self.homes.teams[t].units[u].tube = NONE;
                    }
                }
            }
        }
        if self.homes.teams[t].units[u].on {
            if !self.homes.teams[t].jobs.is_empty() {
                self.start_visit(t, u);
            }
        } else {
            self.close_unit_tube(t, u);
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
            let idle = unit.job.is_none();
            if !on && idle {
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
