//! Publishing a results folder as one transaction.
//!
//! A result is every file of one run, reports included. [`Folder::replace`] writes them all
//! into a hidden staging folder beside the target (`.<name>.staging-<pid>`), carries over
//! the files that are not results of this tool (part files, a user's notes), and then swaps
//! the staging folder and the target in one `renameat2(RENAME_EXCHANGE)`. Whatever kills
//! the process, the path names either the complete previous result or the complete new one;
//! the previous folder, now under the staging name, is removed afterwards (and by the next
//! publish if the process died first).
//!
//! A [`Folder`] holds an advisory lock (`flock`) on the target for as long as it lives:
//! exclusive for a command that replaces results, shared for shards that each add one part
//! file. A second writer is refused with [`OpenError::Busy`] instead of interleaving.
//! [`Folder::add`] writes single files (parts) by temporary name and rename.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::files::{MARKER, is_result_file};

/// How a command writes into a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Replaces the folder's result (exclusive lock).
    Replace,
    /// Adds files beside others of the same job, e.g. one shard's part (shared lock).
    Add,
}

/// What of the previous folder a [`Folder::replace`] keeps beside the new files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Everything that is not a result file of this tool (parts, a user's own files): the
    /// folder then holds exactly one result.
    Others,
    /// Everything the new files do not replace (`downstream report` adds a report to the
    /// result already there).
    All,
}

/// Why a folder cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("it exists and is not a folder")]
    NotAFolder,
    #[error(
        "the folder is not empty and was not written by downstream (no {MARKER} file); choose another folder or pass --force to write into it"
    )]
    Foreign,
    #[error(
        "it holds a folder ({0}); a result folder is replaced whole when results are written, so it may hold only files: choose a folder of its own"
    )]
    HoldsFolder(String),
    #[error(
        "it is, or holds, the current folder, which cannot be replaced; run the command from outside it"
    )]
    HoldsCurrent,
    #[error(
        "another downstream process is writing to this folder; wait for it to finish or choose another folder"
    )]
    Busy,
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// What a failed [`Folder::replace`] left at the target.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct PublishError {
    /// The cause; [`io::ErrorKind::Interrupted`] when `cancel` was set.
    pub error: io::Error,
    /// Whether the target existed with earlier files before, and so still holds them.
    pub kept_previous: bool,
}

/// A folder being written, locked until dropped.
#[derive(Debug)]
pub struct Folder {
    /// The folder as the caller named it, for messages.
    shown: PathBuf,
    /// The folder, with links resolved (so a link to a folder keeps pointing at it).
    path: PathBuf,
    /// The open folder holding the lock.
    handle: fs::File,
    /// The outermost folder this process created, removed again unless something was
    /// published.
    created: Option<PathBuf>,
    /// Whether the folder held anything when opened.
    had_files: bool,
}

impl Folder {
    /// Opens (creating if needed) and locks `dir` for `access`. Unless `force`, a folder
    /// that is not empty must hold the [`MARKER`].
    pub fn open(dir: &Path, access: Access, force: bool) -> Result<Folder, OpenError> {
        if dir.exists() && !dir.is_dir() {
            return Err(OpenError::NotAFolder);
        }
        let created = dir
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .last()
            .map(Path::to_path_buf);
        fs::create_dir_all(dir)?;
        let mut folder = Folder {
            shown: dir.to_path_buf(),
            path: fs::canonicalize(dir)?,
            handle: fs::File::open(dir)?,
            created,
            had_files: false,
        };
        folder.lock(access)?;
        let entries = folder.entries()?;
        folder.had_files = !entries.is_empty();
        let ours = entries.is_empty() || entries.iter().any(|(n, _)| n == MARKER);
        if !force && !ours {
            return Err(OpenError::Foreign);
        }
        if access == Access::Replace {
            if let Some((name, _)) = entries.iter().find(|(_, dir)| *dir) {
                return Err(OpenError::HoldsFolder(
                    crate::format::escape(name).into_owned(),
                ));
            }
            let cwd = std::env::current_dir().and_then(fs::canonicalize);
            if cwd.is_ok_and(|c| c.starts_with(&folder.path)) || folder.path.parent().is_none() {
                return Err(OpenError::HoldsCurrent);
            }
        }
        Ok(folder)
    }

