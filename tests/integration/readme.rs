//! The documentation's examples stay true: every `$ cargo run --release -- ...` command in
//! a `console` block of README.md and docs/calibration.md runs with the exit status its
//! shown output implies, and the output shown in the next `text` block matches what the
//! command prints (stdout then stderr; a `...` line stands for the omitted rest; the wall
//! time in a `wrote DIR (N s)` line is not compared).

use crate::common::{command, root};

const DOCS: [&str; 2] = ["README.md", "docs/calibration.md"];

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

/// A printed line as compared: the timing of `wrote DIR (N s)` is dropped.
fn comparable(line: &str) -> &str {
    if line.starts_with("wrote ") {
        line.rsplit_once(" (").map_or(line, |(head, _)| head)
    } else {
        line
    }
}

fn check(doc: &str) -> usize {
    let text = std::fs::read_to_string(root().join(doc)).unwrap();
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
                .unwrap_or_else(|| panic!("{doc}: unexpected command: {cmd}"));
            let shown = blocks[i + 1..]
                .iter()
                .find(|(info, _)| info == "text")
                .map(|(_, b)| b.as_str());
            let expected_status = if args.starts_with("validate tests/bad_scenarios/") {
                2
            } else if shown.is_some_and(|s| s.contains("backtest targets missed")) {
                3
            } else {
                0
            };
            let out = command().args(args.split_whitespace()).output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(expected_status),
                "{doc}: {cmd}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
            let Some(shown) = shown else { continue };
            let printed =
                String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
            let lines: Vec<&str> = printed.lines().collect();
            for (at, expected) in shown.lines().enumerate() {
                if expected.trim() == "..." {
                    break; // the rest is omitted in the document
                }
                assert_eq!(
                    lines.get(at).map(|l| comparable(l)),
                    Some(comparable(expected)),
                    "{doc}: output of `{cmd}` differs at line {}:\n{printed}",
                    at + 1
                );
            }
        }
    }
    ran
}

#[test]
fn documented_commands_print_what_the_documents_show() {
    let ran: usize = DOCS.iter().map(|d| check(d)).sum();
    assert!(ran >= 4, "the documents show too few commands");
}
