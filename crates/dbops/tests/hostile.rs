//! The command line against hostile servers and inputs: an audit log that cannot be written (checked
//! before anything is killed; a record lost after a kill is reported with the kill's outcome and its own
//! exit status), terminal escapes from a server escaped in tables, and `--instances` files that are huge
//! or hold a bad line.

mod common;

use std::process::{Command, Output, Stdio};

use common::{ALI_AK, ALI_SECRET, rate_limited_gateway};
use dbops_tests::{RawRequest, Reply, Server, verify};
use serde_json::{Value, json};

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";

fn huawei_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("HUAWEICLOUD_SDK_AK", HW_AK),
        ("HUAWEICLOUD_SDK_SK", HW_SK),
        ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT),
    ]
}

fn ali_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET),
    ]
}

/// DAS with one long query of `app` whose SQL and user carry terminal escapes, and a kill that works.
fn das_gateway() -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::HuaweiAccount {
        access_key: HW_AK,
        secret_key: HW_SK,
        security_token: None,
        iam_token: None,
    };
    move |req, _| {
        if let Err(why) = account.check(req) {
            return Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string());
        }
        match req.method.as_str() {
            "GET" => Reply::json(
                200,
                &json!({"count": 1, "processes": [
                    {"id": "101", "user": "app\u{1b}[8m", "host": "10.0.0.5:40001", "database": "orders", "command": "Query",
                     "time": "900", "state": "Sending data", "sql": "select 1 \u{1b}]0;pwned\u{7}\u{1b}[2J\r"}
                ]})
                .to_string(),
            ),
            _ => Reply::empty(200).with_header("X-Request-Id", "req-kill-1"),
        }
    }
}

async fn run(args: Vec<String>, env: Vec<(&'static str, &'static str)>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_dbops"))
            .args(&args)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn das_kill(url: &str, more: &[&str]) -> Vec<String> {
    let mut a = vec![
        "sessions",
        "kill",
        "--service",
        "huawei-das",
        "--endpoint",
        url,
        "--instance",
        INSTANCE,
        "--db-user-id",
        DB_USER_ID,
        "--user",
        "app\u{1b}[8m",
        "--yes",
    ];
    a.extend_from_slice(more);
    a.into_iter().map(str::to_string).collect()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dbops-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `dbops sessions list --service alibaba-redis --endpoint URL --instances FILE`.
fn redis_fleet_list(url: &str, file: &std::path::Path) -> Vec<String> {
    let mut a: Vec<String> = [
        "sessions",
        "list",
        "--service",
        "alibaba-redis",
        "--endpoint",
        url,
        "--instances",
    ]
    .map(str::to_string)
    .to_vec();
    a.push(file.to_string_lossy().into_owned());
    a
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn an_audit_log_that_cannot_be_appended_to_stops_the_kill_before_anything_is_sent() {
    let dir = scratch("audit");
    std::fs::write(dir.join("file"), "").unwrap();
    let cases = [
        ("a missing directory", dir.join("missing/audit.jsonl")),
        ("a directory", dir.clone()),
        ("a parent that is a file", dir.join("file/audit.jsonl")),
    ];
    for (what, path) in cases {
        let server = Server::start(das_gateway()).await;
        let path = path.to_string_lossy().into_owned();
        let out = run(das_kill(&server.url(), &["--audit", &path]), huawei_env()).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains(&format!("--audit {path}: cannot append to it")),
            "{what}: {stderr}"
        );
        assert!(server.requests().is_empty(), "{what}: a request was sent");
        assert!(out.stdout.is_empty(), "{what}");
    }
}

#[tokio::test]
async fn an_audit_record_lost_after_a_kill_is_reported_with_the_kill_and_exit_status_3() {
    // `/dev/full` opens for appending; every write to it fails (no space left).
    let server = Server::start(das_gateway()).await;
    let out = run(das_kill(&server.url(), &["--audit", "/dev/full"]), huawei_env()).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("--audit /dev/full: the record was not written"),
        "{stderr}"
    );
    let killed: Value = serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(killed, json!({"id": "101", "killed": true, "reason": "SESSION_KILLED"}));
    assert!(
        server.requests().iter().any(|r| r.method == "DELETE"),
        "the kill was sent"
    );

    // A fleet: the result line carries the kill's outcome and the audit error.
    let server = Server::start(rate_limited_gateway(1_000)).await;
    let file = scratch("audit-fleet").join("instances.txt");
    std::fs::write(&file, "r-0001\nr-0002\n").unwrap();
    let args = [
        "sessions",
        "kill",
        "--service",
        "alibaba-redis",
        "--all",
        "--yes",
        "--endpoint",
        &server.url(),
        "--audit",
        "/dev/full",
        "--instances",
        &file.to_string_lossy(),
    ]
    .map(str::to_string)
    .to_vec();
    let out = run(args, ali_env()).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert_eq!(line["ok"], false, "{line}");
        assert_eq!(line["result"]["outcomes"][0]["killed"], true, "{line}");
        assert!(
            line["result"]["audit_error"]
                .as_str()
                .unwrap()
                .contains("the record was not written")
        );
    }
}

