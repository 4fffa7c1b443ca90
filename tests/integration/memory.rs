//! Memory does not grow with the number of households: the peak resident memory of a run
//! with 10,000,000 households is within 20% of one with 100,000 (one trial each).
//!
//! Each run's peak is read from wait4(2) for that child alone: the other modules of this
//! test binary start children of their own at the same time, so getrusage(RUSAGE_CHILDREN),
//! the largest peak of any child waited for, would mix theirs in.

use std::process::Stdio;

use crate::common::{command, temp_dir};

/// Runs one trial of the baseline and returns the run's peak resident set (KiB).
fn peak_rss_kib(households: u64, out: &std::path::Path) -> i64 {
    let child = command()
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
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    // Reaped here, by pid, not through `Child::wait`, to get this child's own rusage.
    drop(child);
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 on the pid of the child we spawned and have not waited for; it writes
    // the status and a rusage struct into the pointers we pass.
    let rc = loop {
        let rc = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
        if rc == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break rc;
    };
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "downstream run --households {households} failed (wait status {status})"
    );
    // SAFETY: initialised by the successful call above.
    unsafe { usage.assume_init() }.ru_maxrss
}

#[test]
fn peak_memory_does_not_grow_with_households() {
    let out = temp_dir("memory", "out");
    let small = peak_rss_kib(100_000, &out);
    let large = peak_rss_kib(10_000_000, &out);
    let _ = std::fs::remove_dir_all(&out);
    eprintln!("peak RSS: 1e5 households {small} KiB, 1e7 households {large} KiB");
    assert!(
        large as f64 <= small as f64 * 1.2,
        "peak memory grew from {small} KiB (1e5 households) to {large} KiB (1e7 households)"
    );
}
