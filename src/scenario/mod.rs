//! Scenario files: reading the text, applying `--set` overrides, parsing with serde, and pointing
//! problems at the line and column they come from.
//!
//! This module only collects. Checks across fields and the resolution into ids and ticks live in
//! `model`, which reports its problems as [`Problem`]s that [`Source::locate`] turns into
//! file:line:column messages.

pub mod csvin;
mod diagnose;
mod file;
pub mod schema;
mod set;
pub mod starter;

use std::fmt;
use std::path::{Path, PathBuf};

pub use file::*;
pub use set::{SetOverride, apply_sets, explode};

/// One segment of a key path: a table key, or an element of an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A key of a table.
    Key(String),
    /// An element of an array, by position.
    Index(usize),
}

/// A path to a value of the scenario file, e.g. `site[2].stage[0].service`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The path one key deeper.
    pub fn key(&self, k: &str) -> KeyPath {
        let mut p = self.0.clone();
        p.push(Seg::Key(k.to_string()));
        KeyPath(p)
    }

    /// The path one array element deeper.
    pub fn index(&self, i: usize) -> KeyPath {
        let mut p = self.0.clone();
        p.push(Seg::Index(i));
        KeyPath(p)
    }

    /// A path from a dotted list of keys, e.g. `KeyPath::of(&["scenario", "horizon"])`.
    pub fn of(keys: &[&str]) -> KeyPath {
        KeyPath(keys.iter().map(|k| Seg::Key(k.to_string())).collect())
    }
}

/// What is wrong with one value of a scenario, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file (resolved to line and column by [`Source::locate`]).
    pub path: KeyPath,
    /// The key as a user writes it in `--set` (e.g. `site.east-gate.desks`).
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// A problem with its place in the file, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// File name as given by the user.
    pub file: String,
    /// 1-based line, or 0 when the problem has no place in the file.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The key, as in `--set`.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        write!(f, "{}", self.message)?;
        if !self.fix.is_empty() {
            write!(f, "\n    fix: {}", self.fix)?;
        }
        Ok(())
    }
}

/// A scenario that could not be read, parsed or validated: every problem found.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ScenarioError {
    /// The file.
    pub file: String,
    /// Every problem, in file order.
    pub problems: Vec<Located>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        let plural = if n == 1 { "" } else { "s" };
        writeln!(f, "{} has {n} problem{plural}:", self.file)?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// The text of a scenario after `--set` overrides, with what is needed to point at its lines.
#[derive(Debug, Clone)]
pub struct Source {
    /// File name as the user gave it.
    pub file: String,
    /// The text after overrides.
    pub text: String,
    /// The overrides applied, in order.
    pub sets: Vec<SetOverride>,
    /// SHA-256 (hex) of the bytes that were read, before overrides: a scenario read from a pipe
    /// is hashed as read, never read twice. With entries from CSV files, the hash covers their
    /// bytes too.
    pub sha256: String,
    /// The text after overrides, before the `from` blocks were expanded (empty when there were
    /// none); lines of the user's file and `--set` values are found in it.
    pub written: String,
    /// The `from` blocks replaced by their CSV rows, in text order.
    pub splices: Vec<csvin::Splice>,
}

/// A parsed scenario together with its source.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Where it came from.
    pub source: Source,
    /// The parsed file.
    pub file: ScenarioFile,
    /// What looks wrong but is not refused, located (filled by validation).
    pub warnings: Vec<Located>,
}

