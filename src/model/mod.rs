//! The resolved, immutable world of one scenario: names turned into `u32` ids, durations into
//! milliseconds, distributions into samplers, the compact `count` form expanded.
//!
//! [`Model::build`] is the validation step: it checks across fields and reports every problem
//! at once as [`Problem`]s with the key path they come from. Nothing after this module sees a
//! string id or a TOML value.

mod chain;
mod daily;
mod dist;
mod roles;
pub mod size;
mod staff;

pub use chain::{Lab, MAX_POOL, Route};
pub use daily::Daily;
pub use dist::Sampler;
pub use staff::{Change, CrewChange, HomeVisit, Place, Rota, Team, TeamId};

use std::collections::BTreeMap;

use crate::scenario::{
    AreaFile, Choice, Dist, FullAction, KeyPath, Problem, Role, ScenarioFile, SiteFile, SiteKind,
    WhenClosed, did_you_mean,
};
use crate::time::{CivilTime, DAY, HOUR, MINUTE, SimDuration, SimTime};

/// Index of an area in [`Model::areas`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AreaId(pub u32);

/// Index of a site in [`Model::sites`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SiteId(pub u32);

/// Most reporting steps a run may have (horizon ÷ report_every).
pub const MAX_STEPS: u64 = 200_000;

/// The whole resolved scenario.
#[derive(Debug, Clone)]
pub struct Model {
    /// Scenario name.
    pub name: String,
    /// Title for reports.
    pub title: String,
    /// Civil date and time of the start.
    pub start: CivilTime,
    /// End of the simulation.
    pub horizon: SimTime,
    /// Master seed.
    pub seed: u64,
    /// Reporting step of the time series.
    pub report_every: SimDuration,
    /// Target time from each round's start.
    pub deadline: Option<SimDuration>,
    /// Areas, in file order (compact blocks expanded in place).
    pub areas: Vec<Area>,
    /// Sites, in file order (compact blocks expanded in place).
    pub sites: Vec<Site>,
    /// Call-up rounds across all areas.
    pub rounds: Vec<Round>,
    /// Rotas, in file order.
    pub rotas: Vec<Rota>,
    /// Teams, in file order (compact blocks expanded in place).
    pub teams: Vec<Team>,
    /// Courier routes.
    pub routes: Vec<Route>,
    /// Laboratories.
    pub labs: Vec<Lab>,
    /// What looks wrong but may be meant (shown by `validate` and `run`, not refused).
    pub warnings: Vec<Problem>,
    /// What the round must achieve.
    pub targets: Vec<crate::targets::Target>,
    /// The `--set` overrides the model was built with (`path=value`), for reports.
    pub overrides: Vec<String>,
    /// Outages of registration at sites.
    pub disruptions: Vec<Disruption>,
}

/// A registration outage: from `start` for `length`, at `sites`, desks stop taking people (or
/// serve `slowdown` times slower).
#[derive(Debug, Clone)]
pub struct Disruption {
    /// Name.
    pub name: String,
    /// Onset, drawn per replication (a constant when fixed).
    pub onset: Sampler,
    /// Duration, drawn per replication.
    pub length: Sampler,
    /// What it does, and to whom.
    pub effect: Effect,
}

/// What a disruption does while it is on; every list is sorted.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Desks at these sites stop registering, or serve `slowdown` times slower.
    Registration {
        /// Sites hit.
        sites: Vec<SiteId>,
        /// Service slowed by this factor; `None`: stopped.
        slowdown: Option<f64>,
    },
    /// Call-ups of these areas: turnout and the response delay multiplied.
    Turnout {
        /// Areas hit.
        areas: Vec<AreaId>,
        /// Factor on the share who come.
        turnout: f64,
        /// Factor on the delay before setting off.
        response: f64,
    },
    /// Each person of these teams misses a shift starting in the window with chance `share`.
    Absence {
        /// Teams hit.
        teams: Vec<TeamId>,
        /// Chance per person and shift.
        share: f64,
    },
    /// Machines of these labs out of service.
    Lab {
        /// Labs hit (indices).
        labs: Vec<u32>,
        /// Machines down at each; `None`: all (the lab is closed).
        machines: Option<u32>,
        /// Breakdowns machine by machine instead: time to failure and time to repair, drawn
        /// anew for each failure from the machine's own stream while the disruption is on.
        wear: Option<(Sampler, Sampler)>,
    },
}

impl Effect {
    /// The kind's name, as in the scenario file.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Effect::Registration { .. } => "registration",
            Effect::Turnout { .. } => "turnout",
            Effect::Absence { .. } => "absence",
            Effect::Lab { .. } => "lab",
        }
    }
}

impl Disruption {
    /// Its start and end in replication `rep`: drawn from its own stream, so that adding a
    /// disruption changes no other draw, and every partition draws the same.
    pub fn window(&self, seed: u64, rep: u32) -> (SimTime, SimTime) {
        let mut rng = crate::engine::rng::stream(seed, rep, "disruption", &self.name, "when");
        let start = SimTime(self.onset.sample(&mut rng).0);
        (start, start.after(self.length.sample(&mut rng)))
    }

    /// Whether it breaks machines one by one (time to failure, time to repair).
    pub fn wears(&self) -> bool {
        matches!(&self.effect, Effect::Lab { wear: Some(_), .. })
    }

    /// A machine's next time to failure (`failure`) or time to repair, from its stream.
    pub fn wear_draw<R: rand::Rng + ?Sized>(&self, rng: &mut R, failure: bool) -> SimDuration {
        match &self.effect {
            Effect::Lab {
                wear: Some((ttf, ttr)),
                ..
            } => {
                if failure {
                    ttf.sample(rng)
                } else {
                    ttr.sample(rng)
                }
            }
            _ => SimDuration::ZERO,
        }
    }

    /// Whether it is a registration outage at site `s`.
    pub fn hits_site(&self, s: SiteId) -> bool {
        matches!(&self.effect, Effect::Registration { sites, .. } if sites.binary_search(&s).is_ok())
    }

    /// Its factors on turnout and response delay, if it hits area `a`.
    pub fn hits_area(&self, a: AreaId) -> Option<(f64, f64)> {
        match &self.effect {
            Effect::Turnout {
                areas,
                turnout,
                response,
            } if areas.binary_search(&a).is_ok() => Some((*turnout, *response)),
            _ => None,
        }
    }

    /// Each person's chance to miss a shift, if it hits team `t`.
    pub fn hits_team(&self, t: TeamId) -> Option<f64> {
        match &self.effect {
            Effect::Absence { teams, share } if teams.binary_search(&t).is_ok() => Some(*share),
            _ => None,
        }
    }

    /// The machines it takes out of `machines` at lab `l`, if it hits that lab.
    pub fn hits_lab(&self, l: u32, machines: u32) -> Option<u32> {
        match &self.effect {
            Effect::Lab {
                labs,
                machines: down,
                ..
            } if labs.binary_search(&l).is_ok() => Some(down.unwrap_or(machines).min(machines)),
            _ => None,
        }
    }
}

/// One call-up round across the areas that have it.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// The earliest start of this round in any area.
    pub start: SimTime,
    /// Residents called in this round.
    pub residents: u64,
}

/// A resolved area.
#[derive(Debug, Clone)]
pub struct Area {
    /// Name (expanded).
    pub name: String,
    /// Index of its `[[area]]` block in the file.
    pub block: u32,
    /// Residents.
    pub residents: u32,
    /// Households.
    pub households: u32,
    /// Sites in order of preference.
    pub sites: Vec<SiteId>,
    /// Site choice rule.
    pub choice: Choice,
    /// Walking time (shared by the areas of a block: a city has hundreds of thousands).
    pub walk: std::sync::Arc<Sampler>,
    /// Share in the priority group.
    pub priority_share: f64,
    /// Share who come when called.
    pub turnout: f64,
    /// Delay from call-up to setting off (shared by the areas of a block).
    pub response: std::sync::Arc<Sampler>,
    /// Share of people infected.
    pub prevalence: f64,
    /// First round (from 0) in which the area is sealed: door-to-door only.
    pub sealed_from: Option<u32>,
    /// Share of called residents sampled at home.
    pub homebound: f64,
    /// Swabs per tube for this area's people at sites; `None`: the site's.
    pub pool: Option<u32>,
    /// The door-to-door teams that serve the area; a visit goes to the first with people on
    /// duty, or else the first.
    pub home_teams: Vec<usize>,
    /// How people come.
    pub arrivals: Arrivals,
}

/// How an area's people come to the sites.
#[derive(Debug, Clone)]
pub enum Arrivals {
    /// Called up in waves, every round.
    CallUp(CallUp),
    /// A Poisson stream.
    WalkIn(WalkIn),
}

/// Call-up plan of an area.
#[derive(Debug, Clone)]
pub struct CallUp {
    /// Number of rounds.
    pub rounds: u32,
    /// Time between round starts.
    pub round_every: SimDuration,
    /// This area's stagger offset.
    pub offset: SimDuration,
    /// Waves: time after the round start and number of residents called.
    pub waves: Vec<(SimDuration, u32)>,
}

/// A walk-in stream.
#[derive(Debug, Clone)]
pub struct WalkIn {
    /// Arrivals per millisecond by time of day.
    pub rate: Daily,
    /// First possible arrival.
    pub begin: SimTime,
    /// No arrivals from here on.
    pub end: SimTime,
}

/// A resolved site.
#[derive(Debug, Clone)]
pub struct Site {
    /// Name (expanded).
    pub name: String,
    /// Desks.
    pub desks: u32,
    /// Open (1) or closed (0) by time of day.
    pub hours: Daily,
    /// Desks planned by time of day (`desks_by_time`); `None`: `desks` all day.
    pub desk_plan: Option<Daily>,
    /// Days of the scenario (1 = the start day) on which the site opens, sorted; `None`: every
    /// day.
    pub days: Option<Vec<u32>>,
    /// Waiting places; `None` is unlimited.
    pub queue_capacity: Option<u32>,
    /// Whether the priority group has its own lane served first.
    pub green_lane: bool,
    /// Behaviour at a closed site.
    pub when_closed: WhenClosed,
    /// Patience in the queue.
    pub patience: Option<Sampler>,
    /// Come back when the queue is full: (delay, tries in all); `None` gives up.
    pub come_back: Option<(Sampler, u32)>,
    /// Stages of every desk, in order.
    pub stages: Vec<Stage>,
    /// Sampling point or checkpoint.
    pub kind: SiteKind,
    /// People of each role every open desk needs; `None`: desks are always staffed.
    pub staff: Option<Vec<(Role, u32)>>,
    /// Marshals on duty needed to open the desks.
    pub marshals: u32,
    /// Swabs per tube.
    pub pool: u32,
    /// Tubes in stock at the start; `None` is unlimited.
    pub tubes: Option<u32>,
    /// Swab kits in stock at the start; `None` is unlimited.
    pub kits: Option<u32>,
    /// Deliveries: (interval, tubes, kits).
    pub resupply: Option<(SimDuration, u32, u32)>,
    /// The courier route that serves the site.
    pub route: Option<usize>,
    /// Where the site is drawn on the replay: (x, y) on a plane, or (longitude scaled by the
    /// cosine of the latitude, latitude) from `lat`/`lon`; `None`: on a grid.
    pub at: Option<(f64, f64)>,
    /// Where people go after the last stage, with cumulative shares (the last is 1); empty:
    /// they are swabbed here.
    pub then: Vec<(SiteId, f64)>,
    /// The walk to the next site.
    pub then_walk: Option<Sampler>,
}

