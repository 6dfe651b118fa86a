//! The documented facts the generated operation layer gets right, over real HTTP against local gateways
//! that verify each signature from the raw request: the region the Alibaba docs tell users to set, a
//! kill task's `Data` as text or as a list of per-node task ids, empty optional strings left out, the
//! `X-Language` header settable (sent and signed), and errors whose `Display` says it all.

use std::time::Duration;

use alibabacloud_dbops::das::types::KillTaskData;
use dbops_tests::{RawRequest, Reply, Server, verify};
use serde_json::{Value, json};

const ALI_AK: &str = "LTAITESTACCESSKEYID01";
const ALI_SECRET: &str = "ali-secret-must-not-leak";
const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";

fn ali_gateway(reply: &'static str) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::AlibabaAccount {
        access_key_id: ALI_AK,
        secret: ALI_SECRET,
        security_token: None,
    };
    move |req, _| match account.check(req) {
        Ok(()) => Reply::json(200, reply),
        Err(why) => Reply::json(
            400,
            &json!({"Code": "SignatureDoesNotMatch", "Message": why}).to_string(),
        ),
    }
}

fn hw_gateway() -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::HuaweiAccount {
        access_key: HW_AK,
        secret_key: HW_SK,
        security_token: None,
        iam_token: None,
    };
    move |req, _| match account.check(req) {
        Ok(()) => Reply::empty(200),
        Err(why) => Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string()),
    }
}

fn ali(server: &Server) -> alibabacloud_dbops::DasClient {
    alibabacloud_dbops::DasClient::new(
        alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new(ALI_AK, ALI_SECRET))
            .endpoint(server.url())
            .allow_http(true)
            .total_timeout(Duration::from_secs(5)),
    )
    .unwrap()
}

fn hw(server: &Server) -> huaweicloud_dbops::DasClient {
    huaweicloud_dbops::DasClient::new(
        huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
            .endpoint(server.url())
            .allow_http(true)
            .total_timeout(Duration::from_secs(5)),
    )
    .unwrap()
}

fn task(das: &alibabacloud_dbops::DasClient) -> alibabacloud_dbops::das::CreateKillInstanceSessionTask<'_> {
    das.create_kill_instance_session_task()
        .instance_id("pc-2ze8g2am97624****")
        .db_user("admin")
        .db_user_password("p")
        .kill_all_sessions(true)
}

#[tokio::test]
async fn the_region_the_alibaba_docs_name_resolves_to_the_das_endpoint() {
    let credentials = || alibabacloud_dbops::Credentials::new(ALI_AK, ALI_SECRET);
    let das =
        alibabacloud_dbops::DasClient::new(alibabacloud_dbops::ClientConfig::new(credentials()).region("cn-shanghai"))
            .unwrap();
    let dry = das
        .kill_instance_all_session()
        .instance_id("r-1")
        .dry_run()
        .await
        .unwrap();
    assert!(
        dry.url.starts_with("https://das.cn-shanghai.aliyuncs.com/?"),
        "{}",
        dry.url
    );
    // With no region, the same documented endpoint.
    let das = alibabacloud_dbops::DasClient::new(alibabacloud_dbops::ClientConfig::new(credentials())).unwrap();
    let dry = das
        .kill_instance_all_session()
        .instance_id("r-1")
        .dry_run()
        .await
        .unwrap();
    assert!(
        dry.url.starts_with("https://das.cn-shanghai.aliyuncs.com/?"),
        "{}",
        dry.url
    );
    // Another region is refused, naming the known one.
    let err =
        alibabacloud_dbops::DasClient::new(alibabacloud_dbops::ClientConfig::new(credentials()).region("cn-hangzhou"))
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "client configuration: unknown das region `cn-hangzhou`; known regions: cn-shanghai"
    );
}

