//! The serde types that mirror a scenario file, key for key.
//!
//! Parsing only collects: these types check the shape of each value (a duration has a unit, a
//! distribution has its parameters) but nothing across fields. `model` validates and resolves.
//! Every struct denies unknown keys, so a misspelt key is an error, not a silently ignored line.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::{SimDuration, parse_duration};

/// The whole scenario file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Version of the file format; 1 is the only one.
    pub version: u32,
    /// The scenario header.
    pub scenario: Header,
    /// Blocks of residents, or walk-in streams.
    #[serde(default)]
    pub area: Vec<AreaFile>,
    /// Sampling points and checkpoints.
    #[serde(default)]
    pub site: Vec<SiteFile>,
    /// Rotas: shift patterns that teams follow.
    #[serde(default)]
    pub rota: Vec<RotaFile>,
    /// Teams of staff.
    #[serde(default)]
    pub team: Vec<TeamFile>,
    /// Courier routes from sites to labs.
    #[serde(default)]
    pub route: Vec<RouteFile>,
    /// Laboratories.
    #[serde(default)]
    pub lab: Vec<LabFile>,
    /// What the round must achieve (reported by `run`, required by `plan`).
    #[serde(default)]
    pub target: Vec<TargetFile>,
    /// What goes wrong: outages.
    #[serde(default)]
    pub disruption: Vec<DisruptionFile>,
}

/// `[[disruption]]`: something that goes wrong during the round.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisruptionFile {
    /// Name, for reports.
    pub name: String,
    /// What fails: `"registration"` (the code scanning every desk needs).
    pub kind: DisruptionKind,
    /// When it starts, after the scenario's start: a duration, or a distribution drawn anew in
    /// every replication.
    pub at: When,
    /// How long it lasts: a duration or a distribution.
    pub lasts: When,
    /// Sites it hits (expanded names). Default: every sampling point.
    #[serde(default)]
    pub sites: Option<Vec<String>>,
    /// Service slows by this factor (above 1) instead of stopping.
    #[serde(default)]
    pub slowdown: Option<f64>,
    /// `kind = "turnout"`: areas it hits (expanded names). Default: every area.
    #[serde(default)]
    pub areas: Option<Vec<String>>,
    /// `kind = "turnout"`: the share of the called who come is multiplied by this (0 to 1).
    #[serde(default)]
    pub turnout: Option<f64>,
    /// `kind = "turnout"`: the delay before setting off is multiplied by this (above 0).
    #[serde(default)]
    pub response: Option<f64>,
    /// `kind = "absence"`: teams it hits (expanded names). Default: every team at sites.
    #[serde(default)]
    pub teams: Option<Vec<String>>,
    /// `kind = "absence"`: the chance that each person of a crew does not come for a shift.
    #[serde(default)]
    pub share: Option<f64>,
    /// `kind = "lab"`: labs it hits. Default: every lab.
    #[serde(default)]
    pub labs: Option<Vec<String>>,
    /// `kind = "lab"`: machines out of service at each lab. Default: all (the lab is closed).
    #[serde(default)]
    pub machines: Option<u32>,
    /// `kind = "lab"`: each machine breaks down after this long in service, again and again
    /// while the disruption is on (with `time_to_repair`).
    #[serde(default)]
    pub time_to_failure: Option<Dist>,
    /// `kind = "lab"`: how long a broken machine takes to repair.
    #[serde(default)]
    pub time_to_repair: Option<Dist>,
}

/// A time that is fixed ("2h") or drawn ({ dist = ... }).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum When {
    /// Always this.
    Fixed(Duration),
    /// Drawn in every replication.
    Drawn(Dist),
}

impl<'de> Deserialize<'de> for When {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match toml::Value::deserialize(d)? {
            v @ toml::Value::String(_) => Duration::deserialize(v)
                .map(When::Fixed)
                .map_err(|e| D::Error::custom(e.message())),
            v @ toml::Value::Table(_) => Dist::deserialize(v)
                .map(When::Drawn)
                .map_err(|e| D::Error::custom(e.message())),
            _ => Err(D::Error::custom(
                "expected a duration like \"2h\" or a distribution like { dist = \"uniform\", min = \"1h\", max = \"9h\" }",
            )),
        }
    }
}

