//! Staff figures: per team and crew, shifts, person-hours on duty and busy, the longest
//! continuous stint, overtime and dispatches.
//!
//! A crew's busy time is the share of its sites' open desks that were occupied while it was on
//! duty there, times its people: with `b` desks busy of `d` open, each person on duty is counted
//! busy for `b/d` of the time (capped at 1 while closing desks finish their people).

use super::Row;
use super::timeweighted::Integral;
use crate::engine::Plan;
use crate::model::{CrewChange, Model, Place, SiteId, TeamId};
use crate::time::{HOUR, SimDuration, SimTime};

#[derive(Debug, Clone, Default)]
struct CrewStats {
    on_since: Option<SimTime>,
    /// (site, busy-share integral when the crew came there).
    snaps: Vec<(usize, f64)>,
    shifts: u64,
    person_ms: f64,
    busy_person_ms: f64,
    longest_ms: u64,
    last_stint_ms: u64,
    overtime_person_ms: f64,
    dispatches: u64,
    /// People of the crew missing its current shift (over all its places), and in all shifts.
    absent: u32,
    absent_shifts: u64,
    /// Break turns of a staggered crew on break now: (turn, since, people).
    turns_off: Vec<(u32, SimTime, u32)>,
    /// Break turns back from a break this shift: (turn, since).
    turns_back: Vec<(u32, SimTime)>,
    /// Person-time of this shift's staggered breaks so far.
    break_person_ms: f64,
}

impl CrewStats {
    /// When break turn `turn` last came on duty.
    fn turn_since(&self, turn: u32, on_since: SimTime) -> SimTime {
        self.turns_back
            .iter()
            .find(|(k, _)| *k == turn)
            .map_or(on_since, |&(_, t)| t)
    }
}

#[derive(Debug, Clone)]
struct TeamInfo {
    headcount: f64,
    /// Break turns of a crew (1 unless its rota staggers breaks).
    turns: u32,
    /// Fixed sites (local indices); empty for a reserve.
    sites: Vec<usize>,
    /// How many fixed sites (for person-hours).
    places: usize,
}

/// A site's desks busy and open, and the integral of the busy share (side by side: one cache
/// line, written at every start and end of a service).
#[derive(Debug, Clone, Copy, Default)]
struct SiteShare {
    busy: u32,
    open: u32,
    share: Integral,
}

/// Collects the staff figures of one partition (its teams and sites); fed by
/// [`super::Stats`]. Teams and sites are by local index until [`StaffStats::absorb`] puts the
/// partitions' figures in global order.
#[derive(Debug, Clone, Default)]
pub(super) struct StaffStats {
    team_ids: Vec<u32>,
    site_ids: Vec<u32>,
    teams: Vec<TeamInfo>,
    crews: Vec<Vec<CrewStats>>,
    sites: Vec<SiteShare>,
}

impl StaffStats {
    pub(super) fn new(m: &Model, plan: &Plan, part: usize) -> StaffStats {
        let members = &plan.parts[part];
        let teams: Vec<TeamInfo> = members
            .teams
            .iter()
            .map(|&g| {
                let t = &m.teams[g as usize];
                let sites: Vec<usize> = match &t.place {
                    Place::Sites(ids) => ids
                        .iter()
                        .map(|s| plan.site[s.0 as usize].local as usize)
                        .collect(),
                    Place::Pool { .. } | Place::Homes(_) => Vec::new(),
                };
                TeamInfo {
                    headcount: f64::from(t.headcount),
                    turns: m.rotas[t.rota]
                        .stagger
                        .map_or(1, |n| t.headcount.div_ceil(n.max(1)).max(1)),
                    places: sites.len(),
                    sites,
                }
            })
            .collect();
        let crews = members
            .teams
            .iter()
            .map(|&g| vec![CrewStats::default(); m.rotas[m.teams[g as usize].rota].crews as usize])
            .collect();
        let n = members.sites.len();
        StaffStats {
            team_ids: members.teams.clone(),
            site_ids: members.sites.clone(),
            teams,
            crews,
            sites: vec![SiteShare::default(); n],
        }
    }

