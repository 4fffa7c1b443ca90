//! Helpers shared by the integration tests (`crate::common`): the repository root, temporary
//! folders and the binary run from the root.
//!
//! All modules run as threads of one process: a helper must not change the process's
//! environment or working directory (pass them to the child `Command` instead), and
//! folder names carry a per-module tag so that modules never share one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_downstream");

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

/// [`temp_dir`], created empty.
pub fn fresh_dir(tag: &str, name: &str) -> PathBuf {
    let d = temp_dir(tag, name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A fresh folder under the system temp dir, unique in this process, removed on drop:
/// `downstream-<tag>-<pid>-<n>-<name>`.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str, name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        TempDir(fresh_dir(tag, &format!("{n}-{name}")))
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary as a command with the repository root as working directory, to add
/// arguments, environment variables or pipes to.
pub fn command() -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(root());
    c
}

/// Runs the binary from the repository root.
pub fn downstream(args: &[&str]) -> Output {
    command()
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
