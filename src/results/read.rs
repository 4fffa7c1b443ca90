//! Reading a results folder back into typed [`Results`](super::Results), for
//! `downstream report DIR`.

use std::fs;
use std::path::Path;

use anyhow::{Result, bail};

use super::files::FolderKind;

/// Tells the kind of a result folder from the files present. Should a reused folder hold
/// the files of several commands, the most recently written one counts.
pub fn kind(dir: &Path) -> Result<FolderKind> {
    if !dir.is_dir() {
        bail!("{}: not a folder", dir.display());
    }
    let mut best: Option<(FolderKind, std::time::SystemTime)> = None;
    for (kind, file) in FolderKind::SIGNATURES {
        let Ok(meta) = fs::metadata(dir.join(file)) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let time = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        if best.is_none_or(|(_, t)| time > t) {
            best = Some((kind, time));
        }
    }
    match best {
        Some((kind, _)) => Ok(kind),
        None => bail!(
            "{}: not a result folder of run, sweep, compare or sensitivity (no summary.csv, sweep.csv, compare.csv or tornado.csv)",
            dir.display()
        ),
    }
}