impl Site {
    /// Whether people pass on from here to another site instead of being swabbed here.
    pub fn passes_on(&self) -> bool {
        !self.then.is_empty()
    }

    /// Whether swabs taken here go into tubes: a sampling point on a courier route. Without
    /// labs there is no chain, and nothing is kept per tube.
    pub fn fills_tubes(&self) -> bool {
        self.kind == SiteKind::Sampling && self.route.is_some()
    }
}

impl Site {
    /// Whether the site is open at `t`, for a scenario that starts `tod0` ms after midnight.
    pub fn open_at(&self, tod0: u64, t: SimTime) -> bool {
        let ms = tod0 + t.0;
        let day = (ms / DAY + 1) as u32;
        self.hours.value_at(ms % DAY) > 0.0
            && self
                .days
                .as_ref()
                .is_none_or(|d| d.binary_search(&day).is_ok())
    }

    /// Desks planned at `t` (the site's `desks` without `desks_by_time`).
    pub fn planned_at(&self, tod0: u64, t: SimTime) -> u32 {
        match &self.desk_plan {
            None => self.desks,
            Some(p) => (p.value_at((tod0 + t.0) % DAY).round().max(0.0) as u32).min(self.desks),
        }
    }

    /// Milliseconds from `t` to the next change of the desks planned, if they change.
    pub fn until_plan_change(&self, tod0: u64, t: SimTime) -> Option<u64> {
        self.desk_plan
            .as_ref()
            .and_then(|p| p.until_change((tod0 + t.0) % DAY))
    }

    /// Milliseconds from `t` to the next change between open and closed, or `None` if the site
    /// stays as it is for ever (closed after its last day, or open or closed all day, every day).
    /// The search jumps from one listed day to the next, so its work is bounded by the days
    /// listed and the hours' changes in a day, whatever the day numbers.
    pub fn until_change(&self, tod0: u64, t: SimTime) -> Option<u64> {
        let now = self.open_at(tod0, t);
        let mut at = t;
        loop {
            let ms = tod0 + at.0;
            let day = ms / DAY + 1;
            let listed = |d: u64| {
                self.days
                    .as_ref()
                    .is_none_or(|ds| ds.binary_search(&(d as u32)).is_ok())
            };
            let step = if listed(day) {
                let to_hours = self.hours.until_change(ms % DAY);
                let to_midnight = self.days.as_ref().map(|_| DAY - ms % DAY);
                match (to_hours, to_midnight) {
                    (Some(a), Some(b)) => a.min(b),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => return None,
                }
            } else {
                // Closed all day: on to the start of the next listed day, if any.
                let days = self.days.as_deref().unwrap_or(&[]);
                let next = days.iter().map(|&d| u64::from(d)).find(|&d| d > day)?;
                (next - 1) * DAY - ms
            };
            at = at.after(SimDuration(step));
            if self.open_at(tod0, at) != now {
                return Some(at.0 - t.0);
            }
        }
    }
}

/// One stage of a desk.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Name.
    pub name: String,
    /// Service time.
    pub service: Sampler,
    /// Who works this post.
    pub role: Option<Role>,
}

impl Model {
    /// Validates a parsed scenario and resolves it, or returns every problem found.
    pub fn build(file: &ScenarioFile) -> Result<Model, Vec<Problem>> {
        let mut c = Check::default();
        if !entries_fit(&mut c, file) {
            return Err(c.problems);
        }
        let header = header(&mut c, file);
        let (mut sites, pending) = sites(&mut c, &file.site);
        if !pending.is_empty() {
            let names: Vec<String> = sites.iter().map(|s| s.name.clone()).collect();
            let by_name: BTreeMap<&str, SiteId> = names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), SiteId(i as u32)))
                .collect();
            resolve_then(&mut c, &mut sites, pending, &by_name);
        }
        let index: BTreeMap<&str, SiteId> = sites
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), SiteId(i as u32)))
            .collect();
        let areas = areas(&mut c, &file.area, &index, header.horizon);
        let rotas = staff::rotas(&mut c, &file.rota, &file.team, header.start, header.horizon);
        let rota_index: BTreeMap<&str, usize> = rotas
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), i))
            .collect();
        let area_index: BTreeMap<&str, AreaId> = areas
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), AreaId(i as u32)))
            .collect();
        let teams = staff::teams(&mut c, &file.team, &rota_index, &index, &area_index);
        let home_teams = home_teams(&mut c, &areas, &teams);
        let reswab_lab = file
            .lab
            .iter()
            .position(|l| l.retest == Some(crate::scenario::Retest::Home));
        // Anyone who can share a pool with an infected person may need a re-swab at home: people
        // of infected areas, and people of any area swabbed into pools of more than one.
        let pooled = |a: &Area| {
            a.sites.iter().any(|s| {
                a.pool
                    .unwrap_or_else(|| sites.get(s.0 as usize).map_or(1, |x| x.pool))
                    > 1
            })
        };
        if let Some(l) = reswab_lab
            && let Some(a) = areas
                .iter()
                .zip(&home_teams)
                .position(|(a, t)| (a.prevalence > 0.0 || pooled(a)) && t.is_empty())
        {
            c.push(
                KeyPath::of(&["lab"]).index(l).key("retest"),
                &format!("lab.{}.retest", file.lab[l].name),
                format!("positive pools are re-swabbed at home, but no door-to-door team serves area `{}`, whose people are swabbed into pools", areas[a].name),
                format!("add `{}` to the `areas` of a door-to-door [[team]], or set retest = \"lab\"", areas[a].name),
            );
        }
        check_staffing(&mut c, file, &sites, &teams);
        check_staff_totals(&mut c, &sites, &teams, &rotas);
        let mut labs = chain::labs(&mut c, &file.lab);
        let mut expanded = chain::routes(&mut c, &file.route, &index, &labs);
        chain::chain_staff(&mut c, &file.lab, &mut expanded, &mut labs, &teams);
        let routes: Vec<chain::Route> = expanded.into_iter().map(|e| e.route).collect();
        let site_routes = chain::site_routes(&mut c, &routes, &sites, !labs.is_empty());
        roles::check_roles(&mut c, file, &sites, &teams, &routes, &labs);
        let mut warnings = Check::default();
        let duty = roles::Duty {
            file,
            start_of_day: header.start.millis_of_day,
            horizon: header.horizon,
            sites: &sites,
            teams: &teams,
            rotas: &rotas,
        };
        roles::check_duty(&mut c, &mut warnings, &duty);
        if file.area.is_empty() {
            c.push(
                KeyPath::default(),
                "area",
                "the scenario has no [[area]]: nobody comes to be tested",
                "add an [[area]] with residents and a call-up, or a walk-in stream",
            );
        }
        let mut targets = targets(&mut c, &file.target, &sites);
        let disruptions = disruptions(
            &mut c,
            &file.disruption,
            (&sites, &areas, &teams),
            &file.lab,
            header.horizon,
        );
        if c.problems.is_empty() {
            let rounds = rounds(&areas, header.horizon);
            check_target_rounds(&mut c, &file.target, &mut targets, rounds.len());
            if !c.problems.is_empty() {
                return Err(c.problems);
            }
            let mut sites = sites;
            for (site, route) in sites.iter_mut().zip(site_routes) {
                site.route = route;
            }
            if let Some(s) = sites.iter().find(|s| s.passes_on() && s.route.is_some()) {
                c.push(
                    KeyPath::of(&["site"]),
                    &format!("site.{}.then", s.name),
                    format!("`{}` passes people on (`then`) without swabbing them, but a courier route calls there for tubes", s.name),
                    "take the site off the route, or remove `then`",
                );
                return Err(c.problems);
            }
            let mut areas = areas;
            for (area, teams) in areas.iter_mut().zip(home_teams) {
                area.home_teams = teams;
            }
            let model = Model {
                name: header.name,
                title: header.title,
                start: header.start,
                horizon: header.horizon,
                seed: header.seed,
                report_every: header.report_every,
                deadline: header.deadline,
                areas,
                sites,
                rounds,
                rotas,
                teams,
                routes,
                labs,
                warnings: warnings.problems,
                targets: targets.into_iter().map(|(_, t)| t).collect(),
                overrides: Vec::new(),
                disruptions,
            };
            let too_big = size::check(&model, 1, file);
            if too_big.is_empty() {
                Ok(model)
            } else {
                Err(too_big)
            }
        } else {
            Err(c.problems)
        }
    }

    /// Milliseconds since midnight at time `t`.
    pub fn time_of_day(&self, t: SimTime) -> u64 {
        (self.start.millis_of_day + t.0) % DAY
    }

    /// The coverage that turnout allows over the rounds within the horizon: a sealed area's
    /// residents are all visited at home, a homebound share is visited whatever the turnout, and
    /// of the rest only the turnout come (`None` without call-ups).
    pub fn turnout_cap(&self) -> Option<f64> {
        let (mut coming, mut all) = (0.0, 0.0);
        for a in &self.areas {
            let Arrivals::CallUp(cu) = &a.arrivals else {
                continue;
            };
            for r in 0..cu.rounds.min(self.rounds.len() as u32) {
                let home = if a.sealed_from.is_some_and(|s| r >= s) {
                    1.0
                } else {
                    a.homebound
                };
                coming += f64::from(a.residents) * (home + (1.0 - home) * a.turnout);
                all += f64::from(a.residents);
            }
        }
        (all > 0.0).then(|| coming / all)
    }

    /// Total residents over the areas with call-ups (one round).
    pub fn residents(&self) -> u64 {
        self.areas
            .iter()
            .filter(|a| matches!(a.arrivals, Arrivals::CallUp(_)))
            .map(|a| u64::from(a.residents))
            .sum()
    }
}

