//! `--set PATH=VALUE`: overrides applied to the scenario text before it is parsed.
//!
//! A path walks tables by key and arrays of tables by the `name` of an element (or its position):
//! `site.east-gate.desks`, `area.building-{i}.turnout`, `site.east-gate.stage.swab.service.mean`,
//! `scenario.seed`. Sweeps use the same paths. The text keeps its layout (toml_edit), so line
//! numbers in later messages still point at the user's file.

use std::str::FromStr;

use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

/// One `PATH=VALUE` override.
#[derive(Debug, Clone, PartialEq)]
pub struct SetOverride {
    /// Dotted path, e.g. `site.east-gate.desks`.
    pub path: String,
    /// The value as TOML text (`4`, `"12s"`, `true`); text that is not TOML is taken as a string.
    pub value: String,
}

impl FromStr for SetOverride {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (path, value) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not PATH=VALUE, e.g. site.east-gate.desks=6"))?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!(
                "`{s}` has an empty key in its path, e.g. site.east-gate.desks=6"
            ));
        }
        Ok(SetOverride {
            path: path.to_string(),
            value: value.trim().to_string(),
        })
    }
}

/// (key, message, fix) of an override that could not be applied.
pub type SetProblem = (String, String, String);

/// Applies overrides to the text; returns the new text, or every override that failed.
pub fn apply_sets(text: &str, sets: &[SetOverride]) -> Result<String, Vec<SetProblem>> {
    if sets.is_empty() {
        return Ok(text.to_string());
    }
    let Ok(mut doc) = text.parse::<DocumentMut>() else {
        // The parse step reports malformed TOML with its position; leave the text as it is.
        return Ok(text.to_string());
    };
    let problems: Vec<SetProblem> = sets
        .iter()
        .filter_map(|s| {
            apply_one(&mut doc, s).err().map(|msg| {
                (
                    s.path.clone(),
                    format!("--set {}={}: {msg}", s.path, s.value),
                    "give a path of existing tables, naming [[area]] and [[site]] entries by their `name` (as written, `{i}` included), e.g. site.east-gate.desks=6".to_string(),
                )
            })
        })
        .collect();
    if problems.is_empty() {
        Ok(doc.to_string())
    } else {
        Err(problems)
    }
}

/// A place in the document that a path can walk through.
enum Node<'a> {
    Item(&'a mut Item),
    Table(&'a mut Table),
    Value(&'a mut Value),
}

fn apply_one(doc: &mut DocumentMut, set: &SetOverride) -> Result<(), String> {
    let segs: Vec<&str> = set.path.split('.').collect();
    let (last, parents) = segs.split_last().ok_or("empty path")?;
    let mut node = Node::Table(doc.as_table_mut());
    let mut walked: Vec<&str> = Vec::new();
    for seg in parents {
        let at = if walked.is_empty() {
            "the top level".to_string()
        } else {
            format!("`{}`", walked.join("."))
        };
        // `site.point-3`: an entry of a `count` block is changed through the block's `except`.
        let entry = walked == ["site"];
        node = step(node, seg, entry).ok_or_else(|| format!("there is no `{seg}` in {at}"))?;
        walked.push(seg);
    }
    let walked = format!("`{}`", walked.join("."));
    let value = text_value(&set.value);
    match node {
        Node::Table(t) | Node::Item(Item::Table(t)) => insert_table(t, last, value, &walked),
        Node::Item(Item::Value(Value::InlineTable(t))) | Node::Value(Value::InlineTable(t)) => {
            insert_inline(t, last, value, &walked)
        }
        _ => Err(format!(
            "{walked} is not a table, so it has no key `{last}`"
        )),
    }
}

fn insert_table(t: &mut Table, key: &str, value: Value, walked: &str) -> Result<(), String> {
    match t.get_mut(key) {
        Some(Item::Value(old)) => {
            *old = value;
            Ok(())
        }
        Some(_) => Err(format!(
            "`{key}` in {walked} is a table, not a single value"
        )),
        None => {
            t.insert(key, Item::Value(value));
            Ok(())
        }
    }
}

fn insert_inline(
    t: &mut InlineTable,
    key: &str,
    value: Value,
    _walked: &str,
) -> Result<(), String> {
    t.insert(key, value);
    Ok(())
}

/// The value as TOML (`4`, `true`, `"12s"`, `{ dist = ... }`), or else as a plain string.
fn text_value(text: &str) -> Value {
    text.parse::<Value>()
        .unwrap_or_else(|_| Value::from(text.to_string()))
}

/// One step down: a key of a table, an element of an array of tables by name or position, or
/// an element of an inline table or array.
fn step<'a>(node: Node<'a>, seg: &str, entries: bool) -> Option<Node<'a>> {
    match node {
        Node::Table(t) | Node::Item(Item::Table(t)) => t.get_mut(seg).map(Node::Item),
        Node::Item(Item::ArrayOfTables(a)) => {
            let by_name = a
                .iter()
                .position(|t| t.get("name").and_then(Item::as_str) == Some(seg))
                .or_else(|| seg.parse::<usize>().ok().filter(|i| *i < a.len()));
            if let Some(pos) = by_name {
                return a.get_mut(pos).map(Node::Table);
            }
            if !entries {
                return None;
            }
            // The block whose `{i}` name expands to `seg`: its `except.<seg>` table.
            let pos = a.iter().position(|t| block_has(t, seg))?;
            let block = a.get_mut(pos)?;
            // A new `except` is an inline table: its keys stay with the block's other keys, so
            // the text means the same wherever toml_edit prints it.
            let except = block
                .entry("except")
                .or_insert(Item::Value(Value::InlineTable(InlineTable::new())));
            match except {
                Item::Table(t) => {
                    if !t.contains_key(seg) {
                        t.insert(seg, Item::Value(Value::InlineTable(InlineTable::new())));
                    }
                    t.get_mut(seg).map(Node::Item)
                }
                Item::Value(Value::InlineTable(t)) => Some(Node::Value(
                    t.get_or_insert(seg, Value::InlineTable(InlineTable::new())),
                )),
                _ => None,
            }
        }
        Node::Item(Item::Value(v)) | Node::Value(v) => step_value(v, seg),
        Node::Item(_) => None,
    }
}

