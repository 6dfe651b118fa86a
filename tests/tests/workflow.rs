//! The workflow around the kill operations, over real HTTP against local signature-checking gateways:
//! waiting for asynchronous results (to completion, to the deadline, carrying `ResultId`), killing with
//! an outcome per node, and walking every page of the Huawei list operations, with a failure mid-walk.

use std::time::Duration;

use alibabacloud_dbops::{DasClient, WaitPolicy};
use dbops_tests::{RawRequest, Reply, Server, verify};
use serde_json::json;

const AK: &str = "LTAITESTACCESSKEYID01";
const SECRET: &str = "ali-secret-must-not-leak";
const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";

/// An Alibaba gateway that checks each signature and answers by action with `script(action, request,
/// call number of that action)`.
fn ali_gateway(
    script: impl Fn(&str, &RawRequest, usize) -> Reply + Send + Sync + 'static,
) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::AlibabaAccount {
        access_key_id: AK,
        secret: SECRET,
        security_token: None,
    };
    let counts = std::sync::Mutex::new(std::collections::HashMap::<String, usize>::new());
    move |req, _| {
        if let Err(why) = account.check(req) {
            return Reply::json(
                400,
                &json!({"Code": "SignatureDoesNotMatch", "Message": why}).to_string(),
            );
        }
        let action = req.header("x-acs-action").unwrap_or_default().to_string();
        let n = {
            let mut c = counts.lock().unwrap();
            let n = c.entry(action.clone()).or_default();
            *n += 1;
            *n - 1
        };
        script(&action, req, n)
    }
}

fn ali(server: &Server) -> DasClient {
    DasClient::new(
        alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new(AK, SECRET))
            .endpoint(server.url())
            .allow_http(true)
            .total_timeout(Duration::from_secs(5)),
    )
    .unwrap()
}

fn quick(timeout_ms: u64) -> WaitPolicy {
    WaitPolicy::default()
        .timeout(Duration::from_millis(timeout_ms))
        .initial_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(20))
}

fn task_result(task: &str, state: &str) -> Reply {
    let sessions = if state == "RUNNING" {
        json!([])
    } else {
        json!([
            {"Id": 101, "User": "app", "Host": "10.0.0.1:5000", "Command": "Query", "Time": 600, "TaskId": task, "Reason": "SESSION_KILLED"},
            {"Id": 102, "User": "repl", "Command": "Binlog Dump", "TaskId": task, "Reason": "SESSION_INTERNAL_USER_OR_COMMAND"}
        ])
    };
    Reply::json(
        200,
        &json!({"Code": 200, "Success": true, "RequestId": "R", "Data": {"TaskId": task, "TaskState": state, "KillSuccessCount": 1, "KillFailCount": 0, "Result": sessions}}).to_string(),
    )
}

#[tokio::test]
async fn waiting_for_a_kill_task_ends_at_its_terminal_state() {
    let server = Server::start(ali_gateway(|_, req, n| {
        assert_eq!(req.query_param("TaskId").as_deref(), Some("t1"));
        task_result("t1", if n < 2 { "RUNNING" } else { "SUCCESS" })
    }))
    .await;
    let reply = ali(&server)
        .get_kill_instance_session_task_result()
        .instance_id("rm-1")
        .task_id("t1")
        .wait(quick(5_000))
        .await
        .unwrap();
    let data = reply.data.unwrap();
    assert_eq!(data.task_state.as_deref(), Some("SUCCESS"));
    assert_eq!(data.result.len(), 2);
    assert_eq!(server.requests().len(), 3, "RUNNING twice, then SUCCESS");
}