/// What a disruption stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DisruptionKind {
    /// Registration at the desks of the sites in scope: no new person is registered (queues keep
    /// forming), or everyone is served slower.
    Registration,
    /// Weather or an announcement: residents of the areas in scope called up during it come less
    /// often, or later.
    Turnout,
    /// Staff absence: each person of the teams in scope misses a shift that starts during it
    /// with chance `share`, drawn per shift.
    Absence,
    /// Lab machines break down, or a lab closes: no new plate starts on them; plates running
    /// finish, and tubes keep arriving.
    Lab,
}

/// `[[target]]`: a figure the round must keep at most or at least a value.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// A column of `summary.csv`; with `site`, of `sites.csv`; with `round`, of `rounds.csv`.
    pub figure: String,
    /// The figure must be at most this.
    #[serde(default)]
    pub at_most: Option<f64>,
    /// The figure must be at least this.
    #[serde(default)]
    pub at_least: Option<f64>,
    /// A site's name, or `"*"` for every site.
    #[serde(default)]
    pub site: Option<String>,
    /// A call-up round (from 1), or `"*"` for every round.
    #[serde(default)]
    pub round: Option<RoundPick>,
}

/// Which round a target is taken in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RoundPick {
    /// One round, from 1.
    Number(u32),
    /// `"*"`: every round.
    Every(String),
}

/// `[[route]]`: couriers that carry closed tubes from sites to a lab.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    /// Name; with `count`, `{i}` is replaced by 1..=count.
    pub name: String,
    /// How many routes this block stands for. Default 1.
    #[serde(default)]
    pub count: Option<u32>,
    /// Sites visited on each trip, in order. In a `count` block, `{i}` is the route's number,
    /// or with `sites_per_route` the numbers of the sites of that route's group.
    pub sites: Vec<String>,
    /// In a `count` block: route `i` serves sites `(i-1)·N+1 ..= i·N` of each `{i}` name.
    #[serde(default)]
    pub sites_per_route: Option<u32>,
    /// The lab the tubes go to (where the vehicles are based).
    pub lab: String,
    /// A round trip leaves the lab this often.
    #[serde(default)]
    pub every: Option<Duration>,
    /// First scheduled departure after the start. Default: `every`.
    #[serde(default)]
    pub first: Option<Duration>,
    /// A vehicle is called to a site once this many closed tubes wait there.
    #[serde(default)]
    pub when_waiting: Option<u32>,
    /// Tubes one vehicle carries (a transport box).
    #[serde(rename = "box")]
    pub box_capacity: u32,
    /// Vehicles on the route. Default 1.
    #[serde(default)]
    pub vehicles: Option<u32>,
    /// Travel time of each leg (lab to first site, site to site, last site to lab).
    pub travel: Dist,
    /// Checked figure: longest time from pickup to lab. Default 2 h.
    #[serde(default)]
    pub pickup_limit: Option<Duration>,
    /// A team of couriers whose people on duty drive the vehicles. Default: always driven.
    #[serde(default)]
    pub drivers: Option<String>,
}

/// `[[lab]]`: a PCR laboratory.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    /// Name.
    pub name: String,
    /// PCR machines (each runs one plate at a time).
    pub machines: u32,
    /// Tubes per plate after controls. Default 94.
    #[serde(default)]
    pub plate: Option<u32>,
    /// Time of one run, extraction and PCR.
    pub run: Dist,
    /// Intake hours: tubes arriving outside them wait at the door. Default: always.
    #[serde(default)]
    pub hours: Option<Vec<ClockRange>>,
    /// A machine starts a partly filled plate once its oldest tube has waited this long.
    /// Default 30 min.
    #[serde(default)]
    pub batch_wait: Option<Duration>,
    /// Probability that a tube with an infected swab tests positive. Default 1.
    #[serde(default)]
    pub sensitivity: Option<f64>,
    /// A tube received later than this after its first swab is flagged (room temperature
    /// hold). Default 4 h.
    #[serde(default)]
    pub hold_limit: Option<Duration>,
    /// How the members of a positive pool are tested again. Default `lab`.
    #[serde(default)]
    pub retest: Option<Retest>,
    /// A team of lab staff whose people on duty run the machines. Default: always staffed.
    #[serde(default)]
    pub technicians: Option<String>,
    /// Technicians one running machine needs. Default 1.
    #[serde(default)]
    pub per_machine: Option<u32>,
}

