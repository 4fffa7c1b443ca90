//! Helpers shared by the integration tests (`crate::common`): the repository root, temporary
//! folders and the binary run from the root.
//!
//! All modules run as threads of one process: a helper must not change the process's
//! environment or working directory (pass them to the child `Command` instead), and
//! folder names carry a per-module tag so that modules never share one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
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

/// Every entry of a folder with its bytes (a folder's reads as empty), sorted by name.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// A run long enough to be interrupted (several seconds), into `out`; stderr piped.
pub fn long_run(out: &Path) -> std::process::Child {
    command()
        .args([
            "run",
            "scenarios/echo_2017_2021.toml",
            "--households",
            "2000000",
            "--trials",
            "200",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}