    /// Takes in the other partitions' teams (after this one, partition 0's), in global order.
    pub(super) fn absorb(&mut self, others: Vec<StaffStats>, plan: &Plan) {
        let mut all: Vec<StaffStats> = Vec::with_capacity(others.len() + 1);
        all.push(std::mem::take(self));
        all.extend(others);
        let mut out = StaffStats::default();
        for slot in &plan.team {
            let p = &mut all[slot.part as usize];
            let t = slot.local as usize;
            out.teams.push(p.teams[t].clone());
            out.crews.push(std::mem::take(&mut p.crews[t]));
        }
        out.team_ids = (0..plan.team.len() as u32).collect();
        *self = out;
    }

    fn team(&self, team: TeamId) -> usize {
        self.team_ids.partition_point(|&x| x < team.0)
    }

    fn set_share(&mut self, t: SimTime, s: usize) {
        let site = &mut self.sites[s];
        let v = if site.open == 0 {
            0.0
        } else {
            (f64::from(site.busy) / f64::from(site.open)).min(1.0)
        };
        site.share.set(t, v);
    }

    pub(super) fn busy_changed(&mut self, t: SimTime, s: usize, busy: u32) {
        if !self.teams.is_empty() {
            self.sites[s].busy = busy;
            self.set_share(t, s);
        }
    }

    pub(super) fn desks_changed(&mut self, t: SimTime, s: usize, open: u32) {
        if !self.teams.is_empty() {
            self.sites[s].open = open;
            self.set_share(t, s);
        }
    }

    pub(super) fn crew(&mut self, t: SimTime, team: TeamId, crew: u32, change: CrewChange) {
        let ti = self.team(team);
        if change.on() {
            let snaps: Vec<(usize, f64)> = self.teams[ti]
                .sites
                .iter()
                .map(|&s| (s, self.sites[s].share.integral(t)))
                .collect();
            let c = &mut self.crews[ti][crew as usize];
            c.on_since = Some(t);
            c.snaps = snaps;
            c.turns_off.clear();
            c.turns_back.clear();
            c.break_person_ms = 0.0;
            if change == CrewChange::ShiftStart {
                c.shifts += 1;
            }
        } else {
            self.close(t, ti, crew as usize);
        }
    }

    /// Break turn `turn` of a staggered crew, `people` of it, went on break or came back.
    pub(super) fn turn(
        &mut self,
        t: SimTime,
        team: TeamId,
        crew: u32,
        turn: u32,
        people: u32,
        on: bool,
    ) {
        let ti = self.team(team);
        let c = &mut self.crews[ti][crew as usize];
        let Some(on_since) = c.on_since else {
            return;
        };
        if on {
            if let Some(i) = c.turns_off.iter().position(|&(k, _, _)| k == turn) {
                let (_, since, n) = c.turns_off.swap_remove(i);
                c.break_person_ms += f64::from(n) * t.since(since).0 as f64;
            }
            c.turns_back.retain(|&(k, _)| k != turn);
            c.turns_back.push((turn, t));
        } else {
            let stint = t.since(c.turn_since(turn, on_since)).0;
            c.longest_ms = c.longest_ms.max(stint);
            c.turns_off.push((turn, t, people));
        }
    }

    /// Ends a crew's stint at `t`.
    fn close(&mut self, t: SimTime, ti: usize, crew: usize) {
        let Some(since) = self.crews[ti][crew].on_since.take() else {
            return;
        };
        let info = &self.teams[ti];
        let places = info.places.max(1) as f64;
        let snaps = std::mem::take(&mut self.crews[ti][crew].snaps);
        let busy: f64 = snaps
            .iter()
            .map(|&(s, j0)| self.sites[s].share.integral(t) - j0)
            .sum();
        let c = &mut self.crews[ti][crew];
        // A person's stint: for a staggered crew, the longest of the turns on duty at the end.
        let stint = (0..info.turns)
            .filter(|k| !c.turns_off.iter().any(|&(x, _, _)| x == *k))
            .map(|k| t.since(c.turn_since(k, since)).0)
            .max()
            .unwrap_or(0);
        for (_, off, n) in std::mem::take(&mut c.turns_off) {
            c.break_person_ms += f64::from(n) * t.since(off).0 as f64;
        }
        c.turns_back.clear();
        c.last_stint_ms = stint;
        c.longest_ms = c.longest_ms.max(stint);
        let present = (info.headcount * places - f64::from(c.absent)).max(0.0);
        c.person_ms += present * t.since(since).0 as f64 - c.break_person_ms;
        c.break_person_ms = 0.0;
        c.busy_person_ms += if places > 0.0 {
            present / places * busy
        } else {
            info.headcount * busy
        };
    }