#[tokio::test]
async fn waiting_past_the_deadline_reports_the_last_state() {
    let server = Server::start(ali_gateway(|_, _, _| task_result("t1", "RUNNING"))).await;
    let started = std::time::Instant::now();
    let err = ali(&server)
        .get_kill_instance_session_task_result()
        .instance_id("rm-1")
        .task_id("t1")
        .wait(quick(150))
        .await
        .unwrap_err();
    match &err {
        alibabacloud_dbops::Error::NotDone { operation, state, .. } => {
            assert_eq!(operation, "GetKillInstanceSessionTaskResult");
            assert_eq!(state.as_deref(), Some("RUNNING"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("(last state: RUNNING)"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(server.requests().len() >= 3, "it called again until the deadline");
}

#[tokio::test]
async fn the_mysql_session_list_is_asked_again_with_its_result_id_until_finished() {
    let server = Server::start(ali_gateway(|_, req, n| {
        let result_id = req.query_param("ResultId");
        let body = match (n, result_id.as_deref()) {
            (0, None) => json!({"Code": 200, "Success": true, "Data": {"IsFinish": false, "ResultId": "res-1", "State": "RUNNING"}}),
            (_, Some("res-1")) if n < 2 => json!({"Code": 200, "Success": true, "Data": {"IsFinish": false, "ResultId": "res-1", "State": "RUNNING"}}),
            (_, Some("res-1")) => json!({"Code": 200, "Success": true, "Data": {"IsFinish": true, "ResultId": "res-1", "State": "SUCCESS",
                "SessionData": {"TotalSessionCount": 2, "SessionList": [
                    {"SessionId": 7, "User": "app", "Command": "Query", "Time": 900, "SqlText": "select sleep(900)"},
                    {"SessionId": 8, "User": "app", "Command": "Sleep", "Time": 3}
                ]}}}),
            other => panic!("unexpected call {other:?}"),
        };
        Reply::json(200, &body.to_string())
    }))
    .await;
    let reply = ali(&server)
        .get_my_sql_all_session_async()
        .instance_id("rm-1")
        .wait(quick(5_000))
        .await
        .unwrap();
    let sessions = reply.data.unwrap().session_data.unwrap().session_list;
    assert_eq!(
        sessions.iter().map(|s| s.session_id).collect::<Vec<_>>(),
        [Some(7), Some(8)]
    );
    let ids: Vec<_> = server.requests().iter().map(|r| r.query_param("ResultId")).collect();
    assert_eq!(ids, [None, Some("res-1".into()), Some("res-1".into())]);
}

#[tokio::test]
async fn killing_with_an_outcome_waits_for_every_node_task() {
    for data in [json!(["t1", "t2"]), json!("[\"t1\",\"t2\"]")] {
        let created = json!({"Code": 200, "Success": true, "RequestId": "R", "Data": data}).to_string();
        let server = Server::start(ali_gateway(move |action, req, n| match action {
            "CreateKillInstanceSessionTask" => Reply::json(200, &created),
            "GetKillInstanceSessionTaskResult" => {
                let task = req.query_param("TaskId").unwrap();
                task_result(&task, if n == 0 { "RUNNING" } else { "SUCCESS" })
            }
            other => panic!("{other}"),
        }))
        .await;
        let input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
            .instance_id("pc-1")
            .db_user("admin")
            .db_user_password("p")
            .kill_all_sessions(true);
        let outcomes = ali(&server).kill_sessions(input, quick(5_000)).await.unwrap();
        assert_eq!(
            outcomes.iter().map(|o| o.task_id.as_str()).collect::<Vec<_>>(),
            ["t1", "t2"]
        );
        for o in &outcomes {
            assert_eq!(o.state(), Some("SUCCESS"));
            let reasons: Vec<_> = o.sessions().iter().map(|s| s.reason.as_deref().unwrap()).collect();
            assert_eq!(reasons, ["SESSION_KILLED", "SESSION_INTERNAL_USER_OR_COMMAND"]);
        }
    }
}

#[tokio::test]
async fn a_kill_task_that_fails_to_start_is_a_service_error() {
    let server = Server::start(ali_gateway(|_, _, _| {
        Reply::json(
            200,
            r#"{"Code":-1,"Success":false,"Message":"no permission","RequestId":"R-9"}"#,
        )
    }))
    .await;
    let input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
        .instance_id("pc-1")
        .db_user("admin")
        .db_user_password("p")
        .kill_all_sessions(true);
    let err = ali(&server).kill_sessions(input, quick(1_000)).await.unwrap_err();
    assert_eq!(err.request_id(), Some("R-9"));
    assert_eq!(server.requests().len(), 1);
}

/// A Huawei gateway serving `total` processes, a page at a time, failing call `fail_at` with a 500.
fn processes(total: usize, fail_at: Option<usize>) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::HuaweiAccount {
        access_key: HW_AK,
        secret_key: HW_SK,
        security_token: None,
        iam_token: None,
    };
    move |req, i| {
        if let Err(why) = account.check(req) {
            return Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string());
        }
        assert_eq!(req.path(), format!("/v3/{PROJECT}/instances/{INSTANCE}/processes"));
        assert_eq!(req.query_param("db_user_id").as_deref(), Some(DB_USER_ID));
        if fail_at == Some(i) {
            return Reply::json(500, r#"{"error_code":"DBS.280001","error_msg":"internal"}"#);
        }
        let q = |k: &str| req.query_param(k).and_then(|v| v.parse::<usize>().ok());
        let (offset, limit) = (q("offset").unwrap_or(0), q("limit").unwrap_or(20));
        let page: Vec<_> = (offset..(offset + limit).min(total))
            .map(|n| json!({"id": n.to_string(), "user": "app", "command": "Query", "time": "60"}))
            .collect();
        Reply::json(200, &json!({"processes": page, "count": total}).to_string())
    }
}

fn das(server: &Server) -> huaweicloud_dbops::DasClient {
    huaweicloud_dbops::DasClient::new(
        huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
            .endpoint(server.url())
            .allow_http(true)
            .total_timeout(Duration::from_secs(5)),
    )
    .unwrap()
}

#[tokio::test]
async fn every_page_of_processes_is_walked_and_a_failed_page_ends_the_walk() {
    let server = Server::start(processes(45, None)).await;
    let all = das(&server)
        .list_processes()
        .instance_id(INSTANCE)
        .db_user_id(DB_USER_ID)
        .limit(20)
        .collect_all(1_000)
        .await
        .unwrap();
    assert_eq!(all.len(), 45);
    assert_eq!(all.last().unwrap().id.as_deref(), Some("44"));
    let offsets: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.query_param("offset").unwrap())
        .collect();
    assert_eq!(offsets, ["0", "20", "40"]);

    let server = Server::start(processes(45, Some(1))).await;
    let err = das(&server)
        .list_processes()
        .instance_id(INSTANCE)
        .db_user_id(DB_USER_ID)
        .limit(20)
        .collect_all(1_000)
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(500), Some("DBS.280001")));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_kill_reply_with_as_many_task_ids_as_allowed_is_waited_on_whole() {
    let ids: Vec<String> = (0..alibabacloud_dbops::workflow::MAX_TASKS)
        .map(|i| format!("t{i}"))
        .collect();
    let created = json!({"Code": 200, "Success": true, "RequestId": "R", "Data": ids}).to_string();
    let server = Server::start(ali_gateway(move |action, req, _| match action {
        "CreateKillInstanceSessionTask" => Reply::json(200, &created),
        _ => task_result(&req.query_param("TaskId").unwrap(), "SUCCESS"),
    }))
    .await;
    let input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
        .instance_id("pc-1")
        .db_user("admin")
        .db_user_password("p")
        .kill_all_sessions(true);
    let outcomes = ali(&server).kill_sessions(input, quick(10_000)).await.unwrap();
    assert_eq!(outcomes.len(), 64);
    assert_eq!(outcomes[63].task_id, "t63");
}

#[tokio::test]
async fn a_kill_reply_with_too_many_task_ids_is_not_waited_on() {
    let ids: Vec<String> = (0..65).map(|i| format!("t{i}")).collect();
    let created = json!({"Code": 200, "Success": true, "RequestId": "R", "Data": ids}).to_string();
    let server = Server::start(ali_gateway(move |_, _, _| Reply::json(200, &created))).await;
    let input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
        .instance_id("pc-1")
        .db_user("admin")
        .db_user_password("p")
        .kill_all_sessions(true);
    let err = ali(&server).kill_sessions(input, quick(1_000)).await.unwrap_err();
    assert!(err.to_string().contains("65 task ids"), "{err}");
    assert_eq!(server.requests().len(), 1, "no result was asked for");
}

#[tokio::test]
async fn a_kill_on_several_nodes_has_one_deadline_not_one_per_task() {
    // Each task reports SUCCESS 600 ms after it is first asked about: one task fits a 1 s deadline,
    // two in a row do not.
    let created = json!({"Code": 200, "Success": true, "RequestId": "R", "Data": ["t1", "t2", "t3"]}).to_string();
    let first_asked = std::sync::Mutex::new(std::collections::HashMap::<String, std::time::Instant>::new());
    let server = Server::start(ali_gateway(move |action, req, _| match action {
        "CreateKillInstanceSessionTask" => Reply::json(200, &created),
        _ => {
            let task = req.query_param("TaskId").unwrap();
            let since = *first_asked
                .lock()
                .unwrap()
                .entry(task.clone())
                .or_insert_with(std::time::Instant::now);
            let done = since.elapsed() >= Duration::from_millis(600);
            task_result(&task, if done { "SUCCESS" } else { "RUNNING" })
        }
    }))
    .await;
    let input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
        .instance_id("pc-1")
        .db_user("admin")
        .db_user_password("p")
        .kill_all_sessions(true);
    let err = ali(&server).kill_sessions(input, quick(1_000)).await.unwrap_err();
    let alibabacloud_dbops::Error::NotDone { state, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(state.as_deref(), Some("RUNNING"));
    let asked: std::collections::BTreeSet<_> = server
        .requests()
        .iter()
        .filter_map(|r| r.query_param("TaskId"))
        .collect();
    assert_eq!(
        asked,
        ["t1".to_string(), "t2".to_string()].into(),
        "the third task was never waited on"
    );
}

fn dds(server: &Server) -> huaweicloud_dbops::DdsClient {
    huaweicloud_dbops::DdsClient::new(
        huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
            .endpoint(server.url())
            .allow_http(true)
            .total_timeout(Duration::from_secs(5)),
    )
    .unwrap()
}

#[tokio::test]
async fn a_kill_on_one_node_asks_for_its_result_on_that_node() {
    for (node, want) in [(Some("pi-bp1"), Some("pi-bp1")), (Some(""), None), (None, None)] {
        let created = json!({"Code": 200, "Success": true, "RequestId": "R", "Data": "t1"}).to_string();
        let server = Server::start(ali_gateway(move |action, req, _| match action {
            "CreateKillInstanceSessionTask" => Reply::json(200, &created),
            _ => task_result(&req.query_param("TaskId").unwrap(), "SUCCESS"),
        }))
        .await;
        let mut input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
            .instance_id("pc-1")
            .db_user("admin")
            .db_user_password("p")
            .kill_all_sessions(false)
            .session_ids([101u64]);
        if let Some(node) = node {
            input = input.node_id(node);
        }
        ali(&server).kill_sessions(input, quick(2_000)).await.unwrap();
        let asked: Vec<_> = server
            .requests()
            .iter()
            .filter(|r| r.header("x-acs-action") == Some("GetKillInstanceSessionTaskResult"))
            .map(|r| r.query_param("NodeId"))
            .collect();
        assert_eq!(asked, [want.map(str::to_string)], "{node:?}");
    }
}

/// The item numbers a page holds, from its offset, its limit and the list's length.
type PageOf = fn(usize, usize, usize) -> Vec<usize>;
/// Items, whether the total is given, the pages, the cap: the outcome, and the calls made.
type WalkCase = (usize, bool, PageOf, usize, Result<usize, &'static str>, usize);

/// How a Huawei list pages: the reply's items and total fields, and what one item looks like.
struct Paged {
    items: &'static str,
    total: &'static str,
    item: fn(usize) -> serde_json::Value,
}

/// A gateway answering every page of a `Paged` list of `total` items from `page(offset, limit, total)`
/// (the item numbers of the page), with the total when `with_total`.
fn paged_gateway(
    shape: &'static Paged,
    total: usize,
    with_total: bool,
    page: PageOf,
) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
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
        let q = |k: &str| req.query_param(k).and_then(|v| v.parse::<usize>().ok());
        let items: Vec<_> = page(q("offset").unwrap_or(0), q("limit").unwrap_or(100), total)
            .into_iter()
            .map(shape.item)
            .collect();
        let mut body = json!({ shape.items: items });
        if with_total {
            body[shape.total] = json!(total);
        }
        Reply::json(200, &body.to_string())
    }
}

static DB_USERS: Paged = Paged {
    items: "db_users",
    total: "total",
    item: |n| json!({"db_user_id": format!("u{n}"), "db_username": "app"}),
};
static PROCESSES: Paged = Paged {
    items: "processes",
    total: "count",
    item: |n| json!({"id": n.to_string(), "user": "app"}),
};
static SESSIONS: Paged = Paged {
    items: "sessions",
    total: "total_count",
    item: |n| json!({"id": format!("s{n}"), "active": true}),
};

/// Pages as a service gives them: `limit` items from `offset`, to the list's end.
fn honest(offset: usize, limit: usize, total: usize) -> Vec<usize> {
    (offset..(offset + limit).min(total)).collect()
}

#[tokio::test]
async fn every_page_of_a_dds_node_sessions_is_walked() {
    // 25 sessions, 20 a page: a full first page is not the last.
    let server = Server::start(paged_gateway(&SESSIONS, 25, true, honest)).await;
    let all = dds(&server)
        .list_sessions()
        .node_id("node-1")
        .limit(20)
        .collect_all(1_000)
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|s| s.id.clone().unwrap()).collect();
    assert_eq!(ids, (0..25).map(|n| format!("s{n}")).collect::<Vec<_>>());
    let offsets: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.query_param("offset").unwrap())
        .collect();
    assert_eq!(offsets, ["0", "20"]);
}

