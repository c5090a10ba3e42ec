//! Entries read from spreadsheets: `[[area]]`, `[[site]]` or `[[team]]` with `from = "x.csv"`.
//!
//! A planner's building register or staff list is a spreadsheet. A block with `from` stands for
//! one entry per data row of the CSV file (relative to the scenario file): the block's other keys
//! are every row's defaults, and each column sets the key its header names (`residents`,
//! `households`, `desks`, ...; `site` is one site for `sites`). The block is replaced, in place,
//! by the rows written out as TOML, before the text is parsed; so the loader, the model checks
//! and the run directory's effective scenario see ordinary entries, and the effective scenario
//! runs without the CSV. Each piece of the expanded text remembers its CSV line and column, so a
//! problem in a row is reported at `file.csv:line:column`.
//!
//! A cell is typed by the key its column names, from the scenario's JSON Schema (the same serde
//! types the loader reads): numbers for counts and shares, text for names and durations, a list
//! split on `;` for lists (`07:00-12:00; 14:00-18:00`), and TOML for a table
//! (`{ dist = "uniform", min = "2min", max = "10min" }`). An empty cell leaves the block's value.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;

use toml_edit::{ArrayOfTables, Document, DocumentMut, Item, Table, Value};

use super::{Located, line_col};
use crate::model::size::MAX_ENTRIES;

/// The largest CSV file read (5 million rows of 400 bytes).
const MAX_CSV_BYTES: u64 = 2_000_000_000;

/// The kinds of entries a CSV file can hold.
const KINDS: [&str; 3] = ["area", "site", "team"];

/// A place in a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The CSV file, as a path from where swabsim runs.
    pub file: String,
    /// 1-based line of the row.
    pub line: usize,
    /// 1-based number of the field in the row (3 is column C in a spreadsheet); 1 for a whole row.
    pub column: usize,
}

/// One block replaced by the entries of its CSV file.
#[derive(Debug, Clone)]
pub struct Splice {
    /// Where the block was in the text before expansion.
    pub old: Range<usize>,
    /// Where its entries are in the expanded text.
    pub new: Range<usize>,
    /// Pieces of the entries in the expanded text with their place in the CSV: each row whole,
    /// then each of its cells (`key = value`).
    pub pieces: Pieces,
}

/// Pieces of text with their places in a CSV file.
type Pieces = Vec<(Range<usize>, Origin)>;

/// Where an offset of the expanded text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// This offset of the text before expansion.
    Text(usize),
    /// This cell or row of a CSV file.
    Csv(Origin),
}

/// The text with every `from` block expanded.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// The expanded text.
    pub text: String,
    /// The blocks replaced, in text order.
    pub splices: Vec<Splice>,
    /// The bytes of each CSV file read, in text order (they are part of the scenario's hash).
    pub files: Vec<Vec<u8>>,
}

/// Where `offset` of the expanded text comes from.
pub fn place(splices: &[Splice], offset: usize) -> Place {
    let mut shift: isize = 0;
    for s in splices {
        if offset < s.new.start {
            break;
        }
        if offset < s.new.end {
            let origin = s
                .pieces
                .iter()
                .rfind(|(r, _)| r.start <= offset && offset < r.end)
                .or(s.pieces.first())
                .map(|(_, o)| o.clone());
            return match origin {
                Some(o) => Place::Csv(o),
                None => Place::Text(s.old.start),
            };
        }
        shift += s.new.len() as isize - s.old.len() as isize;
    }
    Place::Text((offset as isize - shift).max(0) as usize)
}

/// Moves what lies after byte `at` of the expanded text by `delta` bytes (a mend of the text
/// made it longer or shorter there).
pub fn shift_after(splices: &mut [Splice], at: usize, delta: isize) {
    let mv = |x: &mut usize| {
        if *x > at {
            *x = (*x as isize + delta).max(at as isize) as usize;
        }
    };
    for s in splices {
        mv(&mut s.new.start);
        mv(&mut s.new.end);
        for (r, _) in &mut s.pieces {
            mv(&mut r.start);
            mv(&mut r.end);
        }
    }
}

