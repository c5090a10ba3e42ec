//! Staff and rotas: desks follow the people on duty.

use proptest::prelude::*;
use swabsim::engine::{Observer, Who, simulate};
use swabsim::model::{Model, SiteId};
use swabsim::runner::run_one;
use swabsim::scenario::Role;
use swabsim::time::{SimDuration, SimTime};

use crate::support::model;

const TUTORIAL: &str = include_str!("../../scenarios/tutorial.toml");

/// The tutorial's site, staffed: one sampler and one registrar per desk, two marshals, by a day
/// rota that covers every opening hour (07:00-19:00) with enough people for both desks.
const STAFFING: &str = r#"
[[rota]]
name = "day"
shift = "12h"
start = "07:00"
every = "24h"

[[team]]
name = "samplers"
role = "sampler"
headcount = 2
rota = "day"
sites = ["east-gate"]

[[team]]
name = "registrars"
role = "registrar"
headcount = 2
rota = "day"
sites = ["east-gate"]

[[team]]
name = "marshals"
role = "marshal"
headcount = 2
rota = "day"
sites = ["east-gate"]
"#;

fn staffed_tutorial() -> String {
    let site_staff = "desks = 2\nstaff = { sampler = 1, registrar = 1 }\nmarshals = 2\n";
    TUTORIAL.replacen("desks = 2\n", site_staff, 1) + STAFFING
}

/// A rota that covers every opening hour gives exactly the results of always-staffed desks.
#[test]
fn full_cover_equals_always_staffed() {
    let plain = run_one(&model(TUTORIAL), 0, false, &|| {}).unwrap();
    let staffed = run_one(&model(&staffed_tutorial()), 0, false, &|| {}).unwrap();
    let people = |r: &swabsim::runner::Replication| {
        let row = r
            .figures
            .summary
            .0
            .iter()
            .take_while(|(n, _)| *n != "desk_hours_unstaffed");
        format!("{:?}", row.collect::<Vec<_>>())
    };
    assert_eq!(people(&plain), people(&staffed));
    assert_eq!(
        format!("{:?}", plain.figures.rounds),
        format!("{:?}", staffed.figures.rounds)
    );
    let s = &staffed.figures.summary;
    assert_eq!(s.get("desk_hours_unstaffed"), Some(0.0));
    assert_eq!(s.get("staff_person_hours"), Some(6.0 * 12.0));
    assert_eq!(s.get("longest_stint_h"), Some(12.0));
}

/// A site open round the clock, 2 desks, 2 crews of 12 h with a 30 min gap at each handover:
/// the desks are closed for lack of staff exactly 30 min at 07:30 and 19:30 each day, and for
/// nothing else. Over 48 h from 07:00 there are 4 gaps: 4 × 0.5 h × 2 desks = 4 desk-hours.
#[test]
fn handover_gap_closes_exactly_its_desks_and_minutes() {
    let text = r#"version = 1
[scenario]
name = "gap"
start = 2022-11-02T07:00:00
horizon = "48h"
report_every = "30min"

[[rota]]
name = "day-night"
shift = "12h"
crews = 2
start = "08:00"
gap = "30min"

[[site]]
name = "s"
desks = 2
staff = { sampler = 1 }
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }

[[team]]
name = "samplers"
role = "sampler"
headcount = 2
rota = "day-night"
sites = ["s"]

[[area]]
name = "walk-ins"
sites = ["s"]
walkin = { rate = "30/h" }
"#;
    let m = model(text);
    let rep = run_one(&m, 0, true, &|| {}).unwrap();
    let s = &rep.figures.summary;
    assert_eq!(s.get("desk_hours_unstaffed"), Some(4.0));
    assert_eq!(s.get("desk_hours_open"), Some(48.0 * 2.0 - 4.0));
    let in_gap = |t: SimTime| {
        let tod_min = (7 * 60 + t.0 / 60_000) % (24 * 60);
        (7 * 60 + 30..8 * 60).contains(&tod_min) || (19 * 60 + 30..20 * 60).contains(&tod_min)
    };
    let rows = rep.trace.unwrap().rows;
    assert!(rows.len() > 1300, "{} people", rows.len());
    for r in rows.iter().filter(|r| r.desk.is_some()) {
        assert!(!in_gap(r.visit.service_start), "served in a gap: {r:?}");
    }
    // People who were at a desk when the crew left are finished: overtime, not a gap service.
    assert!(s.get("overtime_person_hours").unwrap() > 0.0);
}

