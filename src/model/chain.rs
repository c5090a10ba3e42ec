//! The sample chain, resolved: pooling and stock at sites, courier routes, laboratories.

use std::collections::BTreeMap;

use super::{Check, Daily, Sampler, SiteId, dist};
use crate::scenario::{KeyPath, LabFile, Role, RouteFile, SiteKind};
use crate::time::{HOUR, MINUTE, SimDuration};

/// Largest pool allowed (NHC validated 5, 10 and 20; larger pools lose sensitivity).
pub const MAX_POOL: u32 = 50;

/// A courier route.
#[derive(Debug, Clone)]
pub struct Route {
    /// Name.
    pub name: String,
    /// Sites visited on each trip, in order.
    pub sites: Vec<SiteId>,
    /// Index of the lab in [`super::Model::labs`].
    pub lab: usize,
    /// Scheduled round trips: first departure and interval.
    pub schedule: Option<(SimDuration, SimDuration)>,
    /// A vehicle is called to a site once this many closed tubes wait there.
    pub when_waiting: Option<u32>,
    /// Tubes one vehicle carries.
    pub box_capacity: u32,
    /// Vehicles.
    pub vehicles: u32,
    /// Travel time of a leg.
    pub travel: Sampler,
    /// Checked figure: longest time from pickup to lab.
    pub pickup_limit: SimDuration,
    /// The courier team whose people on duty drive (index in `teams`); `None`: always driven.
    pub drivers: Option<usize>,
}

/// A laboratory.
#[derive(Debug, Clone)]
pub struct Lab {
    /// Name.
    pub name: String,
    /// PCR machines.
    pub machines: u32,
    /// Tubes per plate.
    pub plate: u32,
    /// Run time.
    pub run: Sampler,
    /// Intake hours (1 open, 0 closed).
    pub hours: Daily,
    /// Longest wait of the oldest tube before a partly filled plate runs.
    pub batch_wait: SimDuration,
    /// Probability that an infected tube tests positive.
    pub sensitivity: f64,
    /// Room-temperature hold limit from first swab to receipt.
    pub hold_limit: SimDuration,
    /// Whether positive pools' members are swabbed again at home (else re-tested at the lab).
    pub reswab_at_home: bool,
    /// The team of technicians (index in `teams`) and how many a running machine needs.
    pub technicians: Option<(usize, u32)>,
}

pub(super) fn labs(c: &mut Check, files: &[LabFile]) -> Vec<Lab> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let path = KeyPath::of(&["lab"]).index(i);
            let key = format!("lab.{}", f.name);
            c.name(&f.name, path.key("name"), &format!("{key}.name"));
            let plate = f.plate.unwrap_or(94);
            if plate == 0 {
                c.push(
                    path.key("plate"),
                    &format!("{key}.plate"),
                    "must be at least 1, found 0",
                    "give the tubes per plate after controls, e.g. plate = 94",
                );
            }
            let hours = match &f.hours {
                None => Daily::constant(1.0),
                Some(r) => {
                    Daily::from_periods(&r.iter().map(|r| (r.from, r.to, 1.0)).collect::<Vec<_>>())
                        .map_values(|v| f64::from(v > 0.0))
                }
            };
            Lab {
                name: f.name.clone(),
                machines: f.machines,
                plate: plate.max(1),
                run: dist(c, &f.run, path.key("run"), &format!("{key}.run")),
                hours,
                batch_wait: f.batch_wait.map_or(SimDuration(30 * MINUTE), |d| d.0),
                sensitivity: c.share(
                    f.sensitivity,
                    1.0,
                    path.key("sensitivity"),
                    &format!("{key}.sensitivity"),
                ),
                hold_limit: f.hold_limit.map_or(SimDuration(4 * HOUR), |d| d.0),
                reswab_at_home: f.retest == Some(crate::scenario::Retest::Home),
                technicians: None,
            }
        })
        .collect()
}