/// Whether the compact blocks expand to at most [`size::MAX_ENTRIES`] areas, sites and teams
/// (checked before anything is expanded, so a file of many huge blocks is refused at once).
fn entries_fit(c: &mut Check, file: &ScenarioFile) -> bool {
    let total = |counts: &mut dyn Iterator<Item = Option<u32>>| -> u64 {
        counts.map(|n| u64::from(n.unwrap_or(1))).sum()
    };
    let kinds = [
        ("area", total(&mut file.area.iter().map(|a| a.count))),
        ("site", total(&mut file.site.iter().map(|s| s.count))),
        ("team", total(&mut file.team.iter().map(|t| t.count))),
    ];
    let mut fits = true;
    for (kind, n) in kinds {
        if n > size::MAX_ENTRIES {
            fits = false;
            c.push(
                KeyPath::of(&[kind]),
                kind,
                format!(
                    "the [[{kind}]] blocks stand for {n} entries, more than {}",
                    size::MAX_ENTRIES
                ),
                "describe larger units, or split the scenario into several",
            );
        }
    }
    fits
}

/// The scenario's targets, each with the index of its `[[target]]` entry (an entry with both
/// bounds gives two targets).
fn targets(
    c: &mut Check,
    files: &[crate::scenario::TargetFile],
    sites: &[Site],
) -> Vec<(usize, crate::targets::Target)> {
    use crate::scenario::RoundPick;
    use crate::targets::{Bound, ROUND_COLUMNS, SITE_COLUMNS, Scope, Target};
    let mut out = Vec::new();
    for (k, f) in files.iter().enumerate() {
        let path = KeyPath::of(&["target"]).index(k);
        let key = format!("target.{}", f.figure);
        let scope = match (&f.site, &f.round) {
            (Some(_), Some(_)) => {
                c.push(
                    path.key("round"),
                    &format!("{key}.round"),
                    "a target is taken at a site or in a round, not both",
                    "keep `site` (a figure of sites.csv) or `round` (a figure of rounds.csv)",
                );
                continue;
            }
            (Some(s), None) if s == "*" => Scope::EverySite,
            (Some(s), None) => match sites.iter().position(|x| &x.name == s) {
                Some(i) => Scope::Site(i),
                None => {
                    c.push(
                        path.key("site"),
                        &format!("{key}.site"),
                        format!(
                            "there is no site named `{s}`{}",
                            did_you_mean(s, sites.iter().map(|x| x.name.as_str()))
                        ),
                        "name a site as expanded (e.g. \"point-3\"), or \"*\" for every site",
                    );
                    continue;
                }
            },
            (None, Some(RoundPick::Number(n))) => {
                if *n == 0 {
                    c.push(
                        path.key("round"),
                        &format!("{key}.round"),
                        "rounds count from 1",
                        "write round = 1 for the first round, or \"*\" for every round",
                    );
                    continue;
                }
                Scope::Round(*n as usize - 1)
            }
            (None, Some(RoundPick::Every(s))) if s == "*" => Scope::EveryRound,
            (None, Some(RoundPick::Every(s))) => {
                c.push(
                    path.key("round"),
                    &format!("{key}.round"),
                    format!("`{s}` is not a round"),
                    "write a round number from 1, or \"*\" for every round",
                );
                continue;
            }
            (None, None) => Scope::Run,
        };
        let (columns, table): (&[&str], &str) = match scope {
            Scope::Run => (&crate::observe::SUMMARY_COLUMNS, "summary.csv"),
            Scope::Site(_) | Scope::EverySite => (&SITE_COLUMNS, "sites.csv"),
            Scope::Round(_) | Scope::EveryRound => (&ROUND_COLUMNS, "rounds.csv"),
        };
        if !columns.contains(&f.figure.as_str()) {
            c.push(
                path.key("figure"),
                &format!("{key}.figure"),
                format!(
                    "`{}` is not a figure of {table}{}",
                    f.figure,
                    did_you_mean(&f.figure, columns.iter().copied())
                ),
                format!(
                    "name a column of {table} (docs/outputs.md lists them), e.g. figure = \"{}\"",
                    if table == "rounds.csv" {
                        "hours_to_95pct"
                    } else {
                        "wait_p95_min"
                    }
                ),
            );
            continue;
        }
        if f.at_most.is_none() && f.at_least.is_none() {
            c.push(
                path.clone(),
                &key,
                "a target needs `at_most` or `at_least`",
                "e.g. at_most = 30",
            );
            continue;
        }
        for (name, v, bound) in [
            ("at_most", f.at_most, f.at_most.map(Bound::AtMost)),
            ("at_least", f.at_least, f.at_least.map(Bound::AtLeast)),
        ] {
            let (Some(v), Some(bound)) = (v, bound) else {
                continue;
            };
            if !v.is_finite() {
                c.push(
                    path.key(name),
                    &format!("{key}.{name}"),
                    format!("`{name}` must be a finite number, found {v}"),
                    "give the bound as a number, e.g. at_most = 30",
                );
                continue;
            }
            out.push((
                k,
                Target {
                    figure: f.figure.clone(),
                    scope: scope.clone(),
                    bound,
                },
            ));
        }
    }
    out
}

/// Refuses a target in a round the scenario does not have.
fn check_target_rounds(
    c: &mut Check,
    files: &[crate::scenario::TargetFile],
    targets: &mut [(usize, crate::targets::Target)],
    rounds: usize,
) {
    for (k, t) in targets.iter() {
        if let crate::targets::Scope::Round(r) = t.scope
            && r >= rounds
        {
            c.push(
                KeyPath::of(&["target"]).index(*k).key("round"),
                &format!("target.{}.round", files[*k].figure),
                format!(
                    "the scenario has {rounds} call-up round{} in its horizon, not {}",
                    if rounds == 1 { "" } else { "s" },
                    r + 1
                ),
                "give a round the scenario has, or \"*\" for every round",
            );
        }
    }
}

/// Collects problems.
#[derive(Default)]
struct Check {
    problems: Vec<Problem>,
}

impl Check {
    fn push(
        &mut self,
        path: KeyPath,
        key: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.problems.push(Problem {
            path,
            key: key.to_string(),
            message: message.into(),
            fix: fix.into(),
        });
    }

    fn share(&mut self, v: Option<f64>, default: f64, path: KeyPath, key: &str) -> f64 {
        let v = v.unwrap_or(default);
        if !(0.0..=1.0).contains(&v) {
            self.push(
                path,
                key,
                format!("must be a share between 0 and 1, found {v}"),
                "write a share as a fraction, e.g. 0.15 for 15%",
            );
        }
        v
    }

    /// An interval between repeating things: at least [`size::MIN_INTERVAL`].
    fn interval(&mut self, d: SimDuration, path: KeyPath, key: &str, what: &str) -> SimDuration {
        if d < size::MIN_INTERVAL {
            self.push(
                path,
                key,
                format!("{what} must be at least {}, found {d}", size::MIN_INTERVAL),
                "give it in minutes or hours, e.g. \"15min\"",
            );
        }
        d
    }

    /// A count at most `max`, e.g. desks; returns it clamped so later code stays bounded.
    fn at_most(&mut self, v: u32, max: u32, path: KeyPath, key: &str, fix: &str) -> u32 {
        if v > max {
            self.push(path, key, format!("must be at most {max}, found {v}"), fix);
        }
        v.min(max)
    }

    fn duration(&mut self, d: SimDuration, path: KeyPath, key: &str, what: &str) -> SimDuration {
        if d.0 == 0 {
            self.push(
                path,
                key,
                format!("{what} must be longer than 0"),
                "give a positive duration, e.g. \"15min\"",
            );
        }
        d
    }

    fn name(&mut self, name: &str, path: KeyPath, key: &str) {
        if let Some(message) = crate::scenario::name_problem(name) {
            self.push(
                path,
                key,
                message,
                "use letters, digits, `-` and `_`, e.g. \"east-gate\" (Chinese names are fine)",
            );
        }
    }
}

struct HeaderModel {
    name: String,
    title: String,
    start: CivilTime,
    horizon: SimTime,
    seed: u64,
    report_every: SimDuration,
    deadline: Option<SimDuration>,
}

fn header(c: &mut Check, file: &ScenarioFile) -> HeaderModel {
    let h = &file.scenario;
    let p = KeyPath::of(&["scenario"]);
    if file.version != 1 {
        c.push(
            KeyPath::of(&["version"]),
            "version",
            format!("unknown file format version {}", file.version),
            "this swabsim reads version = 1",
        );
    }
    c.name(&h.name, p.key("name"), "scenario.name");
    let start = match (h.start.date, h.start.time, h.start.offset) {
        (Some(d), time, None) => {
            let t = time.map_or(0, |t| {
                u64::from(t.hour) * HOUR + u64::from(t.minute) * MINUTE + u64::from(t.second) * 1000
            });
            CivilTime::new(i64::from(d.year), u32::from(d.month), u32::from(d.day), t)
        }
        _ => {
            c.push(
                p.key("start"),
                "scenario.start",
                format!("`{}` is not a local date and time", h.start),
                "write the local start without a time zone, e.g. start = 2022-11-02T07:00:00",
            );
            CivilTime::new(1970, 1, 1, 0)
        }
    };
    let horizon = c.duration(
        h.horizon.0,
        p.key("horizon"),
        "scenario.horizon",
        "the horizon",
    );
    if horizon > size::MAX_HORIZON {
        c.push(
            p.key("horizon"),
            "scenario.horizon",
            format!("must be at most {}, found {horizon}", size::MAX_HORIZON),
            "a testing round lasts days: simulate it, not a year",
        );
    }
    let horizon = horizon.min(size::MAX_HORIZON);
    let report_every = h.report_every.map_or(SimDuration(15 * MINUTE), |d| d.0);
    c.interval(
        report_every,
        p.key("report_every"),
        "scenario.report_every",
        "the reporting step",
    );
    if report_every >= size::MIN_INTERVAL && horizon.0 / report_every.0 > MAX_STEPS {
        c.push(
            p.key("report_every"),
            "scenario.report_every",
            format!(
                "the horizon {} holds more than {MAX_STEPS} reporting steps of {report_every}",
                horizon
            ),
            "choose a longer reporting step",
        );
    }
    if let Some(d) = h.deadline {
        c.duration(d.0, p.key("deadline"), "scenario.deadline", "the deadline");
    }
    HeaderModel {
        name: h.name.clone(),
        title: h.title.clone().unwrap_or_else(|| h.name.clone()),
        start,
        horizon: SimTime(horizon.0),
        seed: h.seed,
        report_every,
        deadline: h.deadline.map(|d| d.0),
    }
}

