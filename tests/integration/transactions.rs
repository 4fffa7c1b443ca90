//! Result folders are published as one transaction: after a kill or an interrupt at any
//! moment the folder holds every file of the previous result or every file of the new
//! one; a rerun leaves no stale file of an earlier one; a second writer is refused.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{BIN, TempDir, command, downstream, long_run, ok, root, snapshot};

fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(n, _)| n.as_str()).collect()
}

/// Files that record the wall time, and so differ between two runs of the same job.
fn timed(name: &str) -> bool {
    matches!(
        name,
        "scenario.resolved.toml" | "report.html" | "results.xlsx"
    )
}

/// Whether `now` is the whole result `of`: the same files, the untimed ones byte for byte.
fn is_whole(now: &[(String, Vec<u8>)], of: &[(String, Vec<u8>)]) -> bool {
    names(now) == names(of)
        && now
            .iter()
            .zip(of)
            .all(|((n, a), (_, b))| timed(n) || a == b)
}

/// A small run of the $5 scenario with `seed`, into `out`.
fn small_run(seed: &str, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "run",
        "scenarios/echo_2017_2021.toml",
        "--households",
        "300",
        "--trials",
        "3",
        "--quiet",
        "--seed",
        seed,
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(out.to_str().unwrap().into());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Whether strace is installed and may trace here (ptrace can be forbidden in containers).
/// Runs the binary with `args`.
fn run_with(args: &[String]) -> std::process::Output {
    downstream(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Runs the binary with `args`, asserts it succeeded, and returns its stdout.
fn ok_with(args: &[String]) -> String {
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn strace_available() -> bool {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn restore(out: &Path, files: &[(String, Vec<u8>)]) {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).unwrap();
    for (n, b) in files {
        std::fs::write(out.join(n), b).unwrap();
    }
}

/// The binary under strace, `inject` naming the syscalls and the signal.
fn traced(args: &[String], inject: &str) -> std::process::Output {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("inject={inject}"))
        .arg(BIN)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

#[test]
fn a_kill_at_any_rename_leaves_one_whole_result() {
    if !strace_available() {
        eprintln!(
            "SKIPPED transactions::a_kill_at_any_rename_leaves_one_whole_result: strace is not installed"
        );
        return;
    }
    let tmp = TempDir::new("transactions", "kill");
    let (out, reference) = (tmp.join("out"), tmp.join("reference"));
    // The previous result has a workbook; the new one has a report and no workbook.
    ok_with(&small_run("1", &out, &["--xlsx"]));
    let previous = snapshot(&out);
    let new_args = small_run("2", &out, &["--report"]);
    ok_with(&small_run("2", &reference, &["--report"]));
    let new = snapshot(&reference);
    let mut completed = false;
    for when in 1..40 {
        restore(&out, &previous);
        let o = traced(
            &new_args,
            &format!("rename,renameat,renameat2:signal=SIGKILL:when={when}"),
        );
        let now = snapshot(&out);
        if o.status.success() {
            assert!(is_whole(&now, &new), "completed run: {:?}", names(&now));
            completed = true;
            break;
        }
        assert!(
            now == previous || is_whole(&now, &new),
            "killed at rename {when}: the folder mixes results: {:?}",
            names(&now)
        );
    }
    assert!(completed, "the run never completed under strace");
    // A killed publish's staging folder beside the target is removed by the next one.
    ok_with(&new_args);
    let beside: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        beside.iter().all(|n| !n.starts_with('.')),
        "left beside the folder: {beside:?}"
    );
}

#[test]
fn an_interrupt_while_reports_are_built_keeps_the_previous_result() {
    if !strace_available() {
        eprintln!(
            "SKIPPED transactions::an_interrupt_while_reports_are_built_keeps_the_previous_result: strace is not installed or cannot trace here"
        );
        return;
    }
    let tmp = TempDir::new("transactions", "interrupt");
    let out = tmp.join("out");
    ok_with(&small_run("1", &out, &[]));
    let previous = snapshot(&out);
    // SIGINT when the staging folder is created: every file, reports included, is built by
    // then, and nothing has been published.
    let args = small_run("2", &out, &["--report", "--xlsx"]);
    let mkdirs = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=mkdir,mkdirat",
            "-o",
            "/dev/stdout",
        ])
        .arg(BIN)
        .args(small_run("3", &tmp.join("probe"), &["--report", "--xlsx"]))
        .current_dir(root())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let calls = String::from_utf8_lossy(&mkdirs.stdout).into_owned();
    let when = calls
        .lines()
        .position(|l| l.contains(".staging-"))
        .expect("a staging folder is created")
        + 1;
    let o = traced(&args, &format!("mkdir,mkdirat:signal=SIGINT:when={when}"));
    assert_eq!(o.status.code(), Some(130));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "error: interrupted; no results were written: {} still holds its previous results\n",
            out.display()
        )
    );
    assert!(snapshot(&out) == previous, "the previous result changed");
    // Into a new folder: nothing is left at all.
    let fresh = tmp.join("fresh");
    let o = traced(
        &small_run("2", &fresh, &["--report"]),
        &format!("mkdir,mkdirat:signal=SIGINT:when={when}"),
    );
    assert_eq!(o.status.code(), Some(130));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: interrupted; no results were written\n"
    );
    assert!(!fresh.exists());
}

