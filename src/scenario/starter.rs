//! `swabsim init`: a commented starter scenario from a few numbers, written to read like the
//! tutorial and checked by the same loader as any scenario before it is written.

/// What a planner says about the round.
#[derive(Debug, Clone)]
pub struct Starter {
    /// Residents to test in one round.
    pub residents: u32,
    /// Buildings (or compounds) they live in; called one after another.
    pub buildings: u32,
    /// Sampling points.
    pub points: u32,
    /// Desks per point.
    pub desks: u32,
    /// Hours from the start by which the round should be done.
    pub deadline_h: u32,
    /// Swabs per tube (1 = single tubes).
    pub pool: u32,
    /// PCR machines of the one lab; 0: no lab, no couriers.
    pub machines: u32,
}

impl Starter {
    /// The scenario text, or why these numbers make no round.
    pub fn text(&self) -> Result<String, String> {
        let s = self;
        if s.buildings == 0 || s.points == 0 || s.desks == 0 || s.deadline_h == 0 {
            return Err("--buildings, --points, --desks and --deadline must be at least 1".into());
        }
        if s.residents < s.buildings {
            return Err(format!(
                "{} residents cannot fill {} buildings: give at least one resident a building",
                s.residents, s.buildings
            ));
        }
        // Buildings 1..k go to point-1, k+1..2k to point-2, ... (`{i/k}` in a name).
        let per_point = s.buildings.div_ceil(s.points);
        let used = s.buildings.div_ceil(per_point);
        if used != s.points {
            return Err(format!(
                "{} buildings over {} points leave points without buildings ({} buildings a point fill {used}); try --points {used}, or --buildings {}",
                s.buildings,
                s.points,
                per_point,
                per_point * s.points
            ));
        }
        if !(1..=20).contains(&s.pool) {
            return Err(format!(
                "--pool {} is not a pool size: 1 (single tubes) to 20 (5, 10 and 20 are validated)",
                s.pool
            ));
        }
        let each = s.residents / s.buildings;
        let households = ((f64::from(each) / 2.7).round() as u32).max(1);
        let horizon = s.deadline_h + 24;
        let mut t = String::new();
        t += &format!(
            "# A starter scenario written by `swabsim init`: {residents} residents in {buildings} buildings,\n\
             # {points} sampling points of {desks} desks, one round to finish within {deadline} h.\n\
             # Change any number; `swabsim validate` checks the file, docs/scenario.md explains every\n\
             # key, and docs/sources.md says where the default figures come from.\n\
             version = 1\n\n",
            residents = each * s.buildings,
            buildings = s.buildings,
            points = s.points,
            desks = s.desks,
            deadline = s.deadline_h,
        );
        t += &format!(
            "[scenario]\n\
             name = \"starter\"\n\
             title = \"Starter: {points} points, {residents} residents\"\n\
             start = 2022-11-02T08:00:00     # local date and time the round starts\n\
             horizon = \"{horizon}h\"                # simulate this long: the deadline and a day to finish\n\
             seed = 1\n\
             report_every = \"30min\"\n\
             deadline = \"{deadline}h\"                # the round should be done by then\n\n",
            points = s.points,
            residents = each * s.buildings,
            deadline = s.deadline_h,
        );
        t += &format!(
            "# Sampling points: one per 2,000-3,000 residents and one desk per 600-800 is the national\n\
             # rule for an emergency round; these have {per_desk} residents a desk.\n\
             [[site]]\n\
             name = \"point-{{i}}\"              # point-1, point-2, ...\n\
             count = {points}\n\
             desks = {desks}\n\
             hours = [\"08:00-20:00\"]\n\
             queue_capacity = 200            # room for a 200-person queue at 1 m spacing\n\
             green_lane = true               # the elderly, disabled and pregnant go first\n\
             when_closed = \"queue\"           # who comes after hours waits for the next opening\n\
             patience = {{ dist = \"uniform\", min = \"1h\", max = \"2h\" }}\n\
             on_full = {{ action = \"come-back\", after = {{ dist = \"uniform\", min = \"20min\", max = \"40min\" }}, tries = 3 }}\n{pool}\
             [[site.stage]]\n\
             name = \"register\"               # scan the health code, write the tube number\n\
             service = {{ dist = \"lognormal\", mean = \"35s\", sd = \"15s\" }}\n\n\
             [[site.stage]]\n\
             name = \"swab\"                   # 12-15 s for a trained sampler\n\
             service = {{ dist = \"triangular\", min = \"10s\", mode = \"13s\", max = \"20s\" }}\n\n",
            per_desk = each * s.buildings / (s.points * s.desks).max(1),
            points = s.points,
            desks = s.desks,
            pool = if s.machines > 0 {
                format!("pool = {}                       # swabs per tube\n", s.pool)
            } else {
                String::new()
            },
        );
        // The call-ups of a point's buildings spread over about 9 of its 12 opening hours.
        let stagger = (540 / per_point).clamp(5, 120) / 5 * 5;
        t += &format!(
            "# Residents: building i goes to point-(i/{per_point}, rounded up); a point's {per_point} buildings are\n\
             # called one after another every {stagger} minutes, over about 9 of its 12 opening hours.\n\
             [[area]]\n\
             name = \"building-{{i}}\"\n\
             count = {buildings}\n\
             residents = {each}\n\
             households = {households}\n\
             sites = [\"point-{{i/{per_point}}}\"]\n\
             walk = {{ dist = \"uniform\", min = \"3min\", max = \"15min\" }}   # the 15-minute walking circle\n\
             priority_share = 0.12\n\
             turnout = 0.97\n\
             response = {{ dist = \"lognormal\", mean = \"25min\", sd = \"15min\" }}   # from the call to leaving home\n\
             stagger = \"{stagger}min\"\n\
             stagger_cycle = {per_point}\n\
             callup = [{{ at = \"0h\", share = 1.0 }}]\n\n",
            buildings = s.buildings,
        );
        if s.machines > 0 {
            let route = "lab = \"lab\"\nevery = \"2h\"\nbox = 300\n\
                         travel = { dist = \"uniform\", min = \"10min\", max = \"25min\" }\n\n";
            t += "# Couriers take closed tubes to the lab: one van for every 5 points, a trip every 2 h.\n";
            let (full, rest) = (s.points / 5, s.points % 5);
            if full > 0 {
                t += &format!(
                    "[[route]]\nname = \"van-{{i}}\"\ncount = {full}\nsites = [\"point-{{i}}\"]\nsites_per_route = 5\n{route}"
                );
            }
            if rest > 0 {
                let stops: Vec<String> = (full * 5 + 1..=s.points)
                    .map(|p| format!("\"point-{p}\""))
                    .collect();
                t += &format!(
                    "[[route]]\nname = \"van-{}\"\nsites = [{}]\n{route}",
                    full + 1,
                    stops.join(", ")
                );
            }
            t += &format!(
                "[[lab]]\n\
                 name = \"lab\"\n\
                 machines = {machines}\n\
                 plate = 94                      # 94 samples and 2 controls on a 96-well plate\n\
                 run = {{ dist = \"uniform\", min = \"3h\", max = \"4h\" }}   # extraction and PCR\n\n",
                machines = s.machines,
            );
        }
        t += &format!(
            "# What the round must achieve: `swabsim run` reports each target met or missed.\n\
             [[target]]\n\
             figure = \"hours_to_95pct\"\n\
             at_most = {deadline}\n\n\
             [[target]]\n\
             figure = \"wait_p95_min\"         # the 30-minute queueing standard, at every point\n\
             site = \"*\"\n\
             at_most = 30\n\n\
             # Next: crews on shifts ([[rota]], [[team]]), door-to-door sampling, disruptions: see\n\
             # docs/scenario.md.\n",
            deadline = s.deadline_h,
        );
        Ok(t)
    }
}
