//! Rotas and teams, resolved: every crew's on-duty stints over the horizon, as a sorted list of
//! changes the engine walks through, and the checks a planner needs (the protective-gear limit).

use std::collections::BTreeMap;

use super::{AreaId, Check, Sampler, SiteId, dist, expand, expanded_names};
use crate::scenario::{KeyPath, Role, RotaFile, TeamFile};
use crate::time::{CivilTime, DAY, SimDuration, SimTime};

/// Index of a team in [`super::Model::teams`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TeamId(pub u32);

/// What happens to a crew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CrewChange {
    /// A shift begins: the crew comes on duty, in fresh protective gear.
    ShiftStart,
    /// A break ends: back on duty, in fresh protective gear.
    BreakEnd,
    /// A break begins: off duty, out of protective gear.
    BreakStart,
    /// The shift ends.
    ShiftEnd,
    /// One turn of a staggered crew comes back from its break; the crew stays on duty.
    TurnOn,
    /// One turn of a staggered crew goes on break; the crew stays on duty.
    TurnOff,
}

impl CrewChange {
    /// Whether the crew (for a turn change: the turn) is on duty after this change.
    pub fn on(self) -> bool {
        matches!(
            self,
            CrewChange::ShiftStart | CrewChange::BreakEnd | CrewChange::TurnOn
        )
    }

    /// Whether the change is the whole crew's (not one turn's of a staggered crew).
    pub fn whole_crew(self) -> bool {
        !matches!(self, CrewChange::TurnOn | CrewChange::TurnOff)
    }
}

/// One change of one crew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// When.
    pub t: SimTime,
    /// Crew index, from 0.
    pub crew: u32,
    /// What.
    pub kind: CrewChange,
    /// For a turn change, the turn (from 0); 0 otherwise.
    pub turn: u32,
}

/// A resolved rota.
#[derive(Debug, Clone)]
pub struct Rota {
    /// Name.
    pub name: String,
    /// Number of crews.
    pub crews: u32,
    /// Every change over the horizon, by time (comings before goings at the same time, so a
    /// handover without overlap or gap leaves no moment without staff).
    pub changes: Vec<Change>,
    /// Slower service after this long on duty, by this factor.
    pub slowdown: Option<(SimDuration, f64)>,
    /// The longest stint allowed in protective gear, if the rota states one.
    pub max_in_ppe: Option<SimDuration>,
    /// Staggered breaks: at most this many people of a crew on break at once.
    pub stagger: Option<u32>,
    /// At a shift's end, a person in service at a desk that closes waits for the next crew
    /// (`shift_end = "hand-over"`) instead of being finished by the leaving one.
    pub hand_over: bool,
}

impl Rota {
    /// People of turn `turn` when `present` people of a crew came: turns fill in order, each
    /// with `stagger` people, the last with the rest.
    pub fn turn_people(&self, turn: u32, present: u32) -> u32 {
        let n = self.stagger.unwrap_or(present);
        present.saturating_sub(turn.saturating_mul(n)).min(n)
    }
}

/// Where a team works.
#[derive(Debug, Clone)]
pub enum Place {
    /// At each of these sites, `headcount` per crew.
    Sites(Vec<SiteId>),
    /// A reserve at a base, sent to the site with the longest queue once one passes `threshold`.
    Pool {
        /// Queue length that calls the reserve.
        threshold: u32,
        /// Travel time from the base.
        travel: SimDuration,
    },
    /// Door-to-door: each person of a crew on duty is a sampling unit visiting homes.
    Homes(HomeVisit),
}

/// How a door-to-door team works.
#[derive(Debug, Clone)]
pub struct HomeVisit {
    /// Areas it serves, in order.
    pub areas: Vec<AreaId>,
    /// Time at one household.
    pub household: Sampler,
    /// Time to move to another area.
    pub travel: Sampler,
    /// Swabs per tube across households; `None`: one tube per household.
    pub pool: Option<u32>,
    /// Where its tubes are dropped for the courier.
    pub drop: SiteId,
}

/// A resolved team.
#[derive(Debug, Clone)]
pub struct Team {
    /// Name (expanded).
    pub name: String,
    /// Role.
    pub role: Role,
    /// People per crew on duty at each site.
    pub headcount: u32,
    /// Index of its rota in [`super::Model::rotas`].
    pub rota: usize,
    /// Where it works.
    pub place: Place,
}

