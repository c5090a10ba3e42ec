//! `swabsim plan`: the cheapest staffing that meets the scenario's targets with confidence.
//!
//! - this file: the plan file (decision variables, their bounds, steps and unit costs, the
//!   confidence level and the limits), its validation against the scenario;
//! - [`search`]: evaluations (adaptive replications with common random numbers) and the search
//!   (per group of independent decisions, the joint check and repair, a removal pass);
//! - [`output`]: `plan.csv`, the chosen plan as a scenario, the page and the printed answer.
//!
//! How the search works, what it guarantees and where it stops: `docs/plan.md`.

pub mod output;
pub mod search;

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::{Located, ScenarioError, SetOverride};
use crate::sweep::{located_text, offset_of, problem};

/// Most values one decision may take.
pub const MAX_VALUES: usize = 1_000;
/// Most decisions of one plan (entries of a block decided apart count one each).
pub const MAX_DECISIONS: usize = 1_000;
/// Most replications of one candidate.
pub const MAX_REPLICATIONS: u32 = 10_000;
/// Most evaluations (candidates) of one plan.
pub const MAX_EVALUATIONS: u32 = 100_000;

/// The plan file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// Format version; 1.
    pub version: u32,
    /// The plan header.
    pub plan: PlanHeader,
    /// What the planner may change.
    pub decision: Vec<DecisionFile>,
}

/// `[plan]`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanHeader {
    /// Name, for the page and the default output directory `output/<name>`.
    pub name: String,
    /// Confidence of the one-sided bounds that decide feasibility (default 0.95).
    #[serde(default)]
    pub confidence: Option<f64>,
    /// Replications a candidate gets first (default 5, at least 2).
    #[serde(default)]
    pub min_replications: Option<u32>,
    /// Most replications of a candidate (default 40); still undecided there: `undecided`.
    #[serde(default)]
    pub max_replications: Option<u32>,
    /// Most candidates evaluated (default 500).
    #[serde(default)]
    pub max_evaluations: Option<u32>,
    /// Master seed; default: the scenario's.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// `[[decision]]`: a whole-number key the planner chooses.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionFile {
    /// A `--set` path to a whole-number key, e.g. `site.point-{i}.desks`.
    pub path: String,
    /// Smallest value.
    pub min: i64,
    /// Largest value (the search starts here).
    pub max: i64,
    /// Step between values (default 1).
    #[serde(default)]
    pub step: Option<i64>,
    /// For a path into a compact block (`site.point-{i}.desks`): decide every entry of the block
    /// apart (`point-1`, `point-2`, ...), each with these bounds and this unit cost.
    #[serde(default)]
    pub each: bool,
    /// Cost of one unit: a number (money, or whatever unit the plan counts in), or
    /// `"person-hours"` for a team's `headcount` (the hours on duty one more person per crew
    /// brings, from the rota).
    pub cost: CostFile,
}

/// A unit cost as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CostFile {
    /// Cost per unit.
    Number(f64),
    /// `"person-hours"`.
    Named(String),
}

/// A unit cost, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cost {
    /// A number per unit.
    PerUnit(f64),
    /// The person-hours on duty of one more person per crew of the teams the path names.
    PersonHours,
}

/// A decision variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The `--set` path.
    pub path: String,
    /// The values it may take, ascending.
    pub values: Vec<i64>,
    /// Its unit cost.
    pub cost: Cost,
}

/// A validated plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Name.
    pub name: String,
    /// The plan file's path, as given.
    pub file: String,
    /// The scenario's path, as given.
    pub scenario_file: String,
    /// The scenario's text.
    pub scenario_text: String,
    /// Confidence of the bounds.
    pub confidence: f64,
    /// Replications a candidate gets first.
    pub min_replications: u32,
    /// Most replications of a candidate.
    pub max_replications: u32,
    /// Most candidates evaluated.
    pub max_evaluations: u32,
    /// Seed override.
    pub seed: Option<u64>,
    /// The decisions, in file order.
    pub decisions: Vec<Decision>,
}

