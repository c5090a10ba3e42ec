//! Disruptions: a registration outage at a site in M/M/c steady state, against a hand
//! calculation of the backlog it leaves.

use crate::support::{Mmc, figure, model, run};

/// The outage run and the plain run draw the same numbers (disruptions draw none, and
/// first-come-first-served keeps the order of service, so person k gets the k-th service time
/// in both): their difference is the outage's alone.
fn extra_person_minutes(
    c: u32,
    lambda: f64,
    at_h: u32,
    minutes: u32,
    slowdown: Option<f64>,
    reps: u32,
) -> Vec<f64> {
    let plain = Mmc {
        c,
        lambda,
        service_min: 1.0,
        capacity: None,
        priority: 0.0,
        hours: at_h + 12,
    }
    .text();
    let slow = slowdown.map_or(String::new(), |f| format!("slowdown = {f}\n"));
    let outage = format!(
        "{plain}\n[[disruption]]\nname = \"codes-down\"\nkind = \"registration\"\nat = \"{at_h}h\"\nlasts = \"{minutes}min\"\n{slow}"
    );
    let a = figure(&run(&model(&plain), reps), "queue_person_min");
    let b = figure(&run(&model(&outage), reps), "queue_person_min");
    a.iter().zip(&b).map(|(x, y)| y - x).collect()
}

/// During an outage of D minutes nobody is registered, while the plain run serves about λ a
/// minute: the outage run falls behind by λ a minute, λD people at the end. Then it serves cμ
/// a minute against the plain run's λ, catching up at m = cμ − λ a minute. The extra queue is
/// a triangle then a drain: fluid area λD²/2 + (λD)²/(2m). The drain is a random walk with
/// drift −m and variance σ² = λ + cμ a minute (Poisson arrivals and departures), whose mean
/// area from x to 0 adds σ²x/(2m²) (the Brownian first-passage area). M/M/3, λ = 2.4/min,
/// μ = 1/min, D = 60 min: x = 144, m = 0.6, area 4,320 + 17,280 + 1,080 = 22,680
/// person-minutes. The remaining approximation (the plain run's own queue, lattice effects)
/// is of the order of the mean queue times the drain time, Lq·x/m ≈ 2.6 × 240 ≈ 620 (3%):
/// the test allows 5% beyond the 99% confidence interval of the mean over 400 replications
/// (about ±4%).
///
/// Slowed by 2 instead of stopped, the desks serve cμ/2 = 1.5 a minute for the hour, so the
/// run falls behind by λ − 1.5 = 0.9 a minute: x = 54, area 0.9·D²/2 + x²/(2m) + σ²x/(2m²) =
/// 1,620 + 2,430 + 405 = 4,455 (σ² here is the drain's, as above). The services still running
/// when the slowdown ends finish at the slow rate: each of the c desks has an exponential
/// remainder of mean f/μ instead of 1/μ, so loses (f − 1)/μ = 1 minute of service, leaving
/// c(f − 1)μ⁻¹·μ = 3 more people behind, who wait out the drain: + 3·x/m = 270, 4,725 in all.
#[test]
fn a_registration_outage_adds_the_backlog_a_hand_calculation_gives() {
    let (c, lambda, d) = (3u32, 2.4, 60.0);
    let x = lambda * d;
    let m = f64::from(c) - lambda;
    let theory =
        lambda * d * d / 2.0 + x * x / (2.0 * m) + (lambda + f64::from(c)) * x / (2.0 * m * m);
    for (slowdown, theory) in [
        (None, theory),
        (Some(2.0), {
            let behind = lambda - f64::from(c) / 2.0;
            let x = behind * d;
            let straddling = f64::from(c) * (2.0 - 1.0) * x / m;
            behind * d * d / 2.0
                + x * x / (2.0 * m)
                + (lambda + f64::from(c)) * x / (2.0 * m * m)
                + straddling
        }),
    ] {
        let extra = extra_person_minutes(c, lambda, 10, 60, slowdown, 400);
        let (mean, half) = crate::support::ci99(&extra);
        assert!(
            (mean - theory).abs() <= half + 0.05 * theory,
            "slowdown {slowdown:?}: extra person-minutes {mean:.0} ± {half:.0}, hand calculation {theory:.0}"
        );
    }
}