    /// Takes the lock on the folder now at the path: one that another writer swapped away
    /// while this one waited is not the folder any more.
    fn lock(&mut self, access: Access) -> Result<(), OpenError> {
        for _ in 0..8 {
            let locked = match access {
                Access::Replace => self.handle.try_lock(),
                Access::Add => self.handle.try_lock_shared(),
            };
            match locked {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Err(OpenError::Busy),
                Err(fs::TryLockError::Error(e)) => return Err(e.into()),
            }
            let (now, held) = (fs::metadata(&self.path)?, self.handle.metadata()?);
            if (now.dev(), now.ino()) == (held.dev(), held.ino()) {
                return Ok(());
            }
            self.handle = fs::File::open(&self.path)?;
        }
        Err(OpenError::Busy)
    }

    /// The folder's entries other than temporaries of this tool: (name, is a folder).
    fn entries(&self) -> io::Result<Vec<(String, bool)>> {
        let mut out = Vec::new();
        for e in fs::read_dir(&self.path)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if !is_temporary(&name) {
                out.push((name, e.file_type()?.is_dir()));
            }
        }
        Ok(out)
    }

    /// The folder as the caller named it (for messages).
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// Whether the folder held files when it was opened.
    pub fn had_files(&self) -> bool {
        self.had_files
    }

    /// Replaces the folder's contents with `files` (name, contents) and the [`MARKER`],
    /// keeping what `keep` says of the previous contents, in one atomic swap. Nothing
    /// changes at the path if anything fails or `cancel` is set before the swap.
    pub fn replace(
        &mut self,
        files: &[(&str, Vec<u8>)],
        keep: Keep,
        cancel: &AtomicBool,
    ) -> Result<(), PublishError> {
        let failed = |error| PublishError {
            error,
            kept_previous: self.had_files,
        };
        let parent = self
            .path
            .parent()
            .expect("checked when opened")
            .to_path_buf();
        let name = self
            .path
            .file_name()
            .expect("a canonical path other than / has a name")
            .to_string_lossy()
            .into_owned();
        remove_stale_stagings(&parent, &name);
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        let result = self.stage(&staging, files, keep).and_then(|()| {
            if cancel.load(Ordering::SeqCst) {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
            }
            swap(&staging, &self.path)
        });
        if let Err(e) = result {
            let _ = fs::remove_dir_all(&staging);
            return Err(failed(e));
        }
        // The previous contents are under the staging name now.
        let _ = fs::remove_dir_all(&staging);
        if let Ok(p) = fs::File::open(&parent) {
            let _ = p.sync_all();
        }
        self.created = None;
        Ok(())
    }

    /// Writes the new folder at `staging`: the marker, `files`, and what is kept.
    fn stage(&self, staging: &Path, files: &[(&str, Vec<u8>)], keep: Keep) -> io::Result<()> {
        fs::create_dir(staging)?;
        for (name, bytes) in marked(files) {
            write_synced(&staging.join(name), bytes)?;
        }
        for (old, _) in self.entries()? {
            let replaced = old == MARKER || files.iter().any(|(n, _)| *n == old);
            if replaced || (keep == Keep::Others && is_result_file(&old)) {
                continue;
            }
            let (from, to) = (self.path.join(&old), staging.join(&old));
            if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to)?;
            }
        }
        fs::File::open(staging)?.sync_all()
    }

    /// Adds `files` to the folder, each written to a temporary name and renamed when all
    /// are complete (the marker first). Temporaries of killed runs are removed first.
    pub fn add(&mut self, files: &[(&str, Vec<u8>)], cancel: &AtomicBool) -> io::Result<()> {
        let all = marked(files);
        for e in fs::read_dir(&self.path)?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if is_temporary(&name) && temporary_is_stale(&name) {
                let _ = fs::remove_file(e.path());
            }
        }
        let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
        let result = (|| -> io::Result<()> {
            for (name, bytes) in &all {
                let tmp = self
                    .path
                    .join(format!(".{name}.tmp-{}", std::process::id()));
                temps.push((tmp.clone(), self.path.join(name)));
                write_synced(&tmp, bytes)?;
            }
            if cancel.load(Ordering::SeqCst) {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
            }
            for (tmp, target) in &temps {
                fs::rename(tmp, target)?;
            }
            Ok(())
        })();
        if result.is_err() {
            for (tmp, _) in &temps {
                let _ = fs::remove_file(tmp);
            }
        } else {
            self.created = None;
        }
        result
    }
}

