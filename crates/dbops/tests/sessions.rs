//! `dbops sessions list|kill` against local gateways that verify each signature: filters in pt-kill's
//! spirit, system and replication sessions never selected by a filter, a plan and a confirmation (refused
//! without a terminal unless `--yes`), dry runs that send nothing, per-session outcomes, exit statuses,
//! and an audit log without secrets.

use std::process::{Command, Output};

use dbops_tests::{RawRequest, Reply, Server, verify};
use serde_json::{Value, json};

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";
const ALI_AK: &str = "LTAITESTACCESSKEYID01";
const ALI_SECRET: &str = "ali-secret-must-not-leak";
const PASSWORD: &str = "db-p@ss-must-not-leak";

fn dbops(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbops"));
    cmd.args(args).env_clear().stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn huawei_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("HUAWEICLOUD_SDK_AK", HW_AK),
        ("HUAWEICLOUD_SDK_SK", HW_SK),
        ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT),
    ]
}

/// DAS with five processes: two long queries of `app`, a short one, another user's, and replication.
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
                &json!({"count": 5, "processes": [
                    {"id": "101", "user": "app", "host": "10.0.0.5:40001", "database": "orders", "command": "Query", "time": "900", "state": "Sending data", "sql": "select * from orders where total > 100"},
                    {"id": "102", "user": "app", "host": "10.0.0.6:40002", "database": "orders", "command": "Query", "time": "700", "state": "Sending data", "sql": "update stock set n = n - 1"},
                    {"id": "103", "user": "app", "host": "10.0.0.5:40003", "database": "orders", "command": "Query", "time": "3", "state": "executing", "sql": "select 1"},
                    {"id": "104", "user": "report", "host": "10.0.0.9:40004", "database": "dw", "command": "Query", "time": "5000", "state": "Sending data", "sql": "select * from facts"},
                    {"id": "105", "user": "system user", "host": "", "database": null, "command": "Binlog Dump", "time": "99999", "state": "Master has sent all binlog", "sql": null}
                ]}).to_string(),
            ),
            _ => Reply::empty(200).with_header("X-Request-Id", "req-kill-1"),
        }
    }
}

fn das_args<'a>(url: &'a str, verb: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "sessions",
        verb,
        "--service",
        "huawei-das",
        "--endpoint",
        url,
        "--instance",
        INSTANCE,
        "--db-user-id",
        DB_USER_ID,
    ];
    a.extend_from_slice(more);
    a
}

async fn run(args: Vec<String>, env: Vec<(&'static str, &'static str)>) -> Output {
    tokio::task::spawn_blocking(move || dbops(&args.iter().map(String::as_str).collect::<Vec<_>>(), &env))
        .await
        .unwrap()
}

fn owned(a: Vec<&str>) -> Vec<String> {
    a.into_iter().map(str::to_string).collect()
}

#[tokio::test]
async fn list_filters_as_pt_kill_does_and_never_selects_replication() {
    let server = Server::start(das_gateway()).await;
    let url = server.url();
    let ids = |out: &Output| -> Vec<String> {
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec![], vec!["101", "102", "103", "104"]),
        (vec!["--user", "app", "--min-seconds", "60"], vec!["101", "102"]),
        (vec!["--host", "10.0.0.5"], vec!["101", "103"]),
        (vec!["--match-sql", "^select \\*"], vec!["101", "104"]),
        (vec!["--database", "dw", "--command", "query"], vec!["104"]),
        (vec!["--state", "executing"], vec!["103"]),
    ];
    for (filters, want) in cases {
        let mut args = das_args(&url, "list", &filters);
        args.extend(["--output", "json"]);
        let out = run(owned(args), huawei_env()).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(ids(&out), want, "{filters:?}");
    }
    // jsonl: one session a line.
    let mut args = das_args(&url, "list", &["--user", "report"]);
    args.extend(["--output", "jsonl"]);
    let out = run(owned(args), huawei_env()).await;
    let line: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(line["seconds"], 5000);
    // The user and database filters also go to the service.
    let sent = server.requests().last().unwrap().clone();
    assert_eq!(sent.query_param("user").as_deref(), Some("report"));
}