#[tokio::test]
async fn every_paged_list_walks_to_its_end_and_stops_on_a_broken_page() {
    let too_long: PageOf = |o, l, _| (o..o + l + 1).collect();
    let repeating: PageOf = |_, l, _| (0..l).collect();
    let cases: [WalkCase; 9] = [
        (0, true, honest, 1_000, Ok(0), 1),
        (45, true, honest, 45, Ok(45), 3),
        (45, true, honest, 1_000, Ok(45), 3),
        (25, true, honest, 1_000, Ok(25), 2),
        (45, false, honest, 1_000, Ok(45), 3),
        (40, true, honest, 1_000, Ok(40), 2),
        (45, true, honest, 30, Err("more than 30 items"), 2),
        (
            45,
            true,
            too_long,
            1_000,
            Err("holds 21 items, more than the limit of 20 asked for"),
            1,
        ),
        (
            100,
            false,
            repeating,
            1_000,
            Err("at offset 20 repeats the page before it"),
            2,
        ),
    ];
    for shape in [&DB_USERS, &PROCESSES, &SESSIONS] {
        for (total, with_total, page, cap, want, calls) in cases {
            let server = Server::start(paged_gateway(shape, total, with_total, page)).await;
            let walked = match shape.items {
                "db_users" => das(&server)
                    .list_db_users()
                    .instance_id(INSTANCE)
                    .limit(20)
                    .collect_all(cap)
                    .await
                    .map(|all| all.len()),
                "processes" => das(&server)
                    .list_processes()
                    .instance_id(INSTANCE)
                    .db_user_id(DB_USER_ID)
                    .limit(20)
                    .collect_all(cap)
                    .await
                    .map(|all| all.len()),
                _ => dds(&server)
                    .list_sessions()
                    .node_id("node-1")
                    .limit(20)
                    .collect_all(cap)
                    .await
                    .map(|all| all.len()),
            };
            let what = format!("{}: {total} items, total given {with_total}, cap {cap}", shape.items);
            match (walked, want) {
                (Ok(n), Ok(want)) => assert_eq!(n, want, "{what}"),
                (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{what}: {e}"),
                (got, want) => panic!("{what}: {got:?}, expected {want:?}"),
            }
            let offsets: Vec<String> = server
                .requests()
                .iter()
                .map(|r| r.query_param("offset").unwrap())
                .collect();
            let want_offsets: Vec<String> = (0..calls).map(|i| (20 * i).to_string()).collect();
            assert_eq!(offsets, want_offsets, "{what}");
        }
    }
}

/// A status poll the service throttles (its retries spent) does not end the wait: it is polled again
/// after the next pause, and at the deadline the throttling error, not `NotDone`, is what it ends with.
#[tokio::test]
async fn a_wait_polls_again_after_a_throttled_call_and_ends_with_the_throttling_at_its_deadline() {
    let throttled = || {
        Reply::json(
            400,
            r#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"R-t"}"#,
        )
    };
    let done = r#"{"Code":200,"Success":true,"Data":{"TaskId":"t","TaskState":"SUCCESS"}}"#;
    let server = Server::start(ali_gateway(
        move |_, _, n| {
            if n < 3 { throttled() } else { Reply::json(200, done) }
        },
    ))
    .await;
    let no_retries = |server: &Server| {
        DasClient::new(
            alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new(AK, SECRET))
                .endpoint(server.url())
                .allow_http(true)
                .retry(dbops_core::RetryPolicy::none()),
        )
        .unwrap()
    };
    let reply = no_retries(&server)
        .get_kill_instance_session_task_result()
        .instance_id("rm-1")
        .task_id("t")
        .wait(quick(5_000))
        .await
        .unwrap();
    assert_eq!(reply.data.unwrap().task_state.as_deref(), Some("SUCCESS"));
    assert_eq!(
        server.requests().len(),
        4,
        "three throttled polls, then the one that is done"
    );

    let always = Server::start(ali_gateway(move |_, _, _| throttled())).await;
    let e = no_retries(&always)
        .get_kill_instance_session_task_result()
        .instance_id("rm-1")
        .task_id("t")
        .wait(quick(200))
        .await
        .unwrap_err();
    assert!(e.is_throttling(), "{e}");
    assert!(always.requests().len() >= 2, "polled again before the deadline");
}
