//! Generation time over all specs, once built: the library call behind `cargo xtask generate`, the
//! same plus the comparison `--check` makes, and the built xtask binary end to end.
//! Run with `cargo bench -p dbops-tests --bench generation`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

const RUNS: u32 = 20;

fn time(label: &str, mut f: impl FnMut()) {
    f();
    let mut best = Duration::MAX;
    let started = Instant::now();
    for _ in 0..RUNS {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
    }
    let mean = started.elapsed() / RUNS;
    println!(
        "{label:<44} mean {:>7.1} ms  best {:>7.1} ms  ({RUNS} runs)",
        mean.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3
    );
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    time("generate (library, all specs)", || {
        dbops_codegen::generate_all(&root).unwrap();
    });
    time("generate --check (library + compare)", || {
        for out in dbops_codegen::generate_all(&root).unwrap() {
            assert_eq!(
                std::fs::read_to_string(root.join(&out.path)).unwrap(),
                out.contents,
                "stale: run cargo xtask generate"
            );
        }
    });
    // The xtask binary as `cargo xtask` runs it (cargo's own start-up excluded), when it has been built.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    for profile in ["release", "debug"] {
        let bin = target.join(profile).join("xtask");
        if bin.exists() {
            time(&format!("xtask generate --check ({profile} binary)"), || {
                let out = std::process::Command::new(&bin)
                    .args(["generate", "--check"])
                    .output()
                    .unwrap();
                assert!(out.status.success());
            });
        }
    }
}