impl Source {
    /// Reads a file and applies overrides.
    pub fn from_path(path: &Path, sets: &[SetOverride]) -> Result<Source, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            problems: vec![Located {
                file: file.clone(),
                line: 0,
                column: 0,
                key: String::new(),
                message: format!("cannot read the scenario file: {e}"),
                fix: "check the path; scenarios in this repository live in `scenarios/`".into(),
            }],
        })?;
        Source::from_str(&file, &text, sets)
    }

    /// The scenario named `-` is read from standard input.
    pub fn from_stdin(sets: &[SetOverride]) -> Result<Source, ScenarioError> {
        use std::io::Read as _;
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| ScenarioError {
                file: "-".into(),
                problems: vec![Located {
                    file: "<standard input>".into(),
                    line: 0,
                    column: 0,
                    key: String::new(),
                    message: format!("cannot read the scenario from standard input: {e}"),
                    fix: "pipe a UTF-8 TOML scenario into swabsim, or give a file".into(),
                }],
            })?;
        Source::from_str("<standard input>", &text, sets)
    }

    /// Uses `text` as the content of `file` and applies overrides.
    pub fn from_str(file: &str, text: &str, sets: &[SetOverride]) -> Result<Source, ScenarioError> {
        let original = text;
        let text = apply_sets(text, sets).map_err(|msgs| ScenarioError {
            file: file.to_string(),
            problems: msgs
                .into_iter()
                .map(|(key, message, fix)| Located {
                    file: file.to_string(),
                    line: 0,
                    column: 0,
                    key,
                    message,
                    fix,
                })
                .collect(),
        })?;
        let mut source = Source {
            file: file.to_string(),
            sha256: sha256_hex(original.as_bytes()),
            text,
            sets: sets.to_vec(),
            written: String::new(),
            splices: Vec::new(),
        };
        let expansion =
            csvin::expand(file, &source.text, sets).map_err(|problems| ScenarioError {
                file: file.to_string(),
                problems,
            })?;
        if let Some(x) = expansion {
            let mut hashed = original.as_bytes().to_vec();
            for bytes in &x.files {
                hashed.push(0);
                hashed.extend_from_slice(bytes);
            }
            source.sha256 = sha256_hex(&hashed);
            source.written = std::mem::replace(&mut source.text, x.text);
            source.splices = x.splices;
        }
        Ok(source)
    }

    /// The text that lines and `--set` values are counted in: the user's, before expansion.
    fn written(&self) -> &str {
        if self.splices.is_empty() {
            &self.text
        } else {
            &self.written
        }
    }

    /// Parses the text into the file's serde types, reporting every problem the parser lets it
    /// find (see [`diagnose`]), each with its line and column, or its `--set` argument.
    pub fn parse(self) -> Result<Loaded, ScenarioError> {
        let spans = diagnose::set_spans(self.written(), &self.sets);
        let mut text = self.text.clone();
        let mut splices = self.splices.clone();
        let mut problems: Vec<Located> = Vec::new();
        for _ in 0..MAX_PARSE_PROBLEMS {
            let e = match toml::from_str::<ScenarioFile>(&text) {
                Ok(file) if problems.is_empty() => {
                    return Ok(Loaded {
                        source: self,
                        file,
                        warnings: Vec::new(),
                    });
                }
                Ok(_) => break,
                Err(e) => e,
            };
            let message = e.message().trim().to_string();
            problems.push(self.parse_problem(&text, &splices, &message, e.span(), &spans));
            match diagnose::mend(&text, &message, e.span()) {
                Some(next) if next != text => {
                    // Keep the CSV places of what follows the mend where they are.
                    let at = text
                        .bytes()
                        .zip(next.bytes())
                        .take_while(|(a, b)| a == b)
                        .count();
                    csvin::shift_after(&mut splices, at, next.len() as isize - text.len() as isize);
                    text = next;
                }
                _ => break,
            }
        }
        problems.sort_by_key(|l| (l.line == 0, l.line, l.column));
        Err(ScenarioError {
            file: self.file.clone(),
            problems,
        })
    }

    fn parse_problem(
        &self,
        text: &str,
        splices: &[csvin::Splice],
        message: &str,
        span: Option<std::ops::Range<usize>>,
        spans: &[(std::ops::Range<usize>, SetOverride)],
    ) -> Located {
        let full = format!("{message}{}", diagnose::suggestion(message));
        let fix = parse_fix(message);
        let key = span
            .as_ref()
            .and_then(|s| key_at(text, s.start))
            .unwrap_or_default();
        // In the user's text (before expansion), or in a CSV file.
        let offset = match span.as_ref().map(|s| csvin::place(splices, s.start)) {
            Some(csvin::Place::Csv(o)) => {
                return Located {
                    file: o.file,
                    line: o.line,
                    column: o.column,
                    key,
                    message: full,
                    fix,
                };
            }
            Some(csvin::Place::Text(o)) => Some(o),
            None => None,
        };
        let text = if splices.is_empty() {
            text
        } else {
            self.written()
        };
        if let Some(set) = offset.and_then(|o| diagnose::set_at(spans, o)) {
            return Located {
                file: format!("--set {}={}", set.path, set.value),
                line: 0,
                column: 0,
                key: set.path.clone(),
                message: full,
                fix,
            };
        }
        let (line, column) = offset.map(|o| line_col(text, o)).unwrap_or((0, 0));
        Located {
            file: self.file.clone(),
            line,
            column,
            key,
            message: full,
            fix,
        }
    }

    /// Turns problems into located messages, in file order; a problem in a value given by
    /// `--set` names that argument instead of a line.
    pub fn locate(&self, problems: Vec<Problem>) -> ScenarioError {
        let doc = toml_edit::Document::parse(self.text.as_str()).ok();
        let spans = diagnose::set_spans(self.written(), &self.sets);
        let mut located: Vec<Located> = problems
            .into_iter()
            .map(|p| {
                let offset = doc.as_ref().and_then(|d| span_of(d.as_item(), &p.path.0));
                // A problem in an entry from a CSV file is reported at its row or cell.
                let offset = match offset.map(|o| csvin::place(&self.splices, o)) {
                    Some(csvin::Place::Csv(o)) => {
                        return Located {
                            file: o.file,
                            line: o.line,
                            column: o.column,
                            key: p.key,
                            message: p.message,
                            fix: p.fix,
                        };
                    }
                    Some(csvin::Place::Text(o)) => Some(o),
                    None => None,
                };
                let by_key = self.sets.iter().find(|s| s.path == p.key);
                let set = offset.and_then(|o| diagnose::set_at(&spans, o)).or(by_key);
                if let Some(set) = set {
                    return Located {
                        file: format!("--set {}={}", set.path, set.value),
                        line: 0,
                        column: 0,
                        key: p.key,
                        message: p.message,
                        fix: p.fix,
                    };
                }
                let (line, column) = offset
                    .map(|o| line_col(self.written(), o))
                    .unwrap_or((0, 0));
                Located {
                    file: self.file.clone(),
                    line,
                    column,
                    key: p.key,
                    message: p.message,
                    fix: p.fix,
                }
            })
            .collect();
        located.sort_by_key(|l| (l.line == 0, l.line, l.column));
        ScenarioError {
            file: self.file.clone(),
            problems: located,
        }
    }
}