/// Expands `{i}` (1-based index) and `{i/N}` ((i-1)/N + 1) in a compact-form name.
pub fn expand(template: &str, i: u32) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("`{template}` has a `{{` without `}}`"))?;
        let inner = &rest[open + 1..open + close];
        let v = match inner.split_once('/') {
            None if inner.trim() == "i" => i,
            Some((a, n)) if a.trim() == "i" => match n.trim().parse::<u32>() {
                Ok(n) if n > 0 => (i - 1) / n + 1,
                _ => {
                    return Err(format!(
                        "`{{{inner}}}` in `{template}` needs a whole number above 0 after `/`"
                    ));
                }
            },
            _ => {
                return Err(format!(
                    "`{{{inner}}}` in `{template}` is not `{{i}}` or `{{i/N}}`"
                ));
            }
        };
        out.push_str(&v.to_string());
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn expanded_names(
    c: &mut Check,
    template: &str,
    count: Option<u32>,
    path: &KeyPath,
    key: &str,
) -> Vec<String> {
    let n = count.unwrap_or(1);
    if n == 0 {
        c.push(
            path.key("count"),
            &format!("{key}.count"),
            "count must be at least 1",
            "remove `count` for a single entry, or give how many entries this block stands for",
        );
    }
    if n > size::MAX_COUNT {
        c.push(
            path.key("count"),
            &format!("{key}.count"),
            format!("a block stands for at most {} entries, found {n}", size::MAX_COUNT),
            "split the block into several, or describe larger units (a district instead of a building)",
        );
        return Vec::new();
    }
    if count.is_none() && template.contains('{') {
        c.push(
            path.key("name"),
            &format!("{key}.name"),
            format!("`{template}` has `{{i}}` in it, but the block has no `count`"),
            "add `count` (how many entries the block stands for), or take `{i}` out of the name",
        );
    }
    let mut names = Vec::new();
    for i in 1..=n.max(1) {
        match expand(template, i) {
            Ok(name) => names.push(name),
            Err(e) => {
                c.push(
                    path.key("name"),
                    &format!("{key}.name"),
                    e,
                    "write `{i}` for the entry's number, or `{i/N}` for groups of N",
                );
                return Vec::new();
            }
        }
    }
    if let Some(first) = names.first() {
        c.name(first, path.key("name"), &format!("{key}.name"));
    }
    if count.is_some_and(|n| n > 1) && names.windows(2).any(|w| w[0] == w[1]) {
        c.push(
            path.key("name"),
            &format!("{key}.name"),
            format!("`{template}` gives the same name to several entries of this block"),
            "put `{i}` in the name, e.g. \"building-{i}\"",
        );
    }
    names
}

/// A site's `then`, its names expanded, to be resolved once every site is known.
pub(super) struct PendingThen {
    /// The site (index in the model).
    site: usize,
    /// (next site's name, share).
    next: Vec<(String, f64)>,
    path: KeyPath,
    key: String,
}

fn sites(c: &mut Check, files: &[SiteFile]) -> (Vec<Site>, Vec<PendingThen>) {
    let mut out: Vec<Site> = Vec::new();
    let mut pending: Vec<PendingThen> = Vec::new();
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    for (si, f) in files.iter().enumerate() {
        let path = KeyPath::of(&["site"]).index(si);
        let key = format!("site.{}", f.name);
        let names = expanded_names(c, &f.name, f.count, &path, &key);
        let proto = site(c, f, &path, &key);
        let except = exceptions(c, f, &names, &path, &key);
        for (k, name) in names.into_iter().enumerate() {
            let file = except.get(&name).unwrap_or(f);
            if let Some(then) = &file.then {
                let at = if except.contains_key(&name) {
                    path.key("except").key(&name).key("then")
                } else {
                    path.key("then")
                };
                let next = then
                    .iter()
                    .map(|n| {
                        let site = match expand(&n.site, k as u32 + 1) {
                            Ok(s) => s,
                            Err(e) => {
                                c.push(
                                    at.clone(),
                                    &format!("{key}.then"),
                                    e,
                                    "write `{i}` or `{i/N}` in a name",
                                );
                                n.site.clone()
                            }
                        };
                        (site, n.share)
                    })
                    .collect();
                pending.push(PendingThen {
                    site: out.len(),
                    next,
                    path: at,
                    key: format!("site.{name}.then"),
                });
            }
            if let Some(own) = except.get(&name) {
                let site_key = format!("site.{name}");
                let mut one = site(c, own, &path.key("except").key(&name), &site_key);
                one.name = name.clone();
                if seen.insert(name.clone(), ()).is_some() {
                    c.push(
                        path.key("name"),
                        &format!("{key}.name"),
                        format!("there is already a site named `{name}`"),
                        "give every site its own name",
                    );
                }
                out.push(one);
                continue;
            }
            if seen.insert(name.clone(), ()).is_some() {
                c.push(
                    path.key("name"),
                    &format!("{key}.name"),
                    format!("there is already a site named `{name}`"),
                    "give every site its own name",
                );
            }
            out.push(Site {
                name,
                ..proto.clone()
            });
        }
    }
    (out, pending)
}

/// Resolves each site's `then`: names of other sites, shares that add up to 1, no way back to
/// a site already passed (people would go round for ever), not from a checkpoint or a courier
/// stop.
fn resolve_then(
    c: &mut Check,
    sites: &mut [Site],
    pending: Vec<PendingThen>,
    index: &BTreeMap<&str, SiteId>,
) {
    for p in pending {
        let mut cum = 0.0;
        let mut next = Vec::new();
        for (name, share) in &p.next {
            if !(share.is_finite() && *share > 0.0 && *share <= 1.0) {
                c.push(
                    p.path.clone(),
                    &p.key,
                    format!("a share above 0 and at most 1 is needed, found {share}"),
                    "e.g. share = 0.97 for the swab queue and 0.03 for the fever lane",
                );
            }
            match index.get(name.as_str()) {
                Some(&s) if s.0 as usize == p.site => c.push(
                    p.path.clone(),
                    &p.key,
                    format!("`{name}` sends people back to itself"),
                    "name another site",
                ),
                Some(&s) if sites[s.0 as usize].kind == SiteKind::Checkpoint => c.push(
                    p.path.clone(),
                    &p.key,
                    format!("`{name}` is a road checkpoint, which checks vehicles, not people passed on from a post"),
                    "name a sampling point",
                ),
                Some(&s) => {
                    cum += share;
                    next.push((s, cum));
                }
                None => {
                    let hint = crate::scenario::did_you_mean(name, index.keys().copied());
                    c.push(
                        p.path.clone(),
                        &p.key,
                        format!("names the site `{name}`, but no [[site]] has that name{hint}"),
                        "use the name of a [[site]] (expanded, e.g. \"swab-hall-3\")",
                    );
                }
            }
        }
        if !next.is_empty() && (cum - 1.0).abs() > 1e-9 {
            c.push(
                p.path.clone(),
                &p.key,
                format!("the shares add up to {cum}, not 1"),
                "give every person a next site: shares that add up to 1",
            );
        }
        if let Some(last) = next.last_mut() {
            last.1 = 1.0;
        }
        let site = &mut sites[p.site];
        if site.kind == SiteKind::Checkpoint {
            c.push(
                p.path.clone(),
                &p.key,
                "a checkpoint passes vehicles, not people, on to another site",
                "remove `then`, or make the site a sampling point",
            );
        }
        site.then = next;
    }
    // No way round: follow `then` from every site; a site met twice on one path is a loop.
    let n = sites.len();
    let mut state = vec![0u8; n]; // 0 new, 1 on the path, 2 done
    for s0 in 0..n {
        if state[s0] != 0 || sites[s0].then.is_empty() {
            continue;
        }
        let mut stack = vec![(s0, 0usize)];
        state[s0] = 1;
        while let Some(&mut (s, ref mut k)) = stack.last_mut() {
            if let Some(&(next, _)) = sites[s].then.get(*k) {
                *k += 1;
                let t = next.0 as usize;
                match state[t] {
                    0 => {
                        state[t] = 1;
                        stack.push((t, 0));
                    }
                    1 => {
                        c.push(
                            KeyPath::of(&["site"]),
                            &format!("site.{}.then", sites[s].name),
                            format!(
                                "people can go round from `{}` back to `{}`",
                                sites[s].name, sites[t].name
                            ),
                            "send people on to sites that do not lead back",
                        );
                        return;
                    }
                    _ => {}
                }
            } else {
                state[s] = 2;
                stack.pop();
            }
        }
    }
}

/// The entries of a `count` block that `except` changes: each entry's own file, the block's
/// keys with the exception's keys put in their place. Names that are not entries of the block,
/// and keys that cannot differ by entry, are input errors.
fn exceptions(
    c: &mut Check,
    f: &SiteFile,
    names: &[String],
    path: &KeyPath,
    key: &str,
) -> BTreeMap<String, SiteFile> {
    let mut out = BTreeMap::new();
    let Some(except) = &f.except else {
        return out;
    };
    if f.count.is_none() {
        c.push(
            path.key("except"),
            &format!("{key}.except"),
            "`except` changes entries of a `count` block, but this block has no `count`",
            "write the values in the block itself, or give it a `count`",
        );
        return out;
    }
    let Ok(toml::Value::Table(block)) = toml::Value::try_from(f) else {
        return out;
    };
    for (name, keys) in except {
        let at = path.key("except").key(name);
        if !names.contains(name) {
            let hint = crate::scenario::did_you_mean(name, names.iter().map(String::as_str));
            c.push(
                at,
                &format!("{key}.except.{name}"),
                format!("`{name}` is not an entry of this block{hint}"),
                format!(
                    "name an entry by its expanded name, from `{}` to `{}`",
                    names.first().map_or("", String::as_str),
                    names.last().map_or("", String::as_str)
                ),
            );
            continue;
        }
        if let Some(bad) = ["name", "count", "except"]
            .into_iter()
            .find(|k| keys.contains_key(*k))
        {
            c.push(
                at.key(bad),
                &format!("{key}.except.{name}.{bad}"),
                format!("`{bad}` cannot differ for one entry of a block"),
                "change the other keys of the entry, e.g. desks = 6",
            );
            continue;
        }
        let mut merged = block.clone();
        merged.remove("count");
        merged.remove("except");
        merged.insert("name".into(), toml::Value::String(name.clone()));
        for (k, v) in keys {
            merged.insert(k.clone(), v.clone());
        }
        match toml::Value::Table(merged).try_into::<SiteFile>() {
            Ok(own) => {
                out.insert(name.clone(), own);
            }
            Err(e) => c.push(
                at,
                &format!("{key}.except.{name}"),
                e.message().trim().to_string(),
                "give the keys of a [[site]] with values of their kind, e.g. desks = 6",
            ),
        }
    }
    out
}

