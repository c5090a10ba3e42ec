//! The run directory: written under a temporary name, renamed into place when complete.

use std::fs;
use std::path::{Path, PathBuf};

/// Why the run directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// The directory holds earlier work and `--force` was not given.
    #[error(
        "{0} already holds results; pass --force to replace them, or --out DIR to write elsewhere"
    )]
    Exists(PathBuf),
    /// The file system refused.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A run directory being written.
#[derive(Debug)]
pub struct RunDir {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RunDirError + '_ {
    move |source| RunDirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl RunDir {
    /// Prepares to write `target`; refuses a non-empty existing directory unless `force`.
    pub fn create(target: &Path, force: bool) -> Result<RunDir, RunDirError> {
        let occupied = match fs::read_dir(target) {
            Ok(mut entries) => entries.next().is_some(),
            Err(_) => target.exists(),
        };
        if occupied && !force {
            return Err(RunDirError::Exists(target.to_path_buf()));
        }
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io(parent))?;
        let name = target
            .file_name()
            .map_or("run".into(), |n| n.to_string_lossy().into_owned());
        let temp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if temp.exists() {
            fs::remove_dir_all(&temp).map_err(io(&temp))?;
        }
        fs::create_dir_all(&temp).map_err(io(&temp))?;
        Ok(RunDir {
            target: target.to_path_buf(),
            temp,
            committed: false,
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

    /// Moves the finished directory into place, replacing an earlier one.
    pub fn commit(mut self) -> Result<PathBuf, RunDirError> {
        if self.target.exists() {
            let old = self.temp.with_extension("old");
            fs::rename(&self.target, &old).map_err(io(&self.target))?;
            fs::rename(&self.temp, &self.target).map_err(io(&self.target))?;
            fs::remove_dir_all(&old).map_err(io(&old))?;
        } else {
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
