//! `points.partial.csv`: one line per finished point, appended as points finish.
//!
//! A line is `variant,replication,name=value,...,#checksum` with counts as `c<integer>`, reals as
//! `r<16 hex digits>` (their exact bits, so a resumed sweep gives the same bytes as one that ran
//! straight through), and the FNV-1a hash of everything before `,#`. A line is taken only if its
//! checksum matches, its variant and replication exist, it belongs to the shard, and its figures
//! are exactly the summary columns; any other line is reported, never half-read.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Shard, Sweep};
use crate::observe::{Cell, SUMMARY_COLUMNS};

/// One finished point: variant, replication, summary figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Variant index.
    pub variant: usize,
    /// Replication index.
    pub replication: u32,
    /// Summary columns and values.
    pub figures: Vec<(String, Cell)>,
}

/// FNV-1a, 64 bit.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A line of `points.partial.csv`, newline included.
pub fn line(v: usize, r: u32, figures: &[(String, Cell)]) -> String {
    let cells: Vec<String> = figures
        .iter()
        .map(|(n, c)| match c {
            Cell::Count(x) => format!("{n}=c{x}"),
            Cell::Real(x) => format!("{n}=r{:016x}", x.to_bits()),
        })
        .collect();
    let body = format!("{v},{r},{}", cells.join(","));
    format!("{body},#{:016x}\n", fnv1a(&body))
}

/// A line that was not taken: its number (from 1) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub why: String,
}

/// The points of a partial file, and the lines that were not taken.
#[derive(Debug, Default)]
pub struct Read {
    /// Points by (variant, replication).
    pub points: BTreeMap<(usize, u32), Point>,
    /// Lines not taken.
    pub damaged: Vec<Damaged>,
    /// Whether the last line was cut off by an interruption (not damage: it just runs again).
    pub cut: bool,
}

/// Reads a partial file; a missing file has no points.
pub fn read(path: &Path, sweep: &Sweep, shard: Option<Shard>) -> std::io::Result<Read> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::default()),
        Err(e) => return Err(e),
    };
    let mut out = Read::default();
    let mut rest: &[u8] = &bytes;
    let mut n = 0;
    while !rest.is_empty() {
        n += 1;
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            out.cut = true;
            break;
        };
        let raw = &rest[..end];
        rest = &rest[end + 1..];
        let parsed = std::str::from_utf8(raw)
            .map_err(|_| "it is not UTF-8 text".to_string())
            .and_then(|l| parse(l, sweep, shard));
        match parsed {
            Ok(p) => match out.points.get(&(p.variant, p.replication)) {
                Some(q) if *q != p => out.damaged.push(Damaged {
                    line: n,
                    why: format!(
                        "variant {} replication {} is also on an earlier line, with other figures",
                        p.variant, p.replication
                    ),
                }),
                Some(_) => {}
                None => {
                    out.points.insert((p.variant, p.replication), p);
                }
            },
            Err(why) => out.damaged.push(Damaged { line: n, why }),
        }
    }
    Ok(out)
}

fn parse(line: &str, sweep: &Sweep, shard: Option<Shard>) -> Result<Point, String> {
    let (body, sum) = line
        .rsplit_once(",#")
        .ok_or("it has no checksum (a line from another version, or cut and joined)")?;
    if u64::from_str_radix(sum, 16).ok() != Some(fnv1a(body)) || sum.len() != 16 {
        return Err("its checksum does not match its text".into());
    }
    let mut parts = body.split(',');
    let variant: usize = parts
        .next()
        .and_then(|x| x.parse().ok())
        .ok_or("its variant is not a number")?;
    let replication: u32 = parts
        .next()
        .and_then(|x| x.parse().ok())
        .ok_or("its replication is not a number")?;
    if variant >= sweep.variants.len() || replication >= sweep.replications {
        return Err(format!(
            "variant {variant} replication {replication} is not a point of this sweep ({} variants × {} replications)",
            sweep.variants.len(),
            sweep.replications
        ));
    }
    let id = variant * sweep.replications as usize + replication as usize;
    if shard.is_some_and(|s| !s.has(id)) {
        return Err(format!(
            "variant {variant} replication {replication} belongs to another shard"
        ));
    }
    let figures = parts
        .map(cell)
        .collect::<Option<Vec<_>>>()
        .ok_or("a figure is not name=value")?;
    let names: Vec<&str> = figures.iter().map(|(n, _)| n.as_str()).collect();
    if names != SUMMARY_COLUMNS {
        return Err("its figures are not the summary columns of this swabsim".into());
    }
    Ok(Point {
        variant,
        replication,
        figures,
    })
}

fn cell(text: &str) -> Option<(String, Cell)> {
    let (name, value) = text.split_once('=')?;
    let cell = match (value.get(..1)?, value.get(1..)?) {
        ("c", x) => Cell::Count(x.parse().ok()?),
        ("r", x) if x.len() == 16 => Cell::Real(f64::from_bits(u64::from_str_radix(x, 16).ok()?)),
        _ => return None,
    };
    Some((name.to_string(), cell))
}

/// Rewrites the partial file with only the points taken (atomically: a new file renamed over
/// the old), so that appended lines follow whole lines and damage is reported once.
pub fn rewrite(path: &Path, points: &BTreeMap<(usize, u32), Point>) -> std::io::Result<()> {
    let tmp = path.with_extension("csv.tmp");
    let mut text = String::new();
    for p in points.values() {
        text.push_str(&line(p.variant, p.replication, &p.figures));
    }
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> Vec<(String, Cell)> {
        SUMMARY_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let c = if i % 2 == 0 {
                    Cell::Count(i as u64)
                } else {
                    Cell::Real(i as f64 / 3.0)
                };
                (n.to_string(), c)
            })
            .collect()
    }

    fn sweep() -> Sweep {
        Sweep {
            name: "s".into(),
            file: "s.toml".into(),
            scenario: "x.toml".into(),
            scenario_sha256: String::new(),
            replications: 2,
            seed: None,
            paths: vec!["p".into()],
            variants: vec![vec!["1".into()], vec!["2".into()]],
            targets: Vec::new(),
            fingerprint: String::new(),
        }
    }

    #[test]
    fn lines_round_trip_and_damage_is_reported() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("points.partial.csv");
        let good = line(1, 0, &figures());
        let mut flipped = line(0, 1, &figures()).into_bytes();
        flipped[12] ^= 0x01;
        let short = line(0, 0, &figures()[..3]);
        let foreign = line(7, 0, &figures());
        let mut text = good.clone().into_bytes();
        text.extend(flipped);
        text.extend(short.as_bytes());
        text.extend(foreign.as_bytes());
        text.extend(b"0,1,wait");
        std::fs::write(&path, &text).unwrap();
        let r = read(&path, &sweep(), None).unwrap();
        assert_eq!(r.points.len(), 1);
        assert_eq!(r.points[&(1, 0)].figures, figures());
        let lines: Vec<usize> = r.damaged.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![2, 3, 4], "{:?}", r.damaged);
        assert!(r.damaged[0].why.contains("checksum"));
        assert!(r.damaged[1].why.contains("summary columns"));
        assert!(r.damaged[2].why.contains("not a point of this sweep"));
        assert!(r.cut);
        let shard = Shard { index: 1, count: 2 };
        let r = read(&path, &sweep(), Some(shard)).unwrap();
        assert!(r.points.is_empty(), "point 2 is in shard 0");
    }
}
