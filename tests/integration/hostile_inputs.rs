//! Hostile inputs: names and arguments that used to give wrong or unreadable output
//! (metric names that collide, invisible characters, repeated `--vary` keys, `--set` values
//! of several lines, year keys a file refuses, seeds a file cannot hold, absurd thread
//! counts, devices and FIFOs as scenario files, interrupts while a sweep is planned, TOML
//! syntax errors without their line). Each is refused before any work: exit status 2, the
//! exact message, nothing on stdout and no output folder. File-level cases with their exact
//! messages are in `tests/bad_scenarios/` (run by `cli_errors`).

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{TempDir, command, downstream, ok};

const BASE: &str = "tests/bad_scenarios/valid/base.toml";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `downstream COMMAND ARGS --out <fresh> --households 100 --trials 1 --quiet` is refused:
/// exit status 2, stderr exactly `expected` (one line per diagnostic), nothing on stdout,
/// no output folder.
fn refused(command: &str, args: &[&str], expected: &str) {
    let tmp = TempDir::new("hostile", command);
    let out = tmp.join("out");
    let mut all = vec![command];
    all.extend_from_slice(args);
    all.extend([
        "--out",
        out.to_str().unwrap(),
        "--households",
        "100",
        "--trials",
        "1",
        "--quiet",
    ]);
    let o = downstream(&all);
    let shown = format!("downstream {all:?}");
    assert_eq!(o.status.code(), Some(2), "{shown}: {}", text(&o.stderr));
    assert_eq!(text(&o.stderr), expected, "{shown}");
    assert!(o.stdout.is_empty(), "{shown}: stdout {}", text(&o.stdout));
    assert!(!out.exists(), "{shown} left an output folder");
}

/// `downstream validate FILE` is refused with exactly `expected` (then the summary line).
fn invalid(file: &str, expected: &str) {
    let o = downstream(&["validate", file]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "stdout {}", text(&o.stdout));
    assert_eq!(
        text(&o.stderr),
        format!("{expected}error: 1 of 1 scenario file has errors\n")
    );
}

#[test]
fn a_name_whose_metric_collides_is_refused_through_set() {
    refused(
        "run",
        &[BASE, "--set", "device.dot.name=sold", "--format", "json"],
        "error: --set device.dot.name=sold: device.dot.name = \"sold\": its metric `units_sold` would have the same name as the core metric (Units sold); choose another name\n",
    );
    refused(
        "sweep",
        &[BASE, "--vary", "device.dot.name=\"x\",\"sold\""],
        "error: --set device.dot.name=\"sold\": device.dot.name = \"sold\": its metric `units_sold` would have the same name as the core metric (Units sold); choose another name\n",
    );
}

#[test]
fn hidden_characters_in_names_and_keys_are_refused_and_shown_escaped() {
    refused(
        "run",
        &[BASE, "--set", "scenario.name=Base\u{200B}"],
        "error: --set scenario.name=Base\\u{200B}: scenario.name = \"Base\\u{200B}\": expected a name without control, invisible or direction-changing characters (found U+200B)\n",
    );
    refused(
        "run",
        &[BASE, "--set", "scenario.name=\x1b[31mred"],
        "error: --set scenario.name=\\u{001B}[31mred: scenario.name = \"\\u{001B}[31mred\": expected a name without control, invisible or direction-changing characters (found U+001B)\n",
    );
    refused(
        "run",
        &[BASE, "--set", "device.dot.name=\u{202E}tod"],
        "error: --set device.dot.name=\\u{202E}tod: device.dot.name = \"\\u{202E}tod\": expected a name without control, invisible or direction-changing characters (found U+202E)\n",
    );
    refused(
        "run",
        &[BASE, "--set", "premium.price\x1b[2J_month=5"],
        "error: --set premium.price\\u{001B}[2J_month=5: expected a dotted key without control, invisible or direction-changing characters (found U+001B)\n",
    );
    refused(
        "sweep",
        &[BASE, "--vary", "\u{FEFF}premium.price_month=5,6"],
        "error: --vary \\u{FEFF}premium.price_month=5,6: expected a dotted key without control, invisible or direction-changing characters (found U+FEFF)\n",
    );
    // --vary values label the rows of sweep.csv.
    refused(
        "sweep",
        &[BASE, "--vary", "scenario.description=\"\x1b[31m\",\"b\""],
        "error: --vary scenario.description=\"\\u{001B}[31m\",\"b\": expected values without control, invisible or direction-changing characters (found U+001B)\n",
    );
    // A value is echoed escaped too, whatever it is refused for.
    refused(
        "run",
        &[BASE, "--set", "device.dot.price=\x1b"],
        "error: --set device.dot.price=\\u{001B}: device.dot.price: expected a number or an uncertain value such as { dist = \"pert\", min = 1, mode = 2, max = 4 }, found string \"\\u{001B}\"\n",
    );
}

