//! Partitions of a scenario: which entities run together, and what crosses between them.
//!
//! The scenario is a graph of entities (areas, sites, teams, routes, labs). Two entities are
//! joined when one acts on the other at the same instant:
//!
//! - an area and every site its people may go to (a choice by queue length reads the queues
//!   when a person sets off, and a walk may take no time), and a site and the sites it passes
//!   people on to (`then`);
//! - a team and the sites it staffs; a reserve and every site that needs its role (it goes to the
//!   longest queue); a door-to-door team, the areas it visits and the site where it drops tubes;
//! - a route, its sites (a site calls a vehicle) and its drivers; a lab and its technicians; a
//!   lab that re-swabs positive pools at home and the door-to-door teams it sends them to.
//!
//! The one link that carries a delay is a route's vehicles driving to its lab: when every draw of
//! the route's travel time is at least `d` > 0, the route and the lab are not joined, and the
//! tubes cross as a message `d` or more after they leave. The connected components of the graph
//! are the smallest units that can run apart; they are grouped into partitions by a deterministic
//! balance of their estimated work. Everything here is a pure function of the model (and of a
//! requested granularity, for tests): never of the number of threads.
//!
//! Inside a partition, a finer split: the *lanes*. A route whose every travel time is at least
//! `d` > 0 reaches its sites only by driving there: a site's call for a vehicle is taken by the
//! route at the same instant, but nothing the route does reaches a site sooner than `d` later
//! (a vehicle's stop). So the route and its sites stay in one partition (a call crosses at once),
//! but in lanes of their own: components of the graph without those links, each with its own
//! event queue. A partition runs its lanes one after another in windows of the shortest such
//! `d`, the routes' lanes last (they take the calls of the window), so that a point's events run
//! together while its state is in the cache. A route whose lane would hold a site or an area
//! (its drivers also drive a route joined to its points) stays joined to its sites, so no call
//! goes back and forth between lanes at one instant.

use crate::model::{Arrivals, Model, Place, Site};
use crate::scenario::Role;
use crate::time::{DAY, SimDuration};

/// Most partitions of an automatic plan.
pub const MAX_PARTS: usize = 4096;

/// The work (people) an automatic plan puts in a partition at least: partitions this small run
/// faster even on one core (a partition's state and events stay in cache while it runs its
/// window), and there are enough of them to keep many cores busy; smaller ones would spend more
/// on synchronisation than they save (measured in docs/performance.md).
pub const PART_WORK: f64 = 25_000.0;

/// The shortest window in which a partition runs its lanes apart (`Plan::lane_window`): a
/// scenario with a route whose vehicles may reach a site sooner runs each partition in one
/// queue.
pub const MIN_LANE_WINDOW: SimDuration = SimDuration(60_000);

/// How finely to split a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Partitions of at least [`PART_WORK`] people each (at most [`MAX_PARTS`]), balanced.
    Auto,
    /// Everything in one partition.
    One,
    /// Every component a partition of its own.
    Finest,
    /// Up to this many partitions, balanced by work.
    Parts(usize),
    /// Everything in one partition, in one event queue: the reference the lanes are tested
    /// against (not offered on the command line).
    OneQueue,
}

/// Where an entity runs: its partition and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Partition.
    pub part: u32,
    /// Index among the partition's entities of its kind.
    pub local: u32,
    /// The partition's lane (event queue) that runs its events.
    pub lane: u32,
    /// Its lane's smallest node: entities of one group act on each other at an instant, those
    /// of two groups never do (the same in [`Granularity::OneQueue`], where every lane is 0).
    pub group: u32,
}

/// The entities of one partition, by global index, in increasing order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Members {
    /// Areas.
    pub areas: Vec<u32>,
    /// Sites.
    pub sites: Vec<u32>,
    /// Teams.
    pub teams: Vec<u32>,
    /// Routes.
    pub routes: Vec<u32>,
    /// Labs.
    pub labs: Vec<u32>,
    /// Estimated work (people, plus one per entity).
    pub work: f64,
    /// Lanes: the partition's event queues, run in this order in each window.
    pub lanes: u32,
}

