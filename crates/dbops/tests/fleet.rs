//! `--instances`: a fleet in one run against a gateway that allows a fixed request rate and throttles
//! beyond it. Every instance gets one result line; throttling slows the run down instead of failing
//! instances; a failed instance fails the run.

mod common;

use std::process::Command;

use common::{ALI_AK, ALI_SECRET, rate_limited_gateway};
use dbops_tests::Server;
use serde_json::Value;

fn fleet(url: String, file: std::path::PathBuf, rate: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dbops"))
        .args([
            "sessions",
            "list",
            "--service",
            "alibaba-redis",
            "--endpoint",
            &url,
            "--min-seconds",
            "60",
            "--concurrency",
            "16",
            "--rate",
            rate,
            "--instances",
        ])
        .arg(&file)
        .env_clear()
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET)
        .output()
        .unwrap()
}

fn instances(n: usize, bad: &[usize]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dbops-fleet-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("instances.txt");
    let mut text = String::from("# a test fleet\n");
    for i in 0..n {
        let prefix = if bad.contains(&i) { "bad" } else { "r" };
        text.push_str(&format!("{prefix}-{i:04}\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn a_throttling_service_slows_the_fleet_down_and_fails_no_instance() {
    // The service allows 50 requests a second; the run starts at four times that.
    let server = Server::start(rate_limited_gateway(50)).await;
    let (url, file) = (server.url(), instances(100, &[]));
    let out = tokio::task::spawn_blocking(move || fleet(url, file, "200"))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 100);
    assert!(lines.iter().all(|l| l["ok"] == true), "{lines:?}");
    // The filter applies per instance: the one old session of each.
    assert!(
        lines
            .iter()
            .all(|l| l["result"]["sessions"].as_array().unwrap().len() == 1)
    );
    let mut names: Vec<&str> = lines.iter().map(|l| l["instance"].as_str().unwrap()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 100, "one result per instance");
    let throttled = server.requests().len() - 100;
    assert!(throttled > 0, "the run did go faster than the service allows at first");
    // Each line counts the tries its instance took: throttled ones took more than one.
    let tries: Vec<u64> = lines.iter().map(|l| l["tries"].as_u64().unwrap()).collect();
    assert!(tries.iter().all(|&t| (1..=20).contains(&t)), "{tries:?}");
    assert!(tries.iter().any(|&t| t > 1), "{tries:?}");
}

#[tokio::test]
async fn a_failed_instance_fails_the_run_and_the_others_still_run() {
    let server = Server::start(rate_limited_gateway(1_000)).await;
    let (url, file) = (server.url(), instances(10, &[3, 7]));
    let out = tokio::task::spawn_blocking(move || fleet(url, file, "100"))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10);
    let failed: Vec<&str> = lines
        .iter()
        .filter(|l| l["ok"] == false)
        .map(|l| l["instance"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|i| i.starts_with("bad-")));
    assert!(
        lines
            .iter()
            .filter(|l| l["ok"] == false)
            .all(|l| l["error"].as_str().unwrap().contains("InvalidParams"))
    );
}

#[tokio::test]
async fn a_fleet_is_killed_only_with_yes_and_each_instance_is_audited() {
    let server = Server::start(rate_limited_gateway(1_000)).await;
    let (url, file) = (server.url(), instances(5, &[]));
    let audit = file.with_file_name("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let kill = move |yes: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbops"));
        cmd.args([
            "sessions",
            "kill",
            "--service",
            "alibaba-redis",
            "--all",
            "--endpoint",
            &url,
            "--instances",
        ])
        .arg(&file)
        .arg("--audit")
        .arg(&audit)
        .env_clear()
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET);
        if yes {
            cmd.arg("--yes");
        }
        (
            cmd.output().unwrap(),
            std::fs::read_to_string(&audit).unwrap_or_default(),
        )
    };
    let ((refused, _), (done, log)) = tokio::task::spawn_blocking(move || (kill(false), kill(true)))
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let kills = server
        .requests()
        .iter()
        .filter(|r| r.header("x-acs-action") == Some("KillInstanceAllSession"))
        .count();
    assert_eq!(kills, 5);
    let entries: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 5);
    assert!(
        entries
            .iter()
            .all(|e| e["request_ids"] == serde_json::json!(["R-K"]) && e["dry_run"] == false)
    );
    assert!(!log.contains(ALI_SECRET) && !log.contains(ALI_AK));
}

#[tokio::test]
async fn a_fleet_never_goes_faster_than_its_rate() {
    // A gateway that never throttles, recording when each request arrives.
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::<std::time::Instant>::new()));
    let seen = arrivals.clone();
    let inner = rate_limited_gateway(1_000_000);
    let server = Server::start(move |req, i| {
        seen.lock().unwrap().push(std::time::Instant::now());
        inner(req, i)
    })
    .await;
    let (url, file) = (server.url(), instances(30, &[]));
    let out = tokio::task::spawn_blocking(move || fleet(url, file, "10"))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let at = arrivals.lock().unwrap().clone();
    assert_eq!(at.len(), 30);
    // 10 a second with a burst of one: no second holds more than 11 requests.
    let most_in_a_second = (0..at.len())
        .map(|i| {
            at[i..]
                .iter()
                .take_while(|t| t.duration_since(at[i]) < std::time::Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap();
    assert!(most_in_a_second <= 11, "{most_in_a_second} requests within one second");
}

#[tokio::test]
async fn a_fleet_works_on_as_many_instances_at_once_as_its_concurrency() {
    for (concurrency, most) in [("1", 1..=1), ("4", 2..=4)] {
        // Each reply takes 300 ms: instances worked on together overlap on the server.
        let inner = rate_limited_gateway(1_000_000);
        let server = Server::start(move |req, i| {
            dbops_tests::Reply::Delayed(std::time::Duration::from_millis(300), Box::new(inner(req, i)))
        })
        .await;
        let (url, file) = (server.url(), instances(8, &[]));
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_dbops"))
                .args(["sessions", "list", "--service", "alibaba-redis", "--endpoint", &url])
                .args(["--rate", "1000", "--concurrency", concurrency, "--instances"])
                .arg(&file)
                .env_clear()
                .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK)
                .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            most.contains(&server.max_open_connections()),
            "--concurrency {concurrency}: {} connections at once",
            server.max_open_connections()
        );
    }
}

#[tokio::test]
async fn a_fleet_shows_its_progress_on_a_terminal_only() {
    // Each reply takes 200 ms, so that the bar is drawn while the fleet runs.
    let inner = rate_limited_gateway(1_000_000);
    let server = Server::start(move |req, i| {
        dbops_tests::Reply::Delayed(std::time::Duration::from_millis(200), Box::new(inner(req, i)))
    })
    .await;
    let (url, file) = (server.url(), instances(3, &[]));
    let run = move |terminal: bool| {
        let dbops = env!("CARGO_BIN_EXE_dbops");
        let line = format!(
            "{dbops} sessions list --service alibaba-redis --endpoint {url} --concurrency 1 --instances {}",
            file.display()
        );
        let mut cmd = if terminal {
            // util-linux `script` runs it on a pseudo-terminal.
            let mut c = Command::new("script");
            c.args(["-qec", &line, "/dev/null"]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", &line]);
            c
        };
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TERM", "xterm")
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let (on_terminal, piped) = tokio::task::spawn_blocking(move || (run(true), run(false)))
        .await
        .unwrap();
    assert!(on_terminal.status.success() && piped.status.success());
    // The bar counts the file's three instances (`1/3` … `3/3`) on the terminal, and is absent otherwise.
    let shown = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(shown.contains("/3"), "{shown:?}");
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("/3"));
}
