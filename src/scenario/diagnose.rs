//! Turning parse errors into every problem of a file at once.
//!
//! serde stops at the first error. To report the others in the same run, the text is mended and
//! parsed again: an unknown key is blanked out (its value and the comma that joins it to an
//! inline table too), an unknown variant is replaced by the closest known one. Blanking writes
//! spaces over the same bytes, so every later line and column still matches the user's file.
//! Errors that cannot be mended this way (a wrong type, a bad duration) end the search; they are
//! still reported, with those found before.
//!
//! Values written by `--set` are found by their spans in the text after overrides, so a problem
//! inside one points at the command-line argument, not at a line of the file.

use std::ops::Range;

use toml_edit::{Document, Item, Value};

use super::{SetOverride, closest};

/// The names listed after "expected one of" (or "expected") in a serde message: "`a`, `b`,
/// `c`" for three or more, "`a` or `b`" for two.
pub fn expected_names(message: &str) -> Vec<&str> {
    let Some((_, list)) = message.split_once("expected ") else {
        return Vec::new();
    };
    let list = list.strip_prefix("one of ").unwrap_or(list);
    list.split(", ")
        .flat_map(|item| item.split(" or "))
        .filter_map(|item| item.trim().strip_prefix('`')?.strip_suffix('`'))
        .collect()
}

/// The word between the first pair of backticks.
fn quoted(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    rest.split_once('`').map(|(w, _)| w)
}

/// " (did you mean `x`?)" for an unknown field or variant, from the candidates in the message.
pub fn suggestion(message: &str) -> String {
    let known = message.starts_with("unknown field") || message.starts_with("unknown variant");
    match quoted(message) {
        Some(word) if known => super::did_you_mean(word, expected_names(message)),
        _ => String::new(),
    }
}

/// A key and its value's byte range.
struct Entry {
    key: String,
    value: Range<usize>,
}

fn collect_item(item: &Item, out: &mut Vec<Entry>) {
    match item {
        Item::Table(t) => {
            for (k, it) in t.iter() {
                if let Some(span) = it.span() {
                    out.push(Entry {
                        key: k.to_string(),
                        value: span,
                    });
                }
                collect_item(it, out);
            }
        }
        Item::ArrayOfTables(a) => {
            for t in a.iter() {
                collect_item(&Item::Table(t.clone()), out);
            }
        }
        Item::Value(v) => collect_value(v, out),
        Item::None => {}
    }
}

fn collect_value(v: &Value, out: &mut Vec<Entry>) {
    match v {
        Value::InlineTable(t) => {
            for (k, val) in t.iter() {
                if let Some(span) = val.span() {
                    out.push(Entry {
                        key: k.to_string(),
                        value: span,
                    });
                }
                collect_value(val, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_value(x, out)),
        _ => {}
    }
}

/// The text with the unknown key that starts at `at` blanked out, or `None`.
fn blank_key(text: &str, at: usize, key: &str) -> Option<String> {
    let doc = Document::parse(text).ok()?;
    let mut entries = Vec::new();
    collect_item(doc.as_item(), &mut entries);
    let entry = entries
        .iter()
        .filter(|e| e.key == key && e.value.start > at)
        .min_by_key(|e| e.value.start)?;
    let bytes = text.as_bytes();
    let start = key_start(bytes, entry.value.start).filter(|&k| k >= at)?;
    let mut range = start..entry.value.end;
    // Inside an inline table, blank the comma that joins the entry to its neighbours.
    let mut after = range.end;
    while after < bytes.len() && (bytes[after] == b' ' || bytes[after] == b'\t') {
        after += 1;
    }
    if bytes.get(after) == Some(&b',') {
        range.end = after + 1;
    } else {
        let mut before = range.start;
        while before > 0 && (bytes[before - 1] == b' ' || bytes[before - 1] == b'\t') {
            before -= 1;
        }
        if before > 0 && bytes[before - 1] == b',' {
            range.start = before - 1;
        }
    }
    Some(blank(text, range))
}

/// The text with the key `word` (at or after `at`) renamed to `with`, if it still parses (it
/// would not if `with` is already in the same table).
fn rename_key(text: &str, at: usize, word: &str, with: &str) -> Option<String> {
    let doc = Document::parse(text).ok()?;
    let mut entries = Vec::new();
    collect_item(doc.as_item(), &mut entries);
    let entry = entries
        .iter()
        .filter(|e| e.key == word && e.value.start > at)
        .min_by_key(|e| e.value.start)?;
    let start = key_start(text.as_bytes(), entry.value.start).filter(|&k| k >= at)?;
    let end = start + text[start..].find(word)? + word.len();
    let renamed = format!("{}{with}{}", &text[..start], &text[end..]);
    Document::parse(renamed.as_str()).is_ok().then_some(renamed)
}

/// Where the key of the value starting at `value` begins: back over `=`, blanks and the key
/// (bare or quoted).
fn key_start(bytes: &[u8], value: usize) -> Option<usize> {
    let mut i = value;
    let blank = |b: u8| b == b' ' || b == b'\t';
    while i > 0 && blank(bytes[i - 1]) {
        i -= 1;
    }
    if i == 0 || bytes[i - 1] != b'=' {
        return None;
    }
    i -= 1;
    while i > 0 && blank(bytes[i - 1]) {
        i -= 1;
    }
    match bytes.get(i.checked_sub(1)?)? {
        q @ (b'"' | b'\'') => {
            let q = *q;
            i -= 1;
            while i > 0 && bytes[i - 1] != q {
                i -= 1;
            }
            i.checked_sub(1)
        }
        _ => {
            let bare = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
            let end = i;
            while i > 0 && bare(bytes[i - 1]) {
                i -= 1;
            }
            (i < end).then_some(i)
        }
    }
}

/// Spaces over a byte range, newlines kept, so offsets and lines stay where they were.
fn blank(text: &str, range: Range<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..range.start]);
    out.extend(
        text[range.clone()]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' }),
    );
    out.push_str(&text[range.end..]);
    out
}