/// A scenario split into partitions.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The partitions' members.
    pub parts: Vec<Members>,
    /// Each area's slot.
    pub area: Vec<Slot>,
    /// Each site's slot.
    pub site: Vec<Slot>,
    /// Each team's slot.
    pub team: Vec<Slot>,
    /// Each route's slot.
    pub route: Vec<Slot>,
    /// Each lab's slot.
    pub lab: Vec<Slot>,
    /// The smallest delay of a message between partitions; `None` when none can cross.
    pub lookahead: Option<SimDuration>,
    /// The window in which a partition runs its lanes apart: the smallest delay of an event
    /// from one lane to another, calls and legs aside (they go to a route's lane at once, and
    /// it runs after its sites'); `None` when no such event can happen (the lanes run each to
    /// the end of the partition's window).
    pub lane_window: Option<SimDuration>,
    /// Connected components found.
    pub components: usize,
    /// Whether a crew that hands over works at each site (such a site keeps each post's end
    /// time): worked out once here, not by every partition over every team (1,038 partitions
    /// of the 25.7 M city each scanned its 41,000 teams, about 0.1 s).
    pub hand_over: Vec<bool>,
}

/// Union-find over node indices.
pub(crate) struct Sets {
    parent: Vec<u32>,
}

impl Sets {
    pub(crate) fn new(n: usize) -> Sets {
        Sets {
            parent: (0..n as u32).collect(),
        }
    }

    pub(crate) fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let up = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = up;
            x = up;
        }
        x
    }

    /// Joins the sets of `a` and `b`; the smaller root becomes the root, so roots are the
    /// smallest node of their set.
    pub(crate) fn join(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.parent[hi as usize] = lo;
        }
    }
}

/// Node numbering: areas, then sites, teams, routes, labs.
struct Nodes {
    site0: u32,
    team0: u32,
    route0: u32,
    lab0: u32,
    n: usize,
}

impl Nodes {
    fn of(m: &Model) -> Nodes {
        let site0 = m.areas.len() as u32;
        let team0 = site0 + m.sites.len() as u32;
        let route0 = team0 + m.teams.len() as u32;
        let lab0 = route0 + m.routes.len() as u32;
        Nodes {
            site0,
            team0,
            route0,
            lab0,
            n: (lab0 as usize) + m.labs.len(),
        }
    }
}

fn needs(site: &Site, role: Role) -> bool {
    (role == Role::Marshal && site.marshals > 0)
        || site
            .staff
            .as_ref()
            .is_some_and(|n| n.iter().any(|(r, _)| *r == role))
}

/// The links of the model, without those of the routes whose `cut` is set to their sites;
/// returns the lookahead of the cut route-to-lab links.
fn link(m: &Model, nodes: &Nodes, sets: &mut Sets, cut: &[bool]) -> Option<SimDuration> {
    let site = |s: u32| nodes.site0 + s;
    for (a, area) in m.areas.iter().enumerate() {
        for s in &area.sites {
            sets.join(a as u32, site(s.0));
        }
    }
    // A site that passes people on, and where it sends them (the walk may take no time).
    for (s, x) in m.sites.iter().enumerate() {
        for (next, _) in &x.then {
            sets.join(site(s as u32), site(next.0));
        }
    }
    for (t, team) in m.teams.iter().enumerate() {
        let node = nodes.team0 + t as u32;
        match &team.place {
            Place::Sites(ids) => ids.iter().for_each(|s| sets.join(node, site(s.0))),
            Place::Pool { .. } => (0..m.sites.len() as u32)
                .filter(|&s| needs(&m.sites[s as usize], team.role))
                .for_each(|s| sets.join(node, site(s))),
            Place::Homes(h) => {
                h.areas.iter().for_each(|a| sets.join(node, a.0));
                sets.join(node, site(h.drop.0));
            }
        }
    }
    let mut lookahead: Option<SimDuration> = None;
    for (r, route) in m.routes.iter().enumerate() {
        let node = nodes.route0 + r as u32;
        if !cut[r] {
            route.sites.iter().for_each(|s| sets.join(node, site(s.0)));
        }
        if let Some(t) = route.drivers {
            sets.join(node, nodes.team0 + t as u32);
        }
        let min = route.travel.min();
        if min.0 == 0 {
            sets.join(node, nodes.lab0 + route.lab as u32);
        } else {
            lookahead = Some(lookahead.map_or(min, |l| l.min(min)));
        }
    }
    for (l, lab) in m.labs.iter().enumerate() {
        let node = nodes.lab0 + l as u32;
        if let Some((t, _)) = lab.technicians {
            sets.join(node, nodes.team0 + t as u32);
        }
        if lab.reswab_at_home {
            // Any member of any area may come back as a re-swab job to its area's team.
            for area in &m.areas {
                for &t in &area.home_teams {
                    sets.join(node, nodes.team0 + t as u32);
                }
            }
        }
    }
    lookahead
}