/// Resolves the rotas; every problem goes to `c`. A staggered rota makes break turns for the
/// largest crew of the teams in `teams` that name it.
pub(super) fn rotas(
    c: &mut Check,
    files: &[RotaFile],
    teams: &[TeamFile],
    start: CivilTime,
    horizon: SimTime,
) -> Vec<Rota> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let head = teams
                .iter()
                .filter(|t| t.rota == f.name)
                .map(|t| t.headcount)
                .max()
                .unwrap_or(1);
            let path = KeyPath::of(&["rota"]).index(i);
            rota(c, f, &path, start, horizon, head)
        })
        .collect()
}

fn rota(
    c: &mut Check,
    f: &RotaFile,
    path: &KeyPath,
    start: CivilTime,
    horizon: SimTime,
    head: u32,
) -> Rota {
    let key = format!("rota.{}", f.name);
    c.name(&f.name, path.key("name"), &format!("{key}.name"));
    let shift = c.interval(
        f.shift.0,
        path.key("shift"),
        &format!("{key}.shift"),
        "a shift",
    );
    let crews = c.at_most(
        f.crews.unwrap_or(1),
        super::size::MAX_CREWS,
        path.key("crews"),
        &format!("{key}.crews"),
        "crews take turns: two to four are usual",
    );
    if crews == 0 {
        c.push(
            path.key("crews"),
            &format!("{key}.crews"),
            "must be at least 1, found 0",
            "give the number of crews that take turns, e.g. crews = 3",
        );
    }
    let every = f
        .every
        .map_or(SimDuration(shift.0 * u64::from(crews.max(1))), |d| d.0);
    let stride = f.stride.map_or(shift, |d| d.0);
    let overlap = f.overlap.map_or(0, |d| d.0.0);
    let gap = f.gap.map_or(0, |d| d.0.0);
    if f.overlap.is_some() && f.gap.is_some() {
        c.push(
            path.key("gap"),
            &format!("{key}.gap"),
            "a handover has either an overlap or a gap, not both",
            "keep `overlap` (both crews present) or `gap` (nobody present)",
        );
    }
    if gap >= shift.0 && shift.0 > 0 {
        c.push(
            path.key("gap"),
            &format!("{key}.gap"),
            format!(
                "the gap ({}) is as long as the shift ({shift})",
                SimDuration(gap)
            ),
            "make the gap shorter than the shift",
        );
    }
    if f.every.is_some() && every < super::size::MIN_INTERVAL {
        c.push(
            path.key("every"),
            &format!("{key}.every"),
            format!(
                "must be at least {}, found {every}",
                super::size::MIN_INTERVAL
            ),
            "give the time from one shift of a crew to its next, e.g. every = \"24h\"",
        );
    }
    let break_every = match (f.break_after, f.break_length) {
        (Some(a), Some(l))
            if a.0 >= super::size::MIN_INTERVAL && l.0 >= super::size::MIN_INTERVAL =>
        {
            Some((a.0.0, l.0.0))
        }
        (None, None) => None,
        _ => {
            c.push(
                path.key("break_after"),
                &format!("{key}.break_after"),
                "`break_after` and `break_length` go together, and both must be at least 1min",
                "give both, e.g. break_after = \"3h\" and break_length = \"30min\"",
            );
            None
        }
    };
    let has_breaks = break_every.is_some() || f.breaks.as_ref().is_some_and(|b| !b.is_empty());
    let turns = match f.stagger {
        None => 1,
        Some(0) => {
            c.push(
                path.key("stagger"),
                &format!("{key}.stagger"),
                "must be at least 1, found 0",
                "give how many people of a crew may be on break at once, e.g. stagger = 1",
            );
            1
        }
        Some(_) if !has_breaks => {
            c.push(
                path.key("stagger"),
                &format!("{key}.stagger"),
                "staggers breaks, but the rota has none",
                "give `break_after` and `break_length` (or `breaks`), or remove `stagger`",
            );
            1
        }
        Some(n) => head.div_ceil(n).max(1),
    };
    if let Some(s) = &f.slowdown
        && !(s.factor.is_finite() && s.factor > 0.0)
    {
        c.push(
            path.key("slowdown").key("factor"),
            &format!("{key}.slowdown.factor"),
            format!("must be above 0, found {}", s.factor),
            "e.g. factor = 1.2 for service 20% slower",
        );
    }
    if let Some(days) = &f.days
        && days.contains(&0)
    {
        c.push(
            path.key("days"),
            &format!("{key}.days"),
            "days count from 1 (the start day)",
            "e.g. days = [1, 2] for the first two days",
        );
    }
    let changes = estimated_changes(f, crews, shift, every, horizon) * f64::from(turns);
    if changes > super::size::MAX_ROTA_CHANGES as f64 {
        c.push(
            path.clone(),
            &key,
            format!(
                "the rota would change crews about {changes:.3e} times over the horizon, more than {}",
                super::size::MAX_ROTA_CHANGES
            ),
            "use fewer crews or longer shifts and breaks",
        );
    }
    let min = super::size::MIN_INTERVAL;
    if every < min || shift < min || crews == 0 || changes > super::size::MAX_ROTA_CHANGES as f64 {
        return Rota {
            name: f.name.clone(),
            crews: crews.max(1),
            changes: Vec::new(),
            slowdown: None,
            max_in_ppe: None,
            stagger: None,
            hand_over: false,
        };
    }
    let plan = Plan {
        shift: shift.0 as i64,
        every: every.0 as i64,
        stride: stride.0 as i64,
        overlap: overlap as i64,
        gap: gap as i64,
        breaks: f
            .breaks
            .as_ref()
            .map(|b| b.iter().map(|r| (r.from, r.to)).collect())
            .unwrap_or_default(),
        break_every,
        days: f.days.clone(),
        tod0: start.millis_of_day as i64,
        anchor: f.start.0 as i64 - start.millis_of_day as i64,
        horizon: horizon.0 as i64,
    };
    let mut changes = Vec::new();
    let mut ppe_reported = false;
    let mut check_ppe = |crew: u32, turn: Option<u32>, a: i64, b: i64| {
        if let Some(max) = f.max_in_ppe
            && b - a > max.0.0 as i64
            && !ppe_reported
        {
            ppe_reported = true;
            let when = |t: i64| start_plus(start, t);
            let who = match turn {
                None => format!("crew {}", crew + 1),
                Some(k) => format!("break turn {} of crew {}", k + 1, crew + 1),
            };
            c.push(
                path.key("max_in_ppe"),
                &format!("{key}.max_in_ppe"),
                format!(
                    "{who} is on duty from {} to {}, {} in protective gear without a break, more than max_in_ppe = {}",
                    when(a),
                    when(b),
                    SimDuration((b - a) as u64),
                    max.0
                ),
                if turn.is_some() {
                    "start the breaks earlier (`break_after`), let more people break at once (`stagger`), or add crews"
                } else {
                    "add breaks (`breaks` or `break_after`), shorten the shift, or add crews"
                },
            );
        }
    };
    let mut push = |t: i64, crew: u32, kind: CrewChange, turn: u32| {
        changes.push(Change {
            t: SimTime(t.max(0) as u64),
            crew,
            kind,
            turn,
        });
    };
    for crew in 0..crews {
        if f.stagger.is_some() && has_breaks {
            // The crew is on duty for the whole shift; each turn of it is off for its breaks.
            for (a, b) in plan.duty_spans(crew) {
                if b <= 0 || a >= plan.horizon {
                    continue;
                }
                push(a, crew, CrewChange::ShiftStart, 0);
                if b < plan.horizon {
                    push(b, crew, CrewChange::ShiftEnd, 0);
                }
                for turn in 0..turns {
                    let stints = plan.cut_breaks(a, b, i64::from(turn));
                    let mut off_since = a;
                    for &(x, y) in &stints {
                        check_ppe(crew, Some(turn), x, y);
                        if x > a && x > 0 && off_since < plan.horizon {
                            push(off_since, crew, CrewChange::TurnOff, turn);
                            if x < plan.horizon {
                                push(x, crew, CrewChange::TurnOn, turn);
                            }
                        }
                        off_since = y;
                    }
                    if off_since < b && off_since < plan.horizon {
                        push(off_since, crew, CrewChange::TurnOff, turn);
                    }
                }
            }
            continue;
        }
        for (a, b) in plan.stints(crew) {
            check_ppe(crew, None, a, b);
            if b <= 0 || a >= plan.horizon {
                continue;
            }
            let first = a == plan.shift_start_of(crew, a);
            let last = b == plan.shift_end_of(crew, b);
            let on = if first {
                CrewChange::ShiftStart
            } else {
                CrewChange::BreakEnd
            };
            let off = if last {
                CrewChange::ShiftEnd
            } else {
                CrewChange::BreakStart
            };
            push(a, crew, on, 0);
            if b < plan.horizon {
                push(b, crew, off, 0);
            }
        }
    }
    changes.sort_by_key(|ch| (ch.t, !ch.kind.on(), ch.crew, ch.turn));
    Rota {
        name: f.name.clone(),
        crews,
        changes,
        slowdown: f.slowdown.as_ref().map(|s| (s.after.0, s.factor)),
        max_in_ppe: f.max_in_ppe.map(|m| m.0),
        stagger: f.stagger.filter(|_| has_breaks && turns > 0),
        hand_over: f.shift_end == Some(crate::scenario::ShiftEnd::HandOver),
    }
}