/// Second stage of pooled testing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Retest {
    /// Each member's stored sample is tested alone at the lab.
    Lab,
    /// Each member is swabbed again at home by the door-to-door team of their area.
    Home,
}

/// Deliveries of tubes and kits to a site.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resupply {
    /// A delivery arrives this often.
    pub every: Duration,
    /// Tubes per delivery. Default 0.
    #[serde(default)]
    pub tubes: Option<u32>,
    /// Swab kits per delivery. Default 0.
    #[serde(default)]
    pub kits: Option<u32>,
}

/// `[[rota]]`: a shift pattern.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotaFile {
    /// Name, referred to by teams.
    pub name: String,
    /// Length of one shift.
    pub shift: Duration,
    /// Number of crews that take turns. Default 1.
    #[serde(default)]
    pub crews: Option<u32>,
    /// Clock time at which crew 1's first shift starts on the start day.
    pub start: ClockTime,
    /// Time from one shift of a crew to its next. Default: crews × shift (round the clock).
    #[serde(default)]
    pub every: Option<Duration>,
    /// Time from crew k's shift to crew k+1's. Default: the shift length.
    #[serde(default)]
    pub stride: Option<Duration>,
    /// The incoming crew comes this long before a shift starts (both crews present).
    #[serde(default)]
    pub overlap: Option<Duration>,
    /// The outgoing crew leaves this long before its shift ends (nobody present).
    #[serde(default)]
    pub gap: Option<Duration>,
    /// Daily clock ranges in which the crew on duty takes a break.
    #[serde(default)]
    pub breaks: Option<Vec<ClockRange>>,
    /// A break of `break_length` after every `break_after` on duty.
    #[serde(default)]
    pub break_after: Option<Duration>,
    /// Length of the breaks of `break_after`.
    #[serde(default)]
    pub break_length: Option<Duration>,
    /// Breaks in turn: at most this many people of a crew are on break at once, the others stay
    /// on duty; turn k starts its breaks k × the break's length after turn 0. Default: the whole
    /// crew breaks at once.
    #[serde(default)]
    pub stagger: Option<u32>,
    /// What happens at a shift's end to a person in service at a desk that closes: `"finish"`
    /// (the leaving crew finishes them, as overtime) or `"hand-over"` (their service pauses
    /// and the next crew to open the desk finishes it). Default `"finish"`.
    #[serde(default)]
    pub shift_end: Option<ShiftEnd>,
    /// Longest continuous time allowed in protective gear.
    #[serde(default)]
    pub max_in_ppe: Option<Duration>,
    /// Service slows by `factor` after `after` of continuous duty.
    #[serde(default)]
    pub slowdown: Option<Slowdown>,
    /// Days of the scenario (1 = the start day) on which shifts start. Default: every day.
    #[serde(default)]
    pub days: Option<Vec<u32>>,
}

/// What a leaving crew does with a person in service at a desk that closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ShiftEnd {
    /// The leaving crew finishes them (overtime).
    Finish,
    /// Their service pauses for the next crew to open the desk.
    HandOver,
}

/// Slower service late in a stint.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slowdown {
    /// Time on duty after which service slows.
    pub after: Duration,
    /// Multiplier of service times (above 1 is slower).
    pub factor: f64,
}

/// The work of a team.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Takes swabs.
    Sampler,
    /// Scans codes and registers tubes.
    Registrar,
    /// Keeps the queue.
    Marshal,
    /// Carries samples (sample chain).
    Courier,
    /// Samples at home (sample chain).
    DoorToDoor,
    /// Runs tests (sample chain).
    Lab,
}

