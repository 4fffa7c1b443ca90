//! `merge` never publishes a silently wrong result: a part with any bit flipped, a crafted
//! header, a file that is not a part (a device, a pipe, an empty file) or parts whose paths
//! were spelled differently are handled with exit status 2, the part's name and nothing
//! written — or, for the same contents, merged.

use std::path::{Path, PathBuf};

use crate::common::{downstream, fresh_dir, ok};

const SCENARIO: &str = "scenarios/premium_5usd_2024.toml";

/// Shard `i` of 2 of a small run of `scenario` (as spelled), into `parts`.
fn shard(scenario: &str, i: u64, parts: &Path) {
    ok(&[
        "run",
        scenario,
        "--households",
        "200",
        "--trials",
        "4",
        "--quiet",
        "--shard",
        &format!("{i}/2"),
        "--out",
        parts.to_str().unwrap(),
    ]);
}

/// Two shards of a small run in `dir/parts`.
fn two_parts(dir: &Path) -> PathBuf {
    let parts = dir.join("parts");
    for i in 0..2 {
        shard(SCENARIO, i, &parts);
    }
    parts
}

/// Merges `parts` into `out`; asserts it succeeded.
fn merged(parts: &Path, out: &Path) {
    ok(&[
        "merge",
        parts.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
}

/// Merges `parts` into `dir/out`; asserts it was refused (exit 2, the message names
/// `what`) and that nothing was written.
fn refused(parts: &Path, out: &Path, what: &str) -> String {
    let o = downstream(&[
        "merge",
        parts.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(what), "{stderr}");
    assert!(!out.exists(), "something was written: {stderr}");
    stderr
}

#[test]
fn every_flipped_bit_of_a_part_is_refused() {
    let dir = fresh_dir("parts", "flip");
    let parts = two_parts(&dir);
    let part = parts.join("part-1-of-2.bin");
    let good = std::fs::read(&part).unwrap();
    // Bits all over the file: the magic, the header (and its scenario text), the results
    // (per-trial scalars, monthly figures, draws) and the checksums; about 60 positions.
    let step = (good.len() / 60).max(1);
    for at in (0..good.len()).step_by(step).chain([good.len() - 1]) {
        for bit in [0u8, 5] {
            let mut bad = good.clone();
            bad[at] ^= 1 << bit;
            std::fs::write(&part, &bad).unwrap();
            refused(&parts, &dir.join("out"), "part-1-of-2.bin");
        }
    }
    std::fs::write(&part, &good).unwrap();
    merged(&parts, &dir.join("out"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn files_that_are_not_parts_are_refused_without_reading_them() {
    let dir = fresh_dir("parts", "hostile");
    let parts = two_parts(&dir);
    let part = parts.join("part-1-of-2.bin");
    // A link to an endless device, a pipe nobody writes, an empty file, a truncated part.
    std::fs::remove_file(&part).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &part).unwrap();
    refused(&parts, &dir.join("out"), "not a regular file");
    std::fs::remove_file(&part).unwrap();
    let fifo = std::ffi::CString::new(part.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a path we own; no memory is shared.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    refused(&parts, &dir.join("out"), "not a regular file");
    std::fs::remove_file(&part).unwrap();
    std::fs::write(&part, b"").unwrap();
    refused(&parts, &dir.join("out"), "not a downstream part file");
    std::fs::write(&part, b"downstream-part 3\n\x05\x00").unwrap();
    refused(&parts, &dir.join("out"), "truncated");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn parts_of_one_job_merge_whatever_the_spelling_of_its_path() {
    let dir = fresh_dir("parts", "spelling");
    let parts = dir.join("parts");
    for (i, path) in [SCENARIO, "./scenarios/premium_5usd_2024.toml"]
        .iter()
        .enumerate()
    {
        shard(path, i as u64, &parts);
    }
    merged(&parts, &dir.join("out"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn more_shards_than_trials_are_refused() {
    let dir = fresh_dir("parts", "too-many");
    for shard in ["0/18446744073709551615", "0/5"] {
        let o = downstream(&[
            "run",
            SCENARIO,
            "--households",
            "10",
            "--trials",
            "4",
            "--quiet",
            "--shard",
            shard,
            "--out",
            dir.join("p").to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("is more than the 4 trials"), "{stderr}");
    }
    assert!(!dir.join("p").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