/// An upper bound of a rota's changes over the horizon, before they are generated: two per
/// stint, a stint for every shift and every break in it.
fn estimated_changes(
    f: &RotaFile,
    crews: u32,
    shift: SimDuration,
    every: SimDuration,
    horizon: SimTime,
) -> f64 {
    let min = super::size::MIN_INTERVAL.0 as f64;
    let shifts = (horizon.0 as f64 + shift.0 as f64) / (every.0 as f64).max(min) + 2.0;
    let daily =
        f.breaks.as_ref().map_or(0.0, |b| b.len() as f64) * (shift.0 as f64 / DAY as f64 + 1.0);
    let timed = f
        .break_after
        .map_or(0.0, |a| shift.0 as f64 / (a.0.0 as f64).max(min));
    2.0 * f64::from(crews) * shifts * (1.0 + daily + timed)
}

fn start_plus(start: CivilTime, t: i64) -> String {
    if t >= 0 {
        start.plus(SimTime(t as u64)).to_string()
    } else {
        let ms = start.day * DAY as i64 + start.millis_of_day as i64 + t;
        let c = CivilTime {
            day: ms.div_euclid(DAY as i64),
            millis_of_day: ms.rem_euclid(DAY as i64) as u64,
        };
        c.to_string()
    }
}