/// `[[team]]`: staff of one role following one rota.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamFile {
    /// Name; with `count`, `{i}` is replaced by 1..=count.
    pub name: String,
    /// How many teams this block stands for. Default 1.
    #[serde(default)]
    pub count: Option<u32>,
    /// What they do.
    pub role: Role,
    /// People of each crew on duty at each of its sites.
    pub headcount: u32,
    /// The rota the team follows.
    pub rota: String,
    /// Sites where the team works (`headcount` at each).
    #[serde(default)]
    pub sites: Option<Vec<String>>,
    /// A reserve not tied to a site, sent where the queue is longest.
    #[serde(default)]
    pub pool: Option<PoolFile>,
    /// Door-to-door teams: the areas whose sealed households and homebound residents they visit.
    #[serde(default)]
    pub areas: Option<Vec<String>>,
    /// Door-to-door teams: how a visit goes.
    #[serde(default)]
    pub visit: Option<VisitFile>,
}

/// How a door-to-door team samples at home.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitFile {
    /// Time at one household (knock, swab everyone, record).
    pub household: Dist,
    /// Time to move to another building (area).
    pub travel: Dist,
    /// Swabs per tube across households; default: one tube per household.
    #[serde(default)]
    pub pool: Option<u32>,
    /// The site where the team's closed tubes wait for the courier.
    pub drop: String,
}

/// How a reserve is sent out.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolFile {
    /// Queue length at a site that calls the reserve.
    pub threshold: u32,
    /// Travel time from the base to a site.
    pub travel: Duration,
}

/// A clock time "HH:MM".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTime(pub u64);

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        crate::time::parse_clock(&text)
            .map(ClockTime)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!(
            "{:02}:{:02}",
            self.0 / 3_600_000,
            self.0 / 60_000 % 60
        ))
    }
}

/// `[scenario]`: name, title, clock and reporting.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Short name; the default output directory is `output/<name>`.
    pub name: String,
    /// Title for reports. Default: the name.
    #[serde(default)]
    pub title: Option<String>,
    /// Local date and time of the simulation start (a TOML local date-time).
    #[schemars(with = "String")]
    pub start: toml::value::Datetime,
    /// How long to simulate.
    pub horizon: Duration,
    /// Master seed of all random streams.
    #[serde(default)]
    pub seed: u64,
    /// Reporting step of the time series. Default: 15 minutes.
    #[serde(default)]
    pub report_every: Option<Duration>,
    /// Target time, from each round's start, by which everyone should be tested. Optional.
    #[serde(default)]
    pub deadline: Option<Duration>,
}

/// `[[area]]`: a block of residents called up to sampling sites, or a walk-in stream.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaFile {
    /// Name; with `count`, `{i}` is replaced by 1..=count.
    pub name: String,
    /// How many areas this block stands for (the compact form). Default 1.
    #[serde(default)]
    pub count: Option<u32>,
    /// Residents of each area.
    #[serde(default)]
    pub residents: Option<u32>,
    /// Households of each area (for reports; door-to-door and pooling use it later).
    #[serde(default)]
    pub households: Option<u32>,
    /// Site names this area uses, in order of preference.
    pub sites: Vec<String>,
    /// How a person picks a site from `sites`. Default `first`.
    #[serde(default)]
    pub choice: Option<Choice>,
    /// Walking time from home to the site. Default: none.
    #[serde(default)]
    pub walk: Option<Dist>,
    /// Share of residents in the priority group (green lane). Default 0.
    #[serde(default)]
    pub priority_share: Option<f64>,
    /// Share of residents who come when called. Default 1.
    #[serde(default)]
    pub turnout: Option<f64>,
    /// Delay between a call-up and setting off. Default: none.
    #[serde(default)]
    pub response: Option<Dist>,
    /// Number of rounds; each round calls every resident again. Default 1.
    #[serde(default)]
    pub rounds: Option<u32>,
    /// Time between round starts; needed when `rounds` > 1.
    #[serde(default)]
    pub round_every: Option<Duration>,
    /// Shift of the call-up of area i by (i-1) × stagger (building time slots). Default none.
    #[serde(default)]
    pub stagger: Option<Duration>,
    /// With `stagger`: slots repeat after this many areas. Default `count`.
    #[serde(default)]
    pub stagger_cycle: Option<u32>,
    /// Call-up waves, each at a time after the round start with a share of the residents.
    #[serde(default)]
    pub callup: Option<Vec<Wave>>,
    /// Walk-ins: a Poisson stream instead of call-ups.
    #[serde(default)]
    pub walkin: Option<WalkIn>,
    /// Share of people infected (drawn once per person and round). Default 0.
    #[serde(default)]
    pub prevalence: Option<f64>,
    /// From this round on (1 = the first), the area is sealed: door-to-door only.
    #[serde(default)]
    pub sealed_from_round: Option<u32>,
    /// Share of called residents who are homebound and sampled at home. Default 0.
    #[serde(default)]
    pub homebound: Option<f64>,
    /// Swabs per tube for this area's people at sampling points. Default: the site's `pool`.
    #[serde(default)]
    pub pool: Option<u32>,
}