/// Checks every service start against the desks open and the people on duty once all the
/// changes of its instant have taken effect: a start at an instant whose handover leaves too few
/// people is caught, even if both crews were counted for part of that instant.
struct RoleCheck<'m> {
    model: &'m Model,
    open: Vec<u32>,
    on_duty: Vec<[u32; 6]>,
    starts: u64,
    /// Starts of the current instant: (time, site, desk).
    pending: Vec<(SimTime, usize, u32)>,
}

impl<'m> RoleCheck<'m> {
    fn new(model: &'m Model) -> Self {
        let n = model.sites.len();
        RoleCheck {
            model,
            open: vec![0; n],
            on_duty: vec![[0; 6]; n],
            starts: 0,
            pending: Vec::new(),
        }
    }

    /// Checks the starts of earlier instants against the state now that they are over.
    fn settle(&mut self, now: SimTime) {
        let done: Vec<_> = self.pending.iter().filter(|p| p.0 < now).copied().collect();
        self.pending.retain(|p| p.0 >= now);
        for (t, s, desk) in done {
            let m = &self.model.sites[s];
            assert!(
                desk < self.open[s],
                "desk {desk} of {} started a person at {t:?} with {} desks open",
                m.name,
                self.open[s]
            );
            for (role, need) in m.staff.iter().flatten() {
                let have = self.on_duty[s][*role as usize];
                assert!(
                    have >= need * (desk + 1),
                    "desk {desk} of {} started a person at {t:?} that {have} {role:?} on duty cannot staff",
                    m.name
                );
            }
            assert!(self.on_duty[s][Role::Marshal as usize] >= m.marshals);
        }
    }
}

impl Observer for RoleCheck<'_> {
    fn desks_changed(&mut self, t: SimTime, site: SiteId, open: u32) {
        self.settle(t);
        self.open[site.0 as usize] = open;
    }
    fn staff_changed(&mut self, t: SimTime, site: SiteId, role: Role, on_duty: u32) {
        self.settle(t);
        self.on_duty[site.0 as usize][role as usize] = on_duty;
    }
    fn queue_changed(&mut self, t: SimTime, _site: SiteId, _waiting: u32) {
        self.settle(t);
    }
    fn service_started(
        &mut self,
        t: SimTime,
        site: SiteId,
        desk: u32,
        _who: Who,
        _wait: SimDuration,
    ) {
        self.settle(t);
        self.pending.push((t, site.0 as usize, desk));
        self.starts += 1;
    }
    fn step(&mut self, t: SimTime) {
        self.settle(t);
    }
    fn finished(&mut self, t: SimTime, _end: &swabsim::engine::EndState) {
        self.settle(SimTime(t.0 + 1));
    }
}