/// Expands every block with `from` in `text` (the scenario `file`, after `--set`), or returns
/// `None` when there is none. Paths are relative to the scenario file's folder.
pub fn expand(
    file: &str,
    text: &str,
    sets: &[super::SetOverride],
) -> Result<Option<Expansion>, Vec<Located>> {
    if !text.contains("from") {
        return Ok(None);
    }
    // Malformed TOML is reported by the parse step with its position.
    let Ok(doc) = Document::parse(text) else {
        return Ok(None);
    };
    let base = Path::new(file).parent().unwrap_or(Path::new(""));
    let mut blocks: Vec<(&str, Range<usize>, &Table)> = Vec::new();
    let starts = header_starts(doc.as_table());
    for kind in KINDS {
        let Some(Item::ArrayOfTables(entries)) = doc.get(kind) else {
            continue;
        };
        for t in entries.iter().filter(|t| t.contains_key("from")) {
            let Some(start) = t.span().map(|s| s.start) else {
                continue;
            };
            let inside: HashSet<usize> = header_starts(t).into_iter().collect();
            let end = starts
                .iter()
                .copied()
                .filter(|&s| s > start && !inside.contains(&s))
                .min()
                .unwrap_or(text.len());
            blocks.push((kind, start..end, t));
        }
    }
    if blocks.is_empty() {
        return Ok(None);
    }
    blocks.sort_by_key(|(_, r, _)| r.start);

    let set_spans = super::diagnose::set_spans(text, sets);
    let at_scenario = |offset: usize, key: String, message: String, fix: &str| {
        // A `from` given by `--set` is reported as that argument, like any `--set` value.
        if let Some(set) = super::diagnose::set_at(&set_spans, offset) {
            return Located {
                file: format!("--set {}={}", set.path, set.value),
                line: 0,
                column: 0,
                key,
                message,
                fix: fix.to_string(),
            };
        }
        let (line, column) = line_col(text, offset);
        Located {
            file: file.to_string(),
            line,
            column,
            key,
            message,
            fix: fix.to_string(),
        }
    };
    let mut out = Expansion::default();
    let mut problems = Vec::new();
    let mut copied = 0;
    for (kind, range, table) in blocks {
        let name = table.get("name").and_then(Item::as_str).unwrap_or("");
        let key = format!("{kind}.{name}");
        let from_at = table
            .get("from")
            .and_then(Item::span)
            .map_or(range.start, |s| s.start);
        let Some(csv_name) = table.get("from").and_then(Item::as_str) else {
            problems.push(at_scenario(
                from_at,
                format!("{key}.from"),
                "`from` names a CSV file, in quotes".into(),
                "write e.g. from = \"buildings.csv\" (relative to the scenario file)",
            ));
            continue;
        };
        if table.contains_key("count") {
            problems.push(at_scenario(
                from_at,
                format!("{key}.from"),
                "a block has either `count` or `from`, not both".into(),
                "drop `count`: the CSV file has one row per entry",
            ));
            continue;
        }
        let path = base.join(csv_name);
        // A device or a pipe (`/dev/zero`) would be read for ever; a register is a file.
        match std::fs::metadata(&path) {
            Ok(m) if !m.is_file() || m.len() > MAX_CSV_BYTES => {
                problems.push(at_scenario(
                    from_at,
                    format!("{key}.from"),
                    format!(
                        "`{}` is not a regular file of at most {} GB",
                        path.display(),
                        MAX_CSV_BYTES / 1_000_000_000
                    ),
                    "give a CSV file exported from a spreadsheet",
                ));
                continue;
            }
            _ => {}
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                problems.push(at_scenario(
                    from_at,
                    format!("{key}.from"),
                    format!("cannot read `{}`: {e}", path.display()),
                    "give the CSV file's path relative to the scenario file",
                ));
                continue;
            }
        };
        match rows_text(kind, table, &path.display().to_string(), &bytes, sets) {
            Ok((rows, pieces)) => {
                out.text.push_str(&text[copied..range.start]);
                let new_start = out.text.len();
                out.text.push_str(&rows);
                out.splices.push(Splice {
                    old: range.clone(),
                    new: new_start..out.text.len(),
                    pieces: pieces
                        .into_iter()
                        .map(|(r, o)| (r.start + new_start..r.end + new_start, o))
                        .collect(),
                });
                copied = range.end;
                out.files.push(bytes);
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    out.text.push_str(&text[copied..]);
    Ok(Some(out))
}

/// Where every table header (`[x]`, `[[x]]`) at or under `table` starts.
fn header_starts(table: &Table) -> Vec<usize> {
    let mut starts = Vec::new();
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => {
                starts.extend(t.span().map(|s| s.start));
                starts.extend(header_starts(t));
            }
            Item::ArrayOfTables(a) => {
                for t in a.iter() {
                    starts.extend(t.span().map(|s| s.start));
                    starts.extend(header_starts(t));
                }
            }
            _ => {}
        }
    }
    starts
}

