//! The sample chain: tubes filled at desks (pooling, stock, resupply), couriers carrying closed
//! tubes to labs, plates run on machines, results, and individual re-tests of positive pools.
//!
//! A tube is numbered by the site that opened it (or, for a lab's individual re-test, by the
//! lab), so its number does not depend on the partitioning. A vehicle's last leg ends in two
//! events scheduled by its route: the vehicle back at the lab (route state), and its tubes
//! received there (lab state), which is a message when the lab runs in another partition.
//!
//! A route and its sites touch each other's state only through events, so that they can run
//! in lanes of their own (see [`crate::engine::plan`]): a site calls a vehicle with a `Call`
//! (the route's, at the same instant); a vehicle's stop is the site's `TripStop`, a travel time
//! after the route sent it, where the site loads what fits and clears its call; and the `Leg`
//! that follows is the route's again, at the same instant.

use std::collections::VecDeque;

use rand::Rng;
use smallvec::SmallVec;

use super::super::rng::{Stream, stream};
use super::slots::Slots;
use super::{CLASS, Event, Kind, Message, NONE, Observer, Part};
use crate::engine::plan::Members;
use crate::engine::{EndState, TubeRecord};
use crate::model::{Model, SiteId};
use crate::time::{SimDuration, SimTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Being filled, or closed and waiting for a courier, at a site.
    Site,
    Transit,
    Lab,
}

/// A tube, with all it carries from desk to result (moved whole between partitions). Kept
/// compact: at city scale millions of tubes are on their way at once.
#[derive(Debug, Clone)]
pub(crate) struct TubeData {
    id: u64,
    opened: SimTime,
    /// Infected members, by position (a tube holds at most 50).
    infected: u64,
    closed_at: SimTime,
    picked: SimTime,
    received: SimTime,
    queued: SimTime,
    /// A swab time per place in the tube, in ms after `opened` (`u32::MAX` until swabbed);
    /// then, if [`AREAS`], the members' global areas (as many again); then, for a re-swab
    /// ([`ORIGIN`]), the member's first swab in ms as two words (low, high), from which the
    /// turnaround counts (rare: kept here, not in every record). The swab times of a tube of
    /// up to [`INLINE`] live in the record itself: one allocation per tube, not two.
    members: SmallVec<[u32; INLINE]>,
    /// Members assigned so far (they are swabbed in this order).
    assigned: u32,
    /// Members swabbed so far.
    swabbed: u32,
    /// Global site that filled it (a re-test: its pool's site).
    site: u32,
    place: Place,
    sealed: bool,
    retest: bool,
    /// What `members` holds besides the swab times (one byte, so that the record stays 120
    /// bytes): [`AREAS`], the members' areas: a desk's tube gets them when its last member is
    /// assigned and only if a member is infected (a negative pool is never re-tested; until
    /// then the desk keeps them, see [`DeskTube`]); a door-to-door or re-test tube holds them
    /// from the start, and a door-to-door tube drops them at closing if none is infected;
    /// [`ORIGIN`], a re-swab's first swab.
    extra: u8,
}

/// Swab times held in the tube record itself: ten, the pooling of most rounds (a 10-in-1 tube).
/// The record is 120 bytes, 128 with the allocator's header: less than the 88-byte record and
/// its 48-byte block of swab times it replaces, in one allocation instead of two.
const INLINE: usize = 10;

/// [`TubeData::extra`]: the members' areas follow the swab times.
const AREAS: u8 = 1;
/// [`TubeData::extra`]: `members` ends with a re-swab's first swab.
const ORIGIN: u8 = 2;

impl TubeData {
    /// An empty tube opened at `now`, with room for `pool` members, and for their areas if
    /// `areas`.
    fn new(id: u64, now: SimTime, site: u32, pool: u32, retest: bool, areas: bool) -> TubeData {
        let words = if areas { 2 * pool } else { pool };
        TubeData {
            id,
            opened: now,
            infected: 0,
            closed_at: now,
            picked: now,
            received: now,
            queued: now,
            members: SmallVec::from_elem(u32::MAX, words as usize),
            assigned: 0,
            swabbed: 0,
            site,
            place: Place::Site,
            sealed: false,
            retest,
            extra: if areas { AREAS } else { 0 },
        }
    }

    /// Swabs the tube holds.
    fn pool(&self) -> u32 {
        let n = self.members.len() as u32 - 2 * u32::from(self.has(ORIGIN));
        if self.has(AREAS) { n / 2 } else { n }
    }

    fn has(&self, what: u8) -> bool {
        self.extra & what != 0
    }

    /// For a re-swab: the member's first swab, from which the turnaround counts.
    fn origin(&self) -> Option<SimTime> {
        self.has(ORIGIN).then(|| {
            let n = self.members.len();
            let (lo, hi) = (self.members[n - 2], self.members[n - 1]);
            SimTime(u64::from(lo) | (u64::from(hi) << 32))
        })
    }

    /// Makes the tube a re-swab of a member first swabbed at `origin`.
    fn set_origin(&mut self, origin: SimTime) {
        if self.has(ORIGIN) {
            self.members.truncate(self.members.len() - 2);
        }
        self.members
            .extend([origin.0 as u32, (origin.0 >> 32) as u32]);
        self.extra |= ORIGIN;
    }

    /// The swab times of the members swabbed so far, in ms after `opened`.
    fn swab_offsets(&self) -> &[u32] {
        &self.members[..self.swabbed.min(self.assigned) as usize]
    }