/// How a resident picks one of the area's sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// Always the first site listed.
    First,
    /// The site with the fewest people waiting per open desk when setting off (ties: list order).
    ShortestQueue,
    /// A site drawn at random, equally likely.
    Random,
}

/// One call-up wave.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    /// Time after the round start (plus the area's stagger).
    pub at: Duration,
    /// Share of the area's residents called in this wave.
    pub share: f64,
}

/// A walk-in stream: Poisson arrivals at a rate that may vary by time of day.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WalkIn {
    /// A constant rate, all day, e.g. "9/min", "300/h".
    #[serde(default)]
    pub rate: Option<Rate>,
    /// Rates by clock time; outside every period the rate is 0.
    #[serde(default)]
    pub profile: Option<Vec<RatePeriod>>,
    /// First possible arrival, after the scenario start. Default 0.
    #[serde(default)]
    pub begin: Option<Duration>,
    /// No arrivals from this time on, after the scenario start. Default: the horizon.
    #[serde(default)]
    pub end: Option<Duration>,
}

/// A rate that holds between two clock times each day.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RatePeriod {
    /// Clock time range "HH:MM-HH:MM".
    pub hours: ClockRange,
    /// Arrival rate in this period.
    pub rate: Rate,
}

/// `[[site]]`: a sampling point.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    /// Name; with `count`, `{i}` is replaced by 1..=count.
    pub name: String,
    /// How many sites this block stands for. Default 1.
    #[serde(default)]
    pub count: Option<u32>,
    /// Desks (or lanes) that serve at once.
    pub desks: u32,
    /// Opening hours each day, "HH:MM-HH:MM". Default: always open.
    #[serde(default)]
    pub hours: Option<Vec<ClockRange>>,
    /// Desks open by time of day: windows with their own number of desks (at most `desks`);
    /// outside every window the site opens `desks`. Default: `desks` all day.
    #[serde(default)]
    pub desks_by_time: Option<Vec<DeskWindow>>,
    /// Days of the scenario (1 = the start day) on which the site opens. Default: every day.
    #[serde(default)]
    pub days: Option<Vec<u32>>,
    /// Places in the queue (people waiting, not yet at a desk). Default: unlimited.
    #[serde(default)]
    pub queue_capacity: Option<u32>,
    /// Whether the priority group has its own lane, served first. Default false.
    #[serde(default)]
    pub green_lane: Option<bool>,
    /// What a person arriving while the site is closed does. Default `come-back`.
    #[serde(default)]
    pub when_closed: Option<WhenClosed>,
    /// How long a person waits in the queue before leaving. Default: for ever.
    #[serde(default)]
    pub patience: Option<Dist>,
    /// What a person does when the queue is full. Default: gives up.
    #[serde(default)]
    pub on_full: Option<OnFull>,
    /// Stages in order, each at its own post of the desk (pipelined).
    pub stage: Vec<StageFile>,
    /// A sampling point, or a road checkpoint (vehicles). Default `sampling`.
    #[serde(default)]
    pub kind: Option<SiteKind>,
    /// People of each role that every open desk needs. Default: desks are always staffed.
    #[serde(default)]
    pub staff: Option<std::collections::BTreeMap<Role, u32>>,
    /// Marshals on duty the site needs to open its desks. Default 0.
    #[serde(default)]
    pub marshals: Option<u32>,
    /// Swabs per tube (pooling): 1, 5, 10 or 20. Default 1.
    #[serde(default)]
    pub pool: Option<u32>,
    /// Tubes in stock at the start. Default: unlimited.
    #[serde(default)]
    pub tubes: Option<u32>,
    /// Swab kits in stock at the start. Default: unlimited.
    #[serde(default)]
    pub kits: Option<u32>,
    /// Deliveries of tubes and kits.
    #[serde(default)]
    pub resupply: Option<Resupply>,
    /// Position on a plane (any unit, e.g. metres east), for the run page's replay; with `y`.
    #[serde(default)]
    pub x: Option<f64>,
    /// Position on a plane (north up), with `x`.
    #[serde(default)]
    pub y: Option<f64>,
    /// Latitude in degrees, for the replay's map; with `lon`.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude in degrees, with `lat`.
    #[serde(default)]
    pub lon: Option<f64>,
    /// After the last stage, people go on to one of these sites with these shares (a pre-check
    /// that sends some to a fever lane, a registration hall before the swab hall); they are
    /// swabbed there, not here. In a `count` block, `{i}` in a name is the entry's number.
    #[serde(default)]
    pub then: Option<Vec<NextSite>>,
    /// The walk from this site to the next. Default: none.
    #[serde(default)]
    pub then_walk: Option<Dist>,
    /// Exceptions in a `count` block: an entry's expanded name (`point-3`) → the keys whose
    /// values differ for it; a key given replaces the block's value whole.
    #[serde(default)]
    #[schemars(
        with = "Option<std::collections::BTreeMap<String, serde_json::Map<String, serde_json::Value>>>"
    )]
    pub except: Option<std::collections::BTreeMap<String, toml::Table>>,
}