#[tokio::test]
async fn kill_refuses_without_a_terminal_unless_yes_and_dry_runs_send_nothing() {
    let server = Server::start(das_gateway()).await;
    let url = server.url();
    let dir = std::env::temp_dir().join(format!("dbops-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let audit = dir.join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let audit_arg = audit.to_string_lossy().into_owned();
    let filters = ["--user", "app", "--min-seconds", "60"];

    // No terminal and no --yes: refused, nothing killed.
    let out = run(owned(das_args(&url, "kill", &filters)), huawei_env()).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("refusing to kill without confirmation"),
        "{}",
        text(&out.stderr)
    );
    assert!(server.requests().iter().all(|r| r.method == "GET"));

    // Dry run: the plan and the signed request, masked; nothing killed.
    let mut args = das_args(&url, "kill", &filters);
    args.extend(["--dry-run", "--audit", &audit_arg]);
    let out = run(owned(args), huawei_env()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains(&format!("DELETE {url}/v3/{PROJECT}/instances/{INSTANCE}/process")),
        "{shown}"
    );
    assert!(shown.contains(r#""process_ids":["101","102"]"#), "{shown}");
    assert!(!shown.contains(HW_SK) && !shown.contains(HW_AK), "{shown}");
    assert!(
        text(&out.stderr).starts_with("plan: kill 2 of 5 session(s)"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        server.requests().iter().all(|r| r.method == "GET"),
        "the dry run killed nothing"
    );

    // --yes: killed, each session reported, audited.
    let mut args = das_args(&url, "kill", &filters);
    args.extend(["--yes", "--audit", &audit_arg]);
    let out = run(owned(args), huawei_env()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let killed: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        killed,
        [
            json!({"id": "101", "killed": true, "reason": "SESSION_KILLED"}),
            json!({"id": "102", "killed": true, "reason": "SESSION_KILLED"})
        ]
    );
    let delete = server.requests().into_iter().find(|r| r.method == "DELETE").unwrap();
    let body: Value = serde_json::from_slice(&delete.body).unwrap();
    assert_eq!(body["process_ids"], json!(["101", "102"]));

    let log = std::fs::read_to_string(&audit).unwrap();
    for secret in [HW_SK, HW_AK] {
        assert!(!log.contains(secret), "{secret} in the audit log");
    }
    let entries: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0]["dry_run"].clone(), entries[1]["dry_run"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(entries[1]["request_ids"], json!(["req-kill-1"]));
    for e in &entries {
        assert_eq!(e["who"], "HWTE…");
        assert_eq!(e["instance"], INSTANCE);
        assert_eq!(e["sessions"], json!(["101", "102"]));
        assert!(e["time"].as_str().unwrap().ends_with('Z'));
    }
}

#[tokio::test]
async fn replication_is_killed_only_by_id() {
    let server = Server::start(das_gateway()).await;
    let url = server.url();
    let mut args = das_args(&url, "kill", &["--ids", "105"]);
    args.push("--yes");
    let out = run(owned(args), huawei_env()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let delete = server.requests().into_iter().find(|r| r.method == "DELETE").unwrap();
    let body: Value = serde_json::from_slice(&delete.body).unwrap();
    assert_eq!(body["process_ids"], json!(["105"]));
}

fn ali_gateway(reasons: &'static [&'static str]) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::AlibabaAccount {
        access_key_id: ALI_AK,
        secret: ALI_SECRET,
        security_token: None,
    };
    move |req, _| {
        if let Err(why) = account.check(req) {
            return Reply::json(
                400,
                &json!({"Code": "SignatureDoesNotMatch", "Message": why}).to_string(),
            );
        }
        let body = match req.header("x-acs-action").unwrap_or_default() {
            "GetMySQLAllSessionAsync" => {
                json!({"Code": 200, "Success": true, "Data": {"IsFinish": true, "State": "SUCCESS", "SessionData": {"SessionList": [
                    {"SessionId": 7, "User": "app", "Client": "10.1.1.1:5000", "DbName": "orders", "Command": "Query", "State": "Sending data", "Time": 900, "SqlText": "select sleep(900)"},
                    {"SessionId": 8, "User": "app", "Client": "10.1.1.1:5001", "DbName": "orders", "Command": "Query", "State": "Sending data", "Time": 600, "SqlText": "select sleep(600)"},
                    {"SessionId": 9, "User": "app", "Command": "Sleep", "Time": 5}
                ]}}})
            }
            "CreateKillInstanceSessionTask" => {
                json!({"Code": 200, "Success": true, "RequestId": "R-task", "Data": "task-1"})
            }
            "GetKillInstanceSessionTaskResult" => {
                json!({"Code": 200, "Success": true, "Data": {"TaskId": "task-1", "TaskState": "SUCCESS",
                "Result": [{"Id": 7, "Reason": reasons[0]}, {"Id": 8, "Reason": reasons[1]}]}})
            }
            "KillInstanceAllSession" => json!({"Code": "200", "Success": "true", "RequestId": "R-all"}),
            other => panic!("{other}"),
        };
        Reply::json(200, &body.to_string())
    }
}

fn ali_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET),
        ("DBOPS_DB_USER", "admin"),
        ("DBOPS_DB_USER_PASSWORD", PASSWORD),
    ]
}

