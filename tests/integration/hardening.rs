//! Hardening: interrupted runs, output safety, resource bounds, spreadsheet safety and
//! finite numbers.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{command, fresh_dir, long_run, ok, root, snapshot};

fn signal(child: &std::process::Child, sig: i32) {
    // SAFETY: kill(2) on the pid of a child we spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

#[test]
fn sigint_and_sigterm_stop_promptly_and_keep_previous_results() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let dir = fresh_dir("hardening", &format!("sig{sig}"));
        let out = dir.join("out");
        ok(&[
            "run",
            "scenarios/echo_2017_2021.toml",
            "--households",
            "500",
            "--trials",
            "2",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        let before = snapshot(&out);
        let mut child = long_run(&out);
        std::thread::sleep(Duration::from_millis(400));
        let sent = Instant::now();
        signal(&child, sig);
        let status = child.wait().unwrap();
        let took = sent.elapsed();
        assert_eq!(status.code(), Some(130), "signal {sig}");
        assert!(
            took < Duration::from_secs(1),
            "signal {sig}: stopped after {took:?}"
        );
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert_eq!(
            stderr,
            format!(
                "error: interrupted; no results were written: {} still holds its previous results\n",
                out.display()
            )
        );
        assert!(
            snapshot(&out) == before,
            "signal {sig}: previous results changed or temporaries left"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn sigkill_never_leaves_a_truncated_file_under_a_final_name() {
    let dir = fresh_dir("hardening", "kill");
    let reference = dir.join("reference");
    let args = [
        "run",
        "scenarios/echo_2017_2021.toml",
        "--households",
        "20000",
        "--trials",
        "30",
        "--quiet",
    ];
    ok(&[&args[..], &["--out", reference.to_str().unwrap()]].concat());
    let expected = snapshot(&reference);
    let out = dir.join("out");
    // Kill at many moments, from before the results exist to while they are being written.
    for delay_ms in [5u64, 20, 40, 60, 80, 100, 120, 150, 200, 300] {
        let mut child = command()
            .args(args)
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        signal(&child, libc::SIGKILL);
        let _ = child.wait();
        if out.exists() {
            for (name, bytes) in snapshot(&out) {
                if name.contains(".tmp-") {
                    continue; // a temporary: the next run removes it
                }
                let whole = expected.iter().find(|(n, _)| *n == name).map(|(_, b)| b);
                if name == "scenario.resolved.toml" {
                    continue; // its [run] table holds the wall time
                }
                assert_eq!(
                    Some(&bytes),
                    whole,
                    "{name} is not a whole result after SIGKILL at {delay_ms} ms"
                );
            }
        }
    }
    // The next run cleans up any temporaries and writes the same results.
    ok(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    let after = snapshot(&out);
    assert!(
        after.iter().all(|(n, _)| !n.contains(".tmp-")),
        "temporaries left: {after:?}"
    );
    for (name, bytes) in &expected {
        if name != "scenario.resolved.toml" {
            assert_eq!(
                Some(bytes),
                after.iter().find(|(n, _)| n == name).map(|(_, b)| b),
                "{name}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn large_requests_are_refused_before_any_work_with_an_estimate() {
    let dir = fresh_dir("hardening", "large");
    let out = dir.join("out");
    let started = Instant::now();
    let o = command()
        .args([
            "run",
            "scenarios/echo_2017_2021.toml",
            "--households",
            "1000000000",
            "--trials",
            "1000",
            "--threads",
            "2",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: this request is 6.00e13 household-months (1000000000 households x 60 months x 1000 trials x 1 run(s)): about 33.3 hours on 2 thread(s) and 20 MB of memory for the per-trial results; the limits are 1e12 household-months and 8 GB. Reduce --households or --trials, or pass --allow-large to run it anyway\n"
    );
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn foreign_folders_are_not_overwritten_without_force() {
    let dir = fresh_dir("hardening", "force");
    let out = dir.join("mine");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("thesis.docx"), b"precious").unwrap();
    let args = [
        "run",
        "scenarios/echo_2017_2021.toml",
        "--households",
        "300",
        "--trials",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = command().args(args).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "error: --out {}: the folder is not empty and was not written by downstream (no .downstream-output file); choose another folder or pass --force to write into it\n",
            out.display()
        )
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    ok(&[&args[..], &["--force"]].concat());
    assert_eq!(std::fs::read(out.join("thesis.docx")).unwrap(), b"precious");
    // Once it holds results, rerunning into it needs no --force.
    ok(&args);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_errors_exit_1_and_leave_nothing() {
    let dir = fresh_dir("hardening", "write");
    let file = dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    for out in [file.clone(), file.join("sub")] {
        let o = command()
            .args([
                "run",
                "scenarios/echo_2017_2021.toml",
                "--households",
                "300",
                "--trials",
                "1",
                "--quiet",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            String::from_utf8_lossy(&o.stderr)
                .starts_with(&format!("error: cannot write results to {}", out.display()))
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    if Path::new("/dev/full").exists() {
        // A full disk: writing the results fails, nothing is left behind.
        let o = command()
            .args([
                "run",
                "scenarios/echo_2017_2021.toml",
                "--households",
                "300",
                "--trials",
                "1",
                "--quiet",
                "--out",
                "/dev/full/out",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn csv_cells(path: &Path) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    r.records()
        .flat_map(|rec| rec.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn all_csvs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect()
}

#[test]
fn text_cells_cannot_become_formulas() {
    let dir = fresh_dir("hardening", "csv-injection");
    let evil = "=HYPERLINK(\"http://x\",\"y\")";
    let text = std::fs::read_to_string(root().join("scenarios/premium_5usd_2024.toml")).unwrap();
    let text = text
        .replacen("name = \"echo_dot\"", &format!("name = '{evil}'"), 1)
        .replacen(
            "name = \"Paid Alexa tier at $5/month from 2024-07\"",
            &format!("name = '{evil}'"),
            1,
        );
    assert!(text.contains(evil));
    // A file name cannot hold the `/` of the URL: a formula of its own.
    let evil_file = "=HYPERLINK(\"x\",\"y\").toml";
    let base = dir.join(evil_file);
    std::fs::write(&base, &text).unwrap();
    let out = dir.join("out");
    let common = ["--households", "500", "--trials", "2", "--quiet"];
    ok(&[
        &[
            "run",
            base.to_str().unwrap(),
            "--out",
            out.join("run").to_str().unwrap(),
        ][..],
        &common,
    ]
    .concat());
    // compare names scenarios by the path given: make it start with `=`.
    let o = command()
        .current_dir(&dir)
        .args(["compare", evil_file, evil_file, "--out", "cmp"])
        .args(common)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut seen_evil = false;
    for csv in all_csvs(&out.join("run"))
        .into_iter()
        .chain(all_csvs(&dir.join("cmp")))
    {
        for cell in csv_cells(&csv) {
            seen_evil |= cell.contains("HYPERLINK");
            if cell.parse::<f64>().is_ok() {
                continue; // a number, negative ones included
            }
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{}: dangerous text cell {cell:?}",
                csv.display()
            );
        }
    }
    assert!(seen_evil, "the hostile names should appear, neutralised");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_number_written_is_finite() {
    let dir = fresh_dir("hardening", "finite");
    for scenario in [
        "echo_2017_2021",
        "premium_5usd_2024",
        "alexa_plus_2025",
        "status_quo_2022_2028",
    ] {
        let out = dir.join(scenario);
        ok(&[
            "run",
            &format!("scenarios/{scenario}.toml"),
            "--households",
            "2000",
            "--trials",
            "3",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        for csv in all_csvs(&out) {
            for cell in csv_cells(&csv) {
                let lower = cell.to_ascii_lowercase();
                assert!(
                    !["nan", "inf", "-inf", "infinity", "-infinity"].contains(&lower.as_str()),
                    "{}: {cell}",
                    csv.display()
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
