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

/// A route of the file, expanded: the route, and the (expanded) name of its drivers' team with
/// the index of the block it came from (for messages).
pub(super) struct Expanded {
    pub route: Route,
    pub drivers: Option<String>,
    pub block: usize,
}

/// Resolves the routes, expanding `count` blocks: `{i}` in the name, the lab and the drivers is
/// the route's number; in the sites it is the route's number, or with `sites_per_route = N` each
/// number of the route's group of N.
pub(super) fn routes(
    c: &mut Check,
    files: &[RouteFile],
    sites: &BTreeMap<&str, SiteId>,
    labs: &[Lab],
) -> Vec<Expanded> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let path = KeyPath::of(&["route"]).index(i);
        let key = format!("route.{}", f.name);
        let names = super::expanded_names(c, &f.name, f.count, &path, &key);
        if f.sites_per_route.is_some() && f.count.is_none() {
            c.push(path.key("sites_per_route"), &format!("{key}.sites_per_route"), "`sites_per_route` groups the sites of a `count` block of routes, but this block has no `count`", "add `count` (how many routes), or remove `sites_per_route`");
        }
        if f.sites_per_route == Some(0) {
            c.push(
                path.key("sites_per_route"),
                &format!("{key}.sites_per_route"),
                "must be at least 1, found 0",
                "give how many sites each route of the block serves, e.g. sites_per_route = 10",
            );
        }
        let per = f.sites_per_route.unwrap_or(1).max(1);
        let grouped = f.sites_per_route.is_some();
        for (n, name) in names.iter().enumerate() {
            let r = n as u32 + 1;
            let text = |t: &str, i: u32| super::expand(t, i).unwrap_or_else(|_| t.to_string());
            let mut wanted: Vec<(usize, String)> = Vec::new();
            for (k, template) in f.sites.iter().enumerate() {
                if f.count.is_some() && template.contains('{') {
                    if grouped {
                        let first = (r - 1).saturating_mul(per) + 1;
                        wanted.extend(
                            (first..first.saturating_add(per)).map(|j| (k, text(template, j))),
                        );
                    } else {
                        wanted.push((k, text(template, r)));
                    }
                } else {
                    wanted.push((k, template.clone()));
                }
            }
            let route_key = format!("route.{name}");
            let ids = wanted
                .iter()
                .filter_map(|(k, site)| {
                    let id = sites.get(site.as_str()).copied();
                    if id.is_none() {
                        c.push(
                            path.key("sites").index(*k),
                            &format!("{route_key}.sites"),
                            format!("names the site `{site}`, but no [[site]] has that name"),
                            "use the name of a [[site]] (expanded, e.g. \"point-3\")",
                        );
                    }
                    id
                })
                .collect();
            let lab_name = text(&f.lab, r);
            let lab = match labs.iter().position(|l| l.name == lab_name) {
                Some(l) => {
                    if labs[l].machines == 0 {
                        c.push(path.key("lab"), &format!("{route_key}.lab"), format!("sends tubes to the lab `{lab_name}`, which has no machines"), format!("give lab `{lab_name}` at least one machine, or send this route elsewhere"));
                    }
                    l
                }
                None => {
                    let known: Vec<&str> = labs.iter().map(|l| l.name.as_str()).collect();
                    c.push(
                        path.key("lab"),
                        &format!("{route_key}.lab"),
                        format!("names the lab `{lab_name}`, but no [[lab]] has that name"),
                        if known.is_empty() {
                            "add a [[lab]]".to_string()
                        } else {
                            format!("use one of: {}", known.join(", "))
                        },
                    );
                    0
                }
            };
            // Checks of the block's own values, once.
            if n == 0 {
                if f.vehicles == Some(0) {
                    c.push(
                        path.key("vehicles"),
                        &format!("{key}.vehicles"),
                        "must be at least 1, found 0: no tube would ever reach the lab",
                        "give the vehicles on the route, e.g. vehicles = 2",
                    );
                }
                if f.box_capacity == 0 {
                    c.push(
                        path.key("box"),
                        &format!("{key}.box"),
                        "must be at least 1, found 0",
                        "give the tubes one transport box holds, e.g. box = 100",
                    );
                }
                if f.every.is_none() && f.when_waiting.is_none() {
                    c.push(path.clone(), &key, "a route needs `every` (scheduled trips) or `when_waiting` (called when tubes wait), or both", "add e.g. every = \"2h\"");
                }
            }
            let every = f.every.map(|d| {
                c.interval(
                    d.0,
                    path.key("every"),
                    &format!("{key}.every"),
                    "the time between trips",
                )
            });
            out.push(Expanded {
                route: Route {
                    name: name.clone(),
                    sites: ids,
                    lab,
                    schedule: every.map(|e| (f.first.map_or(e, |d| d.0), e)),
                    when_waiting: f.when_waiting.map(|n| n.max(1)),
                    box_capacity: f.box_capacity.max(1),
                    vehicles: f.vehicles.unwrap_or(1),
                    travel: dist(c, &f.travel, path.key("travel"), &format!("{key}.travel")),
                    pickup_limit: f.pickup_limit.map_or(SimDuration(2 * HOUR), |d| d.0),
                    drivers: None,
                },
                drivers: f.drivers.as_ref().map(|d| text(d, r)),
                block: i,
            });
        }
    }
    out
}

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
        && let Some(s) = (0..sites.len()).find(|&s| {
            out[s].is_none() && sites[s].kind == SiteKind::Sampling && !sites[s].passes_on()
        })
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
    labs_file: &[LabFile],
    routes: &mut [Expanded],
    labs: &mut [Lab],
    teams: &[super::Team],
) {
    let find = |name: &str, role: Role| teams.iter().position(|t| t.name == name && t.role == role);
    for e in routes.iter_mut() {
        if let Some(name) = &e.drivers {
            e.route.drivers = find(name, Role::Courier);
            if e.route.drivers.is_none() {
                c.push(
                    KeyPath::of(&["route"]).index(e.block).key("drivers"),
                    &format!("route.{}.drivers", e.route.name),
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