/// Where people go next, and which share of them.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NextSite {
    /// The next site's name.
    pub site: String,
    /// The share of the people who go there (the shares add up to 1).
    pub share: f64,
}

/// A window of the day with its own number of desks.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeskWindow {
    /// The window, "HH:MM-HH:MM".
    pub hours: ClockRange,
    /// Desks open in the window.
    pub desks: u32,
}

/// What a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SiteKind {
    /// Residents are swabbed.
    Sampling,
    /// Vehicles are inspected.
    Checkpoint,
}

/// What a person does at a closed site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WhenClosed {
    /// Comes back at the next opening.
    ComeBack,
    /// Joins the queue and waits for the opening.
    Queue,
    /// Leaves untested.
    GiveUp,
}

/// What a person does when the queue is full.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnFull {
    /// `come-back` or `give-up`.
    pub action: FullAction,
    /// With come-back: how long until the next try.
    #[serde(default)]
    pub after: Option<Dist>,
    /// With come-back: how many tries in all, the first included.
    #[serde(default)]
    pub tries: Option<u32>,
}

/// The action of [`OnFull`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FullAction {
    /// Tries again later.
    ComeBack,
    /// Leaves untested.
    GiveUp,
}

/// `[[site.stage]]`: one post of every desk.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageFile {
    /// Name, e.g. "register", "swab".
    pub name: String,
    /// Service time per person.
    pub service: Dist,
    /// Who works this post (for slow-down with hours on duty). Default: nobody in particular.
    #[serde(default)]
    pub role: Option<Role>,
}