/// Estimated work of each node: people for areas, one for every other entity.
fn work(m: &Model, nodes: &Nodes) -> Vec<f64> {
    let mut w = vec![1.0; nodes.n];
    for (a, area) in m.areas.iter().enumerate() {
        w[a] += match &area.arrivals {
            Arrivals::CallUp(cu) => f64::from(area.residents) * f64::from(cu.rounds),
            Arrivals::WalkIn(wi) => {
                let span = wi.end.0.min(m.horizon.0).saturating_sub(wi.begin.0) as f64;
                wi.rate.mean() * span.min(DAY as f64 * 366.0)
            }
        };
    }
    w
}

impl Plan {
    /// The plan of `m` at the given granularity.
    pub fn new(m: &Model, granularity: Granularity) -> Plan {
        let nodes = Nodes::of(m);
        let mut sets = Sets::new(nodes.n);
        let lookahead = link(m, &nodes, &mut sets, &vec![false; m.routes.len()]);
        let (lane_root, late) = lanes(m, &nodes);
        // Between lanes, a vehicle's stop and its tubes reaching a lab wait a travel time.
        let lane_window = m
            .routes
            .iter()
            .map(|r| r.travel.min())
            .filter(|d| d.0 > 0)
            .min();
        // Lanes that must meet every few seconds would cost more than they save: one queue.
        let one_queue = granularity == Granularity::OneQueue
            || lane_window.is_some_and(|w| w < MIN_LANE_WINDOW);
        let node_work = work(m, &nodes);
        // Components in order of their smallest node (the root).
        let mut comp_of_root = vec![u32::MAX; nodes.n];
        let mut comps: Vec<f64> = Vec::new();
        let mut comp = vec![0u32; nodes.n];
        for x in 0..nodes.n as u32 {
            let r = sets.find(x) as usize;
            if comp_of_root[r] == u32::MAX {
                comp_of_root[r] = comps.len() as u32;
                comps.push(0.0);
            }
            comp[x as usize] = comp_of_root[r];
            comps[comp_of_root[r] as usize] += node_work[x as usize];
        }
        let part_of_comp = group(&comps, granularity);
        let n_parts = part_of_comp
            .iter()
            .map(|&p| p as usize + 1)
            .max()
            .unwrap_or(1);
        let mut parts = vec![Members::default(); n_parts.max(1)];
        for (c, &w) in comps.iter().enumerate() {
            parts[part_of_comp[c] as usize].work += w;
        }
        // Each partition's lanes: those without a cut route first, in the order of their
        // smallest node, then the routes' (a lane lies inside one component, so in one
        // partition).
        let mut lane_of_root = vec![0u32; nodes.n];
        if one_queue {
            parts.iter_mut().for_each(|p| p.lanes = 1);
        } else {
            let mut numbered = vec![false; nodes.n];
            for pass in [false, true] {
                for x in 0..nodes.n {
                    let root = lane_root[x] as usize;
                    if late[root] == pass && !numbered[root] {
                        let p = part_of_comp[comp[x] as usize] as usize;
                        lane_of_root[root] = parts[p].lanes;
                        parts[p].lanes += 1;
                        numbered[root] = true;
                    }
                }
            }
        }
        let mut slots = |range: std::ops::Range<u32>, pick: fn(&mut Members) -> &mut Vec<u32>| {
            range
                .clone()
                .map(|x| {
                    let p = part_of_comp[comp[x as usize] as usize];
                    let list = pick(&mut parts[p as usize]);
                    list.push(x - range.start);
                    Slot {
                        part: p,
                        local: (list.len() - 1) as u32,
                        lane: lane_of_root[lane_root[x as usize] as usize],
                        group: lane_root[x as usize],
                    }
                })
                .collect::<Vec<_>>()
        };
        let area = slots(0..nodes.site0, |m| &mut m.areas);
        let site = slots(nodes.site0..nodes.team0, |m| &mut m.sites);
        let team = slots(nodes.team0..nodes.route0, |m| &mut m.teams);
        let route = slots(nodes.route0..nodes.lab0, |m| &mut m.routes);
        let lab = slots(nodes.lab0..nodes.n as u32, |m| &mut m.labs);
        let crossing = route
            .iter()
            .zip(&m.routes)
            .any(|(s, r)| s.part != lab[r.lab].part);
        let mut hand_over = vec![false; m.sites.len()];
        for t in m.teams.iter().filter(|t| m.rotas[t.rota].hand_over) {
            if let crate::model::Place::Sites(ids) = &t.place {
                ids.iter().for_each(|s| hand_over[s.0 as usize] = true);
            }
        }
        Plan {
            parts,
            area,
            site,
            team,
            route,
            lab,
            lookahead: if crossing { lookahead } else { None },
            lane_window: lane_window.filter(|_| !one_queue),
            components: comps.len(),
            hand_over,
        }
    }
}