fn site(c: &mut Check, f: &SiteFile, path: &KeyPath, key: &str) -> Site {
    if f.desks == 0 {
        c.push(
            path.key("desks"),
            &format!("{key}.desks"),
            "must be at least 1, found 0",
            "give the number of desks that sample at the same time, e.g. desks = 4",
        );
    }
    c.at_most(
        f.desks,
        size::MAX_DESKS,
        path.key("desks"),
        &format!("{key}.desks"),
        "a site has tens of desks; model a very large site as several sites",
    );
    if f.stage.is_empty() {
        c.push(
            path.key("stage"),
            &format!("{key}.stage"),
            "a site needs at least one stage",
            "add a [[site.stage]] with a name and a service time, e.g. the swab",
        );
    }
    if f.stage.len() > 16 {
        c.push(
            path.key("stage"),
            &format!("{key}.stage"),
            format!("{} stages; at most 16 are allowed", f.stage.len()),
            "merge stages done by the same person",
        );
    }
    let stages = f
        .stage
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let sp = path.key("stage").index(i);
            let sk = format!("{key}.stage.{}", s.name);
            c.name(&s.name, sp.key("name"), &format!("{sk}.name"));
            Stage {
                role: s.role,
                name: s.name.clone(),
                service: dist(c, &s.service, sp.key("service"), &format!("{sk}.service")),
            }
        })
        .collect();
    let hours = match &f.hours {
        None => Daily::constant(1.0),
        Some(ranges) if ranges.is_empty() => {
            c.push(path.key("hours"), &format!("{key}.hours"), "the site is never open: `hours` is empty", "list the opening hours, e.g. hours = [\"07:00-12:00\", \"14:00-18:00\"], or remove the key for a site open all day");
            Daily::constant(1.0)
        }
        Some(ranges) => Daily::from_periods(
            &ranges
                .iter()
                .map(|r| (r.from, r.to, 1.0))
                .collect::<Vec<_>>(),
        )
        .clamped(),
    };
    let come_back = match &f.on_full {
        None => None,
        Some(o) => {
            let op = path.key("on_full");
            match o.action {
                FullAction::GiveUp => {
                    if o.after.is_some() || o.tries.is_some() {
                        c.push(
                            op.key("action"),
                            &format!("{key}.on_full.action"),
                            "`after` and `tries` apply only when the action is \"come-back\"",
                            "set action = \"come-back\", or remove `after` and `tries`",
                        );
                    }
                    None
                }
                FullAction::ComeBack => {
                    let tries = c.at_most(
                        o.tries.unwrap_or(3),
                        size::MAX_TRIES,
                        op.key("tries"),
                        &format!("{key}.on_full.tries"),
                        "people try a few times, e.g. tries = 3",
                    );
                    if tries < 2 {
                        c.push(op.key("tries"), &format!("{key}.on_full.tries"), format!("with come-back a person needs at least 2 tries in all, found {tries}"), "count the first try too, e.g. tries = 3; or set action = \"give-up\"");
                    }
                    let after = match &o.after {
                        Some(d) => dist(c, d, op.key("after"), &format!("{key}.on_full.after")),
                        None => {
                            c.push(op.clone(), &format!("{key}.on_full.after"), "come-back needs `after`, the time until the next try", "add e.g. after = { dist = \"uniform\", min = \"30min\", max = \"1h\" }");
                            Sampler::zero()
                        }
                    };
                    Some((after, tries))
                }
            }
        }
    };
    Site {
        name: f.name.clone(),
        desks: f.desks.min(size::MAX_DESKS),
        hours,
        days: site_days(c, f, path, key),
        queue_capacity: f.queue_capacity,
        green_lane: f.green_lane.unwrap_or(false),
        when_closed: f.when_closed.unwrap_or(WhenClosed::ComeBack),
        patience: f
            .patience
            .as_ref()
            .map(|d| dist(c, d, path.key("patience"), &format!("{key}.patience"))),
        come_back,
        stages,
        kind: f.kind.unwrap_or(SiteKind::Sampling),
        staff: f.staff.as_ref().map(|m| {
            m.iter()
                .filter(|(_, n)| **n > 0)
                .map(|(r, n)| (*r, *n))
                .collect()
        }),
        marshals: f.marshals.unwrap_or(0),
        pool: pool(c, f, path, key),
        tubes: f.tubes,
        kits: f.kits,
        resupply: f.resupply.as_ref().map(|r| {
            let every = c.interval(
                r.every.0,
                path.key("resupply").key("every"),
                &format!("{key}.resupply.every"),
                "the time between deliveries",
            );
            (every, r.tubes.unwrap_or(0), r.kits.unwrap_or(0))
        }),
        route: None,
        at: position(c, f, path, key),
        desk_plan: desk_plan(c, f, path, key),
        then: Vec::new(),
        then_walk: f
            .then_walk
            .as_ref()
            .map(|d| dist(c, d, path.key("then_walk"), &format!("{key}.then_walk"))),
    }
}

/// Desks by time of day: `desks` outside the windows, each window's own count inside; windows
/// must not overlap and may not ask for more than `desks`.
fn desk_plan(c: &mut Check, f: &SiteFile, path: &KeyPath, key: &str) -> Option<Daily> {
    let windows = f.desks_by_time.as_ref()?;
    let at = path.key("desks_by_time");
    let k = format!("{key}.desks_by_time");
    if windows.is_empty() {
        c.push(
            at,
            &k,
            "`desks_by_time` is empty",
            "list windows, e.g. desks_by_time = [{ hours = \"07:00-10:00\", desks = 6 }], or remove the key",
        );
        return None;
    }
    for (i, w) in windows.iter().enumerate() {
        if w.desks > f.desks {
            c.push(
                at.index(i).key("desks"),
                &format!("{k}.desks"),
                format!(
                    "a window asks for {} desks, but the site has {}",
                    w.desks, f.desks
                ),
                "raise `desks` to the most desks the site ever opens, or lower the window's",
            );
        }
    }
    let cover = Daily::from_periods(
        &windows
            .iter()
            .map(|w| (w.hours.from, w.hours.to, 1.0))
            .collect::<Vec<_>>(),
    );
    if cover.max() > 1.0 {
        c.push(
            at,
            &k,
            "two windows of `desks_by_time` overlap",
            "give each time of day one number of desks",
        );
        return None;
    }
    let base = f64::from(f.desks);
    let shift: Vec<(u64, u64, f64)> = windows
        .iter()
        .map(|w| (w.hours.from, w.hours.to, f64::from(w.desks) - base))
        .collect();
    Some(Daily::from_periods(&shift).map_values(|v| v + base))
}

