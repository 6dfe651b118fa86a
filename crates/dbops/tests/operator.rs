//! The operators' conventions that need no service: `--test-matching` on a saved list (no
//! credentials in the environment), completions, the man page, `--query`, `--output tsv`, and
//! `--verbose` against a local gateway.

use std::process::{Command, Output};

use dbops_tests::{Reply, Server, verify};
use serde_json::{Value, json};

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";

/// `dbops` with nothing of this environment (no credentials at all) but `env`.
fn dbops(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbops"));
    cmd.args(args).env_clear().stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A saved process list, as `sessions list --output json` prints it.
fn saved() -> std::path::PathBuf {
    let list = json!([
        {"id": "1", "user": "batch", "host": "10.0.0.1:5000", "database": "sales", "command": "Query", "state": "User sleep", "seconds": 700, "sql": "SELECT SLEEP(700)"},
        {"id": "2", "user": "batch", "host": "10.0.0.1:5001", "database": "sales", "command": "Query", "state": "User sleep", "seconds": 90, "sql": "SELECT SLEEP(700) /* retry */"},
        {"id": "3", "user": "batch_ro", "host": "10.0.0.2:5002", "database": "crm", "command": "Query", "state": "Sending data", "seconds": 400, "sql": "select * from t"},
        {"id": "4", "user": "app", "host": "10.0.0.3:5003", "database": "crm", "command": "Sleep", "state": null, "seconds": 3000, "sql": null},
        {"id": "5", "user": "app", "host": "10.0.0.3:5004", "database": "crm", "command": "Sleep", "state": null, "seconds": 20, "sql": null},
        {"id": "6", "user": "system user", "host": "", "database": null, "command": "Binlog Dump", "state": null, "seconds": 99999, "sql": null}
    ]);
    let path = std::env::temp_dir().join(format!("dbops-saved-{}.json", std::process::id()));
    std::fs::write(&path, list.to_string()).unwrap();
    path
}

fn selected(out: &Output) -> Vec<String> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    rows.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn test_matching_tries_each_rule_on_a_saved_list_without_credentials_or_network() {
    let file = saved();
    let file = file.to_str().unwrap();
    let cases: [(&[&str], &[&str]); 10] = [
        (&["--match-user", "^batch"], &["1", "2", "3"]),
        (&["--match-user", "^batch", "--ignore-user", "_ro$"], &["1", "2"]),
        (&["--match-sql", "SLEEP", "--ignore-sql", "retry"], &["1"]),
        (&["--match-host", r"^10\.0\.0\.3:"], &["4", "5"]),
        (&["--match-database", "crm", "--match-command", "Query"], &["3"]),
        (&["--busy-time", "400"], &["1", "3"]),
        (&["--idle-time", "100"], &["4"]),
        (&["--user", "batch", "--victims", "oldest"], &["1"]),
        (&["--user", "batch", "--victims", "all-but-oldest"], &["2"]),
        (&["--match-state", "."], &["1", "2", "3"]),
    ];
    for (rule, want) in cases {
        let args = [
            &["sessions", "list", "--test-matching", file, "--output", "json"][..],
            rule,
        ]
        .concat();
        assert_eq!(selected(&dbops(&args, &[])), want, "{rule:?}");
    }
    // kill with --test-matching says what it would kill and sends nothing (no endpoint, no keys).
    let out = dbops(
        &["sessions", "kill", "--test-matching", file, "--idle-time", "100"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("would kill 1 of 6"), "{}", text(&out.stderr));
    let line: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(line["id"], "4");
    // Replication only by id.
    let out = dbops(&["sessions", "kill", "--test-matching", file, "--ids", "6"], &[]);
    assert!(text(&out.stdout).contains("\"id\":\"6\""), "{}", text(&out.stdout));
    let _ = std::fs::remove_file(file);
}

#[test]
fn test_matching_reads_json_lines_and_names_a_bad_line() {
    let path = std::env::temp_dir().join(format!("dbops-saved-{}.jsonl", std::process::id()));
    std::fs::write(&path, "{\"id\":\"1\",\"user\":\"a\"}\n{\"id\":\"2\",\"user\":\"b\"}\n").unwrap();
    let p = path.to_str().unwrap();
    assert_eq!(
        selected(&dbops(
            &[
                "sessions",
                "list",
                "--test-matching",
                p,
                "--user",
                "b",
                "--output",
                "json"
            ],
            &[]
        )),
        ["2"]
    );
    std::fs::write(&path, "{\"id\":\"1\"}\nnot json\n").unwrap();
    let out = dbops(&["sessions", "list", "--test-matching", p], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("line 2"), "{}", text(&out.stderr));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn completions_and_the_man_page_come_from_the_same_definitions() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = dbops(&["completions", shell], &[]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in ["sessions", "wait-before-kill", "match-user", "completions"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = dbops(&["man"], &[]);
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(page.contains(".TH dbops 1"), "{page}");
    assert!(page.contains("Find and kill database sessions"), "{page}");
    let out = dbops(&["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(2), "an unknown shell is refused");
}

fn das_gateway() -> impl Fn(&dbops_tests::RawRequest, usize) -> Reply + Send + Sync + 'static {
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
        Reply::json(
            200,
            &json!({"count": 2, "processes": [
                {"id": "101", "user": "app", "host": "10.0.0.5:40001", "database": "orders", "command": "Query", "time": "900", "sql": "select\t1"},
                {"id": "102", "user": "report", "host": "10.0.0.6:40002", "database": "dw", "command": "Query", "time": "5", "sql": "select 2"}
            ]})
            .to_string(),
        )
        .with_header("X-Request-Id", "req-list-1")
    }
}

/// `dbops sessions <verb> --service huawei-das` on the test instance at `url`, with `more`, and the
/// Huawei credentials only.
async fn das(url: &str, verb: &str, more: &[&str]) -> Output {
    let base = [
        "sessions",
        verb,
        "--service",
        "huawei-das",
        "--endpoint",
        url,
        "--instance",
        INSTANCE,
    ];
    let args: Vec<String> = [&base[..], &["--db-user-id", DB_USER_ID], more]
        .concat()
        .into_iter()
        .map(str::to_string)
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        dbops(&args, &HUAWEI_ENV)
    })
    .await
    .unwrap()
}

const HUAWEI_ENV: [(&str, &str); 3] = [
    ("HUAWEICLOUD_SDK_AK", HW_AK),
    ("HUAWEICLOUD_SDK_SK", HW_SK),
    ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT),
];

async fn das_list(more: &[&str]) -> Output {
    let server = Server::start(das_gateway()).await;
    das(&server.url(), "list", more).await
}

#[tokio::test]
async fn query_takes_a_jmespath_expression_over_the_list() {
    let out = das_list(&["--query", "[?seconds > `60`].{id: id, who: user}"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, json!([{"id": "101", "who": "app"}]));
    let out = das_list(&["--query", "[?"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--query: `[?` is not a JMESPath expression"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn tsv_is_one_line_a_session_with_every_field_escaped() {
    let out = das_list(&["--output", "tsv"]).await;
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines[0], "id\tuser\thost\tdatabase\tcommand\tstate\tseconds\tsql");
    assert_eq!(
        lines[1], "101\tapp\t10.0.0.5:40001\torders\tQuery\t\t900\tselect\\t1",
        "the SQL's tab escaped"
    );
    assert_eq!(lines.len(), 3);
}

#[tokio::test]
async fn verbose_shows_each_call_and_no_secret() {
    let out = das_list(&["--verbose", "--output", "json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("GET "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains(&format!(
            "/v3/{PROJECT}/instances/{INSTANCE}/processes -> 200 request_id=req-list-1 attempts=1"
        )),
        "{line}"
    );
    assert!(line.contains("ListProcesses"), "{line}");
    assert!(
        !err.contains(HW_SK) && !err.contains(DB_USER_ID),
        "no secret, no query: {err}"
    );
    assert!(
        serde_json::from_slice::<Value>(&out.stdout).is_ok(),
        "standard output stays the list"
    );
}

/// A watch round the service throttles is reported, and the watch goes on after a longer pause.
#[tokio::test]
async fn a_throttled_watch_round_is_reported_and_the_watch_goes_on() {
    let inner = das_gateway();
    let server = Server::start(move |req, i| {
        // The first four calls (the first round with its retries) are throttled.
        if i < 4 {
            return Reply::json(429, r#"{"error_code":"APIG.0308","error_msg":"over ratelimit"}"#);
        }
        inner(req, i)
    })
    .await;
    let url = server.url();
    let out = das(
        &url,
        "kill",
        &["--user", "nobody", "--yes", "--interval", "300ms", "--run-time", "2s"],
    )
    .await;
    assert!(
        out.status.success(),
        "a throttled round fails nothing: {}",
        text(&out.stderr)
    );
    let rounds: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rounds[0]["throttled"], true, "{rounds:?}");
    assert!(rounds[0]["error"].as_str().unwrap().contains("APIG.0308"), "{rounds:?}");
    assert!(
        rounds.len() >= 2 && rounds[1]["ok"] == true,
        "the next round runs: {rounds:?}"
    );
}

/// The exact user and database go to DAS as its own filters (`user`, `database`), so that the service
/// sends only those sessions; regular expressions stay on this side.
#[tokio::test]
async fn exact_user_and_database_are_sent_as_the_services_filters() {
    let server = Server::start(das_gateway()).await;
    let url = server.url();
    let out = das(
        &url,
        "list",
        &["--user", "app", "--database", "orders", "--match-host", "^10"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = &server.requests()[0];
    assert_eq!(list.query_param("user").as_deref(), Some("app"));
    assert_eq!(list.query_param("database").as_deref(), Some("orders"));
    assert_eq!(list.query_param("host"), None, "an expression is not a service filter");
}

/// SIGTERM during the pause between rounds ends the watch at once, with no other round.
#[tokio::test]
async fn a_signal_during_the_pause_between_rounds_ends_the_watch_at_once() {
    let server = Server::start(das_gateway()).await;
    let url = server.url();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbops"))
        .args([
            "sessions",
            "kill",
            "--service",
            "huawei-das",
            "--endpoint",
            &url,
            "--instance",
            INSTANCE,
            "--db-user-id",
            DB_USER_ID,
            "--user",
            "nobody",
            "--yes",
            "--interval",
            "30s",
            "--run-time",
            "5m",
        ])
        .env_clear()
        .envs(HUAWEI_ENV)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Round 1 lists at once; then the watch pauses 30 s.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(server.requests().len(), 1, "round 1 has listed");
    let started = std::time::Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let out = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        (status, err)
    })
    .await
    .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "it did not wait out the pause"
    );
    assert!(out.0.success(), "{}", out.1);
    assert!(
        out.1.contains("1 round(s)") && out.1.contains("stopped by a signal"),
        "{}",
        out.1
    );
    assert_eq!(server.requests().len(), 1, "no other round");
}

/// After a throttled round the watch pauses twice the interval; rounds are numbered from 1; a round
/// that fails otherwise fails the run.
#[tokio::test]
async fn a_watch_backs_off_after_throttling_numbers_its_rounds_and_fails_on_other_errors() {
    let at = std::sync::Arc::new(std::sync::Mutex::new(Vec::<std::time::Instant>::new()));
    let seen = at.clone();
    let inner = das_gateway();
    let server = Server::start(move |req, i| {
        seen.lock().unwrap().push(std::time::Instant::now());
        // Round 1, with the client's three attempts, is throttled.
        if i < 3 {
            return Reply::json(429, r#"{"error_code":"APIG.0308","error_msg":"over ratelimit"}"#);
        }
        inner(req, i)
    })
    .await;
    let url = server.url();
    let watch = |url: String, run_time: &'static str| async move {
        das(
            &url,
            "kill",
            &["--user", "nobody", "--yes", "--interval", "1s", "--run-time", run_time],
        )
        .await
    };
    let out = watch(url, "3500ms").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rounds: Vec<u64> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["round"].as_u64().unwrap())
        .collect();
    assert_eq!(
        rounds,
        [1, 2, 3],
        "round 1 throttled, round 2 two intervals later, round 3 one after"
    );
    let at = at.lock().unwrap().clone();
    let gap = at[3] - at[0];
    assert!(
        gap >= std::time::Duration::from_millis(1_950) && gap < std::time::Duration::from_millis(2_900),
        "round 2 started {gap:?} after round 1"
    );

    // A round that fails for another reason than throttling fails the run (and the watch goes on).
    let failing = Server::start(|_, _| Reply::json(403, r#"{"error_code":"DAS.0403","error_msg":"denied"}"#)).await;
    let out = watch(failing.url(), "1500ms").await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "the watch went on: {lines:?}");
    assert!(
        lines.iter().all(|l| l["ok"] == false && l.get("throttled").is_none()),
        "{lines:?}"
    );
}
