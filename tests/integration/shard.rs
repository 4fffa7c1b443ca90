//! Sharded runs merge to exactly the unsharded results, for run, sweep and compare, with
//! any shard count; merge refuses incomplete or mixed sets of parts.

use std::path::Path;

use crate::common::{command, downstream, fresh_dir, ok};

/// Every output file, with the run facts that legitimately differ removed.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let mut bytes = std::fs::read(e.path()).unwrap();
            if name.ends_with(".toml") {
                let text = String::from_utf8(bytes).unwrap();
                bytes = text
                    .lines()
                    .filter(|l| !l.starts_with("threads =") && !l.starts_with("wall_seconds ="))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .into_bytes();
            }
            (name, bytes)
        })
        .collect();
    out.sort();
    out
}

fn check_sharded_equals_whole(name: &str, command: &[&str]) {
    let dir = fresh_dir("shard", name);
    let whole = dir.join("whole");
    ok(&[command, &["--out", whole.to_str().unwrap()]].concat());
    let expected = files(&whole);
    assert!(expected.len() >= 2);
    for count in [1u64, 3, 7] {
        let parts = dir.join(format!("parts-{count}"));
        for i in 0..count {
            let shard = format!("{i}/{count}");
            ok(&[
                command,
                &["--out", parts.to_str().unwrap(), "--shard", &shard],
            ]
            .concat());
        }
        let merged = dir.join(format!("merged-{count}"));
        ok(&[
            "merge",
            parts.to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ]);
        let got = files(&merged);
        assert_eq!(got.len(), expected.len(), "{name}, {count} shards");
        for ((n1, b1), (n2, b2)) in got.iter().zip(&expected) {
            assert_eq!(n1, n2);
            assert!(
                b1 == b2,
                "{name}, {count} shards: {n1} differs from the unsharded run"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const SMALL: [&str; 7] = [
    "--households",
    "3000",
    "--trials",
    "7",
    "--seed",
    "11",
    "--quiet",
];

#[test]
fn sharded_run_merges_to_the_whole_run() {
    check_sharded_equals_whole(
        "run",
        &[&["run", "scenarios/premium_5usd_2024.toml"][..], &SMALL].concat(),
    );
}

#[test]
fn sharded_latin_hypercube_and_correlated_runs_merge_to_the_whole_run() {
    // `--sampling lhs` on the command line travels in the part files to `merge`.
    check_sharded_equals_whole(
        "run-lhs",
        &[
            &[
                "run",
                "scenarios/premium_5usd_2024.toml",
                "--sampling",
                "lhs",
            ][..],
            &SMALL,
        ]
        .concat(),
    );
    // Iman–Conover and Latin hypercube from the file, over more than one design block.
    check_sharded_equals_whole(
        "run-correlated",
        &[
            "run",
            "tests/fixtures/correlated.toml",
            "--households",
            "200",
            "--trials",
            "230",
            "--quiet",
        ],
    );
}

#[test]
fn sharded_sensitivity_merges_to_the_whole_sensitivity() {
    check_sharded_equals_whole(
        "sensitivity",
        &[
            &[
                "sensitivity",
                "scenarios/premium_5usd_2024.toml",
                "--by",
                "year",
                "--metric",
                "net_claimed",
            ][..],
            &SMALL,
        ]
        .concat(),
    );
}

#[test]
fn sharded_sweep_merges_to_the_whole_sweep() {
    check_sharded_equals_whole(
        "sweep",
        &[
            &[
                "sweep",
                "scenarios/premium_5usd_2024.toml",
                "--vary",
                "premium.price_month=2,5,9",
            ][..],
            &SMALL,
        ]
        .concat(),
    );
}

#[test]
fn sharded_compare_merges_to_the_whole_compare() {
    check_sharded_equals_whole(
        "compare",
        &[
            &[
                "compare",
                "scenarios/status_quo_2022_2028.toml",
                "scenarios/premium_5usd_2024.toml",
            ][..],
            &SMALL,
        ]
        .concat(),
    );
}

#[test]
fn sharded_compare_of_different_horizons_merges_to_the_whole_compare() {
    check_sharded_equals_whole(
        "compare_horizons",
        &[
            &[
                "compare",
                "scenarios/status_quo_2022_2028.toml",
                "scenarios/alexa_plus_2025.toml",
            ][..],
            &SMALL,
        ]
        .concat(),
    );
}

#[test]
fn merge_refuses_incomplete_and_mixed_parts() {
    let dir = fresh_dir("shard", "refuse");
    let parts = dir.join("parts");
    let p = parts.to_str().unwrap();
    let run = |shard: &str, seed: &str| {
        ok(&[
            "run",
            "scenarios/echo_2017_2021.toml",
            "--households",
            "500",
            "--trials",
            "4",
            "--seed",
            seed,
            "--quiet",
            "--out",
            p,
            "--shard",
            shard,
        ]);
    };
    run("0/3", "1");
    run("2/3", "1");
    let out = downstream(&["merge", p, "--out", dir.join("m").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: {p}: missing part(s) for shard 1 of 3\n")
    );
    run("1/3", "2");
    let out = downstream(&["merge", p, "--out", dir.join("m").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: {p}: part-1-of-3.bin is not from the same job as part-0-of-3.bin: seed 2 vs 1\n"
        )
    );
    assert!(!dir.join("m").exists());
    // A retried (duplicated) task overwrites its own part atomically: no harm.
    run("1/3", "1");
    run("1/3", "1");
    ok(&["merge", p, "--out", dir.join("m").to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small run into `parts` with an array-job engine's variables set.
fn run_with_env(vars: &[(&str, &str)], parts: &Path) -> std::process::Output {
    command()
        .envs(vars.iter().copied())
        .args([
            "run",
            "scenarios/echo_2017_2021.toml",
            "--households",
            "500",
            "--trials",
            "4",
            "--quiet",
            "--out",
        ])
        .arg(parts)
        .output()
        .unwrap()
}

#[test]
fn shards_come_from_the_array_job_environment() {
    let dir = fresh_dir("shard", "env");
    let parts = dir.join("parts");
    for (vars, file) in [
        (
            vec![
                ("SLURM_ARRAY_TASK_ID", "3"),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
            ],
            "part-1-of-2.bin",
        ),
        (
            vec![
                ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "2"),
            ],
            "part-0-of-2.bin",
        ),
    ] {
        let out = run_with_env(&vars, &parts);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(parts.join(file).exists(), "{file}");
    }
    ok(&[
        "merge",
        parts.to_str().unwrap(),
        "--out",
        dir.join("m").to_str().unwrap(),
    ]);
    let out = run_with_env(&[("JOB_COMPLETION_INDEX", "1")], &parts);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shard-count"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shards_writing_into_one_folder_at_once_all_land() {
    let dir = fresh_dir("shard", "concurrent");
    for attempt in 0..5 {
        let parts = dir.join(format!("parts-{attempt}"));
        let spawned: Vec<_> = (0..3)
            .map(|i| {
                command()
                    .args([
                        "run",
                        "scenarios/echo_2017_2021.toml",
                        "--households",
                        "300",
                        "--trials",
                        "3",
                        "--quiet",
                        "--threads",
                        "1",
                    ])
                    .args([
                        "--out",
                        parts.to_str().unwrap(),
                        "--shard",
                        &format!("{i}/3"),
                    ])
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in spawned {
            assert!(
                child.wait().unwrap().success(),
                "attempt {attempt}: a shard failed"
            );
        }
        for i in 0..3 {
            assert!(
                parts.join(format!("part-{i}-of-3.bin")).exists(),
                "attempt {attempt}: part {i} lost"
            );
        }
        ok(&[
            "merge",
            parts.to_str().unwrap(),
            "--out",
            dir.join(format!("merged-{attempt}")).to_str().unwrap(),
        ]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