pub(super) fn routes(
    c: &mut Check,
    files: &[RouteFile],
    sites: &BTreeMap<&str, SiteId>,
    labs: &[Lab],
) -> Vec<Route> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let path = KeyPath::of(&["route"]).index(i);
            let key = format!("route.{}", f.name);
            c.name(&f.name, path.key("name"), &format!("{key}.name"));
            let ids = f
                .sites
                .iter()
                .enumerate()
                .filter_map(|(k, name)| {
                    let id = sites.get(name.as_str()).copied();
                    if id.is_none() {
                        c.push(path.key("sites").index(k), &format!("{key}.sites"), format!("names the site `{name}`, but no [[site]] has that name"), "use the name of a [[site]] (expanded, e.g. \"point-3\")");
                    }
                    id
                })
                .collect();
            let lab = match labs.iter().position(|l| l.name == f.lab) {
                Some(l) => {
                    if labs[l].machines == 0 {
                        c.push(path.key("lab"), &format!("{key}.lab"), format!("sends tubes to the lab `{}`, which has no machines", f.lab), format!("give lab `{}` at least one machine, or send this route elsewhere", f.lab));
                    }
                    l
                }
                None => {
                    let known: Vec<&str> = labs.iter().map(|l| l.name.as_str()).collect();
                    c.push(path.key("lab"), &format!("{key}.lab"), format!("names the lab `{}`, but no [[lab]] has that name", f.lab), if known.is_empty() { "add a [[lab]]".to_string() } else { format!("use one of: {}", known.join(", ")) });
                    0
                }
            };
            if f.vehicles == Some(0) {
                c.push(path.key("vehicles"), &format!("{key}.vehicles"), "must be at least 1, found 0: no tube would ever reach the lab", "give the vehicles on the route, e.g. vehicles = 2");
            }
            if f.box_capacity == 0 {
                c.push(path.key("box"), &format!("{key}.box"), "must be at least 1, found 0", "give the tubes one transport box holds, e.g. box = 100");
            }
            if f.every.is_none() && f.when_waiting.is_none() {
                c.push(path.clone(), &key, "a route needs `every` (scheduled trips) or `when_waiting` (called when tubes wait), or both", "add e.g. every = \"2h\"");
            }
            let every = f.every.map(|d| c.interval(d.0, path.key("every"), &format!("{key}.every"), "the time between trips"));
            Route {
                name: f.name.clone(),
                sites: ids,
                lab,
                schedule: every.map(|e| (f.first.map_or(e, |d| d.0), e)),
                when_waiting: f.when_waiting.map(|n| n.max(1)),
                box_capacity: f.box_capacity.max(1),
                vehicles: f.vehicles.unwrap_or(1),
                travel: dist(c, &f.travel, path.key("travel"), &format!("{key}.travel")),
                pickup_limit: f.pickup_limit.map_or(SimDuration(2 * HOUR), |d| d.0),
                drivers: None,
            }
        })
        .collect()
}

/// Every sampling site's tubes must reach a lab when there are labs; a site on two routes is
/// ambiguous. Returns each site's route.
pub(super) fn site_routes(
    c: &mut Check,
    routes: &[Route],
    sites: &[super::Site],
    has_labs: bool,
) -> Vec<Option<usize>> {
    let mut out: Vec<Option<usize>> = vec![None; sites.len()];
    for (r, route) in routes.iter().enumerate() {
        for s in &route.sites {
            let s = s.0 as usize;
            if let Some(other) = out[s] {
                c.push(
                    KeyPath::of(&["route"]).index(r).key("sites"),
                    &format!("route.{}.sites", route.name),
                    format!(
                        "site `{}` is on routes `{}` and `{}`",
                        sites[s].name, routes[other].name, route.name
                    ),
                    "put every site on one route",
                );
            }
            out[s] = Some(r);
        }
    }
    if has_labs
        && let Some(s) =
            (0..sites.len()).find(|&s| out[s].is_none() && sites[s].kind == SiteKind::Sampling)
    {
        c.push(
            KeyPath::of(&["route"]),
            "route",
            format!(
                "site `{}` is on no courier route: its tubes would never reach a lab",
                sites[s].name
            ),
            format!("add \"{}\" to the `sites` of a [[route]]", sites[s].name),
        );
    }
    out
}

/// Resolves `drivers` and `technicians` against the teams, which must have the right role.
pub(super) fn chain_staff(
    c: &mut Check,
    routes_file: &[RouteFile],
    labs_file: &[LabFile],
    routes: &mut [Route],
    labs: &mut [Lab],
    teams: &[super::Team],
) {
    let find = |name: &str, role: Role| teams.iter().position(|t| t.name == name && t.role == role);
    for (i, (f, r)) in routes_file.iter().zip(routes.iter_mut()).enumerate() {
        if let Some(name) = &f.drivers {
            r.drivers = find(name, Role::Courier);
            if r.drivers.is_none() {
                c.push(
                    KeyPath::of(&["route"]).index(i).key("drivers"),
                    &format!("route.{}.drivers", f.name),
                    format!("names `{name}`, but no [[team]] of couriers has that name"),
                    "name a [[team]] with role = \"courier\"",
                );
            }
        }
    }
    for (i, (f, l)) in labs_file.iter().zip(labs.iter_mut()).enumerate() {
        if let Some(name) = &f.technicians {
            let per = f.per_machine.unwrap_or(1).max(1);
            l.technicians = find(name, Role::Lab).map(|t| (t, per));
            if l.technicians.is_none() {
                c.push(
                    KeyPath::of(&["lab"]).index(i).key("technicians"),
                    &format!("lab.{}.technicians", f.name),
                    format!("names `{name}`, but no [[team]] of lab staff has that name"),
                    "name a [[team]] with role = \"lab\"",
                );
            }
        }
    }
}
