//! `cargo xtask generate` writes every generated file from `specs/`; `cargo xtask generate --check`
//! writes nothing and exits non-zero, with a diff, when a checked-in file is stale.
//! `cargo xtask sandbox` runs the local sandbox (real MariaDB and Redis behind the DAS emulator);
//! `cargo xtask test-real` runs the real-database suite against a sandbox it starts itself.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

mod sandbox;
mod upstream;

const USAGE: &str = "usage: cargo xtask generate [--check] | sandbox [ARGS] | test-real [TEST FILTER] | upstream [--offline] [--json]\n\n  \
generate          regenerate crates/*/src/generated/ from specs/\n  \
generate --check  fail with a diff if the checked-in generated code is stale\n  \
sandbox           start MariaDB, Redis and the DAS emulator on loopback; print the endpoint and\n                    \
credentials as `export` lines; Ctrl-C stops it (ARGS: --port, --fleet, --rate)\n  \
test-real         run the real-database suite (tests/sandbox/tests/real.rs) against a sandbox of its own\n  \
upstream          diff specs/ against the vendors' own definitions (--offline: from target/upstream/;\n                    \
--json); exit 0 no drift, 1 drift, 2 a source could not be fetched or read";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["generate"] => generate(false),
        ["generate", "--check"] => generate(true),
        ["sandbox", rest @ ..] => sandbox::run(&workspace_root(), rest),
        ["upstream", rest @ ..] => upstream::run(&workspace_root(), rest),
        ["test-real", rest @ ..] => sandbox::test_real(&workspace_root(), rest),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn generate(check: bool) -> ExitCode {
    let started = Instant::now();
    let root = workspace_root();
    let outputs = match dbops_codegen::generate_all(&root) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale = Vec::new();
    for out in &outputs {
        let path = root.join(&out.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == out.contents {
            continue;
        }
        if check {
            let diff = similar::TextDiff::from_lines(&current, &out.contents);
            print!(
                "{}",
                diff.unified_diff().context_radius(3).header(
                    &format!("{} (checked in)", out.path.display()),
                    &format!("{} (generated)", out.path.display())
                )
            );
            stale.push(out.path.display().to_string());
        } else if let Err(e) = std::fs::create_dir_all(path.parent().expect("file in a folder"))
            .and_then(|_| std::fs::write(&path, &out.contents))
        {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        } else {
            println!("wrote {}", out.path.display());
        }
    }
    // Files in a generated folder that no spec produces any more are stale too.
    for dir in outputs
        .iter()
        .filter_map(|o| o.path.parent())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let rel = dir.join(entry.file_name());
            if !outputs.iter().any(|o| o.path == rel) {
                if check {
                    println!(
                        "--- {} is not generated from any spec; remove it or restore its spec",
                        rel.display()
                    );
                    stale.push(rel.display().to_string());
                } else if std::fs::remove_file(entry.path()).is_ok() {
                    println!("removed {}", rel.display());
                }
            }
        }
    }
    let elapsed = started.elapsed();
    if check && !stale.is_empty() {
        eprintln!(
            "error: {} generated file(s) are stale: {}\nrun `cargo xtask generate` and commit the result",
            stale.len(),
            stale.join(", ")
        );
        return ExitCode::FAILURE;
    }
    let verb = if check { "checked" } else { "generated" };
    eprintln!(
        "{verb} {} file(s) from specs/ in {:.0} ms",
        outputs.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}