impl Drop for Folder {
    /// Removes the folders this process created and wrote nothing into, innermost first,
    /// as long as they are empty (another process may have written into them meanwhile).
    fn drop(&mut self) {
        let Some(created) = self.created.take() else {
            return;
        };
        for folder in self.path.ancestors() {
            if fs::remove_dir(folder).is_err() || fs::canonicalize(&created).is_err() {
                break;
            }
        }
    }
}

/// Writes `files` into `dir` as one result (see [`Folder::replace`]), refusing a foreign
/// folder; for tests and callers without a cancel flag.
pub fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> io::Result<()> {
    let mut folder = Folder::open(dir, Access::Replace, false).map_err(|e| match e {
        OpenError::Io(e) => e,
        e => io::Error::other(e.to_string()),
    })?;
    folder
        .replace(files, Keep::Others, &AtomicBool::new(false))
        .map_err(|e| e.error)
}

/// The marker, then `files`.
fn marked<'a>(files: &'a [(&'a str, Vec<u8>)]) -> Vec<(&'a str, &'a [u8])> {
    const MARK: &str = concat!("written by downstream ", env!("CARGO_PKG_VERSION"), "\n");
    std::iter::once((MARKER, MARK.as_bytes()))
        .chain(files.iter().map(|(n, b)| (*n, b.as_slice())))
        .collect()
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = fs::File::create(path)?;
    io::Write::write_all(&mut f, bytes)?;
    f.sync_all()
}

/// Exchanges the folders at `a` and `b` atomically. Where the file system cannot
/// (`EINVAL`, `ENOSYS`, `ENOTSUP`: some network file systems), `b` is moved to `a`'s
/// place in two renames: for an instant the path names nothing, but never a mix.
fn swap(a: &Path, b: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in a path"))
        };
        let (ca, cb) = (c(a)?, c(b)?);
        // SAFETY: both are valid NUL-terminated paths; renameat2 does not keep them.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if !matches!(
            e.raw_os_error(),
            Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP)
        ) {
            return Err(e);
        }
    }
    let mut aside = a.as_os_str().to_owned();
    aside.push(".old");
    let aside = PathBuf::from(aside);
    fs::rename(b, &aside)?;
    if let Err(e) = fs::rename(a, b) {
        let _ = fs::rename(&aside, b);
        return Err(e);
    }
    fs::rename(&aside, a)
}

/// A temporary of [`Folder::add`]: `.<name>.tmp-<pid>` where `<name>` is a file this tool
/// writes (a foreign `.bashrc.tmp-12345` is not one).
fn is_temporary(name: &str) -> bool {
    let Some((base, pid)) = name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp-")) else {
        return false;
    };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && (base == MARKER || is_result_file(base) || crate::shard::is_part_name(base))
}

/// Whether a temporary `.<name>.tmp-<pid>` or staging folder belongs to a process that no
/// longer runs (this one's count as stale: it is rewriting them).
fn pid_is_gone(pid: &str) -> bool {
    if pid == std::process::id().to_string() {
        return true;
    }
    // Without /proc we cannot tell: leave it (it is hidden and never read).
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists()
}

fn temporary_is_stale(name: &str) -> bool {
    name.rsplit_once(".tmp-")
        .is_some_and(|(_, pid)| pid_is_gone(pid))
}