/// The text mended past the error at `span`, or `None` when this error cannot be mended.
pub fn mend(text: &str, message: &str, span: Option<Range<usize>>) -> Option<String> {
    let span = span?;
    if !text.is_char_boundary(span.start) || !text.is_char_boundary(span.end) {
        return None;
    }
    let word = quoted(message)?;
    if message.starts_with("unknown field") {
        // A misspelling of a known key is read as that key, so that its value is checked and a
        // required key is not reported missing; otherwise the key is blanked out.
        if let Some(with) = closest(word, expected_names(message))
            && let Some(renamed) = rename_key(text, span.start, word, with)
        {
            return Some(renamed);
        }
        return blank_key(text, span.start, word);
    }
    if message.starts_with("unknown variant") {
        let with = closest(word, expected_names(message))
            .or_else(|| expected_names(message).into_iter().next())?;
        let old = &text[span.clone()];
        let quote = if old.starts_with('\'') { '\'' } else { '"' };
        return Some(format!(
            "{}{quote}{with}{quote}{}",
            &text[..span.start],
            &text[span.end..]
        ));
    }
    None
}

/// Where the value of each `--set` lies in the text after overrides.
pub fn set_spans(text: &str, sets: &[SetOverride]) -> Vec<(Range<usize>, SetOverride)> {
    let Ok(doc) = Document::parse(text) else {
        return Vec::new();
    };
    sets.iter()
        .filter_map(|s| {
            let mut item: Item = doc.as_item().clone();
            for seg in s.path.split('.') {
                item = step(&item, seg)?;
            }
            Some((item.span()?, s.clone()))
        })
        .collect()
}

fn step(item: &Item, seg: &str) -> Option<Item> {
    let named = |t: &toml_edit::Table| t.get("name").and_then(Item::as_str) == Some(seg);
    match item {
        Item::Table(t) => t.get(seg).cloned(),
        Item::ArrayOfTables(a) => {
            let pos = a
                .iter()
                .position(named)
                .or_else(|| seg.parse::<usize>().ok().filter(|i| *i < a.len()))?;
            a.get(pos).map(|t| Item::Table(t.clone()))
        }
        Item::Value(Value::InlineTable(t)) => t.get(seg).cloned().map(Item::Value),
        Item::Value(Value::Array(a)) => {
            let pos = a
                .iter()
                .position(|v| {
                    v.as_inline_table()
                        .and_then(|t| t.get("name"))
                        .and_then(Value::as_str)
                        == Some(seg)
                })
                .or_else(|| seg.parse::<usize>().ok().filter(|i| *i < a.len()))?;
            a.get(pos).cloned().map(Item::Value)
        }
        _ => None,
    }
}

/// The `--set` whose value holds byte `offset`, if any.
pub fn set_at(spans: &[(Range<usize>, SetOverride)], offset: usize) -> Option<&SetOverride> {
    spans
        .iter()
        .find(|(r, _)| r.start <= offset && offset < r.end.max(r.start + 1))
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_suggestions_from_serde_messages() {
        let m = "unknown field `deskz`, expected one of `name`, `count`, `desks`";
        assert_eq!(expected_names(m), vec!["name", "count", "desks"]);
        assert_eq!(suggestion(m), " (did you mean `desks`?)");
        let v = "unknown variant `smpler`, expected one of `sampler`, `registrar`";
        assert_eq!(suggestion(v), " (did you mean `sampler`?)");
        // serde lists two variants as "`a` or `b`".
        let two = "unknown variant `chekpoint`, expected `sampling` or `checkpoint`";
        assert_eq!(expected_names(two), vec!["sampling", "checkpoint"]);
        assert_eq!(suggestion(two), " (did you mean `checkpoint`?)");
        assert_eq!(suggestion("invalid type: integer"), "");
    }

    #[test]
    fn an_unknown_key_is_blanked_in_place() {
        let text = "a = 1\nbad = { x = [1, 2] }\nb = 2\n";
        let out = blank_key(text, 6, "bad").unwrap();
        assert_eq!(out.len(), text.len());
        assert_eq!(out.lines().nth(1).unwrap().trim(), "");
        let inline = "t = { dist = \"c\", meen = \"1s\", value = \"2s\" }\n";
        // serde points at the table for a key of an internally tagged enum.
        let at = inline.find('{').unwrap();
        let out = blank_key(inline, at, "meen").unwrap();
        assert!(out.parse::<toml::Table>().is_ok(), "{out}");
        assert!(!out.contains("meen"));
        let last = "t = { dist = \"c\", meen = \"1s\" }\n";
        let out = blank_key(last, last.find("meen").unwrap(), "meen").unwrap();
        assert!(out.parse::<toml::Table>().is_ok(), "{out}");
    }
}
