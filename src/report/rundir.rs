//! Output directories: what swabsim promises about the files it writes (docs/files.md).
//!
//! - One writer per directory: a lock file `.NAME.lock` beside it, held for the whole command
//!   and released by the operating system when the process ends, however it ends.
//! - A run is written under `.NAME.partial-PID` and renamed into place when complete, so an
//!   interrupted run never leaves a directory that looks complete.
//! - `--force` replaces only a directory that swabsim wrote: its `manifest.json` (runs,
//!   comparisons) or `sweep.json` (sweeps) says so, and every file in it is one swabsim lists or
//!   writes. Anything else (a directory of other files, a plain file, a device, a link) is left
//!   untouched and the command stops with exit code 1.
//! - Replacing renames the old directory to `.NAME.old-PID` first; a command interrupted
//!   between the renames leaves it there, and the next command on NAME puts it back.
//!
//! This module must not delete anything it has not first proved to be swabsim's own.

use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// Why an output directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// The directory holds earlier work and `--force` was not given.
    #[error(
        "{}{} already holds results; pass --force to replace them, or --out DIR to write elsewhere",
        .notes.iter().map(|n| format!("{n}; ")).collect::<String>(),
        .path.display()
    )]
    Exists {
        /// The directory.
        path: PathBuf,
        /// What recovering an interrupted command did first, if anything.
        notes: Vec<String>,
    },
    /// `--force` was given, but the path is not a directory that swabsim wrote.
    #[error(
        "{path} {why}, so swabsim will not replace it, not even with --force; choose another --out, or move it away yourself"
    )]
    NotOurs {
        /// The path.
        path: PathBuf,
        /// What makes it someone else's.
        why: String,
    },
    /// The path cannot name an output directory.
    #[error("`{0}` cannot be an output directory: give a directory name, e.g. --out output/run-1")]
    BadName(PathBuf),
    /// Another command is writing the same directory.
    #[error(
        "{target} is being written by another swabsim command (process {pid}, lock {lock}); wait for it to finish, or choose another --out"
    )]
    Busy {
        /// The output directory.
        target: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The process that holds it, as it wrote it.
        pid: String,
    },
    /// Something created the directory while this command was running.
    #[error(
        "{target} appeared while this command was running, and swabsim does not write over work it did not start from; this command's results are in {kept}"
    )]
    Appeared {
        /// The output directory.
        target: PathBuf,
        /// Where the finished results were put instead.
        kept: PathBuf,
    },
    /// The file system refused.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl RunDirError {
    /// Whether the user can fix this by changing the command (exit code 1), rather than a
    /// failure of the machine (exit code 3).
    pub fn is_input(&self) -> bool {
        !matches!(self, RunDirError::Io { .. })
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RunDirError + '_ {
    move |source| RunDirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What kind of directory a command writes, and so which marker file proves it is swabsim's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `swabsim run` or `compare`: `manifest.json` lists every file.
    Run,
    /// `swabsim sweep` or `merge`: `sweep.json`, and the files a sweep writes.
    Sweep,
}

/// Files a sweep directory may hold besides its charts (temporary names included: a sweep can
/// be killed while it writes them).
pub const SWEEP_FILES: [&str; 9] = [
    "sweep.json",
    "points.partial.csv",
    "points.csv",
    "aggregate.csv",
    "index.html",
    ".sweep.json.tmp",
    "points.partial.csv.tmp",
    ".points.csv.tmp",
    ".aggregate.csv.tmp",
];

/// What a sweep killed before its `sweep.json` was in place can leave.
const SWEEP_START: [&str; 1] = [".sweep.json.tmp"];

/// The parent and final name of an output path; refuses `.`, `..` and `/`.
fn split(target: &Path) -> Result<(PathBuf, String), RunDirError> {
    use std::path::Component;
    let name = match target.components().next_back() {
        Some(Component::Normal(n)) => n.to_string_lossy().into_owned(),
        _ => return Err(RunDirError::BadName(target.to_path_buf())),
    };
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok((parent, name))
}

/// The lock of one output directory, held until dropped (or the process ends).
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    file: Option<File>,
}