/// Removes `.<name>.staging-<pid>` folders (and `.old` leftovers of the two-rename
/// fallback) beside the target whose process is gone: a killed publish's staging folder
/// or the previous result it had swapped out.
fn remove_stale_stagings(parent: &Path, name: &str) {
    let prefix = format!(".{name}.staging-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let entry = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = entry.strip_prefix(&prefix) else {
            continue;
        };
        let pid = pid.strip_suffix(".old").unwrap_or(pid);
        if pid.bytes().all(|b| b.is_ascii_digit()) && !pid.is_empty() && pid_is_gone(pid) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(tag: &str) -> PathBuf {
        let base =
            std::env::temp_dir().join(format!("downstream-folder-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        base
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_result_replaces_the_previous_one_whole() {
        let base = base("replace");
        let dir = base.join("new");
        write_files(
            &dir,
            &[
                ("summary.csv", b"x\n".to_vec()),
                ("report.html", b"old report".to_vec()),
            ],
        )
        .unwrap();
        fs::write(dir.join("notes.txt"), b"mine").unwrap();
        fs::write(dir.join("part-1-of-2.bin"), b"part").unwrap();
        // A rerun without a report: the old report goes, the user's notes and parts stay.
        write_files(&dir, &[("sweep.csv", b"y\n".to_vec())]).unwrap();
        assert_eq!(
            names(&dir),
            [MARKER, "notes.txt", "part-1-of-2.bin", "sweep.csv"]
        );
        assert_eq!(names(&base), ["new"], "no staging folder is left");
        // `report`: keeps the results, replaces only what it writes.
        let mut f = Folder::open(&dir, Access::Replace, false).unwrap();
        f.replace(
            &[("report.html", b"new".to_vec())],
            Keep::All,
            &AtomicBool::new(false),
        )
        .unwrap();
        drop(f);
        assert!(names(&dir).contains(&"sweep.csv".to_string()));
        assert_eq!(fs::read(dir.join("report.html")).unwrap(), b"new");
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_cancelled_or_failed_write_changes_nothing() {
        let base = base("cancel");
        let dir = base.join("r");
        write_files(&dir, &[("summary.csv", b"old\n".to_vec())]).unwrap();
        let mut f = Folder::open(&dir, Access::Replace, false).unwrap();
        let e = f
            .replace(
                &[("summary.csv", b"new\n".to_vec())],
                Keep::Others,
                &AtomicBool::new(true),
            )
            .unwrap_err();
        assert_eq!(e.error.kind(), io::ErrorKind::Interrupted);
        assert!(e.kept_previous);
        drop(f);
        assert_eq!(fs::read(dir.join("summary.csv")).unwrap(), b"old\n");
        assert_eq!(names(&base), ["r"]);
        // Nested folders that did not exist are all removed when writing is cancelled.
        let deep = base.join("x/y/z");
        let mut f = Folder::open(&deep, Access::Replace, false).unwrap();
        let e = f
            .replace(
                &[("c.csv", b"z\n".to_vec())],
                Keep::Others,
                &AtomicBool::new(true),
            )
            .unwrap_err();
        assert!(!e.kept_previous);
        drop(f);
        assert!(!base.join("x").exists());
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_second_writer_is_refused() {
        let base = base("lock");
        let dir = base.join("r");
        let first = Folder::open(&dir, Access::Replace, false).unwrap();
        assert!(matches!(
            Folder::open(&dir, Access::Replace, false),
            Err(OpenError::Busy)
        ));
        assert!(matches!(
            Folder::open(&dir, Access::Add, false),
            Err(OpenError::Busy)
        ));
        drop(first);
        // Shards of one job share the folder; a replacing writer waits its turn.
        let a = Folder::open(&dir, Access::Add, false).unwrap();
        let b = Folder::open(&dir, Access::Add, false).unwrap();
        assert!(matches!(
            Folder::open(&dir, Access::Replace, false),
            Err(OpenError::Busy)
        ));
        drop((a, b));
        assert!(
            !base.exists(),
            "folders that received nothing are removed again"
        );
    }

    #[test]
    fn foreign_folders_and_temporaries() {
        let base = base("foreign");
        let other = base.join("other");
        fs::create_dir_all(&other).unwrap();
        // Only a file that looks like a temporary, but not one of this tool's.
        fs::write(other.join(".bashrc.tmp-12345"), b"mine").unwrap();
        assert!(matches!(
            Folder::open(&other, Access::Replace, false),
            Err(OpenError::Foreign)
        ));
        // A temporary of this tool from a killed shard is no obstacle, and is cleaned up.
        let ours = base.join("ours");
        fs::create_dir_all(&ours).unwrap();
        fs::write(ours.join(".part-1-of-2.bin.tmp-99999999"), b"partial").unwrap();
        let mut f = Folder::open(&ours, Access::Add, false).unwrap();
        f.add(
            &[("part-2-of-2.bin", b"p".to_vec())],
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(names(&ours), [MARKER, "part-2-of-2.bin"]);
        // A stale staging folder of a killed publish is removed by the next one.
        fs::create_dir_all(base.join(".ours.staging-99999999")).unwrap();
        drop(f);
        write_files(&ours, &[("summary.csv", b"x\n".to_vec())]).unwrap();
        assert_eq!(names(&base), ["other", "ours"]);
        // A folder holding a folder is not replaced.
        fs::create_dir_all(ours.join("plots")).unwrap();
        assert!(matches!(
            Folder::open(&ours, Access::Replace, false),
            Err(OpenError::HoldsFolder(_))
        ));
        fs::remove_dir_all(&base).unwrap();
    }
}