/// A distribution of durations, tagged by `dist`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Dist {
    /// Always `value`.
    Constant {
        /// The value.
        value: Duration,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        /// Lower bound.
        min: Duration,
        /// Upper bound.
        max: Duration,
    },
    /// Triangular with `min`, `mode`, `max`.
    Triangular {
        /// Lower bound.
        min: Duration,
        /// Most likely value.
        mode: Duration,
        /// Upper bound.
        max: Duration,
    },
    /// Exponential with `mean`.
    Exponential {
        /// Mean.
        mean: Duration,
    },
    /// Normal, truncated to [`min`, `max`] (default [0, ∞)) by redrawing.
    Normal {
        /// Mean before truncation.
        mean: Duration,
        /// Standard deviation before truncation.
        sd: Duration,
        /// Lower truncation bound. Default 0.
        #[serde(default)]
        min: Option<Duration>,
        /// Upper truncation bound. Default none.
        #[serde(default)]
        max: Option<Duration>,
    },
    /// Lognormal with the given mean and standard deviation of the value itself.
    Lognormal {
        /// Mean.
        mean: Duration,
        /// Standard deviation.
        sd: Duration,
    },
    /// Gamma with the given mean and standard deviation.
    Gamma {
        /// Mean.
        mean: Duration,
        /// Standard deviation.
        sd: Duration,
    },
    /// Erlang: the sum of `k` exponential phases, with total `mean`.
    Erlang {
        /// Number of phases.
        k: u32,
        /// Mean of the sum.
        mean: Duration,
    },
    /// One of `values`, drawn with `weights` (default: equal).
    Empirical {
        /// The values.
        values: Vec<Duration>,
        /// Their relative weights.
        #[serde(default)]
        weights: Option<Vec<f64>>,
    },
}

impl Dist {
    /// Roughly the mean, in milliseconds (a truncated normal's untruncated mean; equal weights
    /// for an empirical list): enough to refuse a rate that would flood the engine.
    pub fn rough_mean_ms(&self) -> f64 {
        let ms = |d: &Duration| d.0.0 as f64;
        match self {
            Dist::Constant { value } => ms(value),
            Dist::Uniform { min, max } => (ms(min) + ms(max)) / 2.0,
            Dist::Triangular { min, mode, max } => (ms(min) + ms(mode) + ms(max)) / 3.0,
            Dist::Exponential { mean }
            | Dist::Normal { mean, .. }
            | Dist::Lognormal { mean, .. }
            | Dist::Gamma { mean, .. }
            | Dist::Erlang { mean, .. } => ms(mean),
            Dist::Empirical { values, .. } => {
                values.iter().map(ms).sum::<f64>() / values.len().max(1) as f64
            }
        }
    }
}

/// A duration written with its unit ("12s", "4h", "1h30m").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub SimDuration);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d).map_err(|e: D::Error| {
            // A missing key stays "missing field"; anything else is a value of the wrong type.
            if e.to_string().starts_with("missing field") {
                e
            } else {
                serde::de::Error::custom(
                    "a duration is text with a unit in quotes, e.g. \"12s\", \"5min\", \"4h\"",
                )
            }
        })?;
        parse_duration(&text)
            .map(Duration)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

/// A daily clock range "HH:MM-HH:MM"; a range that ends before it starts runs past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockRange {
    /// Milliseconds since midnight at the start.
    pub from: u64,
    /// Milliseconds since midnight at the end (`24:00` is the end of the day).
    pub to: u64,
}

impl<'de> Deserialize<'de> for ClockRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_clock_range(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for ClockRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = |ms: u64| format!("{:02}:{:02}", ms / 3_600_000, ms / 60_000 % 60);
        s.serialize_str(&format!("{}-{}", f(self.from), f(self.to)))
    }
}

fn parse_clock_range(text: &str) -> Result<ClockRange, String> {
    let bad = || {
        format!(
            "`{text}` is not a clock range: write \"HH:MM-HH:MM\", e.g. \"07:00-12:00\" (\"22:00-06:00\" runs past midnight)"
        )
    };
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let from = crate::time::parse_clock(a).map_err(|_| bad())?;
    let to = crate::time::parse_clock(b).map_err(|_| bad())?;
    if from == to || from == crate::time::DAY {
        return Err(format!(
            "`{text}` opens and closes at the same time: for a site open all day write \"00:00-24:00\""
        ));
    }
    Ok(ClockRange { from, to })
}

