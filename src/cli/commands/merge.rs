//! `downstream merge`: joins the parts of a sharded job and writes what the unsharded
//! command would have written. Every part is checked before anything is written: a file
//! that is not a regular file, too large, damaged (checksums), or holding figures the job
//! cannot produce is refused with its name (exit 2).

use std::io::Read;
use std::path::Path;

use crate::cli::CliError;
use crate::cli::args::MergeArgs;
use crate::cli::options::thread_count;
use crate::cli::output::{Show, open_folder, publish};
use crate::cli::progress;
use crate::engine::TrialResult;
use crate::results::RunFacts;
use crate::results::folder::Access;
use crate::shard::{MAGIC, PartHeader};

/// The largest part file read (a part holds per-trial figures; 64 GiB is far beyond what
/// the memory budget of a run allows).
const MAX_PART_BYTES: u64 = 1 << 36;

/// Reads one part: a regular file (a link to one is followed), not larger than
/// [`MAX_PART_BYTES`], whose first bytes are the part magic, then all of it.
fn read_part(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file (a device, a pipe or a folder); refused".into());
    }
    if meta.len() > MAX_PART_BYTES {
        return Err(format!(
            "{} bytes is larger than any part file ({MAX_PART_BYTES} bytes at most)",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut limited = file.take(meta.len());
    let mut bytes = vec![0; MAGIC.len().min(meta.len() as usize)];
    limited
        .read_exact(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes != MAGIC.as_bytes() {
        return Err("not a downstream part file (or one of another version)".into());
    }
    limited
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    Ok(bytes)
}

type Part = (String, PartHeader, Vec<Vec<TrialResult>>);

/// Every `part-*.bin` of the folder, decoded, in name order.
fn parts(dir: &Path) -> Result<Vec<Part>, CliError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CliError::Input(format!(
            "{}: cannot read the folder: {e}",
            crate::format::path(dir)
        ))
    })?;
    let mut parts = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !crate::shard::is_part_name(&name) {
            continue;
        }
        let path = e.path();
        let refused =
            |why: String| CliError::Input(format!("{}: {why}", crate::format::path(&path)));
        let bytes = read_part(&path).map_err(refused)?;
        let (header, trials) = crate::shard::decode(&bytes).map_err(refused)?;
        parts.push((name, header, trials));
    }
    parts.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(parts)
}

pub(in crate::cli) fn merge(args: &MergeArgs) -> Result<(), CliError> {
    let parts = parts(&args.parts)?;
    let in_parts =
        |why: String| CliError::Input(format!("{}: {why}", crate::format::path(&args.parts)));
    if let Some((_, h, _)) = parts.first()
        && h.tool_version != env!("CARGO_PKG_VERSION")
    {
        return Err(in_parts(format!(
            "the parts were written by downstream {}, this is {}",
            h.tool_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let plan = match parts.first() {
        Some((_, h, _)) => h.job.plan()?,
        None => return Err(in_parts("no part files (part-I-of-N.bin) found".into())),
    };
    for (name, _, trials) in &parts {
        plan.check_part(trials).map_err(|why| {
            CliError::Input(format!(
                "{}: {why}",
                crate::format::path(&args.parts.join(name))
            ))
        })?;
    }
    // The simulation's time: the sum of the parts' (the merge itself takes a moment).
    let wall: f64 = parts.iter().map(|(_, h, _)| h.wall_seconds).sum();
    let (header, trials) = crate::shard::join(parts).map_err(in_parts)?;
    let simulated = plan.from_parts(trials).map_err(in_parts)?;
    let mut folder = open_folder(&args.out, Access::Replace, args.force)?;
    progress::handle_interrupts();
    let threads = thread_count(args.threads)?;
    let facts = RunFacts::new(plan.scenario(), threads, wall);
    let results = plan.results(simulated, facts)?;
    let show = Show {
        format: args.output.format,
        report: false,
        xlsx: false,
        top: header.top,
    };
    publish(&results, &mut folder, &show)?;
    super::backtest::verdict(&results)
}