/// The arithmetic of one rota, in signed milliseconds from the scenario start.
struct Plan {
    shift: i64,
    every: i64,
    stride: i64,
    overlap: i64,
    gap: i64,
    breaks: Vec<(u64, u64)>,
    break_every: Option<(u64, u64)>,
    days: Option<Vec<u32>>,
    tod0: i64,
    anchor: i64,
    horizon: i64,
}

impl Plan {
    /// Nominal shift starts of `crew` whose duty may touch [0, horizon).
    fn shift_starts(&self, crew: u32) -> Vec<i64> {
        let base = self.anchor + i64::from(crew) * self.stride;
        let lo = (-(self.shift + self.overlap) - base).div_euclid(self.every);
        let hi = (self.horizon - base).div_euclid(self.every) + 1;
        (lo..=hi)
            .map(|j| base + j * self.every)
            .filter(|&s| s + self.shift - self.gap > 0 && s - self.overlap < self.horizon)
            .filter(|&s| {
                let day = (self.tod0 + s).div_euclid(DAY as i64) + 1;
                self.days
                    .as_ref()
                    .is_none_or(|d| d.iter().any(|&x| i64::from(x) == day))
            })
            .collect()
    }

    /// On-duty intervals of a shift: [start − overlap, start + shift − gap) less the breaks.
    fn duty(&self, s: i64) -> (i64, i64) {
        (s - self.overlap, s + self.shift - self.gap)
    }

    /// The shift start (with overlap) of the shift that contains `t`, for labelling changes.
    fn shift_start_of(&self, crew: u32, t: i64) -> i64 {
        self.shift_starts(crew)
            .into_iter()
            .map(|s| self.duty(s))
            .find(|(a, b)| *a <= t && t < *b)
            .map_or(i64::MIN, |d| d.0)
    }

    fn shift_end_of(&self, crew: u32, t: i64) -> i64 {
        self.shift_starts(crew)
            .into_iter()
            .map(|s| self.duty(s))
            .find(|(a, b)| *a < t && t <= *b)
            .map_or(i64::MIN, |d| d.1)
    }

    /// On-duty spans of `crew`, shifts that touch merged, breaks not cut out.
    fn duty_spans(&self, crew: u32) -> Vec<(i64, i64)> {
        let mut duty: Vec<(i64, i64)> = Vec::new();
        for s in self.shift_starts(crew) {
            let (a, b) = self.duty(s);
            match duty.last_mut() {
                Some(last) if last.1 >= a => last.1 = last.1.max(b),
                _ => duty.push((a, b)),
            }
        }
        duty
    }