/// Whether the `count` block `t` has an entry named `name`.
fn block_has(t: &Table, name: &str) -> bool {
    let (Some(template), Some(count)) = (
        t.get("name").and_then(Item::as_str),
        t.get("count").and_then(Item::as_integer),
    ) else {
        return false;
    };
    let count = count.clamp(0, i64::from(crate::model::size::MAX_COUNT)) as u32;
    template.contains('{')
        && (1..=count).any(|i| crate::model::expand(template, i).is_ok_and(|n| n == name))
}

fn step_value<'a>(v: &'a mut Value, seg: &str) -> Option<Node<'a>> {
    match v {
        Value::InlineTable(t) => t.get_mut(seg).map(Node::Value),
        Value::Array(a) => {
            let pos = (0..a.len())
                .find(|&i| {
                    a.get(i)
                        .and_then(Value::as_inline_table)
                        .and_then(|t| t.get("name"))
                        .and_then(Value::as_str)
                        == Some(seg)
                })
                .or_else(|| seg.parse::<usize>().ok().filter(|i| *i < a.len()))?;
            a.get_mut(pos).map(Node::Value)
        }
        _ => None,
    }
}

/// Collects the positions of the tables nested in a table.
struct Positions(Vec<isize>);

impl toml_edit::visit_mut::VisitMut for Positions {
    fn visit_table_mut(&mut self, node: &mut Table) {
        for (_, item) in node.iter_mut() {
            match item {
                Item::Table(t) => {
                    self.0.extend(t.position());
                    self.visit_table_mut(t);
                }
                Item::ArrayOfTables(a) => {
                    for t in a.iter_mut() {
                        self.0.extend(t.position());
                        self.visit_table_mut(t);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Multiplies every table's position.
struct Scale(isize);

impl toml_edit::visit_mut::VisitMut for Scale {
    fn visit_table_mut(&mut self, node: &mut Table) {
        if let Some(p) = node.position() {
            node.set_position(p * self.0);
        }
        for (_, item) in node.iter_mut() {
            match item {
                Item::Table(t) => self.visit_table_mut(t),
                Item::ArrayOfTables(a) => a.iter_mut().for_each(|t| self.visit_table_mut(t)),
                _ => {}
            }
        }
    }
}

/// Numbers the tables nested in an entry from `next`, in their order.
struct Renumber {
    next: isize,
}

impl Renumber {
    fn item(&mut self, item: &mut Item) {
        match item {
            Item::Table(t) => self.table(t),
            Item::ArrayOfTables(a) => a.iter_mut().for_each(|t| self.table(t)),
            _ => {}
        }
    }

    fn table(&mut self, t: &mut Table) {
        if t.position().is_some() {
            t.set_position(self.next);
            self.next += 1;
        }
        for (_, item) in t.iter_mut() {
            self.item(item);
        }
    }
}

/// Writes the compact block of `[[table]]` named `template` (with `count = N`) as N entries of
/// their own, each with `{i}` expanded in every text of the entry (its name, and names it
/// refers to); returns the new text and the entries' names. A per-entry `--set` can then name
/// `point-3`.
pub fn explode(text: &str, table: &str, template: &str) -> Result<(String, Vec<String>), String> {
    if table == "area" {
        return Err("[[area]] blocks cannot be decided entry by entry: an area's call-up slot (`stagger`) depends on its number in the block".into());
    }
    use toml_edit::visit_mut::{VisitMut, visit_table_mut};
    struct Expand {
        i: u32,
        failed: Option<String>,
    }
    impl VisitMut for Expand {
        fn visit_string_mut(&mut self, node: &mut toml_edit::Formatted<String>) {
            let s = node.value();
            if s.contains('{') {
                match crate::model::expand(s, self.i) {
                    Ok(x) => *node = toml_edit::Formatted::new(x),
                    Err(e) => self.failed = Some(e),
                }
            }
        }
    }
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    let arr = doc
        .get_mut(table)
        .and_then(Item::as_array_of_tables_mut)
        .ok_or_else(|| format!("the scenario has no [[{table}]]"))?;
    let pos = arr
        .iter()
        .position(|t| t.get("name").and_then(Item::as_str) == Some(template))
        .ok_or_else(|| format!("there is no [[{table}]] named `{template}`"))?;
    let proto = arr.get(pos).expect("found above").clone();
    let count = proto
        .get("count")
        .and_then(Item::as_integer)
        .filter(|n| (1..=i64::from(crate::model::size::MAX_COUNT)).contains(n))
        .ok_or_else(|| format!("`{template}` is not a compact block with a `count`"))?;
    // Tables are printed in the order of their positions: make room for the copies (and the
    // tables nested in each, like [[site.stage]]) right where the block was.
    let nested = {
        let mut c = Positions(Vec::new());
        let mut t = proto.clone();
        c.visit_table_mut(&mut t);
        c.0.len()
    };
    let slots = nested as isize + 1;
    let scale = count as isize * slots + 1;
    let at = proto.position().unwrap_or(0) * scale;
    let mut rebuilt = toml_edit::ArrayOfTables::new();
    let mut names = Vec::new();
    for (k, t) in arr.iter().enumerate() {
        if k != pos {
            let mut t = t.clone();
            Scale(scale).visit_table_mut(&mut t);
            rebuilt.push(t);
            continue;
        }
        for i in 1..=count as u32 {
            let mut entry = t.clone();
            entry.remove("count");
            let mut v = Expand { i, failed: None };
            visit_table_mut(&mut v, &mut entry);
            if let Some(e) = v.failed {
                return Err(e);
            }
            let first = at + (i as isize - 1) * slots;
            entry.set_position(first);
            let mut order = Renumber { next: first + 1 };
            for (_, item) in entry.iter_mut() {
                order.item(item);
            }
            names.push(
                entry
                    .get("name")
                    .and_then(Item::as_str)
                    .unwrap_or_default()
                    .to_string(),
            );
            rebuilt.push(entry);
        }
    }
    // Every other table keeps its order, spread out by `scale`.
    *arr = Default::default();
    Scale(scale).visit_table_mut(doc.as_table_mut());
    let arr = doc
        .get_mut(table)
        .and_then(Item::as_array_of_tables_mut)
        .expect("still there");
    *arr = rebuilt;
    Ok((doc.to_string(), names))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> SetOverride {
        s.parse().unwrap()
    }

    const TEXT: &str = r#"version = 1
[scenario]
seed = 1 # keep
[[site]]
name = "east"
desks = 2
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1m" }
"#;

    #[test]
    fn sets_values_by_name_and_keeps_layout() {
        let out = apply_sets(
            TEXT,
            &[
                set("site.east.desks=6"),
                set("scenario.seed=9"),
                set("site.east.stage.swab.service.mean=\"30s\""),
                set("site.east.queue_capacity=50"),
            ],
        )
        .unwrap();
        assert!(out.contains("desks = 6"), "{out}");
        assert!(out.contains("seed = 9"), "{out}");
        assert!(out.contains("mean = \"30s\""), "{out}");
        assert!(out.contains("queue_capacity = 50"), "{out}");
        assert_eq!(out.lines().nth(3), Some("[[site]]"));
    }

    #[test]
    fn bare_text_is_a_string() {
        let out = apply_sets(TEXT, &[set("site.east.stage.swab.service.mean=45s")]).unwrap();
        assert!(out.contains("mean = \"45s\""), "{out}");
    }

    #[test]
    fn missing_paths_are_reported() {
        let err = apply_sets(TEXT, &[set("site.west.desks=6"), set("nope.x=1")]).unwrap_err();
        assert_eq!(err.len(), 2);
        assert_eq!(err[0].0, "site.west.desks");
        assert_eq!(
            err[0].1,
            "--set site.west.desks=6: there is no `west` in `site`"
        );
        assert_eq!(
            err[1].1,
            "--set nope.x=1: there is no `nope` in the top level"
        );
    }

    #[test]
    fn malformed_overrides() {
        assert!("desks".parse::<SetOverride>().is_err());
        assert!("site..desks=1".parse::<SetOverride>().is_err());
    }
}