/// Most parse problems reported at once (each costs a parse of the file).
const MAX_PARSE_PROBLEMS: usize = 50;

/// Reads, overrides and parses a scenario file in one step.
pub fn load(path: &Path, sets: &[SetOverride]) -> Result<Loaded, ScenarioError> {
    Source::from_path(path, sets)?.parse()
}

/// A hint for a serde parse error, from its message.
fn parse_fix(message: &str) -> String {
    let hint = if message.starts_with("unknown field") {
        "check the spelling of the key; docs/scenario.md lists every key"
    } else if message.starts_with("missing field") {
        "add the key; docs/scenario.md says what it means and gives an example"
    } else if message.starts_with("unknown variant") {
        "use one of the values listed"
    } else if message.contains("not a duration") || message.contains("a duration is") {
        "write the duration in quotes with its unit, e.g. \"15min\""
    } else if message.contains("not a rate") || message.contains("a rate is") {
        "write the rate in quotes, e.g. \"120/h\""
    } else if message.contains("clock range") || message.contains("opens and closes") {
        "write daily hours as \"HH:MM-HH:MM\", e.g. hours = [\"08:00-12:00\", \"14:30-18:00\"]"
    } else if message.starts_with("invalid type") {
        "give the value the type shown in docs/scenario.md"
    } else if message.starts_with("invalid value") {
        "give a value the key can hold (u32: a whole number from 0 to 4294967295); docs/scenario.md gives each key's bounds"
    } else {
        "fix the TOML syntax here; docs/scenario.md has examples of every table"
    };
    hint.to_string()
}

/// The `--set`-style key of the value that contains byte `offset`, if the text parses as TOML.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut path = Vec::new();
    key_in_table(doc.as_table(), offset, &mut path);
    (!path.is_empty()).then(|| path.join("."))
}

fn contains(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
}

fn key_in_table(t: &toml_edit::Table, offset: usize, path: &mut Vec<String>) {
    use toml_edit::Item;
    for (k, item) in t.iter() {
        match item {
            Item::Value(v) if contains(v.span(), offset) => {
                path.push(k.to_string());
                key_in_value(v, offset, path);
                return;
            }
            Item::Table(sub)
                if contains(sub.span(), offset)
                    || sub.iter().any(|(_, i)| contains(i.span(), offset)) =>
            {
                path.push(k.to_string());
                key_in_table(sub, offset, path);
                return;
            }
            Item::ArrayOfTables(a) => {
                for (i, sub) in a.iter().enumerate() {
                    if sub.iter().any(|(_, it)| {
                        contains(it.span(), offset)
                            || matches!(it, Item::ArrayOfTables(_) | Item::Table(_))
                    }) {
                        let before = path.len();
                        path.push(k.to_string());
                        path.push(
                            sub.get("name")
                                .and_then(Item::as_str)
                                .map_or(i.to_string(), str::to_string),
                        );
                        let depth = path.len();
                        key_in_table(sub, offset, path);
                        if path.len() > depth {
                            return;
                        }
                        path.truncate(before);
                    }
                }
            }
            _ => {}
        }
    }
}

fn key_in_value(v: &toml_edit::Value, offset: usize, path: &mut Vec<String>) {
    use toml_edit::Value;
    match v {
        Value::InlineTable(t) => {
            if let Some((k, v)) = t.iter().find(|(_, v)| contains(v.span(), offset)) {
                path.push(k.to_string());
                key_in_value(v, offset, path);
            }
        }
        Value::Array(a) => {
            if let Some((i, v)) = a
                .iter()
                .enumerate()
                .find(|(_, v)| contains(v.span(), offset))
            {
                path.push(i.to_string());
                key_in_value(v, offset, path);
            }
        }
        _ => {}
    }
}

