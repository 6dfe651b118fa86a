//! `cargo xtask sandbox` and `cargo xtask test-real`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Builds the sandbox and the `dbops` binary.
fn build(root: &Path) -> Result<(), ExitCode> {
    let status = cargo()
        .current_dir(root)
        .args(["build", "--quiet", "-p", "dbops-sandbox", "-p", "dbops", "--bins"])
        .status();
    match status {
        Ok(s) if s.success() => Ok(()),
        _ => {
            eprintln!("error: building the sandbox failed");
            Err(ExitCode::FAILURE)
        }
    }
}

/// `cargo xtask sandbox [ARGS]`: runs the sandbox in the foreground.
pub fn run(root: &Path, args: &[&str]) -> ExitCode {
    if let Err(code) = build(root) {
        return code;
    }
    let bin = target_dir(root).join("debug");
    eprintln!(
        "# dbops: {} (or `cargo install --path crates/dbops`)",
        bin.join("dbops").display()
    );
    let status = Command::new(bin.join("dbops-sandbox"))
        .args(["--dir", &target_dir(root).join("sandbox").display().to_string()])
        .args(args)
        .status();
    match status {
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: dbops-sandbox: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A sandbox started for a test run, stopped when dropped: its standard input closes, and it stops
/// its servers and removes its directory.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

/// Starts a sandbox and reads its `export` lines.
fn start(root: &Path, args: &[&str]) -> Result<(Running, Vec<(String, String)>), String> {
    let mut child = Command::new(target_dir(root).join("debug/dbops-sandbox"))
        .args(["--dir", &target_dir(root).join("sandbox").display().to_string()])
        .args(args)
        .arg("--until-stdin-closes")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("dbops-sandbox: {e}"))?;
    let stdout = child.stdout.take().ok_or("dbops-sandbox: no standard output")?;
    let running = Running(child);
    let mut exports = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("dbops-sandbox: {e}"))?;
        if line.starts_with("# ready") {
            return Ok((running, exports));
        }
        if let Some((name, value)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            exports.push((name.to_string(), value.trim_matches('\'').to_string()));
        } else {
            eprintln!("{line}");
        }
    }
    Err("the sandbox stopped before it was ready (its error is above)".into())
}

/// `cargo xtask test-real [FILTER]`: the real-database suite, one test at a time (they share the
/// servers), against a sandbox of its own with a fleet of 50 instances.
pub fn test_real(root: &Path, filter: &[&str]) -> ExitCode {
    let started = Instant::now();
    if let Err(code) = build(root) {
        return code;
    }
    // Built before the servers start, so that they do not wait on the compiler.
    let built = cargo()
        .current_dir(root)
        .args(["test", "--quiet", "-p", "dbops-sandbox", "--test", "real", "--no-run"])
        .status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("error: building the real-database suite failed");
        return ExitCode::FAILURE;
    }
    let (sandbox, exports) = match start(root, &["--fleet", "50"]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let status = cargo()
        .current_dir(root)
        .args(["test", "-p", "dbops-sandbox", "--test", "real", "--"])
        .args(filter)
        .args(["--ignored", "--test-threads=1"])
        .envs(exports)
        .env("DBOPS_BIN", target_dir(root).join("debug/dbops"))
        .status();
    drop(sandbox);
    eprintln!("test-real: {:.0} s", started.elapsed().as_secs_f64());
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