/// An arrival rate "N/unit": "9/min", "300/h", "2.5/s", "4000/d".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Arrivals per millisecond.
    pub per_ms: f64,
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d).map_err(|e: D::Error| {
            if e.to_string().starts_with("missing field") {
                e
            } else {
                serde::de::Error::custom("a rate is text in quotes, e.g. \"300/h\" or \"9/min\"")
            }
        })?;
        parse_rate(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}/h", self.per_ms * crate::time::HOUR as f64))
    }
}

fn parse_rate(text: &str) -> Result<Rate, String> {
    let bad = || {
        format!(
            "`{text}` is not a rate: write arrivals per unit of time, e.g. \"300/h\", \"9/min\", \"4000/d\""
        )
    };
    let (n, unit) = text.trim().split_once('/').ok_or_else(bad)?;
    let n: f64 = n.trim().parse().map_err(|_| bad())?;
    let per = parse_duration(&format!("1{}", unit.trim())).map_err(|_| bad())?;
    if !n.is_finite() || n < 0.0 {
        return Err(bad());
    }
    Ok(Rate {
        per_ms: n / per.0 as f64,
    })
}

/// The JSON Schema of a value written as text in a shape the loader parses itself: a duration,
/// a clock time, a clock range, a rate. The pattern is what an editor checks as you type; the
/// loader's own parser (with its message) stays the authority.
fn text_schema(pattern: &str, description: &str, examples: &[&str]) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": pattern,
        "description": description,
        "examples": examples,
    })
}

/// Number and unit, repeated: `12s`, `5min`, `1h30m`, `1.5d`.
const DURATION_PATTERN: &str = r"^\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)(ms|s|sec|m|min|h|d)(\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)(ms|s|sec|m|min|h|d))*\s*$";
/// `HH:MM` or `HH:MM:SS`, up to `24:00`.
const CLOCK_PATTERN: &str = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?|24:00(:00)?";

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        text_schema(
            DURATION_PATTERN,
            "A duration: a number and a unit (ms, s, min, h, d), repeated if you like.",
            &["12s", "5min", "4h", "1h30m"],
        )
    }
}

impl JsonSchema for ClockTime {
    fn schema_name() -> Cow<'static, str> {
        "ClockTime".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        text_schema(
            &format!("^\\s*({CLOCK_PATTERN})\\s*$"),
            "A clock time, \"HH:MM\" (\"24:00\" is the end of the day).",
            &["07:00", "19:30"],
        )
    }
}

impl JsonSchema for ClockRange {
    fn schema_name() -> Cow<'static, str> {
        "ClockRange".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        text_schema(
            &format!("^\\s*({CLOCK_PATTERN})\\s*-\\s*({CLOCK_PATTERN})\\s*$"),
            "A daily clock range, \"HH:MM-HH:MM\"; one that ends before it starts runs past midnight.",
            &["07:00-12:00", "22:00-06:00", "00:00-24:00"],
        )
    }
}

impl JsonSchema for Rate {
    fn schema_name() -> Cow<'static, str> {
        "Rate".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        text_schema(
            r"^\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*/\s*(ms|s|sec|m|min|h|d)\s*$",
            "Arrivals per unit of time.",
            &["300/h", "9/min", "4000/d"],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_ranges() {
        assert!((parse_rate("300/h").unwrap().per_ms * 3_600_000.0 - 300.0).abs() < 1e-9);
        assert!((parse_rate("9/min").unwrap().per_ms * 60_000.0 - 9.0).abs() < 1e-9);
        assert!(parse_rate("300").is_err());
        assert!(parse_rate("300/fortnight").is_err());
        let r = parse_clock_range("22:00-06:00").unwrap();
        assert_eq!((r.from, r.to), (22 * 3_600_000, 6 * 3_600_000));
        assert!(parse_clock_range("07:00-07:00").is_err());
        assert!(parse_clock_range("7-12").is_err());
    }
}
