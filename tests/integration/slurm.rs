//! A sharded run on a real Slurm cluster: scripts/slurm/local-cluster.sh starts munged,
//! slurmctld and two slurmd nodes on this host, scripts/slurm/submit.sh submits a 3-task
//! array job and the dependent merge, and the merged files must be the unsharded run's
//! byte for byte. A second job in which one task fails (DOWNSTREAM_FAIL_TASK=1, honoured
//! by downstream-array.sbatch for testing) must leave no merged output: its merge job is
//! cancelled. The cluster is always stopped (a guard), so no daemon outlives the test.
//!
//! Skipped, with a message, when Slurm and munge are not installed (`apt-get install
//! slurmctld slurmd slurm-client munge`; .ci/run installs them when it runs as root).
//! Needs root. The facts behind the cluster set-up: shared/notes/slurm-local.md.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{BIN, command, root, temp_dir};

const SCENARIO: &str = "scenarios/premium_5usd_2024.toml";
const SIZES: [&str; 7] = [
    "--households",
    "4000",
    "--trials",
    "9",
    "--seed",
    "5",
    "--quiet",
];
const RESULT_CSVS: [&str; 4] = ["summary.csv", "monthly.csv", "yearly.csv", "trials.csv"];
const POLL_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether an executable of this name is on PATH or in the sbin folders (not on every
/// user's PATH).
fn installed(name: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .any(|d| {
            std::fs::metadata(d.join(name))
                .map(|m| m.is_file())
                .unwrap_or(false)
        })
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A base port with it and the next two free (slurmctld, n1, n2), away from Slurm's
/// defaults so that a real cluster on the machine is not disturbed.
fn free_ports() -> u16 {
    let start = 20000 + (std::process::id() % 1000) as u16 * 10;
    (0..200u16)
        .map(|i| start + i * 3)
        .find(|&p| (p..p + 3).all(|q| TcpListener::bind(("0.0.0.0", q)).is_ok()))
        .expect("three free ports")
}

/// The running cluster; stopping it is never skipped (Drop runs on panics too).
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
}

impl Cluster {
    fn script() -> PathBuf {
        root().join("scripts/slurm/local-cluster.sh")
    }

    fn start(dir: &Path) -> Cluster {
        // The guard exists before the start so that even a half-started cluster is stopped.
        let cluster = Cluster {
            dir: dir.to_path_buf(),
            conf: dir.join("slurm.conf"),
        };
        let out = Command::new("bash")
            .arg(Self::script())
            .arg("start")
            .arg(dir)
            .env("SLURM_LOCAL_PORT", free_ports().to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "local-cluster.sh start failed:\n{}",
            text(&out)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("export SLURM_CONF={}", cluster.conf.display())),
            "unexpected output of local-cluster.sh start:\n{}",
            text(&out)
        );
        cluster
    }

    /// A Slurm command (or script using one) pointed at this cluster.
    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn stop(&self) -> Output {
        Command::new("bash")
            .arg(Self::script())
            .arg("stop")
            .arg(&self.dir)
            .output()
            .unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let out = self.stop();
        if !out.status.success() {
            eprintln!("local-cluster.sh stop failed:\n{}", text(&out));
        }
    }
}

/// (array job, merge job) from submit.sh's stdout.
fn job_ids(out: &Output) -> (String, String) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let get = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in submit.sh's output:\n{}", text(out)))
            .trim()
            .to_string()
    };
    (get("ARRAY_JOB="), get("MERGE_JOB="))
}