    /// Continuous on-duty stints of `crew`, shifts that touch merged, breaks cut out.
    fn stints(&self, crew: u32) -> Vec<(i64, i64)> {
        self.duty_spans(crew)
            .into_iter()
            .flat_map(|(a, b)| self.cut_breaks(a, b, 0))
            .collect()
    }

    /// The stints of [a, b) with the breaks cut out, for break turn `turn`: each of its breaks
    /// starts `turn` × the break's length after turn 0's.
    fn cut_breaks(&self, a: i64, b: i64, turn: i64) -> Vec<(i64, i64)> {
        let mut off: Vec<(i64, i64)> = Vec::new();
        let day = DAY as i64;
        for &(from, to) in &self.breaks {
            let len = if to > from {
                (to - from) as i64
            } else {
                (to + DAY - from) as i64
            };
            let shift = turn * len;
            let first = (a - shift + self.tod0 - from as i64).div_euclid(day) - 1;
            let last = (b - shift + self.tod0 - from as i64).div_euclid(day) + 1;
            for k in first..=last {
                let s = k * day + from as i64 - self.tod0 + shift;
                off.push((s, s + len));
            }
        }
        if let Some((after, length)) = self.break_every {
            let mut t = a + after as i64 + turn * length as i64;
            while t < b {
                off.push((t, t + length as i64));
                t += (after + length) as i64;
            }
        }
        off.sort_unstable();
        let mut out = Vec::new();
        let mut cur = a;
        for (s, e) in off {
            if e <= cur || s >= b {
                continue;
            }
            if s > cur {
                out.push((cur, s));
            }
            cur = cur.max(e);
        }
        if cur < b {
            out.push((cur, b));
        }
        out
    }
}