#[tokio::test]
async fn an_alibaba_kill_reports_each_session_and_fails_when_one_was_not_killed() {
    for (reasons, status) in [
        (&["SESSION_KILLED", "SESSION_KILLED"][..], 0),
        (&["SESSION_KILLED", "SESSION_NO_PERMISSION"][..], 1),
    ] {
        let reasons: &'static [&'static str] = Box::leak(reasons.to_vec().into_boxed_slice());
        let server = Server::start(ali_gateway(reasons)).await;
        let url = server.url();
        let args = vec![
            "sessions",
            "kill",
            "--service",
            "alibaba-mysql",
            "--endpoint",
            &url,
            "--instance",
            "rm-1",
            "--user",
            "app",
            "--min-seconds",
            "60",
            "--yes",
        ];
        let out = run(owned(args), ali_env()).await;
        assert_eq!(out.status.code(), Some(status), "{}", text(&out.stderr));
        let lines: Vec<Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0], json!({"id": "7", "killed": true, "reason": "SESSION_KILLED"}));
        assert_eq!(lines[1]["reason"], reasons[1]);
        let create = server
            .requests()
            .into_iter()
            .find(|r| r.header("x-acs-action") == Some("CreateKillInstanceSessionTask"))
            .unwrap();
        assert_eq!(create.query_param("SessionIds").as_deref(), Some("[7,8]"));
        assert_eq!(create.query_param("DbUserPassword").as_deref(), Some(PASSWORD));
    }
}

#[tokio::test]
async fn redis_is_killed_whole_or_not_at_all() {
    let server = Server::start(ali_gateway(&["SESSION_KILLED", "SESSION_KILLED"])).await;
    let url = server.url();
    let args = vec![
        "sessions",
        "kill",
        "--service",
        "alibaba-redis",
        "--endpoint",
        &url,
        "--instance",
        "r-1",
        "--yes",
    ];
    let out = run(owned(args), ali_env()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("pass --all"), "{}", text(&out.stderr));
    assert!(server.requests().is_empty());
}

#[test]
fn sessions_help_is_stable() {
    let out = dbops(&["sessions", "kill", "--help"], &[]);
    assert!(out.status.success());
    insta::assert_snapshot!("help_sessions_kill", text(&out.stdout));
}

#[tokio::test]
async fn a_db_user_is_registered_with_its_password_from_the_environment_only() {
    let account = verify::HuaweiAccount {
        access_key: HW_AK,
        secret_key: HW_SK,
        security_token: None,
        iam_token: None,
    };
    let server = Server::start(move |req: &RawRequest, _| match account.check(req) {
        Ok(()) => Reply::json(200, &json!({"db_user_id": DB_USER_ID}).to_string()),
        Err(why) => Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string()),
    })
    .await;
    let url = server.url();
    let args = vec![
        "db-user",
        "register",
        "--endpoint",
        &url,
        "--instance",
        INSTANCE,
        "--db-username",
        "root",
    ];
    let mut env = huawei_env();
    // No password variable and no terminal: refused, nothing sent.
    let out = run(owned(args.clone()), env.clone()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("never a flag"), "{}", text(&out.stderr));
    assert!(server.requests().is_empty());
    env.push(("DBOPS_DB_USER_PASSWORD", PASSWORD));
    let out = run(owned(args), env).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!({"db_user_id": DB_USER_ID})
    );
    let body: Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
    assert_eq!(
        body,
        json!({"datastore_type": "MySQL", "db_user_password": PASSWORD, "db_username": "root"})
    );
}