#[tokio::test]
async fn a_kill_task_reply_decodes_one_task_id_or_one_per_node() {
    let per_node = r#"{"Code":200,"Message":"Successful","Data":["f77d535b45405bd462b21caa3ee8****","e93ab549abb081eb5dcd5396a29b****"],"RequestId":"R-1","Success":true}"#;
    let server = Server::start(ali_gateway(per_node)).await;
    let reply = task(&ali(&server)).send().await.unwrap();
    match reply.data {
        Some(KillTaskData::Array(ids)) => assert_eq!(
            ids,
            ["f77d535b45405bd462b21caa3ee8****", "e93ab549abb081eb5dcd5396a29b****"]
        ),
        other => panic!("{other:?}"),
    }
    let one = r#"{"Code":200,"Message":"Successful","Data":"f77d535b45405bd462b21caa3ee8****","RequestId":"R-2","Success":true}"#;
    let server = Server::start(ali_gateway(one)).await;
    let reply = task(&ali(&server)).send().await.unwrap();
    assert!(matches!(reply.data, Some(KillTaskData::String(id)) if id == "f77d535b45405bd462b21caa3ee8****"));
}

#[tokio::test]
async fn empty_optional_strings_are_left_out_of_query_and_body() {
    let server = Server::start(ali_gateway(r#"{"Success":true}"#)).await;
    task(&ali(&server)).node_id("").send().await.unwrap();
    let sent = &server.requests()[0];
    assert_eq!(sent.query_param("NodeId"), None, "{}", sent.target);
    assert_eq!(sent.query_param("KillAllSessions").as_deref(), Some("true"));

    let server = Server::start(hw_gateway()).await;
    hw(&server)
        .delete_process()
        .instance_id(INSTANCE)
        .db_user_id(DB_USER_ID)
        .user("")
        .database("")
        .process_ids(["7"])
        .send()
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
    assert_eq!(body, json!({"db_user_id": DB_USER_ID, "process_ids": ["7"]}));
    // Empty, they do not count as given either.
    let err = hw(&server)
        .delete_process()
        .instance_id(INSTANCE)
        .db_user_id(DB_USER_ID)
        .user("")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("at least one of process_ids, user, database"),
        "{err}"
    );
}

#[tokio::test]
async fn x_language_is_sent_signed_and_checked() {
    let server = Server::start(hw_gateway()).await;
    let das = hw(&server);
    das.delete_process()
        .instance_id(INSTANCE)
        .db_user_id(DB_USER_ID)
        .user("app")
        .x_language("en-us")
        .send()
        .await
        .unwrap();
    let sent = &server.requests()[0];
    assert_eq!(sent.header("x-language"), Some("en-us"));
    let authorization = sent.header("authorization").unwrap();
    assert!(
        authorization.contains("SignedHeaders=") && authorization.contains(";x-language;"),
        "{authorization}"
    );

    let err = das
        .delete_process()
        .instance_id(INSTANCE)
        .db_user_id(DB_USER_ID)
        .user("app")
        .x_language("fr-fr")
        .send()
        .await
        .unwrap_err();
    let huaweicloud_dbops::Error::InvalidRequest(v) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((v.field(), v.rule()), ("X-Language", "must be one of `zh-cn`, `en-us`"));
    // `Display` says it all; there is no `source()` to repeat it.
    assert_eq!(
        err.to_string(),
        "invalid `X-Language`: must be one of `zh-cn`, `en-us` (nothing was sent)"
    );
    assert!(std::error::Error::source(&err).is_none());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_registered_db_user_password_is_masked_in_debug_and_dry_runs() {
    const PASSWORD: &str = "Pa55-w0rd-must-not-leak";
    let das = huaweicloud_dbops::DasClient::new(
        huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
            .region("cn-north-4"),
    )
    .unwrap();
    let register = das
        .register_db_user()
        .instance_id(INSTANCE)
        .db_username("root")
        .db_user_password(PASSWORD)
        .datastore_type("MySQL");
    assert!(!format!("{register:?}").contains(PASSWORD));
    let dry = register.dry_run().await.unwrap();
    assert!(!dry.to_string().contains(PASSWORD), "{dry}");
    let body: Value = serde_json::from_str(dry.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"datastore_type": "MySQL", "db_user_password": "***", "db_username": "root"})
    );
    assert_eq!(
        dry.url,
        format!("https://das.cn-north-4.myhuaweicloud.com/v3/{PROJECT}/instances/{INSTANCE}/db-users")
    );
}