    /// The swab times of the members swabbed so far.
    fn swab_times(&self) -> impl Iterator<Item = SimTime> + '_ {
        let opened = self.opened;
        self.swab_offsets()
            .iter()
            .map(move |&ms| opened.after(SimDuration(u64::from(ms))))
    }

    /// A member of global area `area` joins (swabbed later, in this order).
    fn add_member(&mut self, area: u32, infected: bool) {
        let pool = self.pool();
        // Every caller stops at the tube's pool (desks seal a full tube; home teams fill the
        // room left).
        debug_assert!(self.assigned < pool, "a member beyond the tube's pool");
        if self.assigned >= pool {
            return;
        }
        if infected {
            self.infected |= 1 << self.assigned.min(63);
        }
        if self.has(AREAS) {
            self.members[(pool + self.assigned) as usize] = area;
        }
        self.assigned += 1;
    }

    /// The next assigned member is swabbed at `now`.
    fn swab(&mut self, now: SimTime) {
        // A tube is filled within a session; 49 days is far beyond any.
        let offset = now.since(self.opened).0.min(u64::from(u32::MAX - 1)) as u32;
        if self.swabbed < self.assigned {
            self.members[self.swabbed as usize] = offset;
        }
        self.swabbed += 1;
    }

    /// The tube is closed: its members' areas are kept only if a re-test may need them.
    fn forget_areas(&mut self) {
        if self.has(AREAS) && self.infected == 0 {
            let pool = self.pool() as usize;
            self.members.drain(pool..2 * pool);
            self.members.shrink_to_fit();
            self.extra &= !AREAS;
        }
    }

    /// A desk's tube has all its members: it takes their areas (`areas`, in the order they
    /// were assigned) if a re-test may need them.
    fn keep_areas(&mut self, areas: &[u32]) {
        debug_assert!(!self.has(AREAS) && !self.has(ORIGIN));
        if self.infected != 0 {
            let pool = self.pool() as usize;
            self.members.resize(2 * pool, u32::MAX);
            self.members[pool..pool + areas.len()].copy_from_slice(areas);
            self.extra |= AREAS;
        }
    }

    /// The members' areas, if kept.
    fn member_areas(&self) -> Option<&[u32]> {
        let pool = self.pool() as usize;
        self.has(AREAS).then(|| &self.members[pool..2 * pool])
    }
}

/// A partition's tube records, each in an allocation of its own: the memory of a tube that
/// left for a lab in another partition, or got its result, is reused by whichever partition
/// opens the next one (the peak is the tubes on their way at once, not a sum of partitions'
/// peaks).
#[derive(Debug, Default)]
struct Tubes(Slots<Box<TubeData>>);

impl Tubes {
    /// The most tubes held at once.
    fn records(&self) -> usize {
        self.0.capacity_used()
    }

    /// The tubes, in slot order.
    fn iter(&self) -> impl Iterator<Item = &TubeData> {
        self.0.iter().map(|t| &**t)
    }

    /// Takes in a tube; returns its number in the partition.
    fn insert(&mut self, tube: Box<TubeData>) -> u32 {
        self.0.insert(tube)
    }

    /// Takes tube `id` out; its number is reused.
    fn remove(&mut self, id: u32) -> Box<TubeData> {
        self.0.remove(id).expect("a tube in the partition")
    }
}

impl std::ops::Index<usize> for Tubes {
    type Output = TubeData;
    fn index(&self, id: usize) -> &TubeData {
        self.0.get(id as u32).expect("a tube in the partition")
    }
}

impl std::ops::IndexMut<usize> for Tubes {
    fn index_mut(&mut self, id: usize) -> &mut TubeData {
        self.0.get_mut(id as u32).expect("a tube in the partition")
    }
}

/// A tube a desk is filling, and the areas of its members so far: a re-test needs them only if
/// a member is infected, which is known when the tube has all its members, so they wait here
/// (in a buffer used again for the desk's next tubes) instead of in every tube record.
#[derive(Debug, Clone)]
struct DeskTube {
    pool: u32,
    id: u32,
    areas: Vec<u32>,
}

/// A site's tubes and stock. What each swab reads (stock, the desks' tubes, the count of tubes
/// opened) is in the first cache line of a record aligned to it (`repr(C)` keeps the order);
/// the courier's side after.
#[repr(C, align(64))]
struct SiteChain {
    tubes: Option<u32>,
    kits: Option<u32>,
    /// The tubes each desk is filling, one per pool size in use (the first held in the
    /// desk's entry, not behind a pointer of its own).
    desk_tubes: Vec<SmallVec<[DeskTube; 1]>>,
    /// Tubes opened here so far (their numbers).
    opened: u32,
    out: bool,
    /// A vehicle was called and has not reached the site yet.
    called: bool,
    /// Closed tubes waiting for a courier.
    outbox: VecDeque<u32>,
}

struct RouteState {
    /// Vehicles on a trip.
    out: u32,
    /// Scheduled trips waiting for a vehicle.
    pending_trips: u32,
    /// Local sites that called a vehicle while none was free.
    pending_calls: VecDeque<u32>,
}

struct Trip {
    /// Local route.
    route: u32,
    /// Local sites still to visit, in order.
    stops: Vec<u32>,
    next: usize,
    load: Vec<u32>,
}

struct LabState {
    open: bool,
    /// Machines out of service now (lab disruptions).
    down: u32,
    door: Vec<u32>,
    queue: VecDeque<u32>,
    running: u32,
    timer_at: Option<SimTime>,
    run_rng: Stream,
    result_rng: Stream,
    /// Individual re-test tubes opened here so far (their numbers).
    opened: u32,
    /// Each machine's stream for each breakdown disruption that hits the lab: (disruption,
    /// machine, stream), made at the start.
    wear: Vec<(u16, u32, Stream)>,
}

/// A stream per machine of lab `g` for each breakdown disruption that hits it, named after the
/// disruption, the lab and the machine (so adding one changes no other draw).
fn wear_streams(m: &Model, g: u32, seed: u64, rep: u32) -> Vec<(u16, u32, Stream)> {
    let lab = &m.labs[g as usize];
    let mut out = Vec::new();
    for (d, x) in m.disruptions.iter().enumerate() {
        if x.wears() && x.hits_lab(g, 0).is_some() {
            for machine in 0..lab.machines {
                let name = format!("{}/machine-{}", lab.name, machine + 1);
                let rng = stream(seed, rep, "disruption", &x.name, &name);
                out.push((d as u16, machine, rng));
            }
        }
    }
    out
}