#[test]
fn a_rerun_leaves_no_file_of_an_earlier_result() {
    let tmp = TempDir::new("transactions", "stale");
    let out = tmp.join("out");
    ok_with(&small_run("1", &out, &["--report", "--xlsx"]));
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    // Leftovers of killed writers: a temporary inside, a staging folder beside.
    std::fs::write(out.join(".report.html.tmp-99999999"), b"partial").unwrap();
    std::fs::create_dir(tmp.join(".out.staging-99999999")).unwrap();
    ok_with(&small_run("2", &out, &[]));
    let now = snapshot(&out);
    assert_eq!(
        names(&now),
        [
            ".downstream-output",
            "monthly.csv",
            "notes.txt",
            "scenario.resolved.toml",
            "summary.csv",
            "trials.csv",
            "yearly.csv"
        ],
        "the old report and workbook describe other figures; the user's notes stay"
    );
    assert!(!tmp.join(".out.staging-99999999").exists());
    // A sweep into the same folder replaces the run's files: one result per folder.
    ok(&[
        "sweep",
        "scenarios/premium_5usd_2024.toml",
        "--vary",
        "premium.price_month=3,5",
        "--households",
        "200",
        "--trials",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let now = snapshot(&out);
    assert!(!names(&now).contains(&"summary.csv"), "{:?}", names(&now));
    assert!(names(&now).contains(&"notes.txt"));
    // `report` adds a report and keeps the result.
    ok(&["report", out.to_str().unwrap()]);
    let with_report = snapshot(&out);
    assert!(names(&with_report).contains(&"report.html"));
    assert!(now.iter().all(|f| with_report.contains(f)));
}

#[test]
fn a_folder_of_foreign_temporaries_is_not_a_result_folder() {
    let tmp = TempDir::new("transactions", "foreign");
    let out = tmp.join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join(".bashrc.tmp-12345"), b"mine").unwrap();
    let o = run_with(&small_run("1", &out, &[]));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "error: --out {}: the folder is not empty and was not written by downstream (no .downstream-output file); choose another folder or pass --force to write into it\n",
            out.display()
        )
    );
    assert_eq!(snapshot(&out).len(), 1);
    // A folder holding a folder is never replaced whole, even when forced.
    std::fs::create_dir(out.join("plots")).unwrap();
    let args = small_run("1", &out, &["--force"]);
    let o = run_with(&args);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "error: --out {}: it holds a folder (plots); a result folder is replaced whole when results are written, so it may hold only files: choose a folder of its own\n",
            out.display()
        )
    );
}

/// Whether another process holds a lock on the folder.
fn locked(dir: &Path) -> bool {
    std::fs::File::open(dir)
        .is_ok_and(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)))
}

#[test]
fn a_second_writer_is_refused_while_the_first_runs() {
    let tmp = TempDir::new("transactions", "concurrent");
    let out = tmp.join("out");
    let mut first = long_run(&out);
    let started = Instant::now();
    while !locked(&out) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the first run never locked the folder"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let busy = format!(
        "error: --out {}: another downstream process is writing to this folder; wait for it to finish or choose another folder\n",
        out.display()
    );
    let second = small_run("2", &out, &[]);
    let o = run_with(&second);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr), busy);
    // A shard of another job is refused as well.
    let mut shard = second.clone();
    shard.extend(["--shard".into(), "0/2".into()]);
    let o = run_with(&shard);
    assert_eq!(String::from_utf8_lossy(&o.stderr), busy);
    // SAFETY: kill(2) on the pid of a child we spawned.
    assert_eq!(unsafe { libc::kill(first.id() as i32, libc::SIGINT) }, 0);
    assert_eq!(first.wait().unwrap().code(), Some(130));
    assert!(
        !out.exists(),
        "the interrupted first run created the folder and removes it"
    );
    // Shards of one job write into one folder at the same time.
    let shards: Vec<_> = (0..2)
        .map(|i| {
            let mut a = small_run("2", &out, &[]);
            a.extend(["--shard".into(), format!("{i}/2")]);
            command().args(&a).stdout(Stdio::null()).spawn().unwrap()
        })
        .collect();
    for mut s in shards {
        assert!(s.wait().unwrap().success());
    }
    let merged = tmp.join("merged");
    ok(&[
        "merge",
        out.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
}