/// Everything that tells why a job did not do what it should.
fn diagnostics(cluster: &Cluster, work: &Path, jobs: &str) -> String {
    let mut s = String::new();
    for args in [
        vec!["squeue", "-a"],
        vec!["sinfo", "-N"],
        vec!["scontrol", "-o", "show", "job"],
    ] {
        if let Ok(o) = cluster.cmd(args[0]).args(&args[1..]).output() {
            s += &format!("$ {}\n{}\n", args.join(" "), text(&o));
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(work)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "out"))
        .collect();
    files.extend(
        std::fs::read_dir(cluster.dir.join("log"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path()),
    );
    files.sort();
    for f in files {
        let body = std::fs::read_to_string(&f).unwrap_or_default();
        let tail: Vec<&str> = body.lines().rev().take(30).collect();
        s += &format!("---- {} (last lines)\n", f.display());
        for l in tail.into_iter().rev() {
            s += l;
            s += "\n";
        }
    }
    format!("jobs {jobs}\n{s}")
}

/// Polls `squeue -h -j JOBS` until none of the jobs is queued or running.
fn wait_for(cluster: &Cluster, work: &Path, jobs: &str) {
    let started = Instant::now();
    loop {
        let o = cluster
            .cmd("squeue")
            .args(["-h", "-j", jobs])
            .output()
            .unwrap();
        if o.status.success() && o.stdout.iter().all(|b| b.is_ascii_whitespace()) {
            return;
        }
        if started.elapsed() > POLL_TIMEOUT {
            panic!(
                "jobs still queued or running after {POLL_TIMEOUT:?}:\n{}\n{}",
                text(&o),
                diagnostics(cluster, work, jobs)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn submit(
    cluster: &Cluster,
    work: &Path,
    parts: &str,
    out: &str,
    fail_task: Option<u32>,
) -> Output {
    let mut c = cluster.cmd("bash");
    c.current_dir(work)
        .arg(root().join("scripts/slurm/submit.sh"))
        .args(["3", parts, out, "--", "run"])
        .arg(root().join(SCENARIO))
        .args(SIZES)
        .env("DOWNSTREAM", BIN)
        // The test nodes have one CPU each; the script's default is 2.
        .env("SBATCH_OPTS", "--cpus-per-task=1 --time=5")
        .env_remove("DOWNSTREAM_FAIL_TASK");
    if let Some(t) = fail_task {
        c.env("DOWNSTREAM_FAIL_TASK", t.to_string());
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "submit.sh failed:\n{}", text(&o));
    o
}

/// scenario.resolved.toml without the lines that may differ between a run and a merge.
fn resolved_without_run_facts(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("scenario.resolved.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("threads =") && !l.starts_with("wall_seconds ="))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn sharded_run_on_a_real_slurm_cluster_merges_to_the_unsharded_files() {
    let missing: Vec<&str> = ["slurmctld", "slurmd", "sbatch", "munged"]
        .into_iter()
        .filter(|n| !installed(n))
        .collect();
    if !missing.is_empty() {
        let msg = format!(
            "SKIPPED tests/integration/slurm.rs: {} not installed; install with `apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge` (.ci/run does this when it runs as root)",
            missing.join(", ")
        );
        // Straight to stderr: the test harness captures println!/eprintln! of passing tests.
        let _ = writeln!(std::io::stderr(), "{msg}");
        return;
    }
    let started = Instant::now();
    let work = temp_dir("slurm", "work");
    std::fs::create_dir_all(&work).unwrap();

    let cluster = Cluster::start(&work.join("cluster"));

    // A good job and one whose task 1 fails, queued together on the two nodes.
    let good = submit(&cluster, &work, "parts", "merged", None);
    let bad = submit(&cluster, &work, "parts-bad", "merged-bad", Some(1));
    let (good_array, good_merge) = job_ids(&good);
    let (bad_array, bad_merge) = job_ids(&bad);
    let jobs = [&good_array, &good_merge, &bad_array, &bad_merge]
        .map(|s| s.as_str())
        .join(",");

    // The reference, unsharded, while the cluster works.
    let reference = work.join("reference");
    let o = command()
        .args(["run", SCENARIO, "--out"])
        .arg(&reference)
        .args(SIZES)
        .output()
        .unwrap();
    assert!(o.status.success(), "unsharded run failed:\n{}", text(&o));

    wait_for(&cluster, &work, &jobs);

    // The good job: three parts, no private task folders left, merged files identical.
    let merged = work.join("merged");
    let mut parts: Vec<String> = std::fs::read_dir(work.join("parts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    parts.sort();
    assert_eq!(
        parts,
        ["part-0-of-3.bin", "part-1-of-3.bin", "part-2-of-3.bin"],
        "{}",
        diagnostics(&cluster, &work, &jobs)
    );
    for f in RESULT_CSVS {
        let a = std::fs::read(reference.join(f)).unwrap();
        let b = std::fs::read(merged.join(f)).unwrap_or_else(|e| {
            panic!(
                "merged {f} missing ({e}):\n{}",
                diagnostics(&cluster, &work, &jobs)
            )
        });
        assert!(a == b, "merged {f} differs from the unsharded run's");
    }
    assert_eq!(
        resolved_without_run_facts(&merged),
        resolved_without_run_facts(&reference),
        "scenario.resolved.toml differs beyond threads/wall_seconds"
    );
    let merge_log =
        std::fs::read_to_string(work.join(format!("slurm-downstream-merge-{good_merge}.out")))
            .unwrap_or_default();
    assert!(merge_log.contains("wrote "), "merge job log:\n{merge_log}");

    // The failing job: task 1 wrote nothing, the merge never ran, nothing was merged.
    assert!(
        !work.join("merged-bad").exists(),
        "the merge of a job with a failed task wrote output:\n{}",
        diagnostics(&cluster, &work, &jobs)
    );
    let bad_parts = work.join("parts-bad");
    assert!(bad_parts.join("part-0-of-3.bin").exists());
    assert!(!bad_parts.join("part-1-of-3.bin").exists());
    assert!(bad_parts.join("part-2-of-3.bin").exists());
    let task_log =
        std::fs::read_to_string(work.join(format!("slurm-downstream-{bad_array}_1.out")))
            .unwrap_or_default();
    assert!(
        task_log.contains("DOWNSTREAM_FAIL_TASK"),
        "log of the failing task:\n{task_log}"
    );
    assert!(
        !work
            .join(format!("slurm-downstream-merge-{bad_merge}.out"))
            .exists(),
        "the merge job of the failed array ran"
    );
    // The job state agrees (read while the controller keeps it, MinJobAge).
    let o = cluster
        .cmd("scontrol")
        .args(["-o", "show", "job", &bad_merge])
        .output()
        .unwrap();
    let state = String::from_utf8_lossy(&o.stdout);
    assert!(
        state.contains("JobState=CANCELLED"),
        "merge job of the failed array:\n{}",
        text(&o)
    );
    // And merging those parts by hand names the missing one.
    let o = command()
        .arg("merge")
        .arg(&bad_parts)
        .arg("--out")
        .arg(work.join("merged-by-hand"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("shard 1 of 3"),
        "{}",
        text(&o)
    );
    assert!(!work.join("merged-by-hand").exists());

    // Stop now (Drop would too) and check that nothing of the cluster is left.
    let o = cluster.stop();
    assert!(
        o.status.success(),
        "local-cluster.sh stop failed:\n{}",
        text(&o)
    );
    for pidfile in [
        "run/slurmctld.pid",
        "run/slurmd.n1.pid",
        "run/slurmd.n2.pid",
        "munge/munged.pid",
    ] {
        let Ok(pid) = std::fs::read_to_string(cluster.dir.join(pidfile)) else {
            continue;
        };
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap_or_default();
        let running = status
            .lines()
            .any(|l| l.starts_with("State:") && !l.contains("Z (zombie)"));
        let exe = std::fs::read_link(format!("/proc/{}/exe", pid.trim())).ok();
        let ours = exe.is_some_and(|e| {
            let n = e
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            n.starts_with("slurm") || n.starts_with("munge")
        });
        assert!(
            !(running && ours),
            "{pidfile} ({}) still running after stop",
            pid.trim()
        );
    }
    drop(cluster);
    let _ = std::fs::remove_dir_all(&work);
    let _ = writeln!(
        std::io::stderr(),
        "tests/integration/slurm.rs: sharded run on a local Slurm cluster checked in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
