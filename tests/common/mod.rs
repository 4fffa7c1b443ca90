//! Helpers shared by the integration tests that run the binary (`mod common;`).
#![allow(dead_code)] // each test binary uses some of them

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root, the working directory of every command.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `<system temp>/downstream-<tag>-<pid>-<name>`, removed if it exists (not created).
pub fn temp_dir(tag: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("downstream-{tag}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs the binary from the repository root.
pub fn downstream(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_downstream"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("the downstream binary starts")
}

/// Runs the binary, asserts it succeeded, and returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let out = downstream(args);
    assert!(
        out.status.success(),
        "downstream {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}