#[test]
fn paths_and_unknown_keys_are_shown_escaped() {
    invalid(
        "no/such\x1b[2J.toml",
        "error: no/such\\u{001B}[2J.toml: cannot read the scenario: no such file\n",
    );
    let tmp = TempDir::new("hostile", "unknown-key");
    let file = tmp.join("s.toml");
    let base = fs::read_to_string(crate::common::root().join(BASE)).unwrap();
    fs::write(
        &file,
        base.replace("potential = 0.5", "\"poten\u{202E}tial\" = 0.5"),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let o = downstream(&["validate", f]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = text(&o.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: {f}:18:1: adoption.poten\\u{{202E}}tial: unknown key; expected one of: "
        )),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{202E}'), "{stderr}");
}

#[test]
fn a_key_given_to_vary_twice_is_refused() {
    refused(
        "sweep",
        &[
            BASE,
            "--vary",
            "premium.price_month=1,2",
            "--vary",
            "premium.price_month=3",
        ],
        "error: --vary premium.price_month: the key is given to --vary twice; give each key one --vary with all its values\n",
    );
    refused(
        "sweep",
        &[
            BASE,
            "--vary",
            "premium.launch=\"2021-01\"",
            "--vary",
            " premium.launch =\"2021-03\"",
        ],
        "error: --vary premium.launch: the key is given to --vary twice; give each key one --vary with all its values\n",
    );
    // Two spellings of one parameter: `dot` has one price, so its 2020 entry (the first
    // simulated year) is that price.
    refused(
        "sweep",
        &[
            BASE,
            "--vary",
            "device.dot.price=20,30",
            "--vary",
            "device.dot.price.2020=25",
        ],
        "error: --vary device.dot.price.2020: sets the same parameter as --vary device.dot.price; give each parameter one --vary with all its values\n",
    );
    // A per-year table and one of its years.
    refused(
        "sweep",
        &[
            BASE,
            "--vary",
            "costs.fixed_per_year.2021=1e8,2e8",
            "--vary",
            "costs.fixed_per_year=3e8",
        ],
        "error: --vary costs.fixed_per_year: sets the same parameter as --vary costs.fixed_per_year.2021; give each parameter one --vary with all its values\n",
    );
    // Two different years of one table are two parameters.
    let tmp = TempDir::new("hostile", "two-years");
    let out = tmp.join("out");
    ok(&[
        "sweep",
        BASE,
        "--vary",
        "device.show.price.2020=70,80",
        "--vary",
        "device.show.price.2021=60",
        "--out",
        out.to_str().unwrap(),
        "--households",
        "100",
        "--trials",
        "1",
        "--quiet",
    ]);
}

#[test]
fn a_set_value_of_several_lines_is_refused() {
    refused(
        "run",
        &[BASE, "--set", "device.dot.price=7\n[evil]\nx=1"],
        "error: --set device.dot.price=7\\u{000A}[evil]\\u{000A}x=1: the value spans several lines; expected one TOML value on one line, e.g. 7.5, \"text\" or { dist = \"beta\", alpha = 2, beta = 300 }\n",
    );
    for value in [
        "scenario.name=\"a\" \"b\"",
        "adoption.imitation={dist=\"beta\", alpha=2",
    ] {
        refused(
            "run",
            &[BASE, "--set", value],
            &format!(
                "error: --set {value}: expected one TOML value after `=`: a quoted string, an inline table {{ ... }} or an array [ ... ] that is closed and is the whole value\n"
            ),
        );
    }
    refused(
        "run",
        &[BASE, "--set", "scenario.name=\"a\"\r\nmonths = 3"],
        "error: --set scenario.name=\"a\"\\u{000D}\\u{000A}months = 3: the value spans several lines; expected one TOML value on one line, e.g. 7.5, \"text\" or { dist = \"beta\", alpha = 2, beta = 300 }\n",
    );
}

#[test]
fn set_year_keys_follow_the_rule_of_a_file() {
    let expected = |key: &str, year: &str| {
        format!(
            "error: --set {key}.{year}=1: {key}.{year}: expected a per-year table with years 1900-2200 as keys, such as {{ 2019 = 5.0e9 }}, found key `{year}`\n"
        )
    };
    // `dot` has one price; `show` a per-year table.
    for (key, year) in [
        ("device.dot.price", "0000"),
        ("device.dot.price", "1899"),
        ("device.dot.price", "99"),
        ("device.dot.price", "2201"),
    ] {
        refused(
            "run",
            &[BASE, "--set", &format!("{key}.{year}=1")],
            &expected(key, year),
        );
    }
    refused(
        "sweep",
        &[BASE, "--vary", "device.dot.price.0000=1,2"],
        &expected("device.dot.price", "0000"),
    );
}

#[test]
fn seeds_a_scenario_file_cannot_hold_are_refused() {
    for seed in ["18446744073709551615", "9223372036854775808"] {
        refused(
            "run",
            &[BASE, "--seed", seed],
            &format!(
                "error: --seed {seed}: expected a whole number from 0 to 9223372036854775807 (the largest whole number a scenario file can hold, so that scenario.resolved.toml repeats the run)\n"
            ),
        );
    }
}

#[test]
fn a_seed_set_in_the_scenario_beyond_what_a_file_holds_is_refused() {
    refused(
        "run",
        &[BASE, "--set", "simulation.seed=9223372036854775808"],
        "error: --set simulation.seed=9223372036854775808: the number is too large; a scenario file holds whole numbers from -9223372036854775808 to 9223372036854775807\n",
    );
}

#[test]
fn a_run_with_the_largest_seed_repeats_from_its_resolved_scenario() {
    let tmp = TempDir::new("hostile", "seed");
    let (first, again) = (tmp.join("first"), tmp.join("again"));
    ok(&[
        "run",
        BASE,
        "--seed",
        "9223372036854775807",
        "--households",
        "500",
        "--trials",
        "3",
        "--quiet",
        "--out",
        first.to_str().unwrap(),
    ]);
    let resolved = first.join("scenario.resolved.toml");
    let resolved_text = fs::read_to_string(&resolved).unwrap();
    assert!(
        resolved_text.contains("seed = 9223372036854775807\n"),
        "{resolved_text}"
    );
    let r = resolved.to_str().unwrap();
    let shown = ok(&["validate", r]);
    assert!(shown.starts_with(&format!("ok: {r} ")), "{shown}");
    ok(&["run", r, "--quiet", "--out", again.to_str().unwrap()]);
    for file in ["summary.csv", "monthly.csv", "yearly.csv", "trials.csv"] {
        assert_eq!(
            fs::read(first.join(file)).unwrap(),
            fs::read(again.join(file)).unwrap(),
            "{file} differs when run from the resolved scenario"
        );
    }
}

#[test]
fn absurd_thread_counts_are_refused_and_the_limit_runs_promptly() {
    for n in ["10000", "257"] {
        refused(
            "run",
            &[BASE, "--threads", n],
            &format!(
                "error: --threads {n}: expected at most 256 threads; more threads than cores do not make a run faster (without --threads a run uses every core)\n"
            ),
        );
    }
    let tmp = TempDir::new("hostile", "threads");
    let started = Instant::now();
    ok(&[
        "run",
        BASE,
        "--threads",
        "256",
        "--households",
        "100",
        "--trials",
        "1",
        "--quiet",
        "--out",
        tmp.join("out").to_str().unwrap(),
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "a tiny run on 256 threads took {:?}",
        started.elapsed()
    );
}

/// Waits for a child at most `limit`; kills it and fails if it does not end.
fn wait_at_most(child: &mut std::process::Child, limit: Duration, what: &str) {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn devices_and_fifos_are_refused_as_scenario_files() {
    for device in ["/dev/zero", "/dev/null"] {
        let mut child = command()
            .args(["validate", device])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_at_most(&mut child, Duration::from_secs(20), device);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            text(&o.stderr),
            format!(
                "error: {device}: is not a regular file (a device, FIFO or socket); expected a scenario TOML file\nerror: 1 of 1 scenario file has errors\n"
            )
        );
    }
    let tmp = TempDir::new("hostile", "fifo");
    let fifo = tmp.join("scenario.toml");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) on a NUL-terminated path in our own temporary folder.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let f = fifo.to_str().unwrap();
    let out = tmp.join("out");
    let mut child = command()
        .args(["run", f, "--quiet", "--out", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_at_most(
        &mut child,
        Duration::from_secs(20),
        "a FIFO as the scenario",
    );
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        format!(
            "error: {f}: is not a regular file (a device, FIFO or socket); expected a scenario TOML file\n"
        )
    );
    assert!(!out.exists());
}

#[test]
fn an_interrupt_while_a_large_sweep_is_planned_exits_130() {
    let tmp = TempDir::new("hostile", "plan-sigint");
    let out = tmp.join("out");
    // 20,000 values checked one by one, then a grid of 40,000 points: seconds of planning
    // before the first household is simulated.
    let mut child = command()
        .args([
            "sweep",
            BASE,
            "--vary",
            "premium.price_month=0.01:200:0.01",
            "--vary",
            "premium.wtp_median=2,3",
            "--households",
            "1",
            "--trials",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the sweep ended before it could be interrupted"
    );
    let sent = Instant::now();
    // SAFETY: kill(2) on the pid of a child we spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    wait_at_most(&mut child, Duration::from_secs(20), "the interrupted sweep");
    let took = sent.elapsed();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    assert!(took < Duration::from_secs(2), "stopped after {took:?}");
    assert_eq!(
        text(&o.stderr),
        "error: interrupted; no results were written\n"
    );
    assert!(!out.exists());
}

#[test]
fn a_syntax_error_shows_its_key_and_line_with_a_caret_and_escapes_it() {
    let tmp = TempDir::new("hostile", "syntax");
    let file = tmp.join("s.toml");
    let base = fs::read_to_string(crate::common::root().join(BASE)).unwrap();
    fs::write(
        &file,
        base.replace("name = \"dot\"", "name = \"d\u{202E}ot\" price_2 = 3"),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let expected = format!(
        "error: {f}:26:15: device[0].name: invalid TOML: unexpected key or value, expected newline, `#`\n  26 | name = \"d\\u{{202E}}ot\" price_2 = 3\n     |                      ^\n"
    );
    invalid(f, &expected);
    refused("run", &[f], &expected);
    // A tab-indented line: the tab shows as a space, the caret stays under the column.
    fs::write(&file, base.replace("months = 24", "\tmonths = thirty")).unwrap();
    invalid(
        f,
        &format!(
            "error: {f}:5:11: scenario.months: invalid TOML: expected a value, found `thirty` (text must be in quotes: \"thirty\"; numbers, true and false are written without)\n  5 |  months = thirty\n    |           ^\n"
        ),
    );
}