/// Resolves the disruptions: a known name for every site, a positive length, a slowdown above 1.
fn disruptions(
    c: &mut Check,
    files: &[crate::scenario::DisruptionFile],
    (sites, areas, teams): (&[Site], &[Area], &[Team]),
    lab_files: &[crate::scenario::LabFile],
    horizon: SimTime,
) -> Vec<Disruption> {
    use crate::scenario::DisruptionKind;
    let index: BTreeMap<&str, usize> = sites
        .iter()
        .enumerate()
        .map(|(k, s)| (s.name.as_str(), k))
        .collect();
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let path = KeyPath::of(&["disruption"]).index(i);
            let key = format!("disruption.{}", f.name);
            c.name(&f.name, path.key("name"), &format!("{key}.name"));
            use crate::scenario::When;
            let when = |c: &mut Check, w: &When, k: &str| match w {
                When::Fixed(d) => Sampler::Constant(d.0.0),
                When::Drawn(d) => dist(c, d, path.key(k), &format!("{key}.{k}")),
            };
            let onset = when(c, &f.at, "at");
            let length = when(c, &f.lasts, "lasts");
            if matches!(length, Sampler::Constant(0)) {
                c.push(path.key("lasts"), &format!("{key}.lasts"), "a disruption lasts more than 0", "give how long it lasts, e.g. lasts = \"1h\"");
            }
            if onset.min().0 >= horizon.0 {
                c.push(path.key("at"), &format!("{key}.at"), format!("starts at {} after the start or later, at or after the horizon ({})", onset.min(), SimDuration(horizon.0)), "give an onset within the horizon");
            }
            if let Some(x) = f.slowdown
                && !(x.is_finite() && x > 1.0 && x <= 100.0)
            {
                c.push(path.key("slowdown"), &format!("{key}.slowdown"), format!("a slowdown multiplies service times by more than 1 and at most 100, found {x}"), "e.g. slowdown = 3 when IDs are typed by hand; remove it for a full stop");
            }
            let turnout = f.kind == DisruptionKind::Turnout;
            let absence = f.kind == DisruptionKind::Absence;
            let given = [
                ("sites", f.sites.is_some()),
                ("slowdown", f.slowdown.is_some()),
                ("areas", f.areas.is_some()),
                ("turnout", f.turnout.is_some()),
                ("response", f.response.is_some()),
                ("teams", f.teams.is_some()),
                ("share", f.share.is_some()),
                ("labs", f.labs.is_some()),
                ("machines", f.machines.is_some()),
                ("time_to_failure", f.time_to_failure.is_some()),
                ("time_to_repair", f.time_to_repair.is_some()),
            ];
            let (kind, own, fix): (&str, &[&str], &str) = match f.kind {
                DisruptionKind::Registration => ("registration", &["sites", "slowdown"], "a registration outage takes `sites` and `slowdown`"),
                DisruptionKind::Turnout => ("turnout", &["areas", "turnout", "response"], "a turnout disruption takes `areas`, `turnout` and `response`"),
                DisruptionKind::Absence => ("absence", &["teams", "share"], "an absence takes `teams` and `share`"),
                DisruptionKind::Lab => ("lab", &["labs", "machines", "time_to_failure", "time_to_repair"], "a lab disruption takes `labs`, `machines`, `time_to_failure` and `time_to_repair`"),
            };
            let lab = f.kind == DisruptionKind::Lab;
            let wear = match (&f.time_to_failure, &f.time_to_repair) {
                (Some(a), Some(b)) if lab => {
                    if f.machines.is_some() {
                        c.push(path.key("machines"), &format!("{key}.machines"), "with `time_to_failure`, every machine of the labs fails on its own", "remove `machines`, or remove `time_to_failure` and `time_to_repair` for a fixed number down");
                    }
                    let ttf = dist(c, a, path.key("time_to_failure"), &format!("{key}.time_to_failure"));
                    let ttr = dist(c, b, path.key("time_to_repair"), &format!("{key}.time_to_repair"));
                    if a.rough_mean_ms() < size::MIN_INTERVAL.0 as f64 {
                        c.push(path.key("time_to_failure"), &format!("{key}.time_to_failure"), format!("a mean time to failure of at least {} is needed", size::MIN_INTERVAL), "give the mean time a machine runs between breakdowns, e.g. { dist = \"exponential\", mean = \"40h\" }");
                    }
                    Some((ttf, ttr))
                }
                (None, None) => None,
                _ if lab => {
                    c.push(path.key(if f.time_to_failure.is_some() { "time_to_failure" } else { "time_to_repair" }), &format!("{key}.time_to_failure"), "`time_to_failure` and `time_to_repair` go together", "give both, e.g. time_to_failure = { dist = \"exponential\", mean = \"40h\" } and time_to_repair = { dist = \"lognormal\", mean = \"4h\", sd = \"2h\" }");
                    None
                }
                _ => None,
            };
            if f.machines == Some(0) {
                c.push(path.key("machines"), &format!("{key}.machines"), "must be at least 1, found 0", "give the machines that break down, or remove `machines` to close the lab");
            }
            let lab_ids: Vec<u32> = if !lab {
                Vec::new()
            } else {
                match &f.labs {
                    None => (0..lab_files.len() as u32).collect(),
                    Some(names) => names
                        .iter()
                        .enumerate()
                        .filter_map(|(k, n)| match lab_files.iter().position(|l| &l.name == n) {
                            Some(l) => Some(l as u32),
                            None => {
                                let hint = crate::scenario::did_you_mean(n, lab_files.iter().map(|l| l.name.as_str()));
                                c.push(path.key("labs").index(k), &format!("{key}.labs"), format!("names the lab `{n}`, but no [[lab]] has that name{hint}"), "use the name of a [[lab]], or remove `labs` for every lab");
                                None
                            }
                        })
                        .collect(),
                }
            };
            if lab && lab_files.is_empty() {
                c.push(path.key("kind"), &format!("{key}.kind"), "a lab disruption, but the scenario has no [[lab]]", "add a [[lab]], or remove this disruption");
            }
            for (k, g) in given {
                if g && !own.contains(&k) {
                    c.push(path.key(k), &format!("{key}.{k}"), format!("`{k}` does not apply to kind = \"{kind}\""), fix);
                }
            }
            if absence && !f.share.is_some_and(|x| (0.0..=1.0).contains(&x)) {
                c.push(path.key("share"), &format!("{key}.share"), "an absence needs `share`, each person's chance to miss a shift, from 0 to 1", "e.g. share = 0.1 when one in ten falls ill");
            }
            let team_ids: Vec<TeamId> = if !absence {
                Vec::new()
            } else {
                match &f.teams {
                    None => (0..teams.len())
                        .filter(|&t| matches!(teams[t].place, Place::Sites(_)))
                        .map(|t| TeamId(t as u32))
                        .collect(),
                    Some(names) => names
                        .iter()
                        .enumerate()
                        .filter_map(|(k, n)| match teams.iter().position(|t| &t.name == n) {
                            Some(t) => Some(TeamId(t as u32)),
                            None => {
                                let hint = crate::scenario::did_you_mean(n, teams.iter().map(|t| t.name.as_str()));
                                c.push(path.key("teams").index(k), &format!("{key}.teams"), format!("names the team `{n}`, but no [[team]] has that name{hint}"), "use the name of a [[team]] (expanded, e.g. \"samplers-3\"), or remove `teams` for every team at sites");
                                None
                            }
                        })
                        .collect(),
                }
            };
            if let Some(x) = f.turnout
                && !(0.0..=1.0).contains(&x)
            {
                c.push(path.key("turnout"), &format!("{key}.turnout"), format!("multiplies the share who come, from 0 to 1, found {x}"), "e.g. turnout = 0.8 when rain keeps a fifth at home");
            }
            if let Some(x) = f.response
                && !(x.is_finite() && x > 0.0 && x <= 100.0)
            {
                c.push(path.key("response"), &format!("{key}.response"), format!("multiplies the delay before setting off, above 0 and at most 100, found {x}"), "e.g. response = 2 when people wait for the rain to stop");
            }
            if turnout && f.turnout.is_none() && f.response.is_none() {
                c.push(path.clone(), &key, "a turnout disruption changes `turnout`, `response` or both", "add e.g. turnout = 0.8");
            }
            let area_ids: Vec<AreaId> = if !turnout {
                Vec::new()
            } else {
                match &f.areas {
                    None => (0..areas.len()).map(|a| AreaId(a as u32)).collect(),
                    Some(names) => names
                        .iter()
                        .enumerate()
                        .filter_map(|(k, n)| match areas.iter().position(|a| &a.name == n) {
                            Some(a) => Some(AreaId(a as u32)),
                            None => {
                                let hint = crate::scenario::did_you_mean(n, areas.iter().map(|a| a.name.as_str()));
                                c.push(path.key("areas").index(k), &format!("{key}.areas"), format!("names the area `{n}`, but no [[area]] has that name{hint}"), "use the name of an [[area]] (expanded, e.g. \"block-3\"), or remove `areas` for every area");
                                None
                            }
                        })
                        .collect(),
                }
            };
            let sorted = |mut v: Vec<u32>| {
                v.sort_unstable();
                v.dedup();
                v
            };
            let effect = match f.kind {
                DisruptionKind::Registration => {
                    let ids: Vec<u32> = match &f.sites {
                        None => sites
                            .iter()
                            .enumerate()
                            .filter(|(_, s)| s.kind == SiteKind::Sampling)
                            .map(|(k, _)| k as u32)
                            .collect(),
                        Some(names) => names
                            .iter()
                            .enumerate()
                            .filter_map(|(k, n)| match index.get(n.as_str()) {
                                Some(&s) => Some(s as u32),
                                None => {
                                    let hint = crate::scenario::did_you_mean(n, index.keys().copied());
                                    c.push(path.key("sites").index(k), &format!("{key}.sites"), format!("names the site `{n}`, but no [[site]] has that name{hint}"), "use the name of a [[site]] (expanded, e.g. \"point-3\"), or remove `sites` for every sampling point");
                                    None
                                }
                            })
                            .collect(),
                    };
                    Effect::Registration {
                        sites: sorted(ids).into_iter().map(SiteId).collect(),
                        slowdown: f.slowdown,
                    }
                }
                DisruptionKind::Turnout => Effect::Turnout {
                    areas: sorted(area_ids.into_iter().map(|a| a.0).collect())
                        .into_iter()
                        .map(AreaId)
                        .collect(),
                    turnout: f.turnout.unwrap_or(1.0),
                    response: f.response.unwrap_or(1.0),
                },
                DisruptionKind::Absence => Effect::Absence {
                    teams: sorted(team_ids.into_iter().map(|t| t.0).collect())
                        .into_iter()
                        .map(TeamId)
                        .collect(),
                    share: f.share.unwrap_or(0.0),
                },
                DisruptionKind::Lab => Effect::Lab {
                    labs: sorted(lab_ids),
                    machines: f.machines,
                    wear,
                },
            };
            Disruption {
                name: f.name.clone(),
                onset,
                length,
                effect,
            }
        })
        .collect()
}

/// A site's position from `x`/`y` or `lat`/`lon`: both of a pair, one pair, finite, and one
/// site per position (a `count` block would put all its sites on one spot).
fn position(c: &mut Check, f: &SiteFile, path: &KeyPath, key: &str) -> Option<(f64, f64)> {
    let at = match (f.x, f.y, f.lat, f.lon) {
        (None, None, None, None) => return None,
        (Some(x), Some(y), None, None) if x.is_finite() && y.is_finite() => (x, y),
        (None, None, Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            (lon * lat.to_radians().cos(), lat)
        }
        _ => {
            let (k, why) = if f.x.is_some() || f.y.is_some() {
                (
                    "x",
                    "a plane position needs both `x` and `y` (finite numbers), and no `lat`/`lon`",
                )
            } else {
                (
                    "lat",
                    "a map position needs both `lat` (-90 to 90) and `lon` (-180 to 180), and no `x`/`y`",
                )
            };
            c.push(
                path.key(k),
                &format!("{key}.{k}"),
                why,
                "give x = 120.5, y = 80 (any unit, north up) or lat = 26.22, lon = 111.61; or remove them for a grid",
            );
            return None;
        }
    };
    if f.count.is_some_and(|n| n > 1) {
        c.push(
            path.key("count"),
            &format!("{key}.count"),
            "a `count` block with a position would put all its sites on one spot",
            "give positions to sites listed one by one, or remove `x`/`y`/`lat`/`lon` from the block",
        );
        return None;
    }
    Some(at)
}

fn site_days(c: &mut Check, f: &SiteFile, path: &KeyPath, key: &str) -> Option<Vec<u32>> {
    let days = f.days.as_ref()?;
    if days.is_empty() || days.contains(&0) || days.iter().any(|&d| d > 366) {
        c.push(
            path.key("days"),
            &format!("{key}.days"),
            "days count from 1 (the start day) to 366, and at least one is needed",
            "e.g. days = [1, 2] for a point open on the first two days",
        );
    }
    let mut d: Vec<u32> = days
        .iter()
        .copied()
        .filter(|&x| (1..=366).contains(&x))
        .collect();
    d.sort_unstable();
    d.dedup();
    Some(d)
}

fn pool(c: &mut Check, f: &SiteFile, path: &KeyPath, key: &str) -> u32 {
    let k = f.pool.unwrap_or(1);
    if k == 0 || k > MAX_POOL {
        c.push(
            path.key("pool"),
            &format!("{key}.pool"),
            format!("a tube holds from 1 to {MAX_POOL} swabs, found {k}"),
            "use a validated pool size: 1 (single tube), 5, 10 or 20",
        );
    }
    k.clamp(1, MAX_POOL)
}

