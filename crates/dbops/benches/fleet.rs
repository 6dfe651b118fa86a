//! A fleet of 1,000 instances (`dbops sessions list --instances`) against a local gateway that allows R
//! requests a second and answers `Throttling.User` beyond, started at twice R: the run should take at
//! most 1.2 × the ideal time (1,000 / R seconds), with no instance failing for throttling.
//! Run with `cargo bench -p dbops --bench fleet` (`FLEET_RATE=R` to change R, default 200).

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Instant;

use common::{ALI_AK, ALI_SECRET, rate_limited_gateway};
use dbops_tests::Server;

const INSTANCES: usize = 1_000;

fn main() {
    let allowed: usize = std::env::var("FLEET_RATE")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(Server::start(rate_limited_gateway(allowed)));
    let dir = std::env::temp_dir().join(format!("dbops-fleet-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("instances.txt");
    let text: String = (0..INSTANCES).map(|i| format!("r-{i:05}\n")).collect();
    std::fs::write(&file, text).unwrap();
    let ideal = INSTANCES as f64 / allowed as f64;
    println!("{INSTANCES} instances, the service allowing {allowed} requests/s: ideal {ideal:.2} s\n");
    println!("| --rate | --concurrency | time | time / ideal | failed | throttled replies |");
    println!("|---|---|---|---|---|---|");
    for (start_rate, concurrency) in [(allowed, 32), (2 * allowed, 32), (4 * allowed, 64)] {
        let before = server.requests().len();
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_dbops"))
            .args([
                "sessions",
                "list",
                "--service",
                "alibaba-redis",
                "--endpoint",
                &server.url(),
                "--rate",
                &start_rate.to_string(),
                "--concurrency",
                &concurrency.to_string(),
                "--instances",
            ])
            .arg(&file)
            .env_clear()
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET)
            .output()
            .unwrap();
        let took = started.elapsed().as_secs_f64();
        let text = String::from_utf8_lossy(&out.stdout);
        let failed = text.lines().filter(|l| l.contains("\"ok\":false")).count();
        let results = text.lines().count();
        assert_eq!(results, INSTANCES, "{}", String::from_utf8_lossy(&out.stderr));
        let throttled = server.requests().len() - before - INSTANCES;
        println!(
            "| {start_rate} | {concurrency} | {took:.2} s | {:.2} | {failed} | {throttled} |",
            took / ideal
        );
    }
}