#[tokio::test]
async fn terminal_escapes_from_the_server_are_escaped_in_table_output() {
    let server = Server::start(das_gateway()).await;
    let args = [
        "sessions",
        "list",
        "--service",
        "huawei-das",
        "--endpoint",
        &server.url(),
        "--instance",
        INSTANCE,
        "--db-user-id",
        DB_USER_ID,
        "--output",
        "table",
    ]
    .map(str::to_string)
    .to_vec();
    let out = run(args, huawei_env()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(!table.contains(['\u{1b}', '\u{7}', '\r']), "{table:?}");
    assert!(table.contains("app\\u{1b}[8m"), "{table}");
    assert!(table.contains("select 1 \\u{1b}]0;pwned\\u{7}"), "{table}");
    // The plan a kill prints on standard error (jsonl without a terminal) is escaped too.
    let out = run(das_kill(&server.url(), &["--dry-run"]), huawei_env()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains('\u{1b}'), "{}", text(&out.stderr));
}

/// The highest resident memory `cmd` reached, in KiB, read from `/proc` while it runs.
fn peak_rss_kib(mut cmd: Command) -> (std::process::ExitStatus, u64) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn a_fleet_of_200_000_lines_runs_in_bounded_memory() {
    // Every instance id breaks the spec's rule, so each fails before anything is sent: the run is
    // the reading of the file and the scheduling of its work.
    let file = scratch("big").join("instances.txt");
    let mut text = String::new();
    for i in 0..200_000 {
        text.push_str(&format!("bad-{i:07} {DB_USER_ID}\n"));
    }
    std::fs::write(&file, text).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbops"));
    cmd.args([
        "sessions",
        "list",
        "--service",
        "huawei-das",
        "--endpoint",
        "http://127.0.0.1:9",
        "--rate",
        "1000000",
        "--instances",
    ])
    .arg(&file)
    .env_clear()
    .envs(huawei_env());
    let (status, peak) = peak_rss_kib(cmd);
    assert_eq!(status.code(), Some(1), "every instance failed its check");
    println!("peak resident memory for 200,000 lines: {peak} KiB");
    assert!(peak > 0 && peak < 64 * 1024, "peak {peak} KiB");
}

#[tokio::test]
async fn a_bad_line_is_named_by_its_number_before_anything_is_sent_and_never_echoed() {
    let server = Server::start(rate_limited_gateway(1_000)).await;
    let dir = scratch("bad-lines");
    let long = "x".repeat(2_000_000);
    let cases = [
        (
            "too long",
            format!("r-0001\n# ok\n{long}\nr-0002\n"),
            "line 3: longer than 1024 bytes",
        ),
        (
            "three fields",
            "r-0001\nr-0002 node extra\n".to_string(),
            "line 2: more than two fields",
        ),
    ];
    for (what, content, want) in cases {
        let file = dir.join("instances.txt");
        std::fs::write(&file, &content).unwrap();
        let args = redis_fleet_list(&server.url(), &file);
        let out = run(args, ali_env()).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(want), "{what}: {stderr}");
        assert!(stderr.len() < 500, "{what}: the line is echoed");
        assert!(server.requests().is_empty(), "{what}: a request was sent");
    }
    // A line of exactly 1,024 bytes is taken, with or without a newline after it.
    let full = format!("r-0001{}", " ".repeat(1024 - 6));
    for content in [format!("{full}\n{full}\n"), format!("{full}\n{full}")] {
        let file = dir.join("full.txt");
        std::fs::write(&file, &content).unwrap();
        let args = redis_fleet_list(&server.url(), &file);
        let out = run(args, ali_env()).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).lines().count(), 2);
    }
    let file = dir.join("latin1.txt");
    std::fs::write(&file, b"r-0001\nr-\xe90002\n").unwrap();
    let args = redis_fleet_list(&server.url(), &file);
    let out = run(args, ali_env()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 2: not UTF-8 text"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn a_bad_line_on_standard_input_ends_the_run_after_the_lines_before_it() {
    let server = Server::start(rate_limited_gateway(1_000)).await;
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_dbops"))
            .args([
                "sessions",
                "list",
                "--service",
                "alibaba-redis",
                "--endpoint",
                &url,
                "--concurrency",
                "1",
            ])
            .args(["--instances", "-"])
            .env_clear()
            .envs(ali_env())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"r-0001\nr-0002\na b c\nr-0003\n").unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--instances -, line 3: more than two fields"),
        "{stderr}"
    );
    let done: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = done.iter().map(|l| l["instance"].as_str().unwrap()).collect();
    assert_eq!(names, ["r-0001", "r-0002"]);
}