/// Runs `dbops` on a pseudo-terminal (util-linux `script`), typing `answer` at the confirmation.
async fn on_a_terminal(args: Vec<String>, env: Vec<(&'static str, &'static str)>, answer: &'static str) -> Output {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let line: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_dbops").to_string())
            .chain(args.iter().map(|a| format!("'{a}'")))
            .collect();
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line.join(" "), "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("util-linux `script` runs the command on a terminal");
        let mut stdin = child.stdin.take().unwrap();
        // The plan is fetched first; the question then waits for one key.
        std::thread::sleep(std::time::Duration::from_millis(1_500));
        stdin.write_all(answer.as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn on_a_terminal_kill_asks_and_does_what_the_answer_says() {
    let server = Server::start(das_gateway()).await;
    let url = server.url();
    let args = owned(das_args(&url, "kill", &["--user", "app", "--min-seconds", "60"]));
    let out = on_a_terminal(args.clone(), huawei_env(), "n").await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("kill these 2 session(s)?"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("nothing killed"), "{}", text(&out.stdout));
    assert!(server.requests().iter().all(|r| r.method == "GET"), "no means no");

    let out = on_a_terminal(args, huawei_env(), "y").await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains(r#"{"id":"101","killed":true,"reason":"SESSION_KILLED"}"#),
        "{}",
        text(&out.stdout)
    );
    let deletes = server.requests().into_iter().filter(|r| r.method == "DELETE").count();
    assert_eq!(deletes, 1);
}

/// The kill task is created, then its result cannot be read: the kill was sent, so it is audited with
/// its task and an unknown outcome, and never sent again (a fleet does not retry that instance).
#[tokio::test]
async fn a_kill_whose_outcome_cannot_be_learned_is_audited_as_unknown_and_not_retried() {
    let inner = ali_gateway(&["SESSION_KILLED", "SESSION_KILLED"]);
    let server = Server::start(move |req, i| {
        if req.header("x-acs-action") == Some("GetKillInstanceSessionTaskResult") {
            return Reply::json(
                400,
                r#"{"Code":"InvalidParam","Message":"the task cannot be read","RequestId":"R-x"}"#,
            );
        }
        inner(req, i)
    })
    .await;
    let url = server.url();
    let dir = std::env::temp_dir().join(format!("dbops-unknown-outcome-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (file, audit) = (dir.join("instances"), dir.join("audit.jsonl"));
    std::fs::write(&file, "rm-1\nrm-2\n").unwrap();
    let _ = std::fs::remove_file(&audit);
    let args = vec![
        "sessions",
        "kill",
        "--service",
        "alibaba-mysql",
        "--endpoint",
        &url,
        "--instances",
        file.to_str().unwrap(),
        "--user",
        "app",
        "--min-seconds",
        "60",
        "--yes",
        "--audit",
        audit.to_str().unwrap(),
    ];
    let out = run(owned(args), ali_env()).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let results: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(r["ok"], false, "{r}");
        assert_eq!(r["tries"], 1, "a sent kill is not retried: {r}");
        let reason = r["result"]["outcomes"][0]["reason"].as_str().unwrap();
        assert!(reason.starts_with("OUTCOME_UNKNOWN ("), "{reason}");
        assert!(reason.contains("the task cannot be read"), "{reason}");
    }
    let records: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "each sent kill has its record");
    for rec in &records {
        assert_eq!(rec["sessions"], json!(["7", "8"]));
        assert_eq!(
            rec["request_ids"],
            json!(["task-1"]),
            "the record names the task that was started"
        );
        assert_eq!(rec["outcomes"][0]["killed"], false);
    }
    let creates = server
        .requests()
        .iter()
        .filter(|r| r.header("x-acs-action") == Some("CreateKillInstanceSessionTask"))
        .count();
    assert_eq!(creates, 2, "one kill per instance");
    let _ = std::fs::remove_dir_all(&dir);
}