impl Plan {
    /// The `--set` overrides that give the candidate `values` (one per decision).
    pub fn sets(&self, values: &[i64]) -> Vec<SetOverride> {
        self.decisions
            .iter()
            .zip(values)
            .map(|(d, v)| SetOverride {
                path: d.path.clone(),
                value: v.to_string(),
            })
            .collect()
    }

    /// The candidate with every decision at its largest value.
    pub fn top(&self) -> Vec<i64> {
        self.decisions
            .iter()
            .map(|d| *d.values.last().expect("validated: at least one value"))
            .collect()
    }

    /// Reads and validates a plan file for the scenario at `scenario` (the scenario is loaded
    /// with every decision at its smallest and its largest value).
    pub fn load(path: &Path, scenario: &Path) -> Result<Plan, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            problems: vec![problem(
                &file,
                "",
                None,
                "",
                format!("cannot read the plan file: {e}"),
                "check the path; plans in this repository live in `plans/`",
            )],
        })?;
        let scenario_text = std::fs::read_to_string(scenario).map_err(|e| ScenarioError {
            file: scenario.display().to_string(),
            problems: vec![problem(
                &scenario.display().to_string(),
                "",
                None,
                "",
                format!("cannot read the scenario: {e}"),
                "check the path; scenarios in this repository live in `scenarios/`",
            )],
        })?;
        Plan::from_text(
            &file,
            &text,
            &scenario.display().to_string(),
            &scenario_text,
        )
    }

    /// Validates a plan file's text against a scenario's text.
    pub fn from_text(
        file: &str,
        text: &str,
        scenario_file: &str,
        scenario_text: &str,
    ) -> Result<Plan, ScenarioError> {
        let err = |problems: Vec<Located>| ScenarioError {
            file: file.to_string(),
            problems,
        };
        let parsed: PlanFile = toml::from_str(text).map_err(|e| {
            err(vec![problem(
                file,
                text,
                e.span().map(|s| s.start),
                "",
                e.message().trim().to_string(),
                "see docs/plan.md for the format",
            )])
        })?;
        let mut problems = Vec::new();
        let mut push = |at: Option<usize>, key: &str, message: String, fix: &str| {
            problems.push(problem(file, text, at, key, message, fix));
        };
        if parsed.version != 1 {
            push(
                text.find("version"),
                "version",
                format!("unknown plan format version {}", parsed.version),
                "write version = 1",
            );
        }
        let h = &parsed.plan;
        if let Some(why) = crate::scenario::name_problem(&h.name) {
            push(
                offset_of(text, "[plan]", 0, "name"),
                "plan.name",
                why,
                "give a short name without `/`, e.g. name = \"dongyuegong-staffing\"",
            );
        }
        let confidence = h.confidence.unwrap_or(0.95);
        if !(0.5..1.0).contains(&confidence) {
            push(
                offset_of(text, "[plan]", 0, "confidence"),
                "plan.confidence",
                format!("the confidence must be at least 0.5 and below 1, found {confidence}"),
                "e.g. confidence = 0.95",
            );
        }
        let min_r = h.min_replications.unwrap_or(5);
        let max_r = h.max_replications.unwrap_or(40.max(min_r));
        if min_r < 2 {
            push(
                offset_of(text, "[plan]", 0, "min_replications"),
                "plan.min_replications",
                format!("a confidence bound needs at least 2 replications, found {min_r}"),
                "e.g. min_replications = 5",
            );
        }
        if max_r < min_r || max_r > MAX_REPLICATIONS {
            push(
                offset_of(text, "[plan]", 0, "max_replications"),
                "plan.max_replications",
                format!(
                    "max_replications must be between min_replications ({min_r}) and {MAX_REPLICATIONS}, found {max_r}"
                ),
                "e.g. max_replications = 40",
            );
        }
        let max_e = h.max_evaluations.unwrap_or(500);
        if max_e == 0 || max_e > MAX_EVALUATIONS {
            push(
                offset_of(text, "[plan]", 0, "max_evaluations"),
                "plan.max_evaluations",
                format!("max_evaluations must be between 1 and {MAX_EVALUATIONS}, found {max_e}"),
                "e.g. max_evaluations = 500",
            );
        }
        if parsed.decision.is_empty() || parsed.decision.len() > MAX_DECISIONS {
            push(
                None,
                "decision",
                format!(
                    "a plan needs between 1 and {MAX_DECISIONS} [[decision]]s, found {}",
                    parsed.decision.len()
                ),
                "add a [[decision]] with path, min, max and cost",
            );
        }
        let mut decisions = Vec::new();
        let mut scenario_text = scenario_text.to_string();
        let mut exploded: Vec<(String, Vec<String>)> = Vec::new();
        for (k, d) in parsed.decision.iter().enumerate() {
            let at = |needle: &str| offset_of(text, "[[decision]]", k, needle);
            let key = format!("decision.{}", d.path);
            let step = d.step.unwrap_or(1);
            if step < 1 {
                push(
                    at("step"),
                    &format!("{key}.step"),
                    format!("the step must be 1 or more, found {step}"),
                    "e.g. step = 1",
                );
                continue;
            }
            if d.min < 0 || d.max < d.min {
                push(
                    at("min"),
                    &key,
                    format!(
                        "the values must run from min ≥ 0 up to max ≥ min, found min = {} and max = {}",
                        d.min, d.max
                    ),
                    "e.g. min = 1, max = 8",
                );
                continue;
            }
            let n = (d.max - d.min) / step + 1;
            if n as usize > MAX_VALUES {
                push(
                    at("max"),
                    &key,
                    format!("{n} values, more than {MAX_VALUES}"),
                    "narrow min..max or take a larger step",
                );
                continue;
            }
            let values: Vec<i64> = (0..n).map(|i| d.min + i * step).collect();
            let cost = match &d.cost {
                CostFile::Number(c) if c.is_finite() && *c >= 0.0 => Cost::PerUnit(*c),
                CostFile::Named(s) if s == "person-hours" => {
                    if !(d.path.starts_with("team.") && d.path.ends_with(".headcount")) {
                        push(
                            at("cost"),
                            &format!("{key}.cost"),
                            "cost = \"person-hours\" is for a team's headcount".to_string(),
                            "give a number per unit for desks, vehicles or machines, e.g. cost = 100",
                        );
                        continue;
                    }
                    Cost::PersonHours
                }
                other => {
                    let written = match other {
                        CostFile::Number(c) => c.to_string(),
                        CostFile::Named(s) => format!("\"{s}\""),
                    };
                    push(
                        at("cost"),
                        &format!("{key}.cost"),
                        format!("{written} is not a cost"),
                        "give a number ≥ 0 per unit, or \"person-hours\" for a team's headcount",
                    );
                    continue;
                }
            };
            let paths = if d.each {
                let segs: Vec<&str> = d.path.splitn(3, '.').collect();
                let [table, block, rest] = segs[..] else {
                    push(
                        at("path"),
                        &key,
                        format!("`{}` does not name a key of a [[table]] entry", d.path),
                        "e.g. path = \"site.point-{i}.desks\" with each = true",
                    );
                    continue;
                };
                let names = match exploded
                    .iter()
                    .find(|(b, _)| b == &format!("{table}.{block}"))
                {
                    Some((_, names)) => Ok(names.clone()),
                    None => crate::scenario::explode(&scenario_text, table, block).map(
                        |(text, names)| {
                            scenario_text = text;
                            exploded.push((format!("{table}.{block}"), names.clone()));
                            names
                        },
                    ),
                };
                match names {
                    Ok(names) => names
                        .iter()
                        .map(|n| format!("{table}.{n}.{rest}"))
                        .collect(),
                    Err(e) => {
                        push(
                            at("each"),
                            &format!("{key}.each"),
                            format!("cannot decide every entry of `{table}.{block}` apart: {e}"),
                            "use each = true on a path into a compact block (one with `count`), or remove it",
                        );
                        continue;
                    }
                }
            } else {
                vec![d.path.clone()]
            };
            for path in paths {
                if decisions.iter().any(|x: &Decision| x.path == path) {
                    push(
                        at("path"),
                        &key,
                        format!("`{path}` is decided twice"),
                        "keep one [[decision]] per path",
                    );
                    continue;
                }
                decisions.push(Decision {
                    path,
                    values: values.clone(),
                    cost,
                });
            }
        }
        if decisions.len() > MAX_DECISIONS {
            push(
                None,
                "decision",
                format!(
                    "{} decisions (blocks decided entry by entry count one per entry), more than {MAX_DECISIONS}",
                    decisions.len()
                ),
                "decide some blocks as a whole (without `each`)",
            );
        }
        if !problems.is_empty() {
            return Err(err(problems));
        }
        let plan = Plan {
            name: parsed.plan.name.clone(),
            file: file.to_string(),
            scenario_file: scenario_file.to_string(),
            scenario_text: scenario_text.clone(),
            confidence,
            min_replications: min_r,
            max_replications: max_r,
            max_evaluations: max_e,
            seed: parsed.plan.seed,
            decisions,
        };
        // Every decision at its bounds (the others at their largest) must give a valid scenario
        // with targets.
        let top = plan.top();
        for (k, d) in plan.decisions.iter().enumerate() {
            for v in [d.values[0], *d.values.last().expect("at least one value")] {
                let mut x = top.clone();
                x[k] = v;
                match crate::load_str(scenario_file, &scenario_text, &plan.sets(&x)) {
                    Ok((_, m)) if m.targets.is_empty() => {
                        return Err(err(vec![problem(
                            scenario_file,
                            &scenario_text,
                            None,
                            "target",
                            "the scenario has no [[target]]: a plan needs something to meet".into(),
                            "add [[target]]s to the scenario, e.g. figure = \"wait_p95_min\", site = \"*\", at_most = 30 (docs/scenario.md)",
                        )]));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let first = e.problems.first().map(located_text).unwrap_or_default();
                        return Err(err(vec![problem(
                            file,
                            text,
                            offset_of(text, "[[decision]]", k, "path"),
                            &format!("decision.{}", d.path),
                            format!("with {} = {v} the scenario is not valid: {first}", d.path),
                            "give a path that exists in the scenario (as for --set) and bounds it accepts",
                        )]));
                    }
                }
            }
        }
        Ok(plan)
    }
}

/// Whether the expanded name `name` is an entry of the block named `template` (`{i}` and
/// `{i/N}` stand for whole numbers).
pub fn in_block(template: &str, name: &str) -> bool {
    let mut rest = name;
    let mut pieces = template.split('{');
    let Some(first) = pieces.next() else {
        return false;
    };
    let Some(r) = rest.strip_prefix(first) else {
        return false;
    };
    rest = r;
    let mut templated = false;
    for piece in pieces {
        templated = true;
        let Some((_, literal)) = piece.split_once('}') else {
            return false;
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let Some(r) = rest.strip_prefix(literal) else {
            return false;
        };
        rest = r;
    }
    rest.is_empty() && (templated || name == template)
}

#[cfg(test)]
mod tests {
    use super::in_block;

    #[test]
    fn block_names_match_their_entries() {
        assert!(in_block("samplers-{i}", "samplers-12"));
        assert!(in_block("p{i/2}-x", "p3-x"));
        assert!(!in_block("samplers-{i}", "samplers-"));
        assert!(!in_block("samplers-{i}", "registrars-1"));
        assert!(in_block("east", "east"));
        assert!(!in_block("east", "east-1"));
    }
}