/// The figures: desk-hours open while registration was down, and the people it caught (those
/// waiting when it began and those who arrived during it); a bad disruption is refused.
#[test]
fn disruption_figures_and_bad_disruptions() {
    let text = std::fs::read_to_string("scenarios/tutorial.toml").unwrap();
    let plain = run(&model(&text), 1);
    assert_eq!(figure(&plain, "disrupted_desk_hours")[0], 0.0);
    assert_eq!(figure(&plain, "people_disrupted")[0], 0.0);
    let down = format!(
        "{text}\n[[disruption]]\nname = \"codes-down\"\nkind = \"registration\"\nat = \"1h\"\nlasts = \"30min\"\nsites = [\"east-gate\"]\n"
    );
    let reps = run(&model(&down), 1);
    // Two desks open from 08:00 to 08:30 (the site opens at 07:00 with both staffed).
    assert!((figure(&reps, "disrupted_desk_hours")[0] - 1.0).abs() < 1e-9);
    let caught = figure(&reps, "people_disrupted")[0];
    let rows = &reps[0].figures.series;
    let arrived = |h: f64| {
        rows.iter()
            .find(|r| (r.t.hours() - h).abs() < 1e-9)
            .map_or(0, |r| r.arrived)
    };
    let during = (arrived(1.5) - arrived(1.0)) as f64;
    assert!(
        caught >= during,
        "{caught} caught, {during} arrived during it"
    );
    assert!(
        figure(&reps, "wait_mean_min")[0] > figure(&plain, "wait_mean_min")[0],
        "the outage lengthens the waits"
    );
    for (extra, expect) in [
        (
            "sites = [\"west-gate\"]",
            "names the site `west-gate`, but no [[site]] has that name (did you mean `east-gate`?)",
        ),
        (
            "slowdown = 0.5",
            "a slowdown multiplies service times by more than 1 and at most 100, found 0.5",
        ),
        ("kind = \"power\"", "unknown variant `power`"),
    ] {
        let bad = format!(
            "{text}\n[[disruption]]\nname = \"x\"\nat = \"1h\"\nlasts = \"30min\"\n{}{extra}\n",
            if extra.starts_with("kind") {
                ""
            } else {
                "kind = \"registration\"\n"
            }
        );
        let err = match swabsim::load_str("bad.toml", &bad, &[]) {
            Ok(_) => panic!("accepted: {extra}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(expect), "{err}");
    }
}

/// Rain during the first call-up wave: `turnout = 0.5` for block-1 from 0h to 30min. The same
/// uniform draw decides whether a resident comes (u < turnout) in both runs, so the extra no-shows
/// are exactly the residents of that wave with u in [0.485, 0.97): about Binomial(300, 0.485),
/// mean 145.5, sd 8.7; the test allows ±4 sd. `response = 3` instead changes nobody's coming
/// (no-shows equal exactly) and only delays them.
#[test]
fn a_turnout_disruption_keeps_people_home_with_the_same_draws() {
    let text = std::fs::read_to_string("scenarios/tutorial.toml").unwrap();
    let with = |extra: &str| {
        format!(
            "{text}\n[[disruption]]\nname = \"rain\"\nkind = \"turnout\"\nat = \"0h\"\nlasts = \"30min\"\nareas = [\"block-1\"]\n{extra}\n"
        )
    };
    let plain = run(&model(&text), 1);
    let rain = run(&model(&with("turnout = 0.5")), 1);
    let extra = figure(&rain, "no_show")[0] - figure(&plain, "no_show")[0];
    let (mean, sd) = (300.0 * 0.485, (300.0 * 0.485 * 0.515f64).sqrt());
    assert!(
        (extra - mean).abs() < 4.0 * sd,
        "{extra} more stayed home, expected about {mean}"
    );
    let late = run(&model(&with("response = 3")), 1);
    assert_eq!(figure(&late, "no_show"), figure(&plain, "no_show"));
    assert!(
        figure(&late, "time_in_system_mean_min")[0] >= 0.0
            && figure(&late, "hours_to_90pct")[0] >= figure(&plain, "hours_to_90pct")[0],
        "later set-offs do not finish the round sooner"
    );
    let err = match swabsim::load_str("bad.toml", &with("turnout = 0.5\nslowdown = 2"), &[]) {
        Ok(_) => panic!("a slowdown on a turnout disruption"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("`slowdown` does not apply to kind = \"turnout\""),
        "{err}"
    );
}

/// Drawn onsets and lengths: each replication draws its own window from the disruption's own
/// stream. With two desks open throughout and a length uniform on 10-50 min, the desk-hours hit
/// are 2 × length: mean 1 h, replication sd 2 × 11.5 min = 0.385 h; over 40 replications the
/// 99% interval of the mean must hold 1 h. The residents' draws do not change (no-shows equal
/// the plain run's in every replication).
#[test]
fn drawn_disruptions_vary_by_replication_from_their_own_stream() {
    let text = std::fs::read_to_string("scenarios/tutorial.toml").unwrap();
    let drawn = format!(
        "{text}\n[[disruption]]\nname = \"codes-down\"\nkind = \"registration\"\nat = {{ dist = \"uniform\", min = \"1h\", max = \"3h\" }}\nlasts = {{ dist = \"uniform\", min = \"10min\", max = \"50min\" }}\n"
    );
    let reps = run(&model(&drawn), 40);
    let hit = figure(&reps, "disrupted_desk_hours");
    assert!(
        hit.windows(2).any(|w| w[0] != w[1]),
        "every replication draws its own"
    );
    crate::support::assert_in_ci("desk-hours hit by a 10-50 min outage at 2 desks", &hit, 1.0);
    let plain = run(&model(&text), 40);
    assert_eq!(figure(&reps, "no_show"), figure(&plain, "no_show"));
}

const STAFFED: &str = r#"version = 1
[scenario]
name = "absence"
start = 2022-11-02T08:00:00
horizon = "12h"
seed = 9
report_every = "1h"
[[site]]
name = "hall"
desks = 10
hours = ["08:00-20:00"]
staff = { sampler = 1 }
[[site.stage]]
name = "swab"
role = "sampler"
service = { dist = "exponential", mean = "1min" }
[[rota]]
name = "day"
shift = "6h"
crews = 2
start = "08:00"
every = "24h"
stride = "6h"
[[team]]
name = "samplers"
role = "sampler"
headcount = 10
rota = "day"
sites = ["hall"]
[[area]]
name = "walk-ins"
sites = ["hall"]
walkin = { rate = "300/h" }
"#;

/// Staff absence: each of the 10 people of a crew misses a shift with chance 0.3, drawn per
/// shift. Two shifts of 6 h: the absent person-shifts are Binomial(20, 0.3) per replication
/// (mean 6; the 99% interval over 40 replications must hold it), the person-hours on duty are
/// exactly 6 h × (20 − absent), and the residents' draws are untouched.
#[test]
fn an_absence_takes_people_off_each_shift() {
    let plain = run(&model(STAFFED), 40);
    let ill = format!(
        "{STAFFED}\n[[disruption]]\nname = \"flu\"\nkind = \"absence\"\nat = \"0h\"\nlasts = \"12h\"\nshare = 0.3\n"
    );
    let reps = run(&model(&ill), 40);
    let absent = figure(&reps, "absent_person_shifts");
    crate::support::assert_in_ci("absent person-shifts, Binomial(20, 0.3)", &absent, 6.0);
    for (r, a) in reps.iter().zip(&absent) {
        let row = &r.figures.disruptions[0];
        assert_eq!(
            row.get("person_shifts_absent"),
            Some(*a),
            "the absence's own row"
        );
        assert!(
            row.get("desk_hours").unwrap().is_nan(),
            "not a registration outage"
        );
    }
    for (a, h) in absent.iter().zip(figure(&reps, "staff_person_hours")) {
        assert!(
            (h - 6.0 * (20.0 - a)).abs() < 1e-6,
            "{h} person-hours with {a} absent"
        );
    }
    assert_eq!(figure(&plain, "absent_person_shifts"), vec![0.0; 40]);
    assert_eq!(figure(&reps, "arrived"), figure(&plain, "arrived"));
    // Fewer people, fewer desks: the desk-hours open fall with the people who came.
    let (open, full) = (
        figure(&reps, "desk_hours_open").iter().sum::<f64>(),
        figure(&plain, "desk_hours_open").iter().sum::<f64>(),
    );
    assert!(open < full, "{open} desk-hours against {full}");
}

/// A lab closed from 10 h to 12 h (all 20 machines down): no plate starts in the window (the
/// lab's `runs` count stands still from the first whole step in it to its end), tubes keep
/// arriving, 40 machine-hours are lost, and the results come later than without it. Breaking
/// down 5 of the 20 machines loses 10 machine-hours and leaves the lab running.
#[test]
fn a_lab_disruption_stops_new_plates_and_counts_the_machine_hours() {
    let text = crate::chain::chain_text(10, 0.01, 1.0, "600/h");
    let down = |extra: &str| {
        format!(
            "{text}\n[[disruption]]\nname = \"down\"\nkind = \"lab\"\nat = \"10h\"\nlasts = \"2h\"\n{extra}\n"
        )
    };
    let plain = run(&model(&text), 1);
    let closed = run(&model(&down("")), 1);
    assert!((figure(&closed, "lab_machine_hours_down")[0] - 40.0).abs() < 1e-9);
    let runs_at = |reps: &[swabsim::runner::Replication], h: f64| {
        reps[0]
            .figures
            .labs
            .iter()
            .find(|r| (r.t.hours() - h).abs() < 1e-9)
            .unwrap()
            .runs
    };
    assert_eq!(
        runs_at(&closed, 11.0),
        runs_at(&closed, 12.0),
        "no plate starts while closed"
    );
    assert!(
        runs_at(&plain, 12.0) > runs_at(&plain, 11.0),
        "the open lab starts plates then"
    );
    assert!(
        figure(&closed, "turnaround_mean_h")[0] > figure(&plain, "turnaround_mean_h")[0],
        "results come later"
    );
    assert_eq!(
        figure(&closed, "tested"),
        figure(&plain, "tested"),
        "sampling is untouched"
    );
    let five = run(&model(&down("machines = 5")), 1);
    assert!((figure(&five, "lab_machine_hours_down")[0] - 10.0).abs() < 1e-9);
    let row = &five[0].figures.disruptions[0];
    assert!((row.get("machine_hours_down").unwrap() - 10.0).abs() < 1e-9);
    assert!(
        runs_at(&five, 12.0) > runs_at(&five, 11.0),
        "15 machines still run"
    );
}

/// The run page lists each disruption among the inputs, in words.
#[test]
fn the_run_page_lists_the_disruptions() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/tutorial.toml").unwrap();
    let file = tmp.path().join("down.toml");
    std::fs::write(
        &file,
        format!("{text}\n[[disruption]]\nname = \"codes-down\"\nkind = \"registration\"\nat = \"1h\"\nlasts = \"30min\"\nslowdown = 3\n"),
    )
    .unwrap();
    let out = tmp.path().join("r");
    crate::cli::swabsim()
        .arg("run")
        .arg(&file)
        .args(["-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        page.contains("<td>disruption codes-down</td><td>registration 3× slower at every site; from 1h after the start, for 30m</td>"),
        "the inputs table names the disruption"
    );
}

/// Each disruption has its own row: two outages of the same point (08:00-08:30 and 10:00-10:30,
/// both desks open) hit 1 desk-hour each, and their rows add up to the summary's totals; rain
/// on the first call-up wave reaches the 300 residents of block-1 called while it is on.
#[test]
fn each_disruption_reports_its_own_cost() {
    let text = std::fs::read_to_string("scenarios/tutorial.toml").unwrap();
    let outage = |name: &str, at: &str| {
        format!(
            "\n[[disruption]]\nname = \"{name}\"\nkind = \"registration\"\nat = \"{at}\"\nlasts = \"30min\"\n"
        )
    };
    let rain = "\n[[disruption]]\nname = \"rain\"\nkind = \"turnout\"\nat = \"0h\"\nlasts = \"30min\"\nareas = [\"block-1\"]\nturnout = 0.8\n";
    let all = format!(
        "{text}{}{}{rain}",
        outage("first", "1h"),
        outage("second", "3h")
    );
    let reps = run(&model(&all), 1);
    let rows = &reps[0].figures.disruptions;
    assert_eq!(rows.len(), 3);
    let cell = |k: usize, name: &str| rows[k].get(name).unwrap();
    assert!((cell(0, "desk_hours") - 1.0).abs() < 1e-9);
    assert!((cell(1, "desk_hours") - 1.0).abs() < 1e-9);
    assert!(
        (cell(0, "desk_hours") + cell(1, "desk_hours") - figure(&reps, "disrupted_desk_hours")[0])
            .abs()
            < 1e-9
    );
    assert_eq!(
        cell(0, "people_affected") + cell(1, "people_affected"),
        figure(&reps, "people_disrupted")[0]
    );
    assert_eq!(cell(2, "people_affected"), 300.0);
    assert!(cell(2, "desk_hours").is_nan());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, &all).unwrap();
    let out = dir.path().join("out");
    assert_cmd::Command::cargo_bin("swabsim")
        .unwrap()
        .args(["run", "-q", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("disruptions.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "replication,disruption,kind,onset_h,end_h,desk_hours,people_affected,person_shifts_absent,machine_hours_down"
    );
    assert!(
        lines[1].starts_with("0,first,registration,1,1.5,1,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[3].starts_with("0,rain,turnout,0,0.5,,300,,"),
        "{}",
        lines[3]
    );
}

/// Machines that wear: each of the lab's 20 machines fails after an exponential time (mean
/// 10 h) in service and is repaired after an exponential time (mean 2 h), over the whole 60-h
/// run. Each machine is then a two-state Markov chain that starts up, with failure rate
/// λ = 0.1/h and repair rate μ = 0.5/h: P(down at t) = p(1 − e^{−(λ+μ)t}), p = λ/(λ+μ) = 1/6,
/// so its expected hours down over [0, W] are p(W − (1 − e^{−(λ+μ)W})/(λ+μ)) = 9.7222 at
/// W = 60 h, and the lab's 20 machines lose 194.44 machine-hours. The 99% interval of the mean
/// over 40 replications must hold it. Each machine draws from its own stream: the residents'
/// draws do not change.
#[test]
fn machines_that_wear_lose_the_hours_a_two_state_chain_gives() {
    let text = crate::chain::chain_text(10, 0.01, 1.0, "600/h");
    let wear = format!(
        "{text}\n[[disruption]]\nname = \"wear\"\nkind = \"lab\"\nat = \"0h\"\nlasts = \"60h\"\ntime_to_failure = {{ dist = \"exponential\", mean = \"10h\" }}\ntime_to_repair = {{ dist = \"exponential\", mean = \"2h\" }}\n"
    );
    let reps = run(&model(&wear), 40);
    let down = figure(&reps, "lab_machine_hours_down");
    let (lambda, mu, w) = (0.1f64, 0.5f64, 60.0f64);
    let p = lambda / (lambda + mu);
    let theory = 20.0 * p * (w - (1.0 - (-(lambda + mu) * w).exp()) / (lambda + mu));
    crate::support::assert_in_ci("machine-hours down, 20 two-state machines", &down, theory);
    for r in &reps {
        let row = &r.figures.disruptions[0];
        assert_eq!(
            row.get("machine_hours_down"),
            r.figures.summary.get("lab_machine_hours_down")
        );
    }
    let plain = run(&model(&text), 2);
    assert_eq!(figure(&reps[..2], "tested"), figure(&plain, "tested"));
    for (extra, expect) in [
        (
            "time_to_failure = { dist = \"exponential\", mean = \"10h\" }\n",
            "`time_to_failure` and `time_to_repair` go together",
        ),
        (
            "machines = 2\ntime_to_failure = { dist = \"exponential\", mean = \"10h\" }\ntime_to_repair = { dist = \"constant\", value = \"1h\" }\n",
            "with `time_to_failure`, every machine of the labs fails on its own",
        ),
        (
            "time_to_failure = { dist = \"constant\", value = \"10s\" }\ntime_to_repair = { dist = \"constant\", value = \"1h\" }\n",
            "a mean time to failure of at least 1m is needed",
        ),
    ] {
        let bad = format!(
            "{text}\n[[disruption]]\nname = \"x\"\nkind = \"lab\"\nat = \"0h\"\nlasts = \"1h\"\n{extra}"
        );
        let err = match swabsim::load_str("bad.toml", &bad, &[]) {
            Ok(_) => panic!("accepted: {extra}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(expect), "{err}");
    }
}