#[tokio::test]
async fn unreadable_credentials_are_reported_as_what_is_wrong_with_them() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let dbops = |args: &[&str], env: Vec<(OsString, OsString)>| {
        Command::new(env!("CARGO_BIN_EXE_dbops"))
            .args(args)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let list = |service| ["sessions", "list", "--service", service, "--instance", "rm-1"];
    let os = |s: &str| OsString::from(s);

    // A credential variable that is set, but not UTF-8.
    let env = vec![
        (os("HUAWEICLOUD_SDK_AK"), OsString::from_vec(b"HWAK\xff".to_vec())),
        (os("HUAWEICLOUD_SDK_SK"), os("secret")),
        (os("HUAWEICLOUD_SDK_PROJECT_ID"), os(PROJECT)),
    ];
    let out = dbops(&list("huawei-das"), env);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("environment variable HUAWEICLOUD_SDK_AK is set but is not valid UTF-8 text"),
        "{}",
        text(&out.stderr)
    );

    // The Alibaba Cloud CLI's configuration file: a directory, then not UTF-8, then missing.
    let home = scratch("home");
    let config = home.join(".aliyun/config.json");
    std::fs::create_dir_all(&config).unwrap();
    let env = || vec![(os("HOME"), home.clone().into_os_string())];
    let out = dbops(&list("alibaba-redis"), env());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(&format!("cannot read {}: ", config.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("not found"), "{stderr}");

    std::fs::remove_dir(&config).unwrap();
    std::fs::write(&config, b"{\"current\": \"d\xe9faut\"}").unwrap();
    let out = dbops(&list("alibaba-redis"), env());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(&format!("{} is not UTF-8 text", config.display())),
        "{stderr}"
    );

    std::fs::remove_file(&config).unwrap();
    let out = dbops(&list("alibaba-redis"), env());
    assert!(text(&out.stderr).contains("not found"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn a_private_root_is_trusted_from_ca_bundle_or_ssl_cert_file() {
    let ca = dbops_tests::tls::TestCa::new("dbops CLI test CA");
    let server = Server::start_tls(
        ca.issue(&["localhost"], false).server_config(),
        rate_limited_gateway(1_000),
    )
    .await;
    let pem = scratch("ca").join("ca.pem");
    std::fs::write(&pem, &ca.pem).unwrap();
    // The environment of `run` is static text.
    let pem: &'static str = Box::leak(pem.to_string_lossy().into_owned().into_boxed_str());
    let list = |more: &[&str]| {
        let mut a = vec![
            "sessions",
            "list",
            "--service",
            "alibaba-redis",
            "--output",
            "json",
            "--instance",
            "r-1",
        ];
        a.extend_from_slice(more);
        a.push("--endpoint");
        a.iter()
            .map(|s| s.to_string())
            .chain([server.https_url("localhost")])
            .collect::<Vec<_>>()
    };

    let out = run(list(&[]), ali_env()).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("certificate"), "{}", text(&out.stderr));

    let out = run(list(&["--ca-bundle", pem]), ali_env()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sessions: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 2);

    let mut env = ali_env();
    env.push(("SSL_CERT_FILE", pem));
    let out = run(list(&[]), env).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(list(&["--ca-bundle", "/nonexistent/ca.pem"]), ali_env()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--ca-bundle /nonexistent/ca.pem: "),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        server.requests().len(),
        2,
        "only the two trusted runs reached the gateway"
    );
}
