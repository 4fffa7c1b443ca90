//! Memory does not grow with the number of households: the peak resident memory of a run
//! with 10,000,000 households is within 20% of one with 100,000 (one trial each).

use std::process::Command;

/// Largest peak resident set (KiB) of any child process waited for so far.
fn children_max_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a rusage struct into the pointer we pass.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: initialised by the successful call above.
    unsafe { usage.assume_init() }.ru_maxrss
}

fn run(households: u64, out: &std::path::Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_downstream"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "scenarios/echo_2017_2021.toml",
            "--trials",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .args(["--households", &households.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn peak_memory_does_not_grow_with_households() {
    let out = std::env::temp_dir().join(format!("downstream-memory-{}", std::process::id()));
    run(100_000, &out);
    let small = children_max_rss_kib();
    run(10_000_000, &out);
    let large = children_max_rss_kib(); // max over both runs
    let _ = std::fs::remove_dir_all(&out);
    eprintln!("peak RSS: 1e5 households {small} KiB, 1e7 households {large} KiB");
    assert!(
        large as f64 <= small as f64 * 1.2,
        "peak memory grew from {small} KiB (1e5 households) to {large} KiB (1e7 households)"
    );
}