/// The lanes: each node's lane (the smallest node of its component in the graph without the
/// links of cut routes to their sites), and whether a lane holds a cut route (it runs last).
fn lanes(m: &Model, nodes: &Nodes) -> (Vec<u32>, Vec<bool>) {
    let mut cut: Vec<bool> = m.routes.iter().map(|r| r.travel.min().0 > 0).collect();
    // A cut route whose lane holds a site or an area (through its drivers) is joined to its
    // sites again, until none is.
    loop {
        let mut sets = Sets::new(nodes.n);
        link(m, nodes, &mut sets, &cut);
        let root: Vec<u32> = (0..nodes.n as u32).map(|x| sets.find(x)).collect();
        let mut crowded = vec![false; nodes.n];
        for x in 0..nodes.team0 as usize {
            crowded[root[x] as usize] = true;
        }
        let mut again = false;
        for (r, c) in cut.iter_mut().enumerate() {
            if *c && crowded[root[(nodes.route0 as usize) + r] as usize] {
                *c = false;
                again = true;
            }
        }
        if !again {
            let mut late = vec![false; nodes.n];
            for (r, &c) in cut.iter().enumerate() {
                if c {
                    late[root[(nodes.route0 as usize) + r] as usize] = true;
                }
            }
            return (root, late);
        }
    }
}

