//! Checks that every team does something: its role is one its sites need, its couriers drive a
//! route and its lab staff run a lab, and it is on duty at some time its sites are open.
//!
//! A team that can never open a desk is a misread question (a registrar team at points whose
//! desks need no registrar, a crew whose rota falls on days the horizon does not reach): it would
//! be counted in staff hours while changing nothing, so it is refused. A crew on duty only while
//! its sites are closed may be intended (a night watch), so it is a warning.

use std::collections::BTreeMap;

use super::{Check, Lab, Place, Role, Route, Site, SiteId, Team, role_name};
use crate::scenario::{KeyPath, ScenarioFile};
use crate::time::{SimDuration, SimTime};

/// The file block and `--set` key of expanded team `t`.
fn team_key(file: &ScenarioFile, teams: &[Team], t: usize) -> (KeyPath, String) {
    let mut left = t;
    for (block, f) in file.team.iter().enumerate() {
        let n = f.count.unwrap_or(1).max(1) as usize;
        if left < n {
            return (
                KeyPath::of(&["team"]).index(block),
                format!("team.{}", f.name),
            );
        }
        left -= n;
    }
    (KeyPath::of(&["team"]), format!("team.{}", teams[t].name))
}

fn site_needs(site: &Site, role: Role) -> bool {
    (role == Role::Marshal && site.marshals > 0)
        || site
            .staff
            .as_ref()
            .is_some_and(|n| n.iter().any(|(r, _)| *r == role))
}

/// Refuses teams whose role nothing needs; reports at most one problem per team block.
pub(super) fn check_roles(
    c: &mut Check,
    file: &ScenarioFile,
    sites: &[Site],
    teams: &[Team],
    routes: &[Route],
    labs: &[Lab],
) {
    let mut reported = std::collections::BTreeSet::new();
    for (t, team) in teams.iter().enumerate() {
        let why = match (&team.place, team.role) {
            (Place::Sites(_), Role::Courier) if !routes.iter().any(|r| r.drivers == Some(t)) => {
                Some(format!("is a team of couriers, but no [[route]] names `{}` as its `drivers`", team.name))
            }
            (Place::Sites(_), Role::Lab)
                if !labs.iter().any(|l| l.technicians.is_some_and(|(x, _)| x == t)) =>
            {
                Some(format!("is a team of lab staff, but no [[lab]] names `{}` as its `technicians`", team.name))
            }
            (Place::Sites(ids), role) if !matches!(role, Role::Courier | Role::Lab) => ids
                .iter()
                .find(|s| !site_needs(&sites[s.0 as usize], role))
                .map(|s| {
                    format!(
                        "works at site `{}`, whose desks need no {}: it would be counted on duty but open no desk",
                        sites[s.0 as usize].name,
                        role_name(role)
                    )
                }),
            (Place::Pool { .. }, role) if !sites.iter().any(|s| site_needs(s, role)) => Some(format!(
                "is a reserve of {}s, but no site needs that role",
                role_name(role)
            )),
            _ => None,
        };
        let (path, key) = team_key(file, teams, t);
        if let Some(why) = why
            && reported.insert(key.clone())
        {
            c.push(
                path.key("role"),
                &format!("{key}.role"),
                format!("team `{}` {why}", team.name),
                format!(
                    "give the site a `staff` (or `marshals`) that needs {}s, name the team where it is needed, or remove it",
                    role_name(team.role)
                ),
            );
        }
    }
}

/// The on-duty intervals of a rota's crews over the horizon.
fn on_duty(changes: &[super::Change], crews: u32, horizon: SimTime) -> Vec<(SimTime, SimTime)> {
    let mut since: Vec<Option<SimTime>> = vec![None; crews as usize];
    let mut out = Vec::new();
    for ch in changes.iter().filter(|ch| ch.kind.whole_crew()) {
        let c = ch.crew as usize;
        if ch.kind.on() {
            since[c].get_or_insert(ch.t);
        } else if let Some(a) = since[c].take() {
            out.push((a, ch.t));
        }
    }
    out.extend(since.into_iter().flatten().map(|a| (a, horizon)));
    out
}

/// Whether site `s` is open at some moment of [a, b).
fn open_during(tod0: u64, site: &Site, a: SimTime, b: SimTime) -> bool {
    site.open_at(tod0, a)
        || site
            .until_change(tod0, a)
            .is_some_and(|d| a.after(SimDuration(d)) < b)
}

/// What the duty check reads.
pub(super) struct Duty<'a> {
    /// The file, for keys.
    pub file: &'a ScenarioFile,
    /// Milliseconds since midnight at the start.
    pub start_of_day: u64,
    /// End of the run.
    pub horizon: SimTime,
    /// Resolved sites, teams and rotas.
    pub sites: &'a [Site],
    /// Teams.
    pub teams: &'a [Team],
    /// Rotas.
    pub rotas: &'a [super::Rota],
}

/// Refuses teams never on duty within the horizon; warns of teams on duty only while every one
/// of their sites is closed.
pub(super) fn check_duty(c: &mut Check, warnings: &mut Check, d: &Duty<'_>) {
    let Duty {
        file,
        start_of_day,
        horizon,
        sites,
        teams,
        rotas,
    } = *d;
    let mut memo: BTreeMap<(usize, u32), bool> = BTreeMap::new();
    let mut reported = std::collections::BTreeSet::new();
    for (t, team) in teams.iter().enumerate() {
        let Some(rota) = rotas.get(team.rota) else {
            continue;
        };
        let (path, key) = team_key(file, teams, t);
        if rota.changes.is_empty() {
            if reported.insert(key.clone()) {
                c.push(
                    path.key("rota"),
                    &format!("{key}.rota"),
                    format!(
                        "team `{}` is never on duty: its rota `{}` has no shift within the horizon",
                        team.name, rota.name
                    ),
                    "check the rota's `start` and `days`, or lengthen the horizon",
                );
            }
            continue;
        }
        if rota.stagger.is_some()
            && !matches!(team.place, Place::Sites(_))
            && reported.insert(key.clone())
        {
            c.push(
                path.key("rota"),
                &format!("{key}.rota"),
                format!(
                    "team `{}` works door to door or as a reserve, but its rota `{}` staggers breaks, which is for crews at sites, couriers and labs",
                    team.name, rota.name
                ),
                "give the team a rota without `stagger` (its crew breaks together)",
            );
        }
        let Place::Sites(ids) = &team.place else {
            continue;
        };
        if ids.is_empty() {
            continue;
        }
        let duty = on_duty(&rota.changes, rota.crews, horizon);
        let mut useful = |s: SiteId| {
            *memo.entry((team.rota, s.0)).or_insert_with(|| {
                duty.iter()
                    .any(|&(a, b)| open_during(start_of_day, &sites[s.0 as usize], a, b))
            })
        };
        if !ids.iter().any(|&s| useful(s)) && reported.insert(key.clone()) {
            warnings.push(
                path.key("rota"),
                &format!("{key}.rota"),
                format!(
                    "team `{}` is on duty only while its sites are closed: it opens no desk",
                    team.name
                ),
                "check the rota's `start` against the sites' `hours`",
            );
        }
    }
}
