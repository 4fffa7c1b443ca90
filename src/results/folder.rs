//! Publishing a results folder: every file of a result, all or nothing.
//!
//! [`write_files_unless`] writes each file to a temporary name in the target folder and
//! renames them only when all are complete, so no final name ever holds a partial file; on
//! failure the temporaries (and a folder this call created) are removed.

use std::fs;
use std::path::{Path, PathBuf};

use super::files::MARKER;

/// Whether `dir` may receive results: it does not exist, holds the marker, or holds
/// nothing but temporaries of a run that was killed before it renamed anything.
pub fn is_result_folder(dir: &Path) -> bool {
    let only_temporaries = match fs::read_dir(dir) {
        Err(_) => true,
        Ok(entries) => entries
            .flatten()
            .all(|e| is_temporary(&e.file_name().to_string_lossy())),
    };
    // The marker is looked for after the listing: it is renamed before any other final
    // file, so a final file the listing saw (another shard writing into the folder at the
    // same time) implies the marker is there now.
    only_temporaries || dir.join(MARKER).exists()
}

/// A temporary of [`write_files_unless`]: `.<name>.tmp-<pid>`.
fn is_temporary(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".tmp-")
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Writes `files` (name, contents) into `dir` all-or-nothing, with the [`MARKER`].
pub fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> std::io::Result<()> {
    write_files_unless(dir, files, &std::sync::atomic::AtomicBool::new(false))
}

/// Writes `files` into `dir` all-or-nothing: each is written to a temporary name in `dir`
/// and renamed only when all are complete, so no final name ever holds a partial file.
/// Folders that did not exist are created, and removed again if anything fails or if
/// `cancel` is set before the renames (Ctrl-C). Temporaries left by a killed earlier run
/// (`.<name>.tmp-<pid>`) are removed first.
pub fn write_files_unless(
    dir: &Path,
    files: &[(&str, Vec<u8>)],
    cancel: &std::sync::atomic::AtomicBool,
) -> std::io::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a folder", dir.display()),
        ));
    }
    // The outermost folder this call creates, to remove on failure.
    let created = dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .last()
        .map(Path::to_path_buf);
    fs::create_dir_all(dir)?;
    let marker = format!("written by downstream {}\n", env!("CARGO_PKG_VERSION")).into_bytes();
    // The marker is renamed first: a folder with any final file always has it.
    let all: Vec<(&str, &[u8])> = std::iter::once((MARKER, marker.as_slice()))
        .chain(files.iter().map(|(n, b)| (*n, b.as_slice())))
        .collect();
    // Temporaries of runs that were killed; never those of a process still writing (shards
    // of one job may write into one folder at the same time).
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if all
                .iter()
                .any(|(n, _)| name.starts_with(&format!(".{n}.tmp-")))
                && temporary_is_stale(&name)
            {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| -> std::io::Result<()> {
        for (name, bytes) in &all {
            let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
            temps.push((tmp.clone(), dir.join(name)));
            let mut f = fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut f, bytes)?;
            f.sync_all()?;
        }
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "interrupted",
            ));
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
        // Remove the folders this call created, innermost first, as long as they are empty:
        // another process may have written into them meanwhile.
        if let Some(created) = created {
            for folder in dir.ancestors() {
                if fs::remove_dir(folder).is_err() || folder == created {
                    break;
                }
            }
        }
    }
    result
}

/// Whether a temporary `.<name>.tmp-<pid>` belongs to a process that no longer runs.
fn temporary_is_stale(name: &str) -> bool {
    let Some((_, pid)) = name.rsplit_once(".tmp-") else {
        return false;
    };
    if pid == std::process::id().to_string() {
        return true;
    }
    // Without /proc we cannot tell: leave it (it is hidden and never read).
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_files_is_all_or_nothing() {
        let base = std::env::temp_dir().join(format!("downstream-out-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let dir = base.join("new");
        write_files(
            &dir,
            &[("a.csv", b"x\n".to_vec()), ("b.csv", b"y\n".to_vec())],
        )
        .unwrap();
        assert_eq!(fs::read(dir.join("a.csv")).unwrap(), b"x\n");
        // A name that cannot be created (a path through a file) fails and leaves nothing new.
        let bad = base.join("new/a.csv/sub");
        assert!(write_files(&bad, &[("c.csv", b"z\n".to_vec())]).is_err());
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            leftovers.len(),
            3,
            "two files and the marker: {leftovers:?}"
        );
        assert!(is_result_folder(&dir));
        // Nested folders that did not exist are all removed when writing is cancelled.
        let deep = base.join("x/y/z");
        let cancel = std::sync::atomic::AtomicBool::new(true);
        assert!(write_files_unless(&deep, &[("c.csv", b"z\n".to_vec())], &cancel).is_err());
        assert!(!base.join("x").exists());
        // A stale temporary of a killed run is cleaned up.
        fs::write(dir.join(".a.csv.tmp-99999999"), b"partial").unwrap();
        write_files(&dir, &[("a.csv", b"x2\n".to_vec())]).unwrap();
        assert!(!dir.join(".a.csv.tmp-99999999").exists());
        let other = base.join("other");
        fs::create_dir_all(&other).unwrap();
        fs::write(other.join("notes.txt"), b"mine").unwrap();
        assert!(!is_result_folder(&other));
        fs::remove_dir_all(&base).unwrap();
    }
}