/// The byte offset where the value at `path` starts, or where its nearest parent starts.
fn span_of(item: &toml_edit::Item, path: &[Seg]) -> Option<usize> {
    use toml_edit::Item;
    let here = item.span().map(|s| s.start);
    let Some((first, rest)) = path.split_first() else {
        return here;
    };
    let child: Option<(Option<usize>, Item)> = match (item, first) {
        (Item::Table(t), Seg::Key(k)) => t
            .get_key_value(k)
            .map(|(key, it)| (key.span().map(|s| s.start), it.clone())),
        (Item::ArrayOfTables(a), Seg::Index(i)) => a
            .get(*i)
            .map(|t| (t.span().map(|s| s.start), Item::Table(t.clone()))),
        (Item::Value(v), seg) => return value_span(v, seg, rest).or(here),
        _ => None,
    };
    match child {
        Some((key_at, it)) => span_of(&it, rest).or(key_at).or(here),
        None => here,
    }
}

fn value_span(v: &toml_edit::Value, first: &Seg, rest: &[Seg]) -> Option<usize> {
    use toml_edit::Value;
    let child = match (v, first) {
        (Value::InlineTable(t), Seg::Key(k)) => t.get(k),
        (Value::Array(a), Seg::Index(i)) => a.get(*i),
        _ => None,
    }?;
    match rest.split_first() {
        None => child.span().map(|s| s.start),
        Some((next, more)) => value_span(child, next, more).or(child.span().map(|s| s.start)),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// SHA-256 of bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Longest name of a scenario, sweep or entry, in bytes.
pub const MAX_NAME_BYTES: usize = 200;

/// What is wrong with a name that becomes part of a file path or a `--set` path, if anything:
/// empty, a `.`, `/`, `\` or quote in it, a control character, or longer than
/// [`MAX_NAME_BYTES`].
pub fn name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty()
        || name.contains(['.', '/', '\\', '"'])
        || name.chars().any(char::is_control)
    {
        return Some(format!(
            "`{}` cannot be used as a name: names must not be empty or contain `.`, `/`, `\\`, quotes or control characters",
            name.escape_debug()
        ));
    }
    if name.len() > MAX_NAME_BYTES {
        return Some(format!(
            "a name of {} bytes is too long: at most {MAX_NAME_BYTES} are allowed",
            name.len()
        ));
    }
    None
}

/// The candidate closest to `word`, if it is close enough to be what was meant.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// " (did you mean `x`?)" for the candidate closest to `word`, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map_or(String::new(), |c| format!(" (did you mean `{c}`?)"))
}

/// The directory name a scenario writes to by default.
pub fn default_out_dir(name: &str) -> PathBuf {
    Path::new("output").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_suggestions() {
        assert_eq!(name_problem("east-gate"), None);
        assert_eq!(name_problem("东岳宫"), None);
        for bad in ["", " ", "../x", "a.b", "a/b", "a\\b", "a\u{7}b"] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(name_problem(&"x".repeat(201)).is_some());
        assert_eq!(
            did_you_mean("wait_p95", ["wait_p95_min", "coverage"]),
            " (did you mean `wait_p95_min`?)"
        );
        assert_eq!(did_you_mean("zzz", ["wait_p95_min", "coverage"]), "");
    }

    #[test]
    fn line_and_column() {
        let t = "a = 1\nbb = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 11), (2, 6));
    }

    #[test]
    fn locate_points_at_values_in_tables_and_inline_tables() {
        let text = "version = 1\n[[site]]\nname = \"a\"\ndesks = 0\nstage = [{ name = \"s\", service = { dist = \"exponential\", mean = \"1m\" } }]\n";
        let src = Source::from_str("x.toml", text, &[]).unwrap();
        let err = src.locate(vec![
            Problem {
                path: KeyPath(vec![
                    Seg::Key("site".into()),
                    Seg::Index(0),
                    Seg::Key("desks".into()),
                ]),
                key: "site.a.desks".into(),
                message: "m".into(),
                fix: "f".into(),
            },
            Problem {
                path: KeyPath(vec![
                    Seg::Key("site".into()),
                    Seg::Index(0),
                    Seg::Key("stage".into()),
                    Seg::Index(0),
                    Seg::Key("service".into()),
                    Seg::Key("mean".into()),
                ]),
                key: "k".into(),
                message: "m".into(),
                fix: "f".into(),
            },
        ]);
        assert_eq!((err.problems[0].line, err.problems[0].column), (4, 9));
        assert_eq!((err.problems[1].line, err.problems[1].column), (5, 65));
    }
}
