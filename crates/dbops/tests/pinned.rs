//! Behaviours operators rely on when killing sessions in production, each pinned where a one-line change
//! would otherwise pass: every page of a DDS node's sessions is shown, replication under an ordinary
//! user is never selected by a filter, and `--min-seconds N` means at least N, for every service.

use std::process::{Command, Output, Stdio};

use dbops_tests::{RawRequest, Reply, Server, verify};
use serde_json::{Value, json};

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const NODE: &str = "520c58ba00a3497e97ce0b9604874dd6no02";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";
const ALI_AK: &str = "LTAITESTACCESSKEYID01";
const ALI_SECRET: &str = "ali-secret-must-not-leak";

fn env_of(service: &str) -> Vec<(&'static str, &'static str)> {
    if service.starts_with("huawei") {
        vec![
            ("HUAWEICLOUD_SDK_AK", HW_AK),
            ("HUAWEICLOUD_SDK_SK", HW_SK),
            ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT),
        ]
    } else {
        vec![
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET),
            ("DBOPS_DB_USER", "admin"),
            ("DBOPS_DB_USER_PASSWORD", "pw"),
        ]
    }
}

async fn dbops(args: Vec<String>, env: Vec<(&'static str, &'static str)>) -> Output {
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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `dbops sessions VERB --service SERVICE` against `url`, on the instance (or node) the service takes.
fn args(verb: &str, service: &str, url: &str, more: &[&str]) -> Vec<String> {
    let mut a = vec!["sessions", verb, "--service", service, "--endpoint", url];
    match service {
        "huawei-das" => a.extend(["--instance", INSTANCE, "--db-user-id", DB_USER_ID]),
        "huawei-dds" => a.extend(["--instance", NODE]),
        _ => a.extend(["--instance", "rm-1"]),
    }
    if verb == "list" {
        a.extend(["--output", "json"]);
    }
    a.extend_from_slice(more);
    a.into_iter().map(str::to_string).collect()
}

fn listed(out: &Output) -> Vec<String> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// A gateway checking each provider's signature and answering the list of `service` with `sessions`
/// (`(id, user, command, seconds)`); kills succeed.
fn gateway(
    service: &'static str,
    sessions: Vec<(&'static str, &'static str, &'static str, u64)>,
) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let huawei = verify::HuaweiAccount {
        access_key: HW_AK,
        secret_key: HW_SK,
        security_token: None,
        iam_token: None,
    };
    let alibaba = verify::AlibabaAccount {
        access_key_id: ALI_AK,
        secret: ALI_SECRET,
        security_token: None,
    };
    move |req, _| {
        let checked = if service.starts_with("huawei") {
            huawei.check(req)
        } else {
            alibaba.check(req)
        };
        if let Err(why) = checked {
            return Reply::json(
                401,
                &json!({"error_code": "APIGW.0301", "Code": "SignatureDoesNotMatch", "error_msg": why}).to_string(),
            );
        }
        let q = |k: &str| req.query_param(k).and_then(|v| v.parse::<usize>().ok());
        let (offset, limit) = (q("offset").unwrap_or(0), q("limit").unwrap_or(100));
        let page = sessions.iter().skip(offset).take(limit);
        let body = match (service, req.method.as_str(), req.header("x-acs-action")) {
            ("huawei-das", "GET", _) => {
                json!({"count": sessions.len(), "processes": page.map(|(id, user, command, s)| json!({
                "id": id, "user": user, "command": command, "time": s.to_string(), "host": "10.0.0.5:4000"
            })).collect::<Vec<_>>()})
            }
            ("huawei-dds", "GET", _) => {
                json!({"total_count": sessions.len(), "sessions": page.map(|(id, user, command, s)| json!({
                "id": id, "user": user, "type": command, "cost_time": (s * 1_000_000).to_string(), "active": true
            })).collect::<Vec<_>>()})
            }
            (_, _, Some("GetMySQLAllSessionAsync")) => {
                json!({"Code": 200, "Success": true, "Data": {"IsFinish": true, "State": "SUCCESS",
                "SessionData": {"SessionList": sessions.iter().map(|(id, user, command, s)| json!({
                    "SessionId": id.parse::<u64>().unwrap(), "User": user, "Command": command, "Time": s
                })).collect::<Vec<_>>()}}})
            }
            (_, _, Some("GetRedisAllSession")) => {
                json!({"Code": 200, "Success": true, "Data": {"Total": sessions.len(),
                "Sessions": sessions.iter().map(|(id, user, command, s)| json!({
                    "Id": id.parse::<u64>().unwrap(), "Name": user, "Cmd": command, "Age": s.to_string()
                })).collect::<Vec<_>>()}})
            }
            (_, _, Some("CreateKillInstanceSessionTask")) => {
                json!({"Code": 200, "Success": true, "RequestId": "R", "Data": "task-1"})
            }
            (_, _, Some("GetKillInstanceSessionTaskResult")) => {
                let ids: Vec<u64> =
                    serde_json::from_str(&req.query_param("SessionIds").unwrap_or("[]".into())).unwrap_or_default();
                json!({"Code": 200, "Success": true, "Data": {"TaskId": "task-1", "TaskState": "SUCCESS",
                    "Result": ids.iter().map(|i| json!({"Id": i, "Reason": "SESSION_KILLED"})).collect::<Vec<_>>()}})
            }
            _ => return Reply::empty(200).with_header("X-Request-Id", "req-kill"),
        };
        Reply::json(200, &body.to_string())
    }
}

#[tokio::test]
async fn every_session_of_a_dds_node_is_listed_past_its_first_page() {
    let ids: Vec<&'static str> = (0..25).map(|n| &*Box::leak(format!("s{n}").into_boxed_str())).collect();
    let sessions = ids.iter().map(|id| (*id, "app", "query", 30)).collect();
    let server = Server::start(gateway("huawei-dds", sessions)).await;
    let out = dbops(args("list", "huawei-dds", &server.url(), &[]), env_of("huawei-dds")).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(listed(&out), ids);
    let offsets: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.query_param("offset").unwrap())
        .collect();
    assert_eq!(offsets, ["0", "20"]);
}

