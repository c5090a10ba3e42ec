//! JSON Schemas of the input formats, generated from the serde types the loader reads, so the
//! schema cannot drift from what `swabsim` accepts. Editors that speak JSON Schema for TOML
//! (taplo: VS Code's Even Better TOML, Helix, Zed) complete keys and flag misspelt ones with it.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};

use crate::plan::PlanFile;
use crate::scenario::ScenarioFile;
use crate::sweep::SweepFile;

/// The formats `swabsim schema` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A scenario file (`swabsim run`).
    Scenario,
    /// A sweep file (`swabsim sweep`).
    Sweep,
    /// A plan file (`swabsim plan`).
    Plan,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 3] = [Format::Scenario, Format::Sweep, Format::Plan];

    /// The file name the repository keeps this schema under (in `schema/`).
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Scenario => "scenario.schema.json",
            Format::Sweep => "sweep.schema.json",
            Format::Plan => "plan.schema.json",
        }
    }
}

/// The schema of one format as pretty JSON text with a final newline.
///
/// Draft 7, the newest draft that taplo's validator supports in full.
pub fn schema_text(format: Format) -> String {
    let schema = match format {
        Format::Scenario => with_from(generate::<ScenarioFile>("swabsim scenario")),
        Format::Sweep => generate::<SweepFile>("swabsim sweep"),
        Format::Plan => generate::<PlanFile>("swabsim plan"),
    };
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema is plain JSON");
    text.push('\n');
    text
}

fn generate<T: JsonSchema>(title: &str) -> Schema {
    let mut schema = root_schema::<T>();
    schema.insert("title".into(), title.into());
    schema
}

/// The draft-7 schema of one serde type, with its definitions.
pub(crate) fn root_schema<T: JsonSchema>() -> Schema {
    SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Adds `from = "file.csv"` to the entries a CSV file can hold (see `csvin`): the loader expands
/// such a block before it parses, so the serde types never see the key. A block with `from`
/// needs none of the entry's required keys: its CSV columns may give them.
fn with_from(mut schema: Schema) -> Schema {
    let Some(defs) = schema
        .get_mut("definitions")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return schema;
    };
    for (name, noun) in [
        ("AreaFile", "building or block"),
        ("SiteFile", "site"),
        ("TeamFile", "team"),
    ] {
        let Some(def) = defs
            .get_mut(name)
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        if let Some(props) = def
            .get_mut("properties")
            .and_then(serde_json::Value::as_object_mut)
        {
            props.insert(
                "from".into(),
                serde_json::json!({
                    "description": format!("A CSV file (relative to this scenario) with one row per {noun}: each column sets the key its header names; this block's other keys are every row's defaults."),
                    "type": "string",
                }),
            );
        }
        if let Some(required) = def.remove("required") {
            def.insert("if".into(), serde_json::json!({ "required": ["from"] }));
            def.insert("else".into(), serde_json::json!({ "required": required }));
        }
    }
    schema
}