/// A site whose desks need a role that no team can bring there never opens: an input error.
fn check_staffing(c: &mut Check, file: &ScenarioFile, sites: &[Site], teams: &[Team]) {
    let pools: Vec<Role> = teams
        .iter()
        .filter(|t| matches!(t.place, Place::Pool { .. }))
        .map(|t| t.role)
        .collect();
    // The roles that teams bring to each site: one pass over the teams, not one per site.
    let mut brought: Vec<Vec<Role>> = vec![Vec::new(); sites.len()];
    for t in teams {
        if let Place::Sites(ids) = &t.place {
            for id in ids {
                if let Some(b) = brought.get_mut(id.0 as usize)
                    && !b.contains(&t.role)
                {
                    b.push(t.role);
                }
            }
        }
    }
    let mut site_file = 0;
    let mut left_in_block = 0;
    for (s, site) in sites.iter().enumerate() {
        if left_in_block == 0 {
            left_in_block = file
                .site
                .get(site_file)
                .and_then(|f| f.count)
                .unwrap_or(1)
                .max(1);
            site_file += 1;
        }
        left_in_block -= 1;
        let path = KeyPath::of(&["site"]).index(site_file - 1);
        let key = format!("site.{}", file.site[site_file - 1].name);
        let mut needs: Vec<Role> = site.staff.iter().flatten().map(|(r, _)| *r).collect();
        if site.marshals > 0 {
            needs.push(Role::Marshal);
        }
        for role in needs {
            let here = brought[s].contains(&role);
            if !here && !pools.contains(&role) {
                c.push(
                    path.key(if role == Role::Marshal { "marshals" } else { "staff" }),
                    &format!("{key}.staff"),
                    format!("site `{}` needs {} staff, but no [[team]] of that role works there or in a pool: its desks would never open", site.name, role_name(role)),
                    format!("add a [[team]] with role = \"{}\" and sites = [\"{}\"], or remove the requirement", role_name(role), site.name),
                );
                return;
            }
        }
    }
}

/// People who can be on duty at one site at once (every crew of every team there, and every
/// reserve) stay within [`size::MAX_STAFF_AT_SITE`].
fn check_staff_totals(c: &mut Check, sites: &[Site], teams: &[Team], rotas: &[Rota]) {
    let mut at = vec![0u64; sites.len()];
    let mut anywhere = 0u64;
    for t in teams {
        let people = u64::from(t.headcount) * u64::from(rotas.get(t.rota).map_or(1, |r| r.crews));
        match &t.place {
            Place::Sites(ids) => ids.iter().for_each(|s| at[s.0 as usize] += people),
            Place::Pool { .. } => anywhere += people,
            Place::Homes(_) => {}
        }
    }
    if let Some((s, n)) = at
        .iter()
        .enumerate()
        .map(|(s, n)| (s, n + anywhere))
        .find(|(_, n)| *n > size::MAX_STAFF_AT_SITE)
    {
        c.push(
            KeyPath::of(&["team"]),
            "team",
            format!(
                "up to {n} people could be on duty at site `{}`, more than {}",
                sites[s].name,
                size::MAX_STAFF_AT_SITE
            ),
            "give each team the people of one crew at one site (headcount), not a district's",
        );
    }
}

/// The name of a role as written in a scenario.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Sampler => "sampler",
        Role::Registrar => "registrar",
        Role::Marshal => "marshal",
        Role::Courier => "courier",
        Role::DoorToDoor => "door-to-door",
        Role::Lab => "lab",
    }
}

impl Daily {
    /// Opening hours: every positive value (overlapping ranges) counts as open.
    fn clamped(self) -> Daily {
        self.map_values(|v| if v > 0.0 { 1.0 } else { 0.0 })
    }
}

fn areas(
    c: &mut Check,
    files: &[AreaFile],
    index: &BTreeMap<&str, SiteId>,
    horizon: SimTime,
) -> Vec<Area> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    for (ai, f) in files.iter().enumerate() {
        let path = KeyPath::of(&["area"]).index(ai);
        let key = format!("area.{}", f.name);
        let names = expanded_names(c, &f.name, f.count, &path, &key);
        let proto = area(c, f, &path, &key, horizon);
        let n = names.len() as u32;
        for (i, name) in names.into_iter().enumerate() {
            let i = i as u32 + 1;
            if seen.insert(name.clone(), ()).is_some() {
                c.push(
                    path.key("name"),
                    &format!("{key}.name"),
                    format!("there is already an area named `{name}`"),
                    "give every area its own name",
                );
            }
            let sites = area_sites(c, f, i, index, &path, &key);
            let mut a = Area {
                name,
                block: ai as u32,
                sites,
                ..proto.clone()
            };
            if let (Arrivals::CallUp(cu), Some(stagger)) = (&mut a.arrivals, f.stagger) {
                let cycle = f.stagger_cycle.unwrap_or(n).max(1);
                cu.offset = SimDuration(stagger.0.0 * u64::from((i - 1) % cycle));
            }
            out.push(a);
        }
    }
    // A city has hundreds of thousands of areas: no room left over from growing.
    out.shrink_to_fit();
    out
}

fn area_sites(
    c: &mut Check,
    f: &AreaFile,
    i: u32,
    index: &BTreeMap<&str, SiteId>,
    path: &KeyPath,
    key: &str,
) -> Vec<SiteId> {
    if f.sites.is_empty() {
        if i == 1 {
            c.push(
                path.key("sites"),
                &format!("{key}.sites"),
                "the area names no site",
                "list the sites its people go to, e.g. sites = [\"east-gate\"]",
            );
        }
        return Vec::new();
    }
    f.sites
        .iter()
        .enumerate()
        .filter_map(|(k, template)| {
            let name = expand(template, i).unwrap_or_else(|_| template.clone());
            match index.get(name.as_str()) {
                Some(id) => Some(*id),
                None if reported(f, k, i, index) => None,
                None => {
                    let whose = if f.count.unwrap_or(1) > 1 && template.contains('{') {
                        format!(" (for the area numbered {i})")
                    } else {
                        String::new()
                    };
                    let known: Vec<&str> = index.keys().take(8).copied().collect();
                    c.push(
                        path.key("sites").index(k),
                        &format!("{key}.sites"),
                        format!("names the site `{name}`{whose}, but no [[site]] has that name"),
                        format!(
                            "use the name of a [[site]]: {}{}",
                            known.join(", "),
                            if index.len() > 8 { ", ..." } else { "" }
                        ),
                    );
                    None
                }
            }
        })
        .collect()
}

/// Whether site entry `k` of a compact block already failed for an area numbered before `i`
/// (one message per entry, not one per area).
fn reported(f: &AreaFile, k: usize, i: u32, index: &BTreeMap<&str, SiteId>) -> bool {
    (1..i).any(|j| {
        let name = expand(&f.sites[k], j).unwrap_or_else(|_| f.sites[k].clone());
        !index.contains_key(name.as_str())
    })
}

fn area(c: &mut Check, f: &AreaFile, path: &KeyPath, key: &str, horizon: SimTime) -> Area {
    let residents = f.residents.unwrap_or(0);
    let arrivals = match (&f.callup, &f.walkin) {
        (Some(waves), None) => Arrivals::CallUp(callup(c, f, waves, path, key)),
        (None, Some(w)) => Arrivals::WalkIn(walkin(c, w, path, key, horizon)),
        (Some(_), Some(_)) => {
            c.push(
                path.key("walkin"),
                &format!("{key}.walkin"),
                "an area has either call-ups or walk-ins, not both",
                "split it into two areas",
            );
            Arrivals::CallUp(CallUp {
                rounds: 1,
                round_every: SimDuration::ZERO,
                offset: SimDuration::ZERO,
                waves: Vec::new(),
            })
        }
        (None, None) => {
            c.push(
                path.clone(),
                key,
                "the area has neither `callup` nor `walkin`: nobody from it comes",
                "add callup = [{ at = \"0h\", share = 1.0 }], or walkin = { rate = \"60/h\" }",
            );
            Arrivals::CallUp(CallUp {
                rounds: 1,
                round_every: SimDuration::ZERO,
                offset: SimDuration::ZERO,
                waves: Vec::new(),
            })
        }
    };
    if let Some(h) = f.households
        && h > residents
    {
        c.push(
            path.key("households"),
            &format!("{key}.households"),
            format!(
                "{h} households for {residents} residents: a household has at least one person"
            ),
            "give at most as many households as residents (2-3 residents per household is usual)",
        );
    }
    if matches!(arrivals, Arrivals::CallUp(_)) && f.residents.is_none() {
        c.push(
            path.clone(),
            &format!("{key}.residents"),
            "an area with call-ups needs `residents`",
            "add the number of residents, e.g. residents = 2500",
        );
    }
    Area {
        name: f.name.clone(),
        block: 0,
        residents,
        households: f.households.unwrap_or(0),
        sites: Vec::new(),
        choice: f.choice.unwrap_or(Choice::First),
        walk: std::sync::Arc::new(f.walk.as_ref().map_or_else(Sampler::zero, |d| {
            dist(c, d, path.key("walk"), &format!("{key}.walk"))
        })),
        priority_share: c.share(
            f.priority_share,
            0.0,
            path.key("priority_share"),
            &format!("{key}.priority_share"),
        ),
        turnout: c.share(
            f.turnout,
            1.0,
            path.key("turnout"),
            &format!("{key}.turnout"),
        ),
        response: std::sync::Arc::new(f.response.as_ref().map_or_else(Sampler::zero, |d| {
            dist(c, d, path.key("response"), &format!("{key}.response"))
        })),
        prevalence: c.share(
            f.prevalence,
            0.0,
            path.key("prevalence"),
            &format!("{key}.prevalence"),
        ),
        sealed_from: match f.sealed_from_round {
            Some(0) => {
                c.push(
                    path.key("sealed_from_round"),
                    &format!("{key}.sealed_from_round"),
                    "rounds count from 1",
                    "e.g. sealed_from_round = 3 to seal the area from the third round",
                );
                None
            }
            r => r.map(|r| r - 1),
        },
        homebound: c.share(
            f.homebound,
            0.0,
            path.key("homebound"),
            &format!("{key}.homebound"),
        ),
        home_teams: Vec::new(),
        pool: f.pool.map(|k| {
            if k == 0 || k > MAX_POOL {
                c.push(
                    path.key("pool"),
                    &format!("{key}.pool"),
                    format!("a tube holds from 1 to {MAX_POOL} swabs, found {k}"),
                    "use a validated pool size: 1 (single tube), 5, 10 or 20",
                );
            }
            k.clamp(1, MAX_POOL)
        }),
        arrivals,
    }
}