impl OutputLock {
    /// Takes the lock of `target` (`.NAME.lock` beside it), creating the parent directory.
    pub fn acquire(target: &Path) -> Result<OutputLock, RunDirError> {
        let (parent, name) = split(target)?;
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let path = parent.join(format!(".{name}.lock"));
        // A holder may remove the file as it releases it; then the file we locked is no longer
        // the one at `path`, and we try again on the new one.
        for _ in 0..100 {
            let file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
                .map_err(io(&path))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    let mut pid = String::new();
                    let _ = (&file).read_to_string(&mut pid);
                    return Err(RunDirError::Busy {
                        target: target.to_path_buf(),
                        lock: path,
                        pid: pid.trim().to_string(),
                    });
                }
                Err(fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
            }
            if same_file(&file, &path) {
                file.set_len(0).map_err(io(&path))?;
                (&file)
                    .write_all(std::process::id().to_string().as_bytes())
                    .map_err(io(&path))?;
                return Ok(OutputLock {
                    path,
                    file: Some(file),
                });
            }
        }
        Err(io(&path)(std::io::Error::other(
            "the lock file keeps changing",
        )))
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for OutputLock {
    /// Removes the lock file while still holding the lock, then releases it.
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

/// Why `dir` is not a directory that swabsim wrote, or `None` when it is.
pub fn not_ours(dir: &Path, kind: Kind) -> Option<String> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) => return Some(format!("cannot be read ({e})")),
    };
    if meta.file_type().is_symlink() {
        return Some("is a symbolic link".into());
    }
    if !meta.is_dir() {
        return Some("is not a directory".into());
    }
    let marker = match kind {
        Kind::Run => "manifest.json",
        Kind::Sweep => "sweep.json",
    };
    if kind == Kind::Sweep && only_start_leftovers(dir) {
        return None;
    }
    let json: serde_json::Value = match fs::read(dir.join(marker)) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(_) => return Some(format!("has a {marker} that swabsim did not write")),
        },
        Err(_) => {
            let what = match kind {
                Kind::Run => "a run or comparison",
                Kind::Sweep => "a sweep",
            };
            return Some(format!(
                "has no {marker}, so it is not {what} that swabsim wrote"
            ));
        }
    };
    if !json["swabsim_version"].is_string() {
        return Some(format!("has a {marker} that swabsim did not write"));
    }
    let mut listed: Vec<String> = json["files"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    listed.push(marker.to_string());
    if kind == Kind::Sweep {
        listed.extend(SWEEP_FILES.iter().map(|f| f.to_string()));
    }
    stranger(dir, dir, &listed, kind).map(|p| {
        format!(
            "holds {}, which swabsim did not write",
            p.strip_prefix(dir).unwrap_or(&p).display()
        )
    })
}

/// Whether a directory holds nothing but what a sweep writes before its `sweep.json`.
fn only_start_leftovers(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(|e| e.ok()).all(|e| {
            SWEEP_START.contains(&e.file_name().to_string_lossy().as_ref())
                && e.file_type().is_ok_and(|t| t.is_file())
        })
    })
}

/// The first file under `dir` that is not one swabsim wrote there.
fn stranger(root: &Path, dir: &Path, listed: &[String], kind: Kind) -> Option<PathBuf> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(_) => return Some(dir.to_path_buf()),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let rel = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            return Some(path);
        };
        if meta.is_dir() {
            let prefix = format!("{rel}/");
            let known = listed.iter().any(|f| f.starts_with(&prefix))
                || (kind == Kind::Sweep && rel == "charts");
            if !known {
                return Some(path);
            }
            if let Some(p) = stranger(root, &path, listed, kind) {
                return Some(p);
            }
        } else {
            let chart = kind == Kind::Sweep
                && rel.starts_with("charts/")
                && (rel.ends_with(".svg") || rel.ends_with(".png"));
            if !(meta.is_file() && (chart || listed.contains(&rel))) {
                return Some(path);
            }
        }
    }
    None
}

