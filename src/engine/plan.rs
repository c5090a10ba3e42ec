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
}

/// Where an entity runs: its partition and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Partition.
    pub part: u32,
    /// Index among the partition's entities of its kind.
    pub local: u32,
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
    /// Connected components found.
    pub components: usize,
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

/// The links of the model; returns the lookahead of the cut route-to-lab links.
fn link(m: &Model, nodes: &Nodes, sets: &mut Sets) -> Option<SimDuration> {
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
        route.sites.iter().for_each(|s| sets.join(node, site(s.0)));
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
        let lookahead = link(m, &nodes, &mut sets);
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
        Plan {
            parts,
            area,
            site,
            team,
            route,
            lab,
            lookahead: if crossing { lookahead } else { None },
            components: comps.len(),
        }
    }
}

/// The partition of each component: the heaviest first, each to the lightest partition so far
/// (ties to the lowest index); the components of a partition keep their order.
fn group(comps: &[f64], granularity: Granularity) -> Vec<u32> {
    let k = match granularity {
        Granularity::One => 1,
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
    fn grouping_balances_work_deterministically() {
        assert_eq!(
            group(&[5.0, 1.0, 4.0, 2.0], Granularity::Parts(2)),
            vec![0, 0, 1, 1]
        );
        assert_eq!(group(&[1.0, 1.0], Granularity::One), vec![0, 0]);
        assert_eq!(group(&[1.0, 1.0, 1.0], Granularity::Finest), vec![0, 1, 2]);
    }
}