/// Resolves the teams against the rotas and sites.
pub(super) fn teams(
    c: &mut Check,
    files: &[TeamFile],
    rotas: &BTreeMap<&str, usize>,
    sites: &BTreeMap<&str, SiteId>,
    areas: &BTreeMap<&str, AreaId>,
) -> Vec<Team> {
    let mut out = Vec::new();
    for (ti, f) in files.iter().enumerate() {
        let path = KeyPath::of(&["team"]).index(ti);
        let key = format!("team.{}", f.name);
        let names = expanded_names(c, &f.name, f.count, &path, &key);
        let rota = match rotas.get(f.rota.as_str()) {
            Some(r) => *r,
            None => {
                let known: Vec<&str> = rotas.keys().copied().collect();
                c.push(
                    path.key("rota"),
                    &format!("{key}.rota"),
                    format!("names the rota `{}`, but no [[rota]] has that name", f.rota),
                    if known.is_empty() {
                        "add a [[rota]] with this name".to_string()
                    } else {
                        format!("use one of: {}", known.join(", "))
                    },
                );
                0
            }
        };
        if f.headcount == 0 {
            c.push(
                path.key("headcount"),
                &format!("{key}.headcount"),
                "must be at least 1, found 0",
                "give the people of each crew on duty, e.g. headcount = 4",
            );
        }
        c.at_most(
            f.headcount,
            super::size::MAX_HEADCOUNT,
            path.key("headcount"),
            &format!("{key}.headcount"),
            "give the people of one crew on duty at each site",
        );
        for (i, name) in names.into_iter().enumerate() {
            let n = i as u32 + 1;
            let place = match (&f.sites, &f.pool, &f.areas) {
                (Some(list), None, None) => {
                    Place::Sites(team_sites(c, list, n, sites, &path, &key))
                }
                (None, Some(p), None) => Place::Pool {
                    threshold: p.threshold,
                    travel: p.travel.0,
                },
                (None, None, Some(list)) => {
                    Place::Homes(home_visit(c, f, list, n, sites, areas, &path, &key))
                }
                // Couriers and lab staff are named by routes and labs; they need no place.
                (None, None, None) if matches!(f.role, Role::Courier | Role::Lab) => {
                    Place::Sites(Vec::new())
                }
                _ => {
                    if i == 0 {
                        c.push(path.clone(), &key, "a team needs one of `sites`, `pool` (a reserve) or `areas` (door-to-door)", "list the sites it works at, e.g. sites = [\"east-gate\"]; or make it a reserve: pool = { threshold = 50, travel = \"20min\" }; or a door-to-door team: areas = [...] with a `visit`");
                    }
                    Place::Sites(Vec::new())
                }
            };
            if matches!(place, Place::Homes(_)) != (f.role == Role::DoorToDoor) && i == 0 {
                c.push(path.key("role"), &format!("{key}.role"), "door-to-door teams (role = \"door-to-door\") and only they have `areas` and a `visit`", "give a door-to-door team role = \"door-to-door\", areas and a visit; other teams work at sites");
            }
            out.push(Team {
                name,
                role: f.role,
                headcount: f.headcount,
                rota,
                place,
            });
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn home_visit(
    c: &mut Check,
    f: &TeamFile,
    list: &[String],
    i: u32,
    sites: &BTreeMap<&str, SiteId>,
    areas: &BTreeMap<&str, AreaId>,
    path: &KeyPath,
    key: &str,
) -> HomeVisit {
    let mut ids: Vec<AreaId> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (k, template) in list.iter().enumerate() {
        let name = expand(template, i).unwrap_or_else(|_| template.clone());
        // `prefix*` names every area whose name starts with `prefix`, in file order.
        let found: Vec<AreaId> = match name.strip_suffix('*') {
            Some(prefix) => {
                let mut v: Vec<AreaId> = areas
                    .iter()
                    .filter(|(n, _)| n.starts_with(prefix))
                    .map(|(_, id)| *id)
                    .collect();
                v.sort();
                v
            }
            None => areas.get(name.as_str()).copied().into_iter().collect(),
        };
        if found.is_empty() && i == 1 {
            c.push(
                path.key("areas").index(k),
                &format!("{key}.areas"),
                format!("names the area `{name}`, but no [[area]] has that name"),
                "use the name of an [[area]] (expanded, e.g. \"building-3\"), or a prefix with `*`, e.g. \"building-*\"",
            );
        }
        ids.extend(found.into_iter().filter(|id| seen.insert(*id)));
    }
    let Some(v) = &f.visit else {
        c.push(path.clone(), &format!("{key}.visit"), "a door-to-door team needs a `visit`", "add visit = { household = { dist = \"uniform\", min = \"2min\", max = \"4min\" }, travel = { dist = \"constant\", value = \"5min\" }, drop = \"point-1\" }");
        return HomeVisit {
            areas: ids,
            household: Sampler::zero(),
            travel: Sampler::zero(),
            pool: None,
            drop: SiteId(0),
        };
    };
    let vp = path.key("visit");
    let drop = expand(&v.drop, i).unwrap_or_else(|_| v.drop.clone());
    let drop_id = sites.get(drop.as_str()).copied().unwrap_or_else(|| {
        c.push(
            vp.key("drop"),
            &format!("{key}.visit.drop"),
            format!("names the site `{drop}`, but no [[site]] has that name"),
            "name the site where the team leaves its tubes for the courier",
        );
        SiteId(0)
    });
    if v.pool.is_some_and(|k| k == 0 || k > super::MAX_POOL) {
        c.push(
            vp.key("pool"),
            &format!("{key}.visit.pool"),
            format!("a tube holds from 1 to {} swabs", super::MAX_POOL),
            "leave `pool` out for one tube per household, or give e.g. pool = 10",
        );
    }
    HomeVisit {
        areas: ids,
        household: dist(
            c,
            &v.household,
            vp.key("household"),
            &format!("{key}.visit.household"),
        ),
        travel: dist(
            c,
            &v.travel,
            vp.key("travel"),
            &format!("{key}.visit.travel"),
        ),
        pool: v.pool.map(|k| k.clamp(1, super::MAX_POOL)),
        drop: drop_id,
    }
}

fn team_sites(
    c: &mut Check,
    list: &[String],
    i: u32,
    sites: &BTreeMap<&str, SiteId>,
    path: &KeyPath,
    key: &str,
) -> Vec<SiteId> {
    list.iter()
        .enumerate()
        .filter_map(|(k, template)| {
            let name = expand(template, i).unwrap_or_else(|_| template.clone());
            let found = sites.get(name.as_str()).copied();
            if found.is_none() && i == 1 {
                c.push(
                    path.key("sites").index(k),
                    &format!("{key}.sites"),
                    format!("names the site `{name}`, but no [[site]] has that name"),
                    "use the name of a [[site]]",
                );
            }
            found
        })
        .collect()
}
