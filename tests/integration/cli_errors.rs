//! Bad input on the command line: every scenario in `tests/bad_scenarios/` is rejected by
//! `validate` with exactly the message in its sibling `.stderr` file and exit status 2, and by
//! `run` with the same error lines, exit status 2 and no output folder left behind. Plus the
//! command-line errors that do not come from a file: several files, missing/odd files,
//! `--set`, `--threads`, `--out`, and `schema`.
//!
//! New case: add `tests/bad_scenarios/<name>.toml` (see `tests/bad_scenarios/README.md`), run
//! `BLESS=1 cargo test --release --test integration cli_errors::`, read the new `.stderr`
//! file critically, and commit both.

use std::fs;

use crate::common::{TempDir, downstream, root};

const CASES: &str = "tests/bad_scenarios";
const BASE: &str = "tests/bad_scenarios/valid/base.toml";
const SUMMARY_ONE: &str = "error: 1 of 1 scenario file has errors";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn blessing() -> bool {
    std::env::var("BLESS").is_ok_and(|v| v == "1")
}

/// The `.toml` cases directly in `tests/bad_scenarios/` (not in its sub-folders), sorted.
fn case_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root().join(CASES))
        .expect("tests/bad_scenarios exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The error lines of an expected validate stderr: everything but the final summary line.
fn error_lines(validate_stderr: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = validate_stderr.lines().collect();
    if lines.last() == Some(&SUMMARY_ONE) {
        lines.pop();
    }
    lines
}

/// Checks `run` on a bad scenario: exit 2, the given error lines in order on stderr, nothing
/// on stdout, and no output folder. Returns the problems found.
fn check_run_rejects(case: &str, extra: &[&str], expected_lines: &[&str]) -> Vec<String> {
    let tmp = TempDir::new("cli-errors", "run");
    let out = tmp.join("out");
    let out_s = out.to_str().expect("utf-8 temp path");
    let mut args = vec![
        "run",
        case,
        "--out",
        out_s,
        "--households",
        "100",
        "--trials",
        "1",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let o = downstream(&args);
    let stderr = text(&o.stderr);
    let mut problems = Vec::new();
    let shown = format!("downstream {}", args.join(" "));
    if o.status.code() != Some(2) {
        problems.push(format!(
            "{shown}: exit status {:?}, expected 2",
            o.status.code()
        ));
    }
    if !o.stdout.is_empty() {
        problems.push(format!("{shown}: unexpected stdout:\n{}", text(&o.stdout)));
    }
    let mut rest = stderr.as_str();
    for line in expected_lines {
        match rest.find(line) {
            Some(i) => rest = &rest[i + line.len()..],
            None => {
                problems.push(format!(
                    "{shown}: stderr lacks (in order) the line\n  {line}\nactual stderr:\n{stderr}"
                ));
                break;
            }
        }
    }
    if out.exists() {
        problems.push(format!("{shown}: left output behind at {}", out.display()));
    }
    let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    if !left.is_empty() {
        problems.push(format!(
            "{shown}: created files in the temp folder: {left:?}"
        ));
    }
    problems
}

#[test]
fn base_scenario_is_valid() {
    // Every case is this file with one defect, so it must itself pass.
    let o = downstream(&["validate", BASE]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "stderr:\n{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with(&format!("ok: {BASE} ")),
        "stdout:\n{}",
        text(&o.stdout)
    );
}

#[test]
fn every_bad_scenario_is_rejected_with_its_exact_message() {
    let names = case_names();
    assert!(
        names.len() >= 60,
        "expected the bad-scenario cases, found {}",
        names.len()
    );
    let bless = blessing();
    let mut problems = Vec::new();
    for name in &names {
        let case = format!("{CASES}/{name}.toml");
        let expected_file = root().join(CASES).join(format!("{name}.stderr"));

        // validate: exact stderr, exit 2, nothing on stdout.
        let o = downstream(&["validate", &case]);
        let stderr = text(&o.stderr);
        if o.status.code() != Some(2) {
            problems.push(format!(
                "downstream validate {case}: exit status {:?}, expected 2\nstderr:\n{stderr}",
                o.status.code()
            ));
        }
        if !o.stdout.is_empty() {
            problems.push(format!(
                "downstream validate {case}: unexpected stdout:\n{}",
                text(&o.stdout)
            ));
        }
        if !stderr.ends_with(&format!("\n{SUMMARY_ONE}\n")) {
            problems.push(format!(
                "downstream validate {case}: stderr does not end with `{SUMMARY_ONE}`:\n{stderr}"
            ));
        }
        let expected = if bless {
            fs::write(&expected_file, &stderr).expect("write .stderr");
            stderr.clone()
        } else {
            match fs::read_to_string(&expected_file) {
                Ok(e) => e,
                Err(_) => {
                    problems.push(format!(
                        "{case}: no {name}.stderr; actual stderr of `downstream validate {case}` \
                         (check it, then run with BLESS=1 to write it):\n{stderr}"
                    ));
                    continue;
                }
            }
        };
        if stderr != expected {
            problems.push(format!(
                "downstream validate {case}: stderr differs from {name}.stderr\n--- expected\n{expected}--- actual\n{stderr}"
            ));
        }

        // run: same error lines, exit 2, no output folder.
        problems.extend(check_run_rejects(&case, &[], &error_lines(&expected)));
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn no_orphan_expected_files() {
    for e in fs::read_dir(root().join(CASES)).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "stderr") {
            assert!(
                p.with_extension("toml").is_file(),
                "{} has no sibling .toml",
                p.display()
            );
        }
    }
}

#[test]
fn one_file_with_several_errors_reports_all_of_them() {
    let case = "tests/bad_scenarios/several/seven_errors.toml";
    let expected_file = root().join("tests/bad_scenarios/several/seven_errors.stderr");
    let o = downstream(&["validate", case]);
    let stderr = text(&o.stderr);
    if blessing() {
        fs::write(&expected_file, &stderr).unwrap();
    }
    assert_eq!(o.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(o.stdout.is_empty());
    let expected = fs::read_to_string(&expected_file).unwrap_or_else(|_| {
        panic!(
            "missing {}; actual stderr (BLESS=1 writes it):\n{stderr}",
            expected_file.display()
        )
    });
    assert_eq!(stderr, expected);
    // Seven independent defects, in seven sections: each reported once, then the summary.
    let lines = error_lines(&stderr);
    assert_eq!(lines.len(), 7, "stderr:\n{stderr}");
    for key in [
        "simulation.trials = 0",
        "adoption.potential = 1.5",
        "device.dot.price = -30",
        "intents.music = 0",
        "purchase.voice_shopping.conversion = ",
        "subscription.music_plan.churn_per_year = ",
        "premium.launch = \"2025-01\"",
    ] {
        assert_eq!(
            lines.iter().filter(|l| l.contains(key)).count(),
            1,
            "`{key}` should be reported once:\n{stderr}"
        );
    }
    let problems = check_run_rejects(case, &[], &lines);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn validate_several_files_reports_every_error_of_every_file() {
    let bad1 = "tests/bad_scenarios/probability_above_one.toml";
    let bad2 = "tests/bad_scenarios/several/seven_errors.toml";
    let o = downstream(&["validate", bad1, BASE, bad2]);
    assert_eq!(o.status.code(), Some(2));
    let mut expected = String::new();
    for (case, exp) in [
        (bad1, "tests/bad_scenarios/probability_above_one.stderr"),
        (bad2, "tests/bad_scenarios/several/seven_errors.stderr"),
    ] {
        let e = fs::read_to_string(root().join(exp))
            .unwrap_or_else(|_| panic!("{exp} (expected stderr of {case}) is missing"));
        for line in error_lines(&e) {
            expected.push_str(line);
            expected.push('\n');
        }
    }
    expected.push_str("error: 2 of 3 scenario files have errors\n");
    assert_eq!(text(&o.stderr), expected);
    assert_eq!(
        text(&o.stdout)
            .lines()
            .filter(|l| l.starts_with("ok: "))
            .collect::<Vec<_>>(),
        vec![format!(
            "ok: {BASE} (Base for bad-input tests, 24 months from 2020-01)"
        )]
    );
}

fn assert_validate_fails(file: &str, expected_stderr: &str) {
    let o = downstream(&["validate", file]);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "stdout:\n{}", text(&o.stdout));
    assert_eq!(text(&o.stderr), expected_stderr);
}

#[test]
fn validate_a_nonexistent_file() {
    // The OS text is the same on Linux and macOS.
    assert_validate_fails(
        "tests/bad_scenarios/no_such_file.toml",
        "error: tests/bad_scenarios/no_such_file.toml: cannot read the scenario: no such file\n\
         error: 1 of 1 scenario file has errors\n",
    );
    let problems = check_run_rejects(
        "tests/bad_scenarios/no_such_file.toml",
        &[],
        &["error: tests/bad_scenarios/no_such_file.toml: cannot read the scenario: "],
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn validate_a_directory() {
    assert_validate_fails(
        "tests/bad_scenarios",
        "error: tests/bad_scenarios: is a directory; expected a scenario TOML file\n\
         error: 1 of 1 scenario file has errors\n",
    );
}

#[test]
fn validate_an_empty_file() {
    let tmp = TempDir::new("cli-errors", "empty");
    let file = tmp.join("empty.toml");
    fs::write(&file, "").unwrap();
    let f = file.to_str().unwrap();
    assert_validate_fails(
        f,
        &format!(
            "error: {f}: the file has no settings; expected a scenario with [scenario], [market], [adoption], [[device]], [usage], [intents] and [costs]\n\
             {SUMMARY_ONE}\n"
        ),
    );
}

#[test]
fn validate_a_file_that_is_too_large() {
    let tmp = TempDir::new("cli-errors", "large");
    let file = tmp.join("large.toml");
    // 12 MB of comments: refused before it is read, whatever it holds.
    let line = format!("# {}\n", "x".repeat(98));
    fs::write(&file, line.repeat(120_000)).unwrap();
    let f = file.to_str().unwrap();
    assert_validate_fails(
        f,
        &format!(
            "error: {f}: the file is 12.1 MB; a scenario file is at most 10 MB\n{SUMMARY_ONE}\n"
        ),
    );
}

#[test]
fn validate_a_file_that_is_not_utf8() {
    let tmp = TempDir::new("cli-errors", "latin1");
    let file = tmp.join("latin1.toml");
    // "café" in Latin-1: the é is the single byte 0xE9, at line 2, column 12.
    fs::write(&file, b"[scenario]\nname = \"caf\xe9\"\n").unwrap();
    let f = file.to_str().unwrap();
    assert_validate_fails(
        f,
        &format!("error: {f}:2:12: byte 0xe9: the file is not valid UTF-8 text\n{SUMMARY_ONE}\n"),
    );
}

/// `run` on a good shipped scenario with one `--set`: exit 2, exactly `expected` on stderr,
/// nothing on stdout, no output folder.
fn assert_set_fails(scenario: &str, set: &str, expected: &str) {
    let problems = check_run_rejects(scenario, &["--set", set], &[expected]);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // ... and nothing else on stderr.
    let tmp = TempDir::new("cli-errors", "set");
    let out = tmp.join("out");
    let o = downstream(&[
        "run",
        scenario,
        "--out",
        out.to_str().unwrap(),
        "--households",
        "100",
        "--trials",
        "1",
        "--quiet",
        "--set",
        set,
    ]);
    assert_eq!(text(&o.stderr), format!("{expected}\n"), "--set {set}");
}

#[test]
fn set_unknown_key_suggests_the_nearest() {
    assert_set_fails(
        "scenarios/echo_2017_2021.toml",
        "adoption.potentail=0.5",
        "error: --set adoption.potentail=0.5: adoption.potentail: unknown key; expected one of: installed_share, potential, innovation, imitation, devices_at_adoption, extra_devices_per_year, abandon_per_year (did you mean `potential`?)",
    );
}

#[test]
fn set_bad_value() {
    assert_set_fails(
        "scenarios/premium_5usd_2024.toml",
        "premium.price_month=-1",
        "error: --set premium.price_month=-1: premium.price_month = -1: expected a number from 0 to 1000000",
    );
    assert_set_fails(
        "scenarios/premium_5usd_2024.toml",
        "premium.price_month=abc",
        "error: --set premium.price_month=abc: premium.price_month: expected a number or an uncertain value such as { dist = \"pert\", min = 1, mode = 2, max = 4 }, found string \"abc\"",
    );
    assert_set_fails(
        "scenarios/premium_5usd_2024.toml",
        "premium.price_month={dist=\"normal\",mean=5,sd=1}",
        "error: --set premium.price_month={dist=\"normal\",mean=5,sd=1}: premium.price_month = { dist = \"normal\", mean = 5, sd = 1 }: this distribution can leave the parameter's domain [0, inf) (its values range over [-inf, inf]); use a bounded form such as { dist = \"pert\", min = 1, mode = 2, max = 4 }, or a normal with `min`",
    );
}

#[test]
fn set_unknown_device_name() {
    assert_set_fails(
        "scenarios/premium_5usd_2024.toml",
        "device.echo_max.price=3",
        "error: --set device.echo_max.price=3: device.echo_max.price: no [[device]] is named `echo_max`; expected one of: echo_dot, echo, echo_show",
    );
}

#[test]
fn set_key_in_a_missing_section() {
    // The baseline has no [premium].
    assert_set_fails(
        "scenarios/echo_2017_2021.toml",
        "premium.price_month=5",
        "error: --set premium.price_month=5: premium.price_month: the scenario has no `premium`; add the section to the file first",
    );
}

#[test]
fn set_malformed() {
    for (set, expected) in [
        (
            "foo",
            "error: --set foo: expected KEY=VALUE, e.g. premium.price_month=7.5",
        ),
        (
            "premium.price_month=",
            "error: --set premium.price_month=: expected a value after `=`",
        ),
        (
            "=3",
            "error: --set =3: expected a dotted key such as premium.price_month before `=`",
        ),
        (
            "premium..price_month=3",
            "error: --set premium..price_month=3: expected a dotted key such as premium.price_month before `=`",
        ),
    ] {
        assert_set_fails("scenarios/premium_5usd_2024.toml", set, expected);
    }
}

#[test]
fn threads_zero_is_rejected() {
    let problems = check_run_rejects(
        BASE,
        &["--threads", "0"],
        &["error: --threads: expected at least 1 thread, got 0"],
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn households_or_trials_zero_on_the_command_line_are_rejected() {
    // The message is not pinned yet (it names both options; see the bad-input report).
    for (opt, what) in [("--households", "households"), ("--trials", "trials")] {
        let tmp = TempDir::new("cli-errors", "zero");
        let out = tmp.join("out");
        let o = downstream(&[
            "run",
            BASE,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            opt,
            "0",
        ]);
        assert_eq!(o.status.code(), Some(2), "{opt} 0: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(what),
            "{opt} 0: {}",
            text(&o.stderr)
        );
        assert!(o.stdout.is_empty());
        assert!(!out.exists(), "{opt} 0 left output behind");
    }
}

#[test]
fn run_with_out_pointing_at_a_file_leaves_it_untouched() {
    let tmp = TempDir::new("cli-errors", "outfile");
    let file = tmp.join("results");
    fs::write(&file, "keep me\n").unwrap();
    let f = file.to_str().unwrap();
    let o = downstream(&[
        "run",
        "scenarios/echo_2017_2021.toml",
        "--out",
        f,
        "--households",
        "100",
        "--trials",
        "1",
        "--quiet",
    ]);
    assert!(!o.status.success(), "run succeeded with --out on a file");
    assert_ne!(
        o.status.code(),
        None,
        "killed by a signal: {}",
        text(&o.stderr)
    );
    let stderr = text(&o.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains(f),
        "stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr:\n{stderr}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "keep me\n");
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("results")]);
}

#[test]
fn schema_is_json_schema_2020_12() {
    let o = downstream(&["schema"]);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", text(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("downstream schema prints valid JSON");
    let s = v["$schema"].as_str().expect("a \"$schema\" string");
    assert!(s.contains("2020-12"), "$schema = {s}");
}

#[test]
fn sizes_on_the_command_line_may_use_scientific_notation() {
    let tmp = TempDir::new("cli", "sizes");
    let run = |households: &str, trials: &str, out: &str| {
        let o = downstream(&[
            "run",
            BASE,
            "--households",
            households,
            "--trials",
            trials,
            "--quiet",
            "--out",
            tmp.join(out).to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        fs::read(tmp.join(out).join("summary.csv")).unwrap()
    };
    assert_eq!(run("2e3", "1e1", "a"), run("2000", "10", "b"));
    let o = downstream(&["run", BASE, "--households", "2.5e-1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).starts_with(
            "error: invalid value '2.5e-1' for '--households <N>': expected a whole number from 0 to 2^53 (9007199254740992), e.g. 200000 or 2e5; 2.5e-1 is not"
        ),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn completions_are_printed_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _downstream"),
        ("zsh", "#compdef downstream"),
        ("fish", "complete -c downstream"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[downstream]"),
    ] {
        let o = downstream(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", text(&o.stderr));
        let script = text(&o.stdout);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        assert!(
            script.contains("sensitivity"),
            "{shell}: subcommands missing"
        );
    }
}

#[test]
fn report_names_every_file_it_writes_and_refuses_a_folder_without_results() {
    let tmp = TempDir::new("cli", "report");
    let out = tmp.join("r");
    let o = downstream(&[
        "run",
        BASE,
        "--households",
        "200",
        "--trials",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = downstream(&["report", out.to_str().unwrap(), "--xlsx"]);
    assert_eq!(
        text(&o.stdout),
        format!(
            "wrote {}\nwrote {}\n",
            out.join("report.html").display(),
            out.join("results.xlsx").display()
        )
    );
    // A folder of ours that holds no results (a shard's part only).
    let parts = tmp.join("parts");
    let o = downstream(&[
        "run",
        BASE,
        "--households",
        "200",
        "--trials",
        "2",
        "--quiet",
        "--shard",
        "0/2",
        "--out",
        parts.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = downstream(&["report", parts.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).starts_with(&format!(
            "error: {}: not a folder of results: ",
            parts.display()
        )),
        "{}",
        text(&o.stderr)
    );
    assert!(!parts.join("report.html").exists());
}
