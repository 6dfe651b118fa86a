//! Written as a downstream user would: start the generated mock, point a real client at it, call, and
//! assert the mock saw the expected request. One test writes the RPC wire form out by hand, to pin the
//! generated helpers against it.

use httpmock::MockServer;
use serde_json::json;

const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const NODE: &str = "520c58ba00a3497e97ce0b9604874dd6no02";

/// A `CreateKillInstanceSessionTask` reply's `Data` holding one task id.
fn task_data(id: &str) -> alibabacloud_dbops::das::types::KillTaskData {
    serde_json::from_value(json!(id)).unwrap()
}

#[tokio::test]
async fn huawei_das_delete_process_against_the_generated_mock() {
    use huaweicloud_dbops::das::DeleteProcessInput;
    use huaweicloud_dbops::das::types::DeleteProcessReqBody;
    use huaweicloud_dbops::mock::das::MockServerExt;
    use huaweicloud_dbops::{ClientConfig, Credentials, DasClient};

    let body = DeleteProcessReqBody {
        db_user_id: "2c250598-1e3c-4d31-bc19-be1d866247e6".into(),
        user: Some("app".into()),
        database: None,
        process_ids: vec!["11212".into()],
    };
    // The same request as the client takes it.
    let input = DeleteProcessInput::default()
        .instance_id(INSTANCE)
        .db_user_id("2c250598-1e3c-4d31-bc19-be1d866247e6")
        .user("app")
        .process_ids(["11212"]);
    let server = MockServer::start_async().await;
    let mock = server.delete_process(|when, then| {
        when.project_id(PROJECT).instance_id(INSTANCE).body(&body);
        then.ok();
    });
    let client = DasClient::new(
        ClientConfig::new(Credentials::new("ak", "sk", PROJECT))
            .endpoint(server.base_url())
            .allow_http(true),
    )
    .unwrap();
    client.delete_process().input(input.clone()).send().await.unwrap();
    mock.assert_async().await;

    // A different body does not match: the mock answers 404 and the client reports it.
    let err = client
        .delete_process()
        .input(input)
        .user("someone-else")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn huawei_dds_delete_session_against_the_generated_mock() {
    use huaweicloud_dbops::dds::types::DeleteSessionRequestBody;
    use huaweicloud_dbops::mock::dds::MockServerExt;
    use huaweicloud_dbops::{ClientConfig, Credentials, DdsClient};

    let body = DeleteSessionRequestBody {
        sessions: vec!["34631".into(), "34703".into()],
    };
    let server = MockServer::start_async().await;
    let mock = server.delete_session(|when, then| {
        when.node_id(NODE).body(&body);
        then.ok();
    });
    let client = DdsClient::new(
        ClientConfig::new(Credentials::new("ak", "sk", PROJECT))
            .endpoint(server.base_url())
            .allow_http(true),
    )
    .unwrap();
    client
        .delete_session()
        .node_id(NODE)
        .sessions(body.sessions)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn alibaba_actions_against_the_generated_mock_match_on_the_action() {
    use alibabacloud_dbops::das::types::{CreateKillInstanceSessionTaskResponse, KillInstanceAllSessionResponse};
    use alibabacloud_dbops::das::{CreateKillInstanceSessionTaskInput, KillInstanceAllSessionInput};
    use alibabacloud_dbops::mock::das::MockServerExt;
    use alibabacloud_dbops::{ClientConfig, Credentials, DasClient};

    let task = CreateKillInstanceSessionTaskInput::default()
        .instance_id("rm-2ze8g2am97624")
        .db_user("ops")
        .db_user_password("pw")
        .ignored_users(["replicator"])
        .kill_all_sessions(false)
        .session_ids([10805639, 10805623]);
    let all = KillInstanceAllSessionInput::default().instance_id("r-8vbcyr4sw0c4yc");
    let server = MockServer::start_async().await;
    let task_mock = server.create_kill_instance_session_task(|when, then| {
        when.request(&task);
        then.ok(&CreateKillInstanceSessionTaskResponse {
            code: Some(200),
            data: Some(task_data("task-1")),
            success: Some(true),
            ..Default::default()
        });
    });
    let all_mock = server.kill_instance_all_session(|when, then| {
        when.request(&all);
        then.ok(&KillInstanceAllSessionResponse {
            success: Some("true".into()),
            ..Default::default()
        });
    });
    let client = DasClient::new(
        ClientConfig::new(Credentials::new("id", "secret"))
            .endpoint(server.base_url())
            .allow_http(true),
    )
    .unwrap();

    let reply = client
        .create_kill_instance_session_task()
        .input(task.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&reply.data).unwrap(), json!("task-1"));
    client.kill_instance_all_session().input(all).send().await.unwrap();
    task_mock.assert_async().await;
    all_mock.assert_async().await;

    // Other parameters reach the same `POST /` but do not match this action's mock.
    let err = client
        .create_kill_instance_session_task()
        .input(task)
        .session_ids([1])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    task_mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_rpc_mock_helpers_match_the_wire_as_written_out_by_hand() {
    use alibabacloud_dbops::das::types::{CreateKillInstanceSessionTaskResponse, KillInstanceAllSessionResponse};
    use alibabacloud_dbops::das::{CreateKillInstanceSessionTaskInput, KillInstanceAllSessionInput};
    use alibabacloud_dbops::mock::das::MockServerExt;
    use alibabacloud_dbops::{ClientConfig, Credentials, DasClient};

    let task = CreateKillInstanceSessionTaskInput::default()
        .instance_id("rm-2ze8g2am97624")
        .db_user("ops")
        .db_user_password("p w&=")
        .ignored_users(["replicator", "a \"b\""])
        .kill_all_sessions(false)
        .session_ids([10805639, 10805623]);
    let all = || KillInstanceAllSessionInput::default().instance_id("rm-2ze8g2am97624");
    let server = MockServer::start_async().await;
    // The wire form written out literally, not by the encoder the helpers share with the client.
    let literal = server.mock(|when, then| {
        when.method(httpmock::Method::POST)
            .path("/")
            .header("x-acs-action", "CreateKillInstanceSessionTask")
            .header("x-acs-version", "2020-01-16")
            .query_param("InstanceId", "rm-2ze8g2am97624")
            .query_param("DbUser", "ops")
            .query_param("DbUserPassword", "p w&=")
            .query_param("IgnoredUsers", r#"["replicator","a \"b\""]"#)
            .query_param("KillAllSessions", "false")
            .query_param("SessionIds", "[10805639,10805623]");
        then.status(200).body(r#"{"Code":200,"Data":"t","Success":true}"#);
    });
    // Only the other action is mocked by the helper: a task call does not reach it.
    let all_mock = server.kill_instance_all_session(|when, then| {
        when.request(&all());
        then.ok(&KillInstanceAllSessionResponse {
            success: Some("true".into()),
            ..Default::default()
        });
    });
    let client = DasClient::new(
        ClientConfig::new(Credentials::new("id", "secret"))
            .endpoint(server.base_url())
            .allow_http(true),
    )
    .unwrap();
    client
        .create_kill_instance_session_task()
        .input(task.clone())
        .send()
        .await
        .unwrap();
    literal.assert_calls_async(1).await;
    all_mock.assert_calls_async(0).await;

    // The helper's matcher for this request takes exactly what the literal one took.
    let helper = server.create_kill_instance_session_task(|when, then| {
        when.request(&task);
        then.ok(&CreateKillInstanceSessionTaskResponse {
            code: Some(200),
            data: Some(task_data("t2")),
            success: Some(true),
            ..Default::default()
        });
    });
    literal.delete_async().await;
    let reply = client
        .create_kill_instance_session_task()
        .input(task)
        .send()
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&reply.data).unwrap(), json!("t2"));
    helper.assert_calls_async(1).await;

    // The Redis action, same `POST /` and the same InstanceId, reaches only its own mock.
    client.kill_instance_all_session().input(all()).send().await.unwrap();
    all_mock.assert_calls_async(1).await;
    helper.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_companion_operations_have_mocks_too() {
    use huaweicloud_dbops::das::types::{ListProcessesResponse, Process};
    use huaweicloud_dbops::mock::das::MockServerExt as _;
    let server = MockServer::start_async().await;
    let db_user_id = "2c250598-1e3c-4d31-bc19-be1d866247e6";
    let mock = server.list_processes(|when, then| {
        when.instance_id(INSTANCE).db_user_id(db_user_id).limit(100);
        let process = Process {
            id: Some("42".into()),
            user: Some("app".into()),
            command: Some("Query".into()),
            time: Some("900".into()),
            ..Default::default()
        };
        then.ok(&ListProcessesResponse {
            count: Some(1),
            processes: vec![process],
        });
    });
    let config = huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new("ak", "sk", PROJECT))
        .endpoint(server.base_url())
        .allow_http(true);
    let found = huaweicloud_dbops::DasClient::new(config)
        .unwrap()
        .list_processes()
        .instance_id(INSTANCE)
        .db_user_id(db_user_id)
        .limit(100)
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id.as_deref(), Some("42"));
    mock.assert_async().await;

    use alibabacloud_dbops::das::GetRedisAllSessionInput;
    use alibabacloud_dbops::das::types::{GetRedisAllSessionResponse, RedisAllSessionData, RedisSession};
    use alibabacloud_dbops::mock::das::MockServerExt as _;
    let server = MockServer::start_async().await;
    let input = GetRedisAllSessionInput::default().instance_id("r-8vbcyr4sw0c4yc****");
    let mock = server.get_redis_all_session(|when, then| {
        when.request(&input);
        then.ok(&GetRedisAllSessionResponse {
            code: Some(200),
            success: Some(true),
            data: Some(RedisAllSessionData {
                total: Some(1),
                sessions: vec![RedisSession {
                    id: Some(7),
                    cmd: Some("blpop".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        });
    });
    let config = alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new("id", "secret"))
        .endpoint(server.base_url())
        .allow_http(true);
    let reply = alibabacloud_dbops::DasClient::new(config)
        .unwrap()
        .get_redis_all_session()
        .input(input)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.data.unwrap().sessions[0].cmd.as_deref(), Some("blpop"));
    mock.assert_async().await;
}