/// The door-to-door teams of each area, in file order; an area sealed or with homebound
/// residents needs one.
fn home_teams(c: &mut Check, areas: &[Area], teams: &[Team]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); areas.len()];
    for (t, team) in teams.iter().enumerate() {
        if let Place::Homes(h) = &team.place {
            for a in &h.areas {
                out[a.0 as usize].push(t);
            }
        }
    }
    let unserved = areas
        .iter()
        .zip(&out)
        .find(|(a, t)| t.is_empty() && (a.sealed_from.is_some() || a.homebound > 0.0));
    if let Some((area, _)) = unserved {
        c.push(
            KeyPath::of(&["area"]),
            &format!("area.{}", area.name),
            format!("area `{}` is sealed or has homebound residents, but no door-to-door team serves it", area.name),
            format!("add a [[team]] with role = \"door-to-door\" and areas = [\"{}\"]", area.name),
        );
    }
    out
}

fn callup(
    c: &mut Check,
    f: &AreaFile,
    waves: &[crate::scenario::Wave],
    path: &KeyPath,
    key: &str,
) -> CallUp {
    let residents = f.residents.unwrap_or(0);
    if waves.is_empty() {
        c.push(
            path.key("callup"),
            &format!("{key}.callup"),
            "the call-up has no wave",
            "add a wave, e.g. callup = [{ at = \"0h\", share = 1.0 }]",
        );
    }
    let mut cum = 0.0;
    let mut called_before = 0u32;
    let mut out = Vec::new();
    for (w, wave) in waves.iter().enumerate() {
        let wp = path.key("callup").index(w);
        c.share(
            Some(wave.share),
            0.0,
            wp.key("share"),
            &format!("{key}.callup.{w}.share"),
        );
        cum += wave.share;
        let called_by_now = (cum.min(1.0) * f64::from(residents)).round() as u32;
        out.push((wave.at.0, called_by_now.saturating_sub(called_before)));
        called_before = called_by_now.max(called_before);
    }
    let shares_ok = waves.iter().all(|w| (0.0..=1.0).contains(&w.share));
    if shares_ok && cum > 1.0 + 1e-9 {
        c.push(
            path.key("callup"),
            &format!("{key}.callup"),
            format!("the wave shares add up to {cum:.3}, more than 1"),
            "make the shares of all waves add up to at most 1",
        );
    }
    let rounds = c.at_most(
        f.rounds.unwrap_or(1),
        size::MAX_ROUNDS,
        path.key("rounds"),
        &format!("{key}.rounds"),
        "rounds are daily at most: give the rounds within the horizon",
    );
    if rounds == 0 {
        c.push(
            path.key("rounds"),
            &format!("{key}.rounds"),
            "must be at least 1, found 0",
            "give the number of rounds, e.g. rounds = 3 for daily rounds on three days",
        );
    }
    let round_every = match (rounds, f.round_every) {
        (r, None) if r > 1 => {
            c.push(
                path.key("rounds"),
                &format!("{key}.round_every"),
                format!("{r} rounds need `round_every`, the time between round starts"),
                "add e.g. round_every = \"24h\"",
            );
            SimDuration::ZERO
        }
        (_, Some(d)) => c.interval(
            d.0,
            path.key("round_every"),
            &format!("{key}.round_every"),
            "the time between rounds",
        ),
        _ => SimDuration::ZERO,
    };
    if f.stagger_cycle == Some(0) {
        c.push(
            path.key("stagger_cycle"),
            &format!("{key}.stagger_cycle"),
            "must be at least 1, found 0",
            "give how many areas share one cycle of time slots",
        );
    }
    CallUp {
        rounds,
        round_every,
        offset: SimDuration::ZERO,
        waves: out,
    }
}

fn walkin(
    c: &mut Check,
    w: &crate::scenario::WalkIn,
    path: &KeyPath,
    key: &str,
    horizon: SimTime,
) -> WalkIn {
    let wp = path.key("walkin");
    let rate = match (&w.rate, &w.profile) {
        (Some(r), None) => Daily::constant(r.per_ms),
        (None, Some(periods)) => Daily::from_periods(
            &periods
                .iter()
                .map(|p| (p.hours.from, p.hours.to, p.rate.per_ms))
                .collect::<Vec<_>>(),
        ),
        _ => {
            c.push(
                wp.clone(),
                &format!("{key}.walkin"),
                "a walk-in stream needs exactly one of `rate` and `profile`",
                "write walkin = { rate = \"60/h\" }, or a profile of rates by clock time",
            );
            Daily::constant(0.0)
        }
    };
    let highest = size::per_hour(rate.max());
    if highest > size::MAX_RATE_PER_HOUR {
        c.push(
            wp.clone(),
            &format!("{key}.walkin"),
            format!(
                "a rate of {highest:.0}/h is more than {:.0}/h",
                size::MAX_RATE_PER_HOUR
            ),
            "give the arrivals of one stream per hour, e.g. rate = \"300/h\"; split a larger flow into several areas",
        );
    }
    let rate = if highest > size::MAX_RATE_PER_HOUR {
        Daily::constant(0.0)
    } else {
        rate
    };
    let begin = SimTime(w.begin.map_or(0, |d| d.0.0));
    let end = SimTime(w.end.map_or(horizon.0, |d| d.0.0));
    if end <= begin {
        c.push(
            wp.key("end"),
            &format!("{key}.walkin.end"),
            format!(
                "the stream ends ({}) before it begins ({})",
                SimDuration(end.0),
                SimDuration(begin.0)
            ),
            "make `end` later than `begin`",
        );
    }
    WalkIn { rate, begin, end }
}

fn dist(c: &mut Check, d: &Dist, path: KeyPath, key: &str) -> Sampler {
    let ms = |d: &crate::scenario::Duration| d.0.0 as f64;
    let mut bad = |what: String, fix: &str| {
        c.push(path.clone(), key, what, fix);
        Sampler::zero()
    };
    match d {
        Dist::Constant { value } => Sampler::Constant(value.0.0),
        Dist::Uniform { min, max } if max.0 < min.0 => bad(
            format!("uniform `min` ({}) is above `max` ({})", min.0, max.0),
            "swap them",
        ),
        Dist::Uniform { min, max } => Sampler::uniform(ms(min), ms(max)),
        Dist::Triangular { min, mode, max } if !(min.0 <= mode.0 && mode.0 <= max.0) => bad(
            format!(
                "triangular needs min ≤ mode ≤ max, found {}, {}, {}",
                min.0, mode.0, max.0
            ),
            "order the three values",
        ),
        Dist::Triangular { min, mode, max } => Sampler::triangular(ms(min), ms(mode), ms(max)),
        Dist::Exponential { mean } if mean.0.0 == 0 => bad(
            "exponential `mean` must be above 0".into(),
            "give the mean, e.g. mean = \"12s\"",
        ),
        Dist::Exponential { mean } => Sampler::exponential(ms(mean)),
        Dist::Normal { mean, sd, min, max } => {
            let lo = min.map_or(0.0, |m| ms(&m));
            let hi = max.map_or(f64::INFINITY, |m| ms(&m));
            if hi <= lo {
                return bad(
                    format!(
                        "normal `min` ({}) must be below `max`",
                        SimDuration(lo as u64)
                    ),
                    "widen the window",
                );
            }
            Sampler::normal(ms(mean), ms(sd), lo, hi)
        }
        Dist::Lognormal { mean, .. } | Dist::Gamma { mean, .. } if mean.0.0 == 0 => bad(
            "`mean` must be above 0".into(),
            "give the mean, e.g. mean = \"35s\"",
        ),
        Dist::Lognormal { mean, sd } => Sampler::lognormal(ms(mean), ms(sd)),
        Dist::Gamma { mean, sd } => Sampler::gamma(ms(mean), ms(sd)),
        Dist::Erlang { k, .. } if *k > size::MAX_ERLANG_K => bad(
            format!("erlang k must be at most {}, found {k}", size::MAX_ERLANG_K),
            "a handful of phases is usual, e.g. k = 3",
        ),
        Dist::Erlang { k, mean } if *k == 0 || mean.0.0 == 0 => bad(
            format!(
                "erlang needs k ≥ 1 and a mean above 0, found k = {k}, mean = {}",
                mean.0
            ),
            "e.g. { dist = \"erlang\", k = 3, mean = \"30s\" }",
        ),
        Dist::Erlang { k, mean } => Sampler::erlang(*k, ms(mean)),
        Dist::Empirical { values, weights } => {
            let w = weights.clone().unwrap_or_else(|| vec![1.0; values.len()]);
            if values.is_empty() || w.len() != values.len() {
                return bad(
                    format!(
                        "empirical needs as many weights as values, found {} values and {} weights",
                        values.len(),
                        w.len()
                    ),
                    "list one weight per value, or leave out `weights` for equal weights",
                );
            }
            let ok = w.iter().all(|x| x.is_finite() && *x >= 0.0) && w.iter().sum::<f64>() > 0.0;
            match Sampler::empirical(values.iter().map(|v| v.0.0).collect(), &w) {
                Some(s) if ok => s,
                _ => bad(
                    "empirical weights must be 0 or more and not all 0".into(),
                    "give positive weights",
                ),
            }
        }
    }
}

fn rounds(areas: &[Area], horizon: SimTime) -> Vec<Round> {
    let mut rounds: Vec<Round> = Vec::new();
    for a in areas {
        if let Arrivals::CallUp(cu) = &a.arrivals {
            for r in 0..cu.rounds as usize {
                let start = SimTime(cu.round_every.0 * r as u64);
                if r > 0 && start >= horizon {
                    break;
                }
                if rounds.len() <= r {
                    rounds.push(Round {
                        start,
                        residents: 0,
                    });
                }
                rounds[r].start = rounds[r].start.min(start);
                rounds[r].residents += u64::from(a.residents);
            }
        }
    }
    rounds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_names() {
        assert_eq!(expand("building-{i}", 7).unwrap(), "building-7");
        assert_eq!(expand("point-{i/20}", 20).unwrap(), "point-1");
        assert_eq!(expand("point-{i/20}", 21).unwrap(), "point-2");
        assert_eq!(expand("plain", 3).unwrap(), "plain");
        assert!(expand("x-{j}", 1).is_err());
        assert!(expand("x-{i/0}", 1).is_err());
        assert!(expand("x-{i", 1).is_err());
    }
}