/// State of the sample chain in one partition.
pub(super) struct Chain {
    tubes: Tubes,
    sites: Vec<SiteChain>,
    routes: Vec<RouteState>,
    trips: Vec<Option<Trip>>,
    labs: Vec<LabState>,
    runs: Vec<Option<Vec<u32>>>,
    travel: Vec<Stream>,
    /// Tubes on their way to a lab of this partition: (arena ids) per parcel.
    parcels: Vec<Option<Vec<u32>>>,
    /// Sites in the model, for the numbers of labs' re-test tubes.
    n_sites: u64,
    /// Buffers of [`DeskTube::areas`] not in use.
    spare_areas: Vec<Vec<u32>>,
}

impl Chain {
    pub(super) fn new(m: &Model, members: &Members, seed: u64, rep: u32) -> Chain {
        Chain {
            tubes: Tubes::default(),
            sites: members
                .sites
                .iter()
                .map(|&g| SiteChain {
                    desk_tubes: (0..m.sites[g as usize].desks)
                        .map(|_| SmallVec::new())
                        .collect(),
                    tubes: m.sites[g as usize].tubes,
                    kits: m.sites[g as usize].kits,
                    out: false,
                    outbox: VecDeque::new(),
                    called: false,
                    opened: 0,
                })
                .collect(),
            routes: members
                .routes
                .iter()
                .map(|_| RouteState {
                    out: 0,
                    pending_trips: 0,
                    pending_calls: VecDeque::new(),
                })
                .collect(),
            trips: Vec::new(),
            labs: members
                .labs
                .iter()
                .map(|&g| {
                    let l = &m.labs[g as usize];
                    LabState {
                        down: 0,
                        open: false,
                        door: Vec::new(),
                        queue: VecDeque::new(),
                        running: 0,
                        timer_at: None,
                        run_rng: stream(seed, rep, "lab", &l.name, "runs"),
                        result_rng: stream(seed, rep, "lab", &l.name, "results"),
                        opened: 0,
                        wear: wear_streams(m, g, seed, rep),
                    }
                })
                .collect(),
            runs: Vec::new(),
            travel: members
                .routes
                .iter()
                .map(|&g| stream(seed, rep, "route", &m.routes[g as usize].name, "travel"))
                .collect(),
            parcels: Vec::new(),
            n_sites: m.sites.len() as u64,
            spare_areas: Vec::new(),
        }
    }

    /// Tube records in the arena (the most held at once: records are reused).
    pub(super) fn records(&self) -> usize {
        self.tubes.records()
    }

    /// The local route of trip `trip`.
    pub(super) fn trip_route(&self, trip: u32) -> u32 {
        self.trips[trip as usize].as_ref().map_or(0, |t| t.route)
    }

    /// The local site trip `trip` stops at next.
    pub(super) fn stop_site(&self, trip: u32) -> u32 {
        self.trips[trip as usize]
            .as_ref()
            .and_then(|t| t.stops.get(t.next).copied())
            .unwrap_or(0)
    }

    fn live(&self) -> impl Iterator<Item = &TubeData> {
        self.tubes.iter().filter(|t| t.assigned > 0 || t.retest)
    }

    /// Every swab without a final result: (global site, swab time). Positive pools' members
    /// count through their re-test tubes, not through the pool.
    pub(super) fn pending(&self, f: &mut dyn FnMut(u32, SimTime)) {
        for t in self.live() {
            match t.origin() {
                Some(origin) => f(t.site, origin),
                None => t.swab_times().for_each(|s| f(t.site, s)),
            }
        }
    }

    /// Where the tubes and swabs without a result are.
    pub(super) fn end_state(&self, end: &mut EndState) {
        for t in self.live() {
            match (t.retest, t.place) {
                (true, Place::Lab) => end.retests_at_labs += 1,
                (true, _) => end.retests_on_the_way += 1,
                (false, Place::Site) => end.tubes_at_sites += 1,
                (false, Place::Transit) => end.tubes_in_transit += 1,
                (false, Place::Lab) => end.tubes_at_labs += 1,
            }
            if !t.retest {
                end.swabs_without_result += u64::from(t.swabbed);
            }
        }
    }

    /// A desk has assigned all the members of its tube `done`: the tube takes their areas if a
    /// re-test may need them, and the buffer is kept for another tube.
    fn desk_tube_done(&mut self, mut done: DeskTube) {
        self.tubes[done.id as usize].keep_areas(&done.areas);
        done.areas.clear();
        self.spare_areas.push(done.areas);
    }

    /// A new, empty tube record, with room for `pool` members, and for their areas if `areas`.
    fn open(
        &mut self,
        id: u64,
        now: SimTime,
        site: u32,
        pool: u32,
        retest: bool,
        areas: bool,
    ) -> u32 {
        let tube = TubeData::new(id, now, site, pool, retest, areas);
        self.tubes.insert(Box::new(tube))
    }

    fn parcel(&mut self, ids: Vec<u32>) -> u32 {
        match self.parcels.iter().position(Option::is_none) {
            Some(p) => {
                self.parcels[p] = Some(ids);
                p as u32
            }
            None => {
                self.parcels.push(Some(ids));
                (self.parcels.len() - 1) as u32
            }
        }
    }

    /// Takes tubes from another partition into the arena, on the road until received.
    #[expect(
        clippy::vec_box,
        reason = "each tube keeps its own allocation from desk to result"
    )]
    pub(super) fn parcel_from(&mut self, tubes: Vec<Box<TubeData>>) -> u32 {
        let ids = tubes.into_iter().map(|t| self.tubes.insert(t)).collect();
        self.parcel(ids)
    }
}