    /// `absent` people of a crew miss the shift that starts now.
    pub(super) fn absent(&mut self, team: TeamId, crew: u32, absent: u32) {
        let ti = self.team(team);
        let c = &mut self.crews[ti][crew as usize];
        c.absent = absent;
        c.absent_shifts += u64::from(absent);
    }

    /// Person-shifts missed through absence, every team.
    pub(super) fn absent_person_shifts(&self) -> u64 {
        self.crews.iter().flatten().map(|c| c.absent_shifts).sum()
    }

    pub(super) fn overtime(&mut self, team: TeamId, crew: u32, length: SimDuration) {
        let ti = self.team(team);
        let head = self.teams[ti].headcount;
        let c = &mut self.crews[ti][crew as usize];
        c.overtime_person_ms += head * length.0 as f64;
        c.longest_ms = c.longest_ms.max(c.last_stint_ms + length.0);
    }

    /// A door-to-door unit's visit kept one person busy for `busy`.
    pub(super) fn home_visited(&mut self, team: TeamId, crew: u32, busy: SimDuration) {
        let ti = self.team(team);
        self.crews[ti][crew as usize].busy_person_ms += busy.0 as f64;
    }

    pub(super) fn dispatched(&mut self, team: TeamId, crew: u32) {
        let ti = self.team(team);
        self.crews[ti][crew as usize].dispatches += 1;
    }

    pub(super) fn pool_arrived(&mut self, t: SimTime, team: TeamId, crew: u32, site: SiteId) {
        let s = self.site_ids.partition_point(|&x| x < site.0);
        let j = self.sites[s].share.integral(t);
        let ti = self.team(team);
        self.crews[ti][crew as usize].snaps = vec![(s, j)];
    }

    /// Closes the stints still open at the horizon.
    pub(super) fn finish(&mut self, t: SimTime) {
        for ti in 0..self.crews.len() {
            for c in 0..self.crews[ti].len() {
                self.close(t, ti, c);
            }
        }
    }

    /// One row per team and crew: `(team, crew, row)`.
    pub(super) fn rows(&self) -> Vec<(usize, u32, Row)> {
        let mut out = Vec::new();
        for (ti, crews) in self.crews.iter().enumerate() {
            let info = &self.teams[ti];
            let people = info.headcount as u64 * info.places.max(1) as u64;
            for (ci, c) in crews.iter().enumerate() {
                let mut row = Row::default();
                row.count("people", people)
                    .count("shifts", c.shifts)
                    .real("person_hours_on_duty", c.person_ms / HOUR as f64)
                    .real("busy_person_hours", c.busy_person_ms / HOUR as f64)
                    .real(
                        "utilisation",
                        if c.person_ms > 0.0 {
                            c.busy_person_ms / c.person_ms
                        } else {
                            f64::NAN
                        },
                    )
                    .real("longest_stint_h", c.longest_ms as f64 / HOUR as f64)
                    .real("overtime_person_hours", c.overtime_person_ms / HOUR as f64)
                    .count("dispatches", c.dispatches);
                out.push((ti, ci as u32, row));
            }
        }
        out
    }

    /// Totals for the summary: person-hours, longest stint (h), overtime person-hours, dispatches.
    pub(super) fn totals(&self) -> (f64, f64, f64, u64) {
        let all = self.crews.iter().flatten();
        let person: f64 = all.clone().map(|c| c.person_ms).sum();
        let longest = all.clone().map(|c| c.longest_ms).max().unwrap_or(0);
        let overtime: f64 = all.clone().map(|c| c.overtime_person_ms).sum();
        let dispatches = all.map(|c| c.dispatches).sum();
        (
            person / HOUR as f64,
            longest as f64 / HOUR as f64,
            overtime / HOUR as f64,
            dispatches,
        )
    }
}