#[tokio::test]
async fn replication_of_an_ordinary_user_is_never_selected_by_a_filter_and_killed_only_by_id() {
    let sessions = vec![
        ("201", "repl", "Binlog Dump", 9_000),
        ("202", "repl", "Binlog Dump GTID", 9_000),
        ("203", "repl", "Daemon", 9_000),
        ("204", "repl", "Query", 9_000),
        ("205", "app", "Query", 9_000),
    ];
    let server = Server::start(gateway("huawei-das", sessions)).await;
    let url = server.url();
    for filters in [
        vec![],
        vec!["--user", "repl"],
        vec!["--min-seconds", "60"],
        vec!["--user", "repl", "--command", "Binlog Dump"],
    ] {
        let out = dbops(args("list", "huawei-das", &url, &filters), env_of("huawei-das")).await;
        let want: Vec<&str> = match filters.as_slice() {
            [] | ["--min-seconds", _] => vec!["204", "205"],
            ["--user", "repl"] => vec!["204"],
            _ => vec![],
        };
        assert_eq!(listed(&out), want, "{filters:?}");
    }
    // A kill by filter leaves replication alone; by id it is killed.
    let out = dbops(
        args("kill", "huawei-das", &url, &["--user", "repl", "--yes"]),
        env_of("huawei-das"),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let deletes: Vec<Value> = server
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["process_ids"].clone())
        .collect();
    assert_eq!(deletes, [json!(["204"])]);
    let out = dbops(
        args("kill", "huawei-das", &url, &["--ids", "201", "--yes"]),
        env_of("huawei-das"),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let last = server.requests().into_iter().rfind(|r| r.method == "DELETE").unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&last.body).unwrap()["process_ids"],
        json!(["201"])
    );
}

#[tokio::test]
async fn min_seconds_n_selects_a_session_of_exactly_n_seconds_and_not_one_of_n_minus_1() {
    for service in ["huawei-das", "huawei-dds", "alibaba-mysql", "alibaba-redis"] {
        let sessions = vec![
            ("11", "app", "Query", 60),
            ("12", "app", "Query", 59),
            ("13", "app", "Query", 61),
        ];
        let server = Server::start(gateway(service, sessions)).await;
        let out = dbops(
            args("list", service, &server.url(), &["--min-seconds", "60"]),
            env_of(service),
        )
        .await;
        assert!(out.status.success(), "{service}: {}", text(&out.stderr));
        assert_eq!(listed(&out), ["11", "13"], "{service}");
        if service == "huawei-dds" {
            // The node is asked for sessions running longer than 60 s less a microsecond.
            let asked = server.requests()[0].query_param("cost_time");
            assert_eq!(asked.as_deref(), Some("59999999"));
        }
    }
}

#[tokio::test]
async fn a_fleet_kill_kills_on_each_instance_only_what_the_filters_select() {
    let sessions = vec![
        ("201", "repl", "Binlog Dump", 9_000),
        ("205", "app", "Query", 9_000),
        ("206", "app", "Query", 5),
        ("207", "report", "Query", 9_000),
    ];
    let server = Server::start(gateway("huawei-das", sessions)).await;
    let dir = std::env::temp_dir().join(format!("dbops-pinned-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("instances.txt");
    let second = "0123456789abcdef0123456789abcdefin01";
    std::fs::write(&file, format!("{INSTANCE} {DB_USER_ID}\n{second} {DB_USER_ID}\n")).unwrap();
    let args = [
        "sessions",
        "kill",
        "--service",
        "huawei-das",
        "--endpoint",
        &server.url(),
        "--user",
        "app",
        "--min-seconds",
        "60",
        "--yes",
        "--instances",
        &file.to_string_lossy(),
    ]
    .map(str::to_string)
    .to_vec();
    let out = dbops(args, env_of("huawei-das")).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["result"]["selected"] == 1), "{lines:?}");
    let mut killed: Vec<(String, Value)> = server
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| {
            let instance = r.path().split('/').nth(4).unwrap().to_string();
            (
                instance,
                serde_json::from_slice::<Value>(&r.body).unwrap()["process_ids"].clone(),
            )
        })
        .collect();
    killed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want = vec![
        (second.to_string(), json!(["205"])),
        (INSTANCE.to_string(), json!(["205"])),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(killed, want);
}

#[tokio::test]
async fn a_session_the_kill_task_does_not_report_on_is_not_called_killed() {
    // The task reports on the first selected session only.
    let inner = gateway(
        "alibaba-mysql",
        vec![("7", "app", "Query", 900), ("8", "app", "Query", 900)],
    );
    let server = Server::start(move |req, i| {
        if req.header("x-acs-action") == Some("GetKillInstanceSessionTaskResult") {
            let body = json!({"Code": 200, "Success": true, "Data": {"TaskId": "task-1", "TaskState": "SUCCESS",
                "Result": [{"Id": 7, "Reason": "SESSION_KILLED"}]}});
            return Reply::json(200, &body.to_string());
        }
        inner(req, i)
    })
    .await;
    let out = dbops(
        args("kill", "alibaba-mysql", &server.url(), &["--user", "app", "--yes"]),
        env_of("alibaba-mysql"),
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({"id": "7", "killed": true, "reason": "SESSION_KILLED"}),
            json!({"id": "8", "killed": false, "reason": "NOT_REPORTED"}),
        ]
    );
}