impl<O: Observer> Part<'_, O> {
    pub(super) fn start_chain(&mut self) {
        for s in 0..self.sites.len() {
            if let Some((every, _, _)) = self.m_site(s).resupply {
                self.act_as(Kind::Site, s);
                self.at(SimTime(every.0), Event::Resupply { site: s as u32 });
            }
        }
        for r in 0..self.chain.routes.len() {
            if let Some((first, _)) = self.m_route(r).schedule {
                self.act_as(Kind::Route, r);
                self.at(SimTime(first.0), Event::Trip { route: r as u32 });
            }
        }
        for l in 0..self.chain.labs.len() {
            self.act_as(Kind::Lab, l);
            let g = self.lg[l];
            for (d, x) in self.m.disruptions.iter().enumerate() {
                let (start, end) = self.windows[d];
                if x.hits_lab(g, 0).is_none() || end <= start || start >= self.m.horizon {
                    continue;
                }
                let (lab, d) = (l as u32, d as u16);
                if x.wears() {
                    self.start_wear(l, d, start);
                } else {
                    self.at(start, Event::LabDown { lab, d, on: true });
                    self.at(end, Event::LabDown { lab, d, on: false });
                }
            }
            self.lab_hours(l, true);
        }
    }

    /// Whether site `s` fills tubes ([`Site::fills_tubes`](crate::model::Site::fills_tubes)):
    /// without labs there is no chain, and nothing is kept per tube (memory must not grow with
    /// the people swabbed).
    #[inline]
    pub(super) fn tube_sampling(&self, s: usize) -> bool {
        self.sites[s].tube_sampling
    }

    /// Whether desk `desk` has the kit and tube its next person needs.
    pub(super) fn stock_allows(&self, s: usize, desk: usize, pool: u32) -> bool {
        if !self.tube_sampling(s) {
            return true;
        }
        let c = &self.chain.sites[s];
        let kit = c.kits.is_none_or(|k| k > 0);
        // The stock first: with tubes to open, the desk's open tubes (a read that misses the
        // cache in a city) need not be looked at.
        let tube =
            c.tubes.is_none_or(|t| t > 0) || c.desk_tubes[desk].iter().any(|t| t.pool == pool);
        kit && tube
    }

    /// The pool size of a person's tube: their area's (kept on the person), or else the site's.
    pub(super) fn pool_of(&self, s: usize, person: u32) -> u32 {
        if !self.tube_sampling(s) {
            return 0;
        }
        match self.people[person as usize].pool {
            0 => self.sites[s].pool,
            k => u32::from(k),
        }
    }

    /// Reports a stock-out: the site is open and no desk has the kit and tube to start anyone.
    pub(super) fn note_stock(&mut self, s: usize) {
        let c = &self.chain.sites[s];
        let empty = c.kits == Some(0) || c.tubes == Some(0);
        if !empty && !c.out {
            // The common case, once per resident: stocked, and reported so.
            return;
        }
        let desks = self.m_site(s).desks as usize;
        let pool = self.m_site(s).pool;
        let out = self.sites[s].open && empty && (0..desks).all(|d| !self.stock_allows(s, d, pool));
        if out != self.chain.sites[s].out {
            self.chain.sites[s].out = out;
            self.obs.stockout_changed(self.now, self.site_id(s), out);
        }
    }

    /// Opens a tube for a door-to-door team at its drop site (the team brings its own tubes).
    pub(super) fn home_tube(&mut self, drop: usize, pool: u32) -> u32 {
        let id = self.open_tube(drop, pool, true);
        self.chain.tubes[id as usize].retest = false;
        self.obs.tube_opened(self.now, self.site_id(drop));
        id
    }

    /// Room left in a tube.
    pub(super) fn chain_room(&self, id: u32) -> u32 {
        let t = &self.chain.tubes[id as usize];
        t.pool() - t.assigned
    }

    /// Swabs `n` people of global area `area` (of whom `infected`) into a home tube; closes it
    /// when full. Returns whether it closed.
    pub(super) fn fill_home_tube(&mut self, id: u32, area: u32, n: u32, infected: u32) -> bool {
        let now = self.now;
        let t = &mut self.chain.tubes[id as usize];
        for k in 0..n {
            t.add_member(area, k < infected);
            t.swab(now);
        }
        let full = t.assigned >= t.pool();
        if full {
            t.sealed = true;
            self.close_tube(id);
        }
        full
    }

    /// A member of a positive pool was swabbed again at home: a single tube, counted as a
    /// re-test, dropped at `drop` for the courier.
    pub(super) fn reswab_tube(&mut self, drop: usize, area: u32, infected: bool, origin: SimTime) {
        let id = self.open_tube(drop, 1, true);
        let now = self.now;
        let t = &mut self.chain.tubes[id as usize];
        t.add_member(area, infected);
        t.swab(now);
        t.set_origin(origin);
        t.sealed = true;
        self.close_tube(id);
    }

    /// Closes a partly filled home tube (end of the crew's shift).
    pub(super) fn seal_home_tube(&mut self, id: u32) {
        let t = &mut self.chain.tubes[id as usize];
        t.sealed = true;
        if t.assigned > 0 {
            self.close_tube(id);
        }
    }

    /// Puts the person's coming swab into the desk's tube, opening one if needed.
    pub(super) fn assign_tube(&mut self, s: usize, desk: usize, person: u32) {
        if !self.tube_sampling(s) {
            return;
        }
        let pool = self.pool_of(s, person);
        let open = self.chain.sites[s].desk_tubes[desk]
            .iter()
            .position(|t| t.pool == pool);
        let k = match open {
            Some(k) => k,
            None => {
                let id = self.open_tube(s, pool, false);
                let areas = self.chain.spare_areas.pop().unwrap_or_default();
                self.obs.tube_opened(self.now, self.site_id(s));
                let tubes = &mut self.chain.sites[s].desk_tubes[desk];
                tubes.push(DeskTube { pool, id, areas });
                tubes.len() - 1
            }
        };
        let c = &mut self.chain.sites[s];
        if let Some(k) = c.kits.as_mut() {
            *k -= 1;
        }
        let p = &self.people[person as usize];
        let desk_tube = &mut c.desk_tubes[desk][k];
        let id = desk_tube.id;
        desk_tube.areas.push(p.area.0);
        let tube = &mut self.chain.tubes[id as usize];
        tube.add_member(p.area.0, p.infected);
        self.people[person as usize].tube = id;
        if tube.assigned == tube.pool() {
            tube.sealed = true;
            let done = self.chain.sites[s].desk_tubes[desk].remove(k);
            self.chain.desk_tube_done(done);
        }
        self.note_stock(s);
    }

    /// A new tube at local site `s`, numbered by the site.
    fn open_tube(&mut self, s: usize, pool: u32, retest: bool) -> u32 {
        let c = &mut self.chain.sites[s];
        if !retest && let Some(t) = c.tubes.as_mut() {
            *t -= 1;
        }
        let id = (u64::from(self.sg[s]) << 32) | u64::from(c.opened);
        c.opened += 1;
        // A team's tubes hold their members' areas; a desk keeps those of its tubes.
        self.chain
            .open(id, self.now, self.sg[s], pool, retest, retest)
    }

    /// A person's swab went into their tube.
    pub(super) fn swabbed(&mut self, id: u32) {
        if id == NONE {
            return;
        }
        self.chain.tubes[id as usize].swab(self.now);
        let tube = &self.chain.tubes[id as usize];
        if tube.sealed && tube.swabbed == tube.assigned {
            self.close_tube(id);
        }
    }

    /// No more swabs go into the tubes of desks `from..` at site `s` (desk closing, handover).
    pub(super) fn seal_tubes(&mut self, s: usize, from: usize) {
        if !self.tube_sampling(s) {
            return;
        }
        for d in from..self.chain.sites[s].desk_tubes.len() {
            for done in std::mem::take(&mut self.chain.sites[s].desk_tubes[d]) {
                let id = done.id;
                self.chain.desk_tube_done(done);
                let tube = &mut self.chain.tubes[id as usize];
                tube.sealed = true;
                if tube.swabbed == tube.assigned {
                    self.close_tube(id);
                }
            }
        }
        self.note_stock(s);
    }

    fn close_tube(&mut self, id: u32) {
        self.chain.tubes[id as usize].forget_areas();
        let tube = &mut self.chain.tubes[id as usize];
        tube.closed_at = self.now;
        let g = tube.site;
        let (swabs, pool) = (tube.swabbed, tube.pool());
        self.obs.tube_closed(self.now, SiteId(g), swabs, pool);
        let Some(r) = self.m.sites[g as usize].route else {
            return;
        };
        let s = self.site_local(g);
        self.chain.sites[s].outbox.push_back(id);
        let waiting = self.chain.sites[s].outbox.len() as u32;
        if self.m.routes[r].when_waiting.is_some_and(|n| waiting >= n)
            && !self.chain.sites[s].called
        {
            self.send_call(r, s);
        }
    }

    /// Local site `s` calls a vehicle of (global) route `r`: the route takes the call at this
    /// instant, in its own lane.
    fn send_call(&mut self, r: usize, s: usize) {
        self.chain.sites[s].called = true;
        let route = self.plan.route[r].local;
        let key = self.key(self.now, CLASS);
        self.push_to(
            key,
            Event::Call {
                route,
                site: s as u32,
            },
        );
    }

    /// A site closed for the session with closed tubes waiting: the route sends a vehicle for
    /// them, so that no tube waits at a closed site for the next day's trips.
    pub(super) fn session_over(&mut self, s: usize) {
        let Some(r) = self.m_site(s).route else {
            return;
        };
        if !self.chain.sites[s].outbox.is_empty() && !self.chain.sites[s].called {
            self.send_call(r, s);
        }
    }

    pub(super) fn resupply(&mut self, s: usize) {
        let Some((every, tubes, kits)) = self.m_site(s).resupply else {
            return;
        };
        let c = &mut self.chain.sites[s];
        // Stock beyond u32::MAX is as good as unlimited.
        if let Some(t) = c.tubes.as_mut() {
            *t = t.saturating_add(tubes);
        }
        if let Some(k) = c.kits.as_mut() {
            *k = k.saturating_add(kits);
        }
        self.at(self.now.after(every), Event::Resupply { site: s as u32 });
        self.note_stock(s);
        self.try_start(s);
    }

    // ---- couriers -----------------------------------------------------------------------

    pub(super) fn scheduled_trip(&mut self, r: usize) {
        if let Some((_, every)) = self.m_route(r).schedule {
            self.at(self.now.after(every), Event::Trip { route: r as u32 });
        }
        if self.vehicle_free(r) {
            let stops = self.route_stops(r);
            self.start_trip(r, stops);
        } else {
            self.chain.routes[r].pending_trips += 1;
        }
    }

    fn route_stops(&self, r: usize) -> Vec<u32> {
        self.m_route(r)
            .sites
            .iter()
            .map(|s| self.site_local(s.0) as u32)
            .collect()
    }

    /// Local route `r` takes the call of local site `s`: a vehicle leaves for it now, or when
    /// one is free.
    pub(super) fn call_vehicle(&mut self, r: usize, s: usize) {
        if self.vehicle_free(r) {
            self.start_trip(r, vec![s as u32]);
        } else {
            self.chain.routes[r].pending_calls.push_back(s as u32);
        }
    }

    fn start_trip(&mut self, r: usize, stops: Vec<u32>) {
        self.chain.routes[r].out += 1;
        let trip = Trip {
            route: r as u32,
            stops,
            next: 0,
            load: Vec::new(),
        };
        let id = match self.chain.trips.iter().position(Option::is_none) {
            Some(i) => {
                self.chain.trips[i] = Some(trip);
                i
            }
            None => {
                self.chain.trips.push(Some(trip));
                self.chain.trips.len() - 1
            }
        };
        self.next_leg(id);
    }

    /// The vehicle on trip `id` drives to its next stop, or back to its lab.
    pub(super) fn next_leg(&mut self, id: usize) {
        let Some(trip) = self.chain.trips[id].as_ref() else {
            return;
        };
        let r = trip.route as usize;
        let travel = self.m_route(r).travel.sample(&mut self.chain.travel[r]);
        let at = self.now.after(travel);
        if trip.next < trip.stops.len() {
            // The stop is the site's event, in its lane, at least a least travel time ahead.
            let key = self.key(at, CLASS);
            self.push_to(key, Event::TripStop { trip: id as u32 });
        } else {
            self.last_leg(id, at);
        }
    }

    /// The last leg: the vehicle is back at `at`, and its tubes reach the lab then.
    fn last_leg(&mut self, id: usize, at: SimTime) {
        let Some(trip) = self.chain.trips[id].take() else {
            return;
        };
        let r = trip.route as usize;
        self.at(at, Event::TripBack { route: r as u32 });
        let key = self.key(at, CLASS);
        let lab = self.m_route(r).lab;
        let slot = self.plan.lab[lab];
        if slot.part == self.id {
            let parcel = self.chain.parcel(trip.load);
            self.push_to(
                key,
                Event::LabReceive {
                    lab: slot.local,
                    parcel,
                },
            );
        } else {
            let tubes = trip
                .load
                .into_iter()
                .map(|t| self.chain.tubes.remove(t))
                .collect();
            self.outbox.push(Message {
                to: slot.part,
                key,
                lab: lab as u32,
                tubes,
            });
        }
    }

    /// The vehicle on trip `id` reaches its next stop (the site's event): it takes what fits of
    /// the tubes waiting, the site's call is answered, and the route sends it on.
    pub(super) fn trip_stop(&mut self, id: usize) {
        let Some(trip) = self.chain.trips[id].as_mut() else {
            return;
        };
        let r = trip.route as usize;
        let s = trip.stops[trip.next] as usize;
        trip.next += 1;
        self.chain.sites[s].called = false;
        let route = &self.m.routes[self.rg[r] as usize];
        let room = route.box_capacity as usize - trip.load.len();
        let outbox = &mut self.chain.sites[s].outbox;
        let take = room.min(outbox.len());
        for tube in outbox.drain(..take) {
            let t = &mut self.chain.tubes[tube as usize];
            t.place = Place::Transit;
            t.picked = self.now;
            trip.load.push(tube);
            self.obs
                .tube_picked(self.now, SiteId(self.sg[s]), t.closed_at);
        }
        let key = self.key(self.now, CLASS);
        self.push_to(key, Event::Leg { trip: id as u32 });
    }

    /// A vehicle is back at its lab: trips waiting for one may leave.
    pub(super) fn trip_back(&mut self, r: usize) {
        self.chain.routes[r].out -= 1;
        self.start_waiting_trips(r);
    }

    /// Whether a vehicle of route `r` is at the lab with a driver on duty.
    fn vehicle_free(&self, r: usize) -> bool {
        let route = self.m_route(r);
        let drivable = route.drivers.map_or(route.vehicles, |t| {
            route.vehicles.min(self.team_on_duty(self.team_local(t)))
        });
        self.chain.routes[r].out < drivable
    }

    /// Trips that waited for a vehicle or a driver leave now, calls first.
    pub(super) fn start_waiting_trips(&mut self, r: usize) {
        self.acting_as(Kind::Route, r, |p| {
            while p.vehicle_free(r) {
                if let Some(s) = p.chain.routes[r].pending_calls.pop_front() {
                    p.start_trip(r, vec![s]);
                } else if p.chain.routes[r].pending_trips > 0 {
                    p.chain.routes[r].pending_trips -= 1;
                    let stops = p.route_stops(r);
                    p.start_trip(r, stops);
                } else {
                    return;
                }
            }
        });
    }

    /// Machines of lab `l` that the technicians on duty can run.
    fn machines_staffed(&self, l: usize) -> u32 {
        let lab = self.m_lab(l);
        let working = lab.machines.saturating_sub(self.chain.labs[l].down);
        lab.technicians.map_or(working, |(t, per)| {
            working.min(self.team_on_duty(self.team_local(t)) / per)
        })
    }

    /// Breakdown disruption `d` starts at `start` at local lab `l`: each machine runs for a drawn
    /// time to its first failure, drawn from the machine's own stream.
    fn start_wear(&mut self, l: usize, d: u16, start: SimTime) {
        for k in 0..self.chain.labs[l].wear.len() {
            let (x, machine, _) = self.chain.labs[l].wear[k];
            if x != d {
                continue;
            }
            let rng = &mut self.chain.labs[l].wear[k].2;
            let ttf = self.m.disruptions[d as usize].wear_draw(rng, true);
            let at = start.after(ttf);
            if at < self.windows[d as usize].1 && at < self.m.horizon {
                let ev = Event::MachineWear {
                    lab: l as u32,
                    d,
                    machine,
                    on: true,
                };
                self.at(at, ev);
            }
        }
    }

    /// A machine of local lab `l` breaks down (`on`, for a drawn repair time) or is repaired
    /// (and runs for a drawn time to its next failure, if the disruption is still on).
    pub(super) fn machine_wear(&mut self, l: usize, d: u16, machine: u32, on: bool) {
        let k = self.chain.labs[l]
            .wear
            .iter()
            .position(|&(x, m, _)| (x, m) == (d, machine))
            .expect("a stream for every machine of a breakdown disruption");
        let x = &self.m.disruptions[d as usize];
        let draw = x.wear_draw(&mut self.chain.labs[l].wear[k].2, !on);
        let st = &mut self.chain.labs[l];
        if on {
            st.down += 1;
        } else {
            st.down = st.down.saturating_sub(1);
        }
        self.obs.lab_down(self.now, self.lg[l], u32::from(d), 1, on);
        let next = self.now.after(draw);
        let lab = l as u32;
        if on {
            let ev = Event::MachineWear {
                lab,
                d,
                machine,
                on: false,
            };
            self.at(next, ev);
        } else {
            if next < self.windows[d as usize].1 && next < self.m.horizon {
                let ev = Event::MachineWear {
                    lab,
                    d,
                    machine,
                    on: true,
                };
                self.at(next, ev);
            }
            self.start_runs(l);
        }
    }

    /// A lab disruption begins or ends at local lab `l`: machines go out of service (plates
    /// running finish) or come back.
    pub(super) fn lab_down(&mut self, l: usize, d: usize, on: bool) {
        let x = &self.m.disruptions[d];
        let n = x.hits_lab(self.lg[l], self.m_lab(l).machines).unwrap_or(0);
        let st = &mut self.chain.labs[l];
        if on {
            st.down += n;
        } else {
            st.down = st.down.saturating_sub(n);
        }
        self.obs.lab_down(self.now, self.lg[l], d as u32, n, on);
        if !on {
            self.start_runs(l);
        }
    }

    /// A courier or lab crew (local team `t`) changed: trips and runs that waited for them may
    /// start.
    pub(super) fn chain_staff_changed(&mut self, t: usize) {
        let g = self.tg[t] as usize;
        for r in 0..self.chain.routes.len() {
            if self.m_route(r).drivers == Some(g) {
                self.start_waiting_trips(r);
            }
        }
        for l in 0..self.chain.labs.len() {
            if self.m_lab(l).technicians.is_some_and(|(team, _)| team == g) {
                self.acting_as(Kind::Lab, l, |p| p.start_runs(l));
            }
        }
    }

    // ---- labs ---------------------------------------------------------------------------

    /// A vehicle's tubes reach lab `l`; the whole box is received before plates are loaded.
    pub(super) fn lab_receive(&mut self, l: usize, parcel: u32) {
        let Some(ids) = self.chain.parcels[parcel as usize].take() else {
            return;
        };
        self.obs
            .tubes_received(self.now, self.lg[l], ids.len() as u32);
        for id in ids {
            self.receive(l, id);
        }
        self.note_backlog(l);
        self.start_runs(l);
    }

    fn receive(&mut self, l: usize, id: u32) {
        let t = &mut self.chain.tubes[id as usize];
        t.place = Place::Lab;
        t.received = self.now;
        if self.chain.labs[l].open {
            self.queue_for_run(l, id);
        } else {
            self.chain.labs[l].door.push(id);
        }
    }

    /// A tube joins the lab's queue; plates start when the caller calls `start_runs`.
    fn queue_for_run(&mut self, l: usize, id: u32) {
        self.chain.tubes[id as usize].queued = self.now;
        self.chain.labs[l].queue.push_back(id);
    }

    fn note_backlog(&mut self, l: usize) {
        let lab = &self.chain.labs[l];
        let waiting = (lab.door.len() + lab.queue.len()) as u32;
        self.obs.lab_backlog(self.now, self.lg[l], waiting);
    }

    pub(super) fn lab_hours(&mut self, l: usize, init: bool) {
        let tod = self.m.time_of_day(self.now);
        let hours = &self.m_lab(l).hours;
        let open = hours.value_at(tod) > 0.0;
        if let Some(until) = hours.until_change(tod) {
            self.at(
                self.now.after(SimDuration(until)),
                Event::LabHours { lab: l as u32 },
            );
        }
        if !init && open == self.chain.labs[l].open {
            return;
        }
        self.chain.labs[l].open = open;
        if open {
            let door = std::mem::take(&mut self.chain.labs[l].door);
            for id in door {
                self.queue_for_run(l, id);
            }
            self.note_backlog(l);
            self.start_runs(l);
        }
    }

    /// Starts plates while machines are free and a plate is full, or the oldest tube has
    /// waited the batch time; otherwise sets a timer for that moment.
    fn start_runs(&mut self, l: usize) {
        let lab = self.m_lab(l);
        loop {
            let st = &self.chain.labs[l];
            if st.running >= self.machines_staffed(l) || st.queue.is_empty() {
                return;
            }
            let oldest = self.chain.tubes[st.queue[0] as usize].queued;
            let due = oldest.after(lab.batch_wait);
            if st.queue.len() < lab.plate as usize && self.now < due {
                if st.timer_at.is_none_or(|t| t > due || t < self.now) {
                    self.chain.labs[l].timer_at = Some(due);
                    self.at(due, Event::BatchTimer { lab: l as u32 });
                }
                return;
            }
            let n = (lab.plate as usize).min(st.queue.len());
            let plate: Vec<u32> = self.chain.labs[l].queue.drain(..n).collect();
            for &id in &plate {
                self.chain.tubes[id as usize].queued = self.now;
            }
            self.chain.labs[l].running += 1;
            let run_time = lab.run.sample(&mut self.chain.labs[l].run_rng);
            let run = match self.chain.runs.iter().position(Option::is_none) {
                Some(i) => {
                    self.chain.runs[i] = Some(plate);
                    i
                }
                None => {
                    self.chain.runs.push(Some(plate));
                    self.chain.runs.len() - 1
                }
            };
            self.at(
                self.now.after(run_time),
                Event::RunDone {
                    lab: l as u32,
                    run: run as u32,
                },
            );
            self.obs
                .lab_busy(self.now, self.lg[l], self.chain.labs[l].running);
            self.note_backlog(l);
        }
    }

    pub(super) fn batch_timer(&mut self, l: usize) {
        if self.chain.labs[l].timer_at == Some(self.now) {
            self.chain.labs[l].timer_at = None;
        }
        self.start_runs(l);
    }

    pub(super) fn run_done(&mut self, l: usize, run: usize) {
        let Some(plate) = self.chain.runs[run].take() else {
            return;
        };
        self.chain.labs[l].running -= 1;
        self.obs
            .lab_busy(self.now, self.lg[l], self.chain.labs[l].running);
        let sensitivity = self.m_lab(l).sensitivity;
        for id in plate {
            let infected = self.chain.tubes[id as usize].infected != 0;
            let positive = infected && self.chain.labs[l].result_rng.random::<f64>() < sensitivity;
            if positive && self.chain.tubes[id as usize].swabbed > 1 {
                self.retest_members(l, id);
            }
            self.report(l, id, positive);
            self.chain.tubes.remove(id);
        }
        self.start_runs(l);
    }

    fn report(&mut self, l: usize, id: u32, positive: bool) {
        let t = &self.chain.tubes[id as usize];
        let lab = self.m_lab(l);
        let first = t.swab_times().next().unwrap_or(t.closed_at);
        // Every tube but a re-test was picked up by its site's route (a site is on one).
        let pickup_limit = self.m.sites[t.site as usize]
            .route
            .map_or(SimDuration::ZERO, |r| self.m.routes[r].pickup_limit);
        let record = TubeRecord {
            id: t.id,
            site: SiteId(t.site),
            lab: self.lg[l],
            swabs: t.swabbed,
            retest: t.retest,
            infected: t.infected.count_ones(),
            positive,
            first_swab: first,
            closed: t.closed_at,
            picked: t.picked,
            received: t.received,
            run_start: t.queued,
            opened: t.opened,
            swab_offsets: t.swab_offsets(),
            origin: t.origin(),
            final_for_members: !positive || t.swabbed == 1,
            transit_over_limit: !t.retest && t.received.since(t.picked) > pickup_limit,
            over_hold_limit: !t.retest && t.received.since(first) > lab.hold_limit,
        };
        self.obs.tube_result(self.now, &record);
    }

    /// Each member of a positive pool is tested on their own: re-swabbed at home where a
    /// door-to-door team serves their area, or else from the stored sample at the lab.
    fn retest_members(&mut self, l: usize, pool: u32) {
        let (site, members) = {
            let t = &self.chain.tubes[pool as usize];
            // A positive pool has an infected member, so it kept their areas.
            let areas = t
                .member_areas()
                .expect("an infected tube keeps its members' areas");
            let members: Vec<(u32, bool, SimTime)> = t
                .swab_times()
                .enumerate()
                .map(|(k, swab)| (areas[k], t.infected & (1 << k.min(63)) != 0, swab))
                .collect();
            (t.site, members)
        };
        for (area, infected, swab) in members {
            let home =
                self.m_lab(l).reswab_at_home && !self.m.areas[area as usize].home_teams.is_empty();
            if home {
                self.reswab_job(self.area_local(area), infected, swab);
                continue;
            }
            let lab = &mut self.chain.labs[l];
            let id = ((self.chain.n_sites + u64::from(self.lg[l])) << 32) | u64::from(lab.opened);
            lab.opened += 1;
            let id = self.chain.open(id, swab, site, 1, true, true);
            let now = self.now;
            let t = &mut self.chain.tubes[id as usize];
            t.add_member(area, infected);
            t.swab(swab);
            t.sealed = true;
            t.place = Place::Lab;
            t.closed_at = now;
            t.picked = now;
            t.received = now;
            t.queued = now;
            self.queue_for_run(l, id);
            self.note_backlog(l);
            self.start_runs(l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{SimTime, TubeData};

    /// A desk's tube of ten: `infected` marks which of its members (of areas 100, 101, ...) are
    /// infected; every member swabbed a second apart; the desk hands over the areas at the end.
    fn desk_tube(infected: &[bool]) -> TubeData {
        let mut t = TubeData::new(7, SimTime(1_000), 3, 10, false, false);
        let areas: Vec<u32> = (0..infected.len() as u32).map(|k| 100 + k).collect();
        for (k, &inf) in infected.iter().enumerate() {
            t.add_member(areas[k], inf);
            t.swab(SimTime(1_000 + 1_000 * k as u64));
        }
        t.keep_areas(&areas);
        t
    }

    #[test]
    fn a_negative_desk_tube_keeps_its_swab_times_in_the_record() {
        let t = desk_tube(&[false; 10]);
        assert_eq!(t.pool(), 10);
        assert!(
            !t.members.spilled(),
            "the swab times of a tube of 10 live in the record"
        );
        assert_eq!(t.member_areas(), None);
        let times: Vec<u64> = t.swab_times().map(|x| x.0).collect();
        assert_eq!(
            times,
            (0..10).map(|k| 1_000 + 1_000 * k).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_positive_desk_tube_gets_every_members_area() {
        // A partly filled tube (sealed at a handover) with its fourth member infected.
        let t = desk_tube(&[false, false, false, true, false, false]);
        assert_eq!(t.pool(), 10);
        assert_eq!(t.infected, 1 << 3);
        let areas = t.member_areas().expect("a re-test needs the areas");
        assert_eq!(&areas[..6], &[100, 101, 102, 103, 104, 105]);
        assert_eq!(&areas[6..], &[u32::MAX; 4]);
        assert_eq!(t.swab_times().count(), 6);
    }

    #[test]
    fn a_door_to_door_tube_drops_its_areas_at_closing_unless_infected() {
        for infected in [false, true] {
            let mut t = TubeData::new(8, SimTime(0), 3, 10, true, true);
            for k in 0..10 {
                t.add_member(200 + k, infected && k == 9);
                t.swab(SimTime(u64::from(k)));
            }
            t.forget_areas();
            assert_eq!(t.pool(), 10);
            assert_eq!(t.member_areas().is_some(), infected);
            assert_eq!(t.members.spilled(), infected);
            assert_eq!(t.swab_times().count(), 10);
        }
        // A re-swab: one member and its first swab, which stays after its area is dropped.
        let mut t = TubeData::new(9, SimTime(5_000), 3, 1, true, true);
        t.add_member(300, false);
        t.swab(SimTime(5_000));
        t.set_origin(SimTime(1 << 40));
        t.forget_areas();
        assert_eq!((t.pool(), t.member_areas()), (1, None));
        assert_eq!(t.origin(), Some(SimTime(1 << 40)));
    }
}