/// Whether `path` is a directory with something in it, or anything that is not a directory.
fn occupied(path: &Path) -> bool {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::read_dir(path).is_ok_and(|mut d| d.next().is_some()),
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Under the lock: removes the temporary directories of interrupted commands on `name`, and
/// puts back a directory that an interrupted `--force` had moved aside. Returns what it did.
pub fn recover(target: &Path) -> Result<Vec<String>, RunDirError> {
    let (parent, name) = split(target)?;
    let mut notes = Vec::new();
    let Ok(entries) = fs::read_dir(&parent) else {
        return Ok(notes);
    };
    let mut leftovers: Vec<(PathBuf, bool)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let pid_after = |prefix: &str| {
                file.strip_prefix(prefix)
                    .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            };
            if pid_after(&format!(".{name}.partial-")) {
                Some((e.path(), false))
            } else if pid_after(&format!(".{name}.old-")) {
                Some((e.path(), true))
            } else {
                None
            }
        })
        .collect();
    leftovers.sort();
    for (path, old) in leftovers {
        if old && fs::symlink_metadata(target).is_err() {
            fs::rename(&path, target).map_err(io(target))?;
            notes.push(format!(
                "put back {} from {}, where an interrupted --force had moved it",
                target.display(),
                path.display()
            ));
        } else {
            fs::remove_dir_all(&path).map_err(io(&path))?;
        }
    }
    Ok(notes)
}

/// Prepares `target` for a command that writes it in place (a sweep): takes the lock, recovers
/// leftovers, and, with `force`, moves aside and removes an earlier directory of `kind` that
/// swabsim wrote. `resume` keeps an existing directory of `kind` as it is.
pub fn prepare_in_place(
    target: &Path,
    force: bool,
    resume: bool,
    kind: Kind,
) -> Result<(OutputLock, Vec<String>), RunDirError> {
    let lock = OutputLock::acquire(target)?;
    let notes = recover(target)?;
    if occupied(target) {
        if resume || force {
            if let Some(why) = not_ours(target, kind) {
                return Err(RunDirError::NotOurs {
                    path: target.to_path_buf(),
                    why,
                });
            }
        } else {
            return Err(RunDirError::Exists {
                path: target.to_path_buf(),
                notes,
            });
        }
        if !resume {
            let (parent, name) = split(target)?;
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            fs::rename(target, &old).map_err(io(target))?;
            fs::remove_dir_all(&old).map_err(io(&old))?;
        }
    } else if let Ok(m) = fs::symlink_metadata(target)
        && !m.is_dir()
    {
        return Err(RunDirError::NotOurs {
            path: target.to_path_buf(),
            why: "is not a directory".into(),
        });
    }
    fs::create_dir_all(target).map_err(io(target))?;
    Ok((lock, notes))
}

/// A run directory being written under a temporary name.
#[derive(Debug)]
pub struct RunDir {
    target: PathBuf,
    temp: PathBuf,
    force: bool,
    kind: Kind,
    /// Whether the target held something when the command started.
    was_occupied: bool,
    committed: bool,
    notes: Vec<String>,
    _lock: OutputLock,
}

impl RunDir {
    /// Prepares to write `target`: takes its lock, recovers leftovers of interrupted commands,
    /// and refuses an existing non-empty directory unless `force` and swabsim wrote it.
    pub fn create(target: &Path, force: bool) -> Result<RunDir, RunDirError> {
        RunDir::create_kind(target, force, Kind::Run)
    }

    /// Like [`RunDir::create`] for a directory of `kind`.
    pub fn create_kind(target: &Path, force: bool, kind: Kind) -> Result<RunDir, RunDirError> {
        let lock = OutputLock::acquire(target)?;
        let notes = recover(target)?;
        let was_occupied = occupied(target);
        if was_occupied {
            if !force {
                return Err(RunDirError::Exists {
                    path: target.to_path_buf(),
                    notes,
                });
            }
            if let Some(why) = not_ours(target, kind) {
                return Err(RunDirError::NotOurs {
                    path: target.to_path_buf(),
                    why,
                });
            }
        } else if let Ok(m) = fs::symlink_metadata(target)
            && !m.is_dir()
        {
            return Err(RunDirError::NotOurs {
                path: target.to_path_buf(),
                why: "is not a directory".into(),
            });
        }
        let (parent, name) = split(target)?;
        let temp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        fs::create_dir_all(&temp).map_err(io(&temp))?;
        Ok(RunDir {
            target: target.to_path_buf(),
            temp,
            force,
            kind,
            was_occupied,
            committed: false,
            notes,
            _lock: lock,
        })
    }