/// The handover of issue 9: two crews of one sampler take turns every hour, with neither overlap
/// nor gap, at a site of two desks. Exactly one sampler is on duty at every moment, so the second
/// desk never serves, the desks are never busier than open, and every stint is the 1-hour shift.
#[test]
fn a_handover_does_not_open_desks_nobody_staffs() {
    let text = r#"version = 1
[scenario]
name = "handover"
start = 2022-11-02T00:00:00
horizon = "10h"
seed = 1
report_every = "1h"
[[site]]
name = "post"
desks = 2
staff = { sampler = 1 }
[[site.stage]]
name = "swab"
service = { dist = "constant", value = "5min" }
[[area]]
name = "walk-ins"
sites = ["post"]
walkin = { rate = "30/h" }
[[rota]]
name = "two-crews"
shift = "1h"
crews = 2
start = "00:00"
[[team]]
name = "samplers"
role = "sampler"
headcount = 1
rota = "two-crews"
sites = ["post"]
"#;
    let m = model(text);
    let rep = run_one(&m, 0, true, &|| {}).unwrap();
    let rows = rep.trace.as_ref().unwrap().rows.clone();
    let served: Vec<_> = rows.iter().filter_map(|r| r.desk).collect();
    assert!(served.len() > 100, "{} served", served.len());
    assert!(
        served.iter().all(|&d| d == 0),
        "a second desk served: {served:?}"
    );
    let s = &rep.figures.summary;
    let utilisation = s.get("desk_utilisation").unwrap();
    assert!(utilisation <= 1.0, "desk utilisation {utilisation}");
    assert_eq!(s.get("overtime_person_hours"), Some(0.0));
    assert_eq!(s.get("longest_stint_h"), Some(1.0));
    assert_eq!(s.get("staff_person_hours"), Some(10.0));
    let ((_, check), _) = simulate(&m, 0, ((), RoleCheck::new(&m)));
    // Everyone started was tested, but for at most the one person at the desk at the horizon.
    let in_service = check.starts as usize - served.len();
    assert!(in_service <= 1, "{in_service} people at desks at the end");
}