/// The partition of each component: the heaviest first, each to the lightest partition so far
/// (ties to the lowest index); the components of a partition keep their order.
fn group(comps: &[f64], granularity: Granularity) -> Vec<u32> {
    let k = match granularity {
        Granularity::One | Granularity::OneQueue => 1,
        Granularity::Finest => comps.len(),
        Granularity::Auto => {
            let total: f64 = comps.iter().sum();
            comps
                .len()
                .min(MAX_PARTS)
                .min((total / PART_WORK).floor().max(1.0) as usize)
        }
        Granularity::Parts(k) => comps.len().min(k.max(1)),
    }
    .max(1);
    if k == comps.len() {
        return (0..comps.len() as u32).collect();
    }
    let mut order: Vec<usize> = (0..comps.len()).collect();
    order.sort_by(|&a, &b| comps[b].total_cmp(&comps[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; k];
    let mut out = vec![0u32; comps.len()];
    for c in order {
        let p = (0..k)
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        load[p] += comps[c];
        out[c] = p as u32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(path: &str) -> Model {
        let text = std::fs::read_to_string(path).unwrap();
        crate::load_str(path, &text, &[]).unwrap().1
    }

    #[test]
    fn the_default_scenario_is_one_component() {
        // Re-swabs at home join the lab to the door-to-door teams, and through them everything.
        let m = model("scenarios/dongyuegong.toml");
        let p = Plan::new(&m, Granularity::Auto);
        assert_eq!(p.components, 1);
        assert_eq!(p.parts.len(), 1);
        assert_eq!(p.lookahead, None);
    }

    #[test]
    fn independent_sites_split_and_any_granularity_covers_everything() {
        let m = model("scenarios/lingling.toml");
        for g in [
            Granularity::One,
            Granularity::Auto,
            Granularity::Finest,
            Granularity::Parts(3),
        ] {
            let p = Plan::new(&m, g);
            let sites: usize = p.parts.iter().map(|x| x.sites.len()).sum();
            assert_eq!(sites, m.sites.len(), "{g:?}");
            for (s, slot) in p.site.iter().enumerate() {
                assert_eq!(
                    p.parts[slot.part as usize].sites[slot.local as usize],
                    s as u32
                );
            }
            // Every area runs with its sites.
            for (a, area) in m.areas.iter().enumerate() {
                for s in &area.sites {
                    assert_eq!(p.area[a].part, p.site[s.0 as usize].part);
                }
            }
        }
        assert_eq!(Plan::new(&m, Granularity::One).parts.len(), 1);
        assert!(Plan::new(&m, Granularity::Finest).parts.len() > 1);
    }

    #[test]
    fn a_route_runs_in_a_lane_apart_from_its_points_after_them() {
        let m = model("tests/fuzz-corpus/districts.toml");
        for g in [Granularity::Finest, Granularity::One] {
            let p = Plan::new(&m, g);
            assert_eq!(p.lane_window.map(|d| d.0), Some(10 * 60_000));
            for (r, route) in m.routes.iter().enumerate() {
                let lane = p.route[r];
                for s in &route.sites {
                    let site = p.site[s.0 as usize];
                    assert_eq!(site.part, lane.part, "a call crosses at once");
                    assert!(site.lane < lane.lane, "{g:?}: the points run first");
                }
            }
            // A point, its blocks and its crew share a lane: fourteen sites in eleven lanes
            // (the station gate passes people on to p-12 and the fever tent; the workers
            // choose between p-5 and p-6), then the four routes, and the two labs.
            let lanes: u32 = p.parts.iter().map(|x| x.lanes).sum();
            assert_eq!(lanes, 11 + 4 + 2, "{g:?}");
        }
        let q = Plan::new(&m, Granularity::OneQueue);
        assert_eq!((q.parts.len(), q.parts[0].lanes), (1, 1));
        assert!(q.site.iter().chain(&q.route).all(|s| s.lane == 0));
        // The groups are the lanes', whatever runs them.
        let one = Plan::new(&m, Granularity::One);
        let groups = |p: &Plan| p.site.iter().map(|s| s.group).collect::<Vec<_>>();
        assert_eq!(groups(&q), groups(&one));
    }

    #[test]
    fn a_route_whose_drivers_also_drive_a_route_joined_to_its_points_stays_with_its_own() {
        // The north and east routes share their vans; east has no least travel time, so it
        // is joined to its points, and north's lane would hold them: north keeps its points.
        let text = std::fs::read_to_string("tests/fuzz-corpus/districts.toml").unwrap();
        let text =
            text.replace(
                "name = \"north\"\n",
                "name = \"north\"\ndrivers = \"vans\"\n",
            )
            .replace("name = \"east\"\n", "name = \"east\"\ndrivers = \"vans\"\n")
            .replace(
                "min = \"12min\", max = \"20min\"",
                "min = \"0min\", max = \"20min\"",
            ) + "\n[[team]]\nname = \"vans\"\nrole = \"courier\"\nheadcount = 2\nrota = \"day\"\n";
        let m = crate::load_str("vans.toml", &text, &[]).unwrap().1;
        let p = Plan::new(&m, Granularity::Finest);
        let lane_of = |name: &str| {
            let r = m.routes.iter().position(|r| r.name == name).unwrap();
            (r, p.route[r])
        };
        for name in ["north", "east"] {
            let (r, route) = lane_of(name);
            for s in &m.routes[r].sites {
                assert_eq!(p.site[s.0 as usize].lane, route.lane, "{name}");
            }
        }
        // The other two still run apart from their points.
        for name in ["south", "west"] {
            let (r, route) = lane_of(name);
            for s in &m.routes[r].sites {
                assert_ne!(p.site[s.0 as usize].lane, route.lane, "{name}");
            }
        }
    }

    #[test]
    fn a_route_that_may_arrive_within_a_minute_keeps_one_queue_a_partition() {
        let text = std::fs::read_to_string("tests/fuzz-corpus/districts.toml").unwrap();
        let fast = text.replace(
            "min = \"10min\", max = \"25min\"",
            "min = \"30s\", max = \"25min\"",
        );
        assert_ne!(fast, text);
        let m = crate::load_str("fast.toml", &fast, &[]).unwrap().1;
        let p = Plan::new(&m, Granularity::Finest);
        assert_eq!(p.lane_window, None);
        assert!(p.parts.iter().all(|x| x.lanes == 1));
        assert_eq!(p.lookahead.map(|d| d.0), Some(30_000));
    }

    #[test]
    fn grouping_balances_work_deterministically() {
        assert_eq!(
            group(&[5.0, 1.0, 4.0, 2.0], Granularity::Parts(2)),
            vec![0, 0, 1, 1]
        );
        assert_eq!(group(&[1.0, 1.0], Granularity::One), vec![0, 0]);
        assert_eq!(group(&[1.0, 1.0, 1.0], Granularity::Finest), vec![0, 1, 2]);
    }
}