/// Gives a table and its sub-tables the next places in the written document, in order.
fn number_tables(table: &mut Table, next: &mut isize) {
    table.set_position(*next);
    *next += 1;
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => number_tables(t, next),
            Item::ArrayOfTables(a) => {
                for t in a.iter_mut() {
                    number_tables(t, next);
                }
            }
            _ => {}
        }
    }
}

/// How a column's cells are read, from the schema of the key it names.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text,
    Integer,
    Number,
    Bool,
    List(Box<Cell>),
    /// A table or a choice of shapes: TOML when it starts with `{` or `[`, text otherwise.
    Toml,
}

/// The keys of an entry of `kind` and how their cells are read.
fn columns(kind: &str) -> BTreeMap<String, Cell> {
    use super::schema::root_schema;
    let root = match kind {
        "area" => root_schema::<super::AreaFile>(),
        "site" => root_schema::<super::SiteFile>(),
        _ => root_schema::<super::TeamFile>(),
    };
    let root = root.as_value();
    let defs = &root["definitions"];
    root["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(k, v)| (k.clone(), cell_of(v, defs)))
                .collect()
        })
        .unwrap_or_default()
}

fn cell_of(schema: &serde_json::Value, defs: &serde_json::Value) -> Cell {
    if let Some(name) = schema["$ref"].as_str() {
        let name = name.rsplit('/').next().unwrap_or(name);
        return cell_of(&defs[name], defs);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(alts) = schema[key].as_array() {
            let alts: Vec<Cell> = alts
                .iter()
                .filter(|a| a["type"] != "null")
                .map(|a| cell_of(a, defs))
                .collect();
            return match alts.as_slice() {
                [one] => one.clone(),
                many if many.iter().all(|c| *c == Cell::Text) => Cell::Text,
                _ => Cell::Toml,
            };
        }
    }
    if schema.get("enum").is_some() || schema.get("const").is_some() {
        return Cell::Text;
    }
    let types: Vec<&str> = match &schema["type"] {
        serde_json::Value::String(t) => vec![t.as_str()],
        serde_json::Value::Array(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => Vec::new(),
    };
    match types.iter().find(|t| **t != "null") {
        Some(&"string") => Cell::Text,
        Some(&"integer") => Cell::Integer,
        Some(&"number") => Cell::Number,
        Some(&"boolean") => Cell::Bool,
        Some(&"array") => Cell::List(Box::new(cell_of(&schema["items"], defs))),
        _ => Cell::Toml,
    }
}

/// A cell as a TOML value, or why it cannot be one.
fn value_of(cell: &str, how: &Cell) -> Result<Value, String> {
    let text = cell.trim();
    Ok(match how {
        Cell::Text => Value::from(text),
        // A cell that does not read as a number stays text: the loader then says which type
        // the key takes, at this cell.
        Cell::Integer => text
            .parse::<i64>()
            .map_or_else(|_| Value::from(text), Value::from),
        Cell::Number => text
            .parse::<f64>()
            .map_or_else(|_| Value::from(text), Value::from),
        Cell::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => Value::from(true),
            "false" => Value::from(false),
            _ => Value::from(text),
        },
        Cell::List(_) if text.starts_with('[') => parse_toml(text)?,
        Cell::List(item) => {
            let mut list = toml_edit::Array::new();
            for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                list.push(value_of(part, item)?);
            }
            Value::Array(list)
        }
        Cell::Toml if text.starts_with('{') || text.starts_with('[') => parse_toml(text)?,
        Cell::Toml => Value::from(text),
    })
}

fn parse_toml(text: &str) -> Result<Value, String> {
    text.parse::<Value>().map_err(|e| {
        format!(
            "`{text}` is not a TOML value: {}",
            e.to_string().lines().last().unwrap_or("").trim()
        )
    })
}