prop_compose! {
    fn rota()(shift in 2u32..9, crews in 1u32..4, start in 0u32..24, handover in 0u32..3,
              minutes in 5u32..60, brk in any::<bool>(), stagger in 0u32..3,
              hand_over in any::<bool>()) -> String {
        let mut r = format!("[[rota]]\nname = \"r\"\nshift = \"{shift}h\"\ncrews = {crews}\nstart = \"{start:02}:00\"\n");
        match handover {
            1 => r += &format!("overlap = \"{minutes}min\"\n"),
            2 => r += &format!("gap = \"{}min\"\n", minutes.min(shift * 60 - 1)),
            _ => {}
        }
        if hand_over {
            r += "shift_end = \"hand-over\"\n";
        }
        if brk {
            r += "break_after = \"2h\"\nbreak_length = \"20min\"\nslowdown = { after = \"1h\", factor = 1.3 }\n";
            if stagger > 0 {
                r += &format!("stagger = {stagger}\n");
            }
        }
        r
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random rotas, headcounts and needs: no person is ever started at a desk missing a role,
    /// and every run balances its books.
    #[test]
    fn no_service_without_every_role(rota in rota(), samplers in 1u32..5, registrars in 1u32..5,
                                     marshals in 0u32..2, desks in 1u32..4, seed in 0u64..500) {
        // A marshal team only where the site needs marshals (a team nothing needs is refused).
        let marshal_team = if marshals > 0 {
            "[[team]]\nname = \"marshals\"\nrole = \"marshal\"\nheadcount = 1\nrota = \"r\"\nsites = [\"s\"]\n"
        } else {
            ""
        };
        let text = format!(r#"version = 1
[scenario]
name = "roles"
start = 2022-11-02T06:00:00
horizon = "30h"
seed = {seed}
report_every = "1h"

{rota}
[[site]]
name = "s"
desks = {desks}
hours = ["07:00-12:00", "13:00-22:00"]
when_closed = "queue"
staff = {{ sampler = 1, registrar = 1 }}
marshals = {marshals}
[[site.stage]]
name = "register"
role = "registrar"
service = {{ dist = "exponential", mean = "40s" }}
[[site.stage]]
name = "swab"
role = "sampler"
service = {{ dist = "exponential", mean = "20s" }}

[[team]]
name = "samplers"
role = "sampler"
headcount = {samplers}
rota = "r"
sites = ["s"]

[[team]]
name = "registrars"
role = "registrar"
headcount = {registrars}
rota = "r"
sites = ["s"]

{marshal_team}
[[area]]
name = "walk-ins"
sites = ["s"]
walkin = {{ rate = "90/h" }}
"#);
        let m = model(&text);
        let check = RoleCheck::new(&m);
        let ((stats, check), _) = simulate(&m, 0, (swabsim::observe::Stats::new(&m), check));
        let figures = stats.finish(&m);
        prop_assert!(figures.is_ok());
        let tested = figures.unwrap().summary.get("tested").unwrap();
        prop_assert!(check.starts as f64 >= tested, "every tested person was started at a checked desk");
    }
}

/// A rota that keeps people in protective gear past the limit is refused, naming the crew and
/// when.
#[test]
fn protective_gear_limit_is_enforced() {
    let text = staffed_tutorial().replace(
        "every = \"24h\"\n",
        "every = \"24h\"\nmax_in_ppe = \"6h\"\n",
    );
    let err = swabsim::load_str("ppe.toml", &text, &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "ppe.toml has 1 problem:\nppe.toml:55:14: `rota.day.max_in_ppe`: crew 1 is on duty from 2022-11-02 07:00 to 2022-11-02 19:00, 12h in protective gear without a break, more than max_in_ppe = 6h\n    fix: add breaks (`breaks` or `break_after`), shorten the shift, or add crews"
    );
    let with_break = text.replace(
        "max_in_ppe = \"6h\"\n",
        "max_in_ppe = \"6h\"\nbreaks = [\"12:00-13:00\"]\n",
    );
    assert!(swabsim::load_str("ppe.toml", &with_break, &[]).is_ok());
}

/// Reruns of a staffed scenario are identical, reserves and overtime included.
#[test]
fn staffed_runs_are_deterministic() {
    let m = model(&staffed_tutorial());
    let a = run_one(&m, 3, false, &|| {}).unwrap();
    let b = run_one(&m, 3, false, &|| {}).unwrap();
    assert_eq!(format!("{:?}", a.figures), format!("{:?}", b.figures));
}

/// Service slows by the rota's factor once the crew has been on duty longer than `after`:
/// a constant 60 s swab takes 120 s from the second hour of a stint, and 60 s again after the
/// break that starts a new stint.
#[test]
fn service_slows_late_in_a_stint() {
    let text = r#"version = 1
[scenario]
name = "slow"
start = 2022-11-02T08:00:00
horizon = "4h"

[[rota]]
name = "r"
shift = "4h"
start = "08:00"
breaks = ["10:00-10:10"]
slowdown = { after = "1h", factor = 2.0 }

[[site]]
name = "s"
desks = 1
staff = { sampler = 1 }
[[site.stage]]
name = "swab"
role = "sampler"
service = { dist = "constant", value = "60s" }

[[team]]
name = "t"
role = "sampler"
headcount = 1
rota = "r"
sites = ["s"]

[[area]]
name = "a"
sites = ["s"]
walkin = { rate = "120/h" }
"#;
    let rep = run_one(&model(text), 0, true, &|| {}).unwrap();
    let rows = rep.trace.unwrap().rows;
    let mut seen = [false; 3];
    for r in rows.iter().filter(|r| r.desk.is_some()) {
        let start_min = r.visit.service_start.0 / 60_000;
        let took = r.end.0 - r.visit.service_start.0;
        let expected = if (60..120).contains(&start_min) || start_min >= 190 {
            120_000
        } else {
            60_000
        };
        if start_min < 119 || (130..189).contains(&start_min) {
            assert_eq!(took, expected, "started at minute {start_min}");
            seen[usize::from(expected == 120_000)] = true;
        }
        if start_min >= 190 {
            seen[2] = true;
        }
    }
    assert_eq!(seen, [true, true, true]);
}

/// A reserve is sent only to a site whose queue is above its threshold, and it shortens waits.
#[test]
fn reserves_go_where_the_queue_is_long() {
    struct Dispatches {
        waiting: Vec<u32>,
        sent: Vec<(u32, u32)>,
    }
    impl Observer for Dispatches {
        fn queue_changed(&mut self, _t: SimTime, site: SiteId, waiting: u32) {
            self.waiting[site.0 as usize] = waiting;
        }
        fn dispatched(
            &mut self,
            _t: SimTime,
            _team: swabsim::model::TeamId,
            _crew: u32,
            site: SiteId,
        ) {
            self.sent.push((site.0, self.waiting[site.0 as usize]));
        }
    }
    let base = staffed_tutorial();
    let with_pool = base.clone()
        + "\n[[team]]\nname = \"reserve\"\nrole = \"sampler\"\nheadcount = 1\nrota = \"day\"\npool = { threshold = 40, travel = \"15min\" }\n"
        + "\n[[team]]\nname = \"reserve-registrars\"\nrole = \"registrar\"\nheadcount = 1\nrota = \"day\"\npool = { threshold = 40, travel = \"15min\" }\n";
    let with_pool = with_pool.replacen("desks = 2\n", "desks = 3\n", 1);
    let m = model(&with_pool);
    let obs = Dispatches {
        waiting: vec![0; m.sites.len()],
        sent: Vec::new(),
    };
    let ((stats, obs), _) = simulate(&m, 0, (swabsim::observe::Stats::new(&m), obs));
    assert!(!obs.sent.is_empty(), "the tutorial's queue passes 40");
    assert!(
        obs.sent.iter().all(|&(_, waiting)| waiting > 40),
        "{:?}",
        obs.sent
    );
    let helped = stats.finish(&m).unwrap().summary;
    let plain = run_one(&model(&base), 0, false, &|| {})
        .unwrap()
        .figures
        .summary;
    assert_eq!(helped.get("dispatches"), Some(2.0));
    assert!(helped.get("wait_mean_min").unwrap() < plain.get("wait_mean_min").unwrap());
}

/// A road checkpoint: vehicles by time of day, one inspection stage, lanes staffed round the
/// clock by 4 crews of 6 h with a 15 min gap: 4 gaps a day × 0.25 h × 2 lanes = 2 lane-hours
/// uncovered per day. Vehicles do not count as people tested.
#[test]
fn checkpoints_count_vehicles_and_uncovered_lanes() {
    let text = r#"version = 1
[scenario]
name = "checkpoint"
start = 2022-11-02T00:00:00
horizon = "48h"

[[rota]]
name = "four-shifts"
shift = "6h"
crews = 4
start = "00:00"
gap = "15min"

[[site]]
name = "toll-gate"
kind = "checkpoint"
desks = 2
staff = { marshal = 1 }
[[site.stage]]
name = "inspect"
service = { dist = "uniform", min = "1min", max = "3min" }

[[team]]
name = "court-volunteers"
role = "marshal"
headcount = 2
rota = "four-shifts"
sites = ["toll-gate"]

[[area]]
name = "vehicles"
sites = ["toll-gate"]
walkin = { profile = [{ hours = "06:00-22:00", rate = "30/h" }, { hours = "22:00-06:00", rate = "8/h" }] }
"#;
    let s = run_one(&model(text), 0, false, &|| {})
        .unwrap()
        .figures
        .summary;
    assert_eq!(s.get("lane_hours_uncovered"), Some(4.0));
    assert_eq!(s.get("desk_hours_unstaffed"), Some(0.0));
    assert_eq!(s.get("tested"), Some(0.0));
    let checked = s.get("vehicles_checked").unwrap();
    // 2 days × (16 h × 30 + 8 h × 8) = 1,088 expected; Poisson sd ≈ 33.
    assert!((950.0..1230.0).contains(&checked), "{checked}");
    assert!(s.get("vehicle_wait_p95_min").unwrap() > 0.0);
}

/// One site of 4 desks, one sampler per desk, a crew of 4 on an 8 h shift with a 30-min break
/// after every 2 h on duty.
fn break_scenario(stagger: &str) -> String {
    format!(
        r#"version = 1
[scenario]
name = "breaks"
start = 2022-11-02T08:00:00
horizon = "8h"
report_every = "30min"

[[rota]]
name = "day"
shift = "8h"
start = "08:00"
every = "24h"
break_after = "2h"
break_length = "30min"
{stagger}
[[site]]
name = "s"
desks = 4
staff = {{ sampler = 1 }}
[[site.stage]]
name = "swab"
role = "sampler"
service = {{ dist = "exponential", mean = "2min" }}

[[team]]
name = "samplers"
role = "sampler"
headcount = 4
rota = "day"
sites = ["s"]

[[area]]
name = "walk-ins"
sites = ["s"]
walkin = {{ rate = "60/h" }}
"#
    )
}

/// The samplers on duty, as the site sees them.
#[derive(Default)]
struct OnDuty(Vec<(SimTime, u32)>);

impl Observer for OnDuty {
    fn staff_changed(&mut self, t: SimTime, _site: SiteId, _role: Role, on_duty: u32) {
        self.0.push((t, on_duty));
    }
}

/// Breaks taken together close every desk for each break; taken in turn (`stagger = 1`) they
/// close one desk at a time, and the desks open follow the people present.
///
/// Hand count, whole crew: breaks at 2:00, 4:30 and 7:00 (30 min each) close 4 desks:
/// 3 × 0.5 h × 4 = 6 desk-hours, and 4 people × (8 − 1.5) h = 26 person-hours. In turn, turn k
/// starts its breaks k × 30 min after turn 0: turn 0 at 2:00, 4:30, 7:00; turn 1 at 2:30, 5:00,
/// 7:30 (its last break runs to the shift's end); turn 2 at 3:00, 5:30 (its third would start at
/// 8:00, the end); turn 3 at 3:30, 6:00. That is 10 breaks of one desk: 5 desk-hours, and
/// 32 − 5 = 27 person-hours. Turn 3's first stint, 3:30, is the longest.
#[test]
fn staggered_breaks_close_one_desk_at_a_time() {
    let together = run_one(&model(&break_scenario("")), 0, false, &|| {}).unwrap();
    let s = &together.figures.summary;
    assert_eq!(s.get("desk_hours_unstaffed"), Some(6.0));
    assert_eq!(s.get("staff_person_hours"), Some(26.0));
    // 2 h, plus the overtime of finishing the people at the desks when the crew left (exponential
    // services of mean 2 min: the longest of a few residuals, minutes, not a quarter hour).
    let longest = s.get("longest_stint_h").unwrap();
    assert!((2.0..2.25).contains(&longest), "{longest}");

    let m = model(&break_scenario("stagger = 1\n"));
    let in_turn = run_one(&m, 0, false, &|| {}).unwrap();
    let s = &in_turn.figures.summary;
    assert_eq!(s.get("desk_hours_unstaffed"), Some(5.0));
    assert_eq!(s.get("staff_person_hours"), Some(27.0));
    assert_eq!(s.get("longest_stint_h"), Some(3.5));

    let ((_, seen), _) = simulate(&m, 0, ((), OnDuty::default()));
    let hour = |h: f64| SimTime((h * 3_600_000.0) as u64);
    let expected: Vec<(SimTime, u32)> = [
        (0.0, 4),
        (2.0, 3),
        (2.5, 3),
        (3.0, 3),
        (3.5, 3),
        (4.0, 4),
        (4.5, 3),
        (5.0, 3),
        (5.5, 3),
        (6.0, 3),
        (6.5, 4),
        (7.0, 3),
        (7.5, 3),
    ]
    .iter()
    .map(|&(h, n)| (hour(h), n))
    .collect();
    assert_eq!(seen.0, expected, "samplers on duty after each change");
}

/// Staggered breaks are checked against the protective-gear limit person by person: the last
/// turn waits longest for its break.
#[test]
fn staggered_breaks_meet_the_protective_gear_limit_per_turn() {
    let text = break_scenario("stagger = 1\nmax_in_ppe = \"3h\"\n");
    let err = swabsim::load_str("ppe.toml", &text, &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "ppe.toml has 1 problem:\nppe.toml:16:14: `rota.day.max_in_ppe`: break turn 4 of crew 1 is on duty from 2022-11-02 08:00 to 2022-11-02 11:30, 3h30m in protective gear without a break, more than max_in_ppe = 3h\n    fix: start the breaks earlier (`break_after`), let more people break at once (`stagger`), or add crews"
    );
    // Two at a time: turns of 2 people, the second 30 min later: 2:30 at most.
    let two = break_scenario("stagger = 2\nmax_in_ppe = \"3h\"\n");
    let rep = run_one(&model(&two), 0, false, &|| {}).unwrap();
    assert_eq!(rep.figures.summary.get("longest_stint_h"), Some(2.5));
    let bad = break_scenario("stagger = 0\n");
    let err = swabsim::load_str("s.toml", &bad, &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`rota.day.stagger`: must be at least 1, found 0"),
        "{err}"
    );
    let none = break_scenario("stagger = 1\n")
        .replace("break_after = \"2h\"\nbreak_length = \"30min\"\n", "");
    let err = swabsim::load_str("s.toml", &none, &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`rota.day.stagger`: staggers breaks, but the rota has none"),
        "{err}"
    );
}

/// A shift's end with `shift_end = "hand-over"`: a site open round the clock, one desk, a
/// constant 10-min service, two crews of 4 h from 08:00 with a 30-min gap at each handover. A
/// person whose service started at 11:25 is paused at 11:30 with 5 min left and finished by the
/// next crew at 12:05; with the default (`finish`) the leaving crew finishes them at 11:35, as
/// overtime. Either way no one is served by nobody: every service time is 10 min of staffed desk,
/// and a hand-over books no overtime.
#[test]
fn a_hand_over_pauses_the_person_in_service_for_the_next_crew() {
    let text = |policy: &str| {
        format!(
            r#"version = 1
[scenario]
name = "handover"
start = 2022-11-02T08:00:00
horizon = "16h"
report_every = "1h"

[[rota]]
name = "r"
shift = "4h"
crews = 2
start = "08:00"
gap = "30min"
{policy}
[[site]]
name = "s"
desks = 1
staff = {{ sampler = 1 }}
[[site.stage]]
name = "swab"
role = "sampler"
service = {{ dist = "constant", value = "10min" }}

[[team]]
name = "samplers"
role = "sampler"
headcount = 1
rota = "r"
sites = ["s"]

[[area]]
name = "walk-ins"
sites = ["s"]
walkin = {{ rate = "12/h" }}
"#
        )
    };
    let min = |t: SimTime| t.0 as f64 / 60_000.0;
    let finish = run_one(&model(&text("")), 0, true, &|| {}).unwrap();
    let hand = run_one(
        &model(&text("shift_end = \"hand-over\"\n")),
        0,
        true,
        &|| {},
    )
    .unwrap();
    assert!(finish.figures.summary.get("overtime_person_hours").unwrap() > 0.0);
    assert_eq!(hand.figures.summary.get("overtime_person_hours"), Some(0.0));
    // Gaps: the last 30 min of every 4-h shift (11:30-12:00, 15:30-16:00, ...).
    let in_gap = |m: f64| (210.0..240.0).contains(&m.rem_euclid(240.0));
    let mut paused = 0;
    for r in hand.trace.unwrap().rows.iter().filter(|r| r.desk.is_some()) {
        let (start, end) = (min(r.visit.service_start), min(r.end));
        assert!(!in_gap(start), "a service started in a gap: {r:?}");
        let gap_start = (start / 240.0).floor() * 240.0 + 210.0;
        if end > gap_start {
            // Paused across the gap: 10 min of service plus the 30-min gap.
            assert!((end - start - 40.0).abs() < 1e-6, "{start} → {end}");
            paused += 1;
        } else {
            assert!((end - start - 10.0).abs() < 1e-6, "{start} → {end}");
        }
    }
    assert!(paused > 0, "someone was in service when a crew left");
    for r in finish
        .trace
        .unwrap()
        .rows
        .iter()
        .filter(|r| r.desk.is_some())
    {
        let (start, end) = (min(r.visit.service_start), min(r.end));
        assert!(
            (end - start - 10.0).abs() < 1e-6,
            "finished by the leaving crew: {start} → {end}"
        );
    }
}

/// Breaks covered by a relief team: the crew of 4 breaks together at 10:00, 12:30 and 15:00 (30
/// min after every 2 h); a relief team of 4 on a rota of 30-min shifts every 2 h 30 min from
/// 10:00 stands in for each break, so no desk is ever short of a sampler and the person-hours are
/// the crew's 26 plus the relief's 3 × 4 × 0.5 = 6.
#[test]
fn a_relief_team_covers_the_breaks() {
    let relief = r#"
[[rota]]
name = "relief"
shift = "30min"
start = "10:00"
every = "2h30min"

[[team]]
name = "relief"
role = "sampler"
headcount = 4
rota = "relief"
sites = ["s"]
"#;
    let text = break_scenario("") + relief;
    let rep = run_one(&model(&text), 0, false, &|| {}).unwrap();
    let s = &rep.figures.summary;
    assert_eq!(s.get("desk_hours_unstaffed"), Some(0.0));
    assert_eq!(s.get("staff_person_hours"), Some(26.0 + 6.0));
}

/// A reserve crew on a rota that hands over finishes its people when it leaves (a reserve has
/// no desk of its own to hand over): its site keeps no paused services, and the run balances.
#[test]
fn a_reserve_on_a_hand_over_rota_finishes_its_people() {
    let text = staffed_tutorial().replacen("desks = 2\n", "desks = 3\n", 1)
        + r#"
[[rota]]
name = "reserve-day"
shift = "2h"
start = "07:30"
every = "24h"
shift_end = "hand-over"

[[team]]
name = "reserve"
role = "sampler"
headcount = 1
rota = "reserve-day"
pool = { threshold = 40, travel = "15min" }

[[team]]
name = "reserve-registrars"
role = "registrar"
headcount = 1
rota = "reserve-day"
pool = { threshold = 40, travel = "15min" }
"#;
    let rep = run_one(&model(&text), 0, false, &|| {}).unwrap();
    let s = &rep.figures.summary;
    assert!(s.get("dispatches").unwrap() > 0.0, "the reserves were sent");
    assert!(s.get("tested").unwrap() > 0.0);
}

/// A person paused for a hand-over is not being served: a crew that leaves while they wait
/// (here the registrars at 20:00, whose rota finishes people) books no overtime for them. The
/// samplers hand over with a 30-min gap at 11:30, 15:30, 19:30 and 23:30; the registrars work
/// 08:00 to 20:00 and again from 22:00; every desk needs one of each. The person paused at 19:30
/// waits until 22:00, when both roles are back, and the registrars who left at 20:00 book no
/// overtime for those two hours.
#[test]
fn a_paused_person_books_no_overtime_for_others() {
    let text = r#"version = 1
[scenario]
name = "handover-two-roles"
start = 2022-11-02T08:00:00
horizon = "16h"
report_every = "1h"

[[rota]]
name = "samplers"
shift = "4h"
crews = 2
start = "08:00"
gap = "30min"
shift_end = "hand-over"

[[rota]]
name = "registrars"
shift = "12h"
start = "08:00"
every = "14h"

[[site]]
name = "s"
desks = 1
staff = { sampler = 1, registrar = 1 }
[[site.stage]]
name = "swab"
role = "sampler"
service = { dist = "constant", value = "10min" }

[[team]]
name = "samplers"
role = "sampler"
headcount = 1
rota = "samplers"
sites = ["s"]

[[team]]
name = "registrars"
role = "registrar"
headcount = 1
rota = "registrars"
sites = ["s"]

[[area]]
name = "walk-ins"
sites = ["s"]
walkin = { rate = "12/h" }
"#;
    let rep = run_one(&model(text), 0, false, &|| {}).unwrap();
    let s = &rep.figures.summary;
    assert_eq!(s.get("overtime_person_hours"), Some(0.0));
}
