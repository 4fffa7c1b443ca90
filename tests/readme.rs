//! The README's examples stay true: every `$ cargo run --release -- ...` command in a
//! `console` block runs successfully, and the output shown after it matches what the
//! command prints (lines shown as `...` stand for omitted lines).

use std::path::PathBuf;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// Fenced blocks as (info string, body).
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(info) = line.strip_prefix("```") {
            match current.take() {
                Some(block) => out.push(block),
                None => current = Some((info.trim().to_string(), String::new())),
            }
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

#[test]
fn readme_commands_run_and_print_what_the_readme_shows() {
    let text = readme();
    let blocks = blocks(&text);
    let mut ran = 0;
    for (i, (info, body)) in blocks.iter().enumerate() {
        if info != "console" {
            continue;
        }
        for line in body.lines() {
            let Some(cmd) = line.strip_prefix("$ ") else {
                continue;
            };
            if cmd.starts_with("cargo test") {
                continue; // that is this very test run
            }
            let args = cmd
                .strip_prefix("cargo run --release -- ")
                .unwrap_or_else(|| panic!("unexpected README command: {cmd}"));
            let out = Command::new(env!("CARGO_BIN_EXE_downstream"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args(args.split_whitespace())
                .output()
                .unwrap();
            // `validate` examples show rejected files: exit status 2, messages on stderr.
            let expected_status = if args.starts_with("validate tests/bad_scenarios/") {
                2
            } else {
                0
            };
            assert_eq!(
                out.status.code(),
                Some(expected_status),
                "README command: {cmd}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
            let stdout =
                String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
            // The next `text` block shows its output.
            let Some((_, shown)) = blocks[i + 1..].iter().find(|(info, _)| info == "text") else {
                continue;
            };
            let printed: Vec<&str> = stdout.lines().collect();
            for (at, expected) in shown.lines().enumerate() {
                if expected.trim() == "..." {
                    break; // the rest is omitted in the README
                }
                assert_eq!(
                    printed.get(at).copied(),
                    Some(expected),
                    "README output differs at line {}:\n{stdout}",
                    at + 1
                );
            }
        }
    }
    assert!(ran >= 1, "the README shows no command to run");
}