    /// Where to write the files now.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Where the files will be.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// What recovering leftovers of interrupted commands did (to tell the user).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Moves the finished directory into place. An earlier directory is replaced only with
    /// `force`, and only if swabsim wrote it; one that appeared since the start is never
    /// replaced, and the results are kept beside it instead.
    pub fn commit(mut self) -> Result<PathBuf, RunDirError> {
        let (parent, name) = split(&self.target)?;
        if occupied(&self.target) {
            let refused = if !self.force || !self.was_occupied {
                Some(None)
            } else {
                not_ours(&self.target, self.kind).map(Some)
            };
            if let Some(why) = refused {
                let kept = parent.join(format!("{name}.unsaved-{}", std::process::id()));
                fs::rename(&self.temp, &kept).map_err(io(&kept))?;
                self.committed = true;
                return Err(match why {
                    None => RunDirError::Appeared {
                        target: self.target.clone(),
                        kept,
                    },
                    Some(why) => RunDirError::NotOurs {
                        path: self.target.clone(),
                        why: format!(
                            "{why} (it changed while this command ran; its results are in {})",
                            kept.display()
                        ),
                    },
                });
            }
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            fs::rename(&self.target, &old).map_err(io(&self.target))?;
            fs::rename(&self.temp, &self.target).map_err(io(&self.target))?;
            fs::remove_dir_all(&old).map_err(io(&old))?;
        } else {
            if fs::symlink_metadata(&self.target).is_ok() {
                // An empty directory: nothing to keep.
                fs::remove_dir(&self.target).map_err(io(&self.target))?;
            }
            fs::rename(&self.temp, &self.target).map_err(io(&self.target))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for RunDir {
    /// An abandoned run leaves nothing that looks like results.
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn a_directory_is_ours_only_with_a_marker_listing_every_file() {
        let d = tempfile::tempdir().unwrap();
        let run = d.path().join("run");
        write(&run.join("summary.csv"), "x");
        assert!(
            not_ours(&run, Kind::Run)
                .unwrap()
                .contains("no manifest.json")
        );
        write(
            &run.join("manifest.json"),
            r#"{"swabsim_version": "0.1.0", "files": ["summary.csv", "charts/a.svg", "manifest.json"]}"#,
        );
        write(&run.join("charts/a.svg"), "x");
        assert_eq!(not_ours(&run, Kind::Run), None);
        write(&run.join("charts/thesis.tex"), "x");
        assert_eq!(
            not_ours(&run, Kind::Run).unwrap(),
            "holds charts/thesis.tex, which swabsim did not write"
        );
        assert!(
            not_ours(&run, Kind::Sweep)
                .unwrap()
                .contains("no sweep.json")
        );
        let file = d.path().join("plain");
        write(&file, "x");
        assert_eq!(not_ours(&file, Kind::Run).unwrap(), "is not a directory");
    }

    #[test]
    fn names_without_a_final_component_are_refused() {
        for bad in [".", "..", "/", "a/.."] {
            assert!(matches!(
                split(Path::new(bad)),
                Err(RunDirError::BadName(_))
            ));
        }
        assert_eq!(split(Path::new("run")).unwrap().1, "run");
    }

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("out");
        let first = OutputLock::acquire(&target).unwrap();
        let second = OutputLock::acquire(&target).unwrap_err();
        assert!(matches!(second, RunDirError::Busy { .. }), "{second}");
        drop(first);
        assert!(!d.path().join(".out.lock").exists());
        OutputLock::acquire(&target).unwrap();
    }

    #[test]
    fn an_interrupted_replacement_is_put_back() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("out");
        write(&d.path().join(".out.old-123/summary.csv"), "old");
        write(&d.path().join(".out.partial-77/x"), "half");
        let notes = recover(&target).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(
            fs::read_to_string(target.join("summary.csv")).unwrap(),
            "old"
        );
        assert!(!d.path().join(".out.partial-77").exists());
    }
}