/// Counts lines up to the start of each record. The reader's own line count is one short in a
/// file with CRLF line ends (it counts a record's `\n` when the next one starts).
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
}

impl Lines<'_> {
    /// The 1-based line of the record that starts at or just before byte `start`.
    fn of(&mut self, start: usize) -> usize {
        let mut start = start.min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.at {
            self.line += self.bytes[self.at..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.at = start;
        }
        self.line
    }
}

/// The rows of one CSV file written out as `[[kind]]` entries, with where each row and cell is
/// in that text and in the CSV.
fn rows_text(
    kind: &str,
    block: &Table,
    csv_file: &str,
    bytes: &[u8],
    sets: &[super::SetOverride],
) -> Result<(String, Pieces), Vec<Located>> {
    let at = |line: usize, column: usize, key: String, message: String, fix: &str| Located {
        file: csv_file.to_string(),
        line,
        column,
        key,
        message,
        fix: fix.to_string(),
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let block_name = block.get("name").and_then(Item::as_str).unwrap_or("");
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            return Err(vec![at(
                1,
                1,
                String::new(),
                format!("cannot read the header row: {e}"),
                "the first row names the columns, e.g. name,residents,households,site; save the file as CSV UTF-8",
            )]);
        }
    };
    // Columns: (header, key in the entry, how cells are read).
    let known = columns(kind);
    let mut problems = Vec::new();
    let mut cols: Vec<(String, Cell)> = Vec::new();
    let mut seen = HashSet::new();
    for (i, h) in headers.iter().enumerate() {
        let (key, how) = match known.get(h.as_str()) {
            _ if h == "site" && kind == "area" => {
                ("sites".to_string(), Cell::List(Box::new(Cell::Text)))
            }
            Some(how) if h != "from" && h != "count" => (h.clone(), how.clone()),
            _ => {
                let names: Vec<&str> = known.keys().map(String::as_str).collect();
                problems.push(at(
                    1,
                    i + 1,
                    String::new(),
                    format!(
                        "column `{h}` names no key of an [[{kind}]]{}",
                        super::did_you_mean(h, names)
                    ),
                    "name each column after a key of the entry (docs/scenario.md), e.g. residents",
                ));
                continue;
            }
        };
        if !seen.insert(key.clone()) {
            problems.push(at(
                1,
                i + 1,
                String::new(),
                format!("column `{h}` sets `{key}`, which an earlier column sets too"),
                "keep one column per key",
            ));
        }
        cols.push((key, how));
    }
    // A `--set` of a key that a column gives would change nothing: every row's cell replaces
    // the block's value. Say so rather than run the unchanged scenario.
    for set in sets {
        let Some(rest) = set.path.strip_prefix(&format!("{kind}.{block_name}.")) else {
            continue;
        };
        let key = rest.split('.').next().unwrap_or(rest);
        if let Some(i) = cols.iter().position(|(k, _)| k == key) {
            problems.push(Located {
                file: format!("--set {}={}", set.path, set.value),
                line: 0,
                column: 0,
                key: set.path.clone(),
                message: format!(
                    "would change nothing: column {} (`{}`) of {csv_file} gives `{key}` for every row",
                    i + 1,
                    headers[i]
                ),
                fix: "change the value in the CSV file, or drop its column so that the block's value (and --set) applies".into(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let has_name = cols.iter().any(|(k, _)| k == "name");
    if !has_name && !block_name.contains("{i}") {
        return Err(vec![at(
            1,
            1,
            format!("{kind}.{block_name}"),
            "each row needs a name: the CSV file has no `name` column and the block's name has no `{i}`".into(),
            "add a `name` column, or name the block e.g. name = \"building-{i}\" ({i} is the row number)",
        )]);
    }

    let mut template = block.clone();
    template.remove("from");
    template.decor_mut().clear();
    let mut entries = ArrayOfTables::new();
    let mut lines = Vec::new();
    let mut counter = Lines {
        bytes,
        at: 0,
        line: 1,
    };
    let mut position = 0;
    for (n, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| counter.of(p.byte() as usize));
                problems.push(at(
                    line,
                    1,
                    String::new(),
                    format!("cannot read this row: {e}"),
                    "every row has as many fields as the header; quote a field that holds a comma",
                ));
                continue;
            }
        };
        let line = record
            .position()
            .map_or(0, |p| counter.of(p.byte() as usize));
        if n as u64 >= MAX_ENTRIES {
            problems.push(at(
                line,
                1,
                String::new(),
                format!("more than {MAX_ENTRIES} rows"),
                "split the region into several scenarios",
            ));
            break;
        }
        let mut entry = template.clone();
        // Sub-tables (`[[site.stage]]`) are written after their own entry, not after all rows.
        number_tables(&mut entry, &mut position);
        if !has_name {
            entry.insert(
                "name",
                toml_edit::value(block_name.replace("{i}", &(n + 1).to_string())),
            );
        }
        for (i, ((key, how), cell)) in cols.iter().zip(record.iter()).enumerate() {
            if cell.trim().is_empty() {
                continue;
            }
            match value_of(cell, how) {
                Ok(v) => {
                    entry.insert(key, Item::Value(v));
                }
                Err(message) => problems.push(at(
                    line,
                    i + 1,
                    format!("{kind}.{block_name}.{key}"),
                    message,
                    "write a table in TOML, e.g. { dist = \"uniform\", min = \"2min\", max = \"10min\" }",
                )),
            }
        }
        entries.push(entry);
        lines.push(line);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut doc = DocumentMut::new();
    doc.insert(kind, Item::ArrayOfTables(entries));
    let rows = doc.to_string();

    // Where each row and cell landed in the text.
    let parsed = Document::parse(rows.as_str()).expect("rows written by toml_edit parse");
    let mut pieces = Vec::new();
    if let Some(Item::ArrayOfTables(a)) = parsed.get(kind) {
        let row_starts: Vec<usize> = a.iter().filter_map(|t| t.span().map(|s| s.start)).collect();
        for (r, t) in a.iter().enumerate() {
            let start = row_starts.get(r).copied().unwrap_or(0);
            let end = row_starts.get(r + 1).copied().unwrap_or(rows.len());
            let line = lines.get(r).copied().unwrap_or(0);
            pieces.push((
                start..end,
                Origin {
                    file: csv_file.to_string(),
                    line,
                    column: 1,
                },
            ));
            for (c, (key, _)) in cols.iter().enumerate() {
                let Some((k, item)) = t.get_key_value(key) else {
                    continue;
                };
                let (Some(ks), Some(vs)) = (k.span(), item.span()) else {
                    continue;
                };
                pieces.push((
                    ks.start..vs.end,
                    Origin {
                        file: csv_file.to_string(),
                        line,
                        column: c + 1,
                    },
                ));
            }
        }
    }
    Ok((rows, pieces))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_typed_by_their_key() {
        let area = columns("area");
        assert_eq!(area["residents"], Cell::Integer);
        assert_eq!(area["name"], Cell::Text);
        assert_eq!(area["sites"], Cell::List(Box::new(Cell::Text)));
        let site = columns("site");
        assert_eq!(site["desks"], Cell::Integer);
        assert_eq!(site["hours"], Cell::List(Box::new(Cell::Text)));
        assert_eq!(value_of("4", &Cell::Integer).unwrap().as_integer(), Some(4));
        assert_eq!(
            value_of("four", &Cell::Integer).unwrap().as_str(),
            Some("four")
        );
        let hours = value_of("07:00-12:00; 14:00-18:00", &site["hours"]).unwrap();
        assert_eq!(hours.as_array().unwrap().len(), 2);
        assert!(value_of("{ dist = ", &Cell::Toml).is_err());
    }

    #[test]
    fn places_map_back_across_a_splice() {
        let o = Origin {
            file: "b.csv".into(),
            line: 3,
            column: 2,
        };
        let splices = vec![Splice {
            old: 10..20,
            new: 10..110,
            pieces: vec![
                (
                    10..60,
                    Origin {
                        column: 1,
                        ..o.clone()
                    },
                ),
                (20..30, o.clone()),
            ],
        }];
        assert_eq!(place(&splices, 5), Place::Text(5));
        assert_eq!(place(&splices, 25), Place::Csv(o.clone()));
        assert_eq!(place(&splices, 40), Place::Csv(Origin { column: 1, ..o }));
        assert_eq!(place(&splices, 115), Place::Text(25));
    }
}
