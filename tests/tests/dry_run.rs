//! Dry runs: each operation built and signed without sending, compared with what a local server
//! actually receives for the same call.

use dbops_core::PreparedRequest;
use dbops_tests::{RawRequest, Reply, Server, verify};
use serde_json::json;

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const HW_TOKEN: &str = "hw-security-token-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const ALI_AK: &str = "LTAITESTACCESSKEYID01";
const ALI_SECRET: &str = "ali-secret-must-not-leak";
const ALI_TOKEN: &str = "ali-sts-token-must-not-leak";
const PASSWORD: &str = "db-p@ss w0rd-must-not-leak";
const SECRETS: [&str; 7] = [HW_AK, HW_SK, HW_TOKEN, ALI_AK, ALI_SECRET, ALI_TOKEN, PASSWORD];

/// Headers that differ between two signings of the same request.
const PER_SIGNING: [&str; 4] = ["x-sdk-date", "x-acs-date", "x-acs-signature-nonce", "authorization"];
/// Headers the HTTP stack adds after the request leaves the client.
const TRANSPORT: [&str; 2] = ["host", "content-length"];

fn assert_no_secret(text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "secret `{s}` leaked in: {text}");
    }
}

/// The dry run describes what the server received, up to the per-signing values and the masks.
fn assert_matches(dry: &PreparedRequest, got: &RawRequest, endpoint: &str) {
    assert_eq!(dry.method, got.method);
    let received_url = format!("{endpoint}{}", got.target).replace(
        &percent_encoding::utf8_percent_encode(PASSWORD, dbops_core::encode::RFC3986).to_string(),
        "***",
    );
    assert_eq!(dry.url, received_url);
    for (name, value) in &dry.headers {
        if PER_SIGNING.contains(&name.as_str()) || value == "***" {
            assert!(got.header(name).is_some(), "{name} was not sent");
            continue;
        }
        assert_eq!(got.header(name), Some(value.as_str()), "header {name}");
    }
    for (name, _) in &got.headers {
        assert!(
            dry.header(name).is_some() || TRANSPORT.contains(&name.as_str()),
            "{name} was sent but not shown by the dry run"
        );
    }
    assert_eq!(
        dry.body.as_deref().map(str::as_bytes).unwrap_or_default(),
        got.body.as_slice()
    );
    // The signature scheme and signed headers are shown, the access key is not.
    let auth = dry.header("authorization").unwrap();
    let sent = got.header("authorization").unwrap();
    assert_eq!(
        auth.split("Signature=").next().unwrap().replace("***", ""),
        sent.split("Signature=")
            .next()
            .unwrap()
            .replace(HW_AK, "")
            .replace(ALI_AK, "")
    );
    assert_no_secret(&dry.to_string());
    assert_no_secret(&format!("{dry:?}"));
}

pub mod huawei {
    use super::*;
    use huaweicloud_dbops::das::DeleteProcessInput;
    use huaweicloud_dbops::dds::DeleteSessionInput;
    use huaweicloud_dbops::{ClientConfig, Credentials, DasClient, DdsClient};

    pub fn gateway() -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
        let account = verify::HuaweiAccount {
            access_key: HW_AK,
            secret_key: HW_SK,
            security_token: Some(HW_TOKEN),
            iam_token: None,
        };
        move |req, i| match account.check(req) {
            Ok(_) => Reply::json(200, "{}").with_header("X-Request-Id", &format!("hw-req-{i}")),
            Err(why) => Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string()),
        }
    }

    pub fn config(server: &Server) -> ClientConfig {
        ClientConfig::new(Credentials::temporary(HW_AK, HW_SK, HW_TOKEN, PROJECT))
            .endpoint(server.url())
            .allow_http(true)
    }

    pub fn process_body() -> DeleteProcessInput {
        DeleteProcessInput::default()
            .db_user_id("2c250598-1e3c-4d31-bc19-be1d866247e6")
            .database("example")
            .user("aaa")
            .process_ids(["11212", "3423222"])
    }

    #[tokio::test]
    async fn delete_process_dry_run_matches_the_wire() {
        let server = Server::start(gateway()).await;
        let client = DasClient::new(config(&server)).unwrap();
        let instance = "da304cd5bbb944de828759bc7be3d3fein01";
        let dry = client
            .delete_process()
            .input(process_body())
            .instance_id(instance)
            .dry_run()
            .await
            .unwrap();
        assert!(server.requests().is_empty(), "a dry run sends nothing");
        assert_eq!(dry.header("x-security-token"), Some("***"));
        client
            .delete_process()
            .input(process_body())
            .instance_id(instance)
            .send()
            .await
            .unwrap();
        assert_matches(&dry, &server.requests()[0], &server.url());
    }

    #[tokio::test]
    async fn delete_session_dry_run_matches_the_wire() {
        let server = Server::start(gateway()).await;
        let client = DdsClient::new(config(&server)).unwrap();
        let node = "520c58ba00a3497e97ce0b9604874dd6no02";
        let body = || DeleteSessionInput::default().sessions(["34631", "34703"]);
        let dry = client
            .delete_session()
            .input(body())
            .node_id(node)
            .dry_run()
            .await
            .unwrap();
        assert!(server.requests().is_empty());
        client
            .delete_session()
            .input(body())
            .node_id(node)
            .send()
            .await
            .unwrap();
        assert_matches(&dry, &server.requests()[0], &server.url());
    }

    #[tokio::test]
    async fn a_dry_run_validates_too() {
        let server = Server::start(gateway()).await;
        let client = DasClient::new(config(&server)).unwrap();
        let err = client
            .delete_process()
            .input(process_body())
            .instance_id("bad id")
            .dry_run()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, huaweicloud_dbops::Error::InvalidRequest(v) if v.field == "instance_id"),
            "{err:?}"
        );
    }
}

pub mod alibaba {
    use super::*;
    use alibabacloud_dbops::das::{CreateKillInstanceSessionTaskInput, KillInstanceAllSessionInput};
    use alibabacloud_dbops::{ClientConfig, Credentials, DasClient};

    pub fn gateway() -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
        let account = verify::AlibabaAccount {
            access_key_id: ALI_AK,
            secret: ALI_SECRET,
            security_token: Some(ALI_TOKEN),
        };
        move |req, i| match (account.check(req), req.header("x-acs-action")) {
            (Ok(_), Some("KillInstanceAllSession")) => Reply::json(
                200,
                &format!(r#"{{"Code":"200","RequestId":"ali-req-{i}","Success":"true"}}"#),
            ),
            (Ok(_), _) => Reply::json(
                200,
                &format!(r#"{{"Code":200,"Data":"task","RequestId":"ali-req-{i}","Success":true}}"#),
            ),
            (Err(why), _) => Reply::json(
                400,
                &json!({"Code": "SignatureDoesNotMatch", "Message": why}).to_string(),
            ),
        }
    }

    pub fn client(server: &Server) -> DasClient {
        DasClient::new(
            ClientConfig::new(Credentials::sts(ALI_AK, ALI_SECRET, ALI_TOKEN))
                .endpoint(server.url())
                .allow_http(true),
        )
        .unwrap()
    }

    pub fn task() -> CreateKillInstanceSessionTaskInput {
        CreateKillInstanceSessionTaskInput::default()
            .instance_id("rm-2ze8g2am97624****")
            .db_user("testUser")
            .db_user_password(PASSWORD)
            .ignored_users(["db_user1", "db_user2"])
            .kill_all_sessions(true)
    }

    #[tokio::test]
    async fn create_kill_instance_session_task_dry_run_matches_the_wire() {
        let server = Server::start(gateway()).await;
        let client = client(&server);
        let dry = client
            .create_kill_instance_session_task()
            .input(task())
            .dry_run()
            .await
            .unwrap();
        assert!(server.requests().is_empty(), "a dry run sends nothing");
        assert!(dry.url.contains("DbUserPassword=***"), "{}", dry.url);
        assert_eq!(dry.header("x-acs-security-token"), Some("***"));
        client
            .create_kill_instance_session_task()
            .input(task())
            .send()
            .await
            .unwrap();
        assert_matches(&dry, &server.requests()[0], &server.url());
    }

    #[tokio::test]
    async fn kill_instance_all_session_dry_run_matches_the_wire() {
        let server = Server::start(gateway()).await;
        let client = client(&server);
        let request = || KillInstanceAllSessionInput::default().instance_id("r-8vbcyr4sw0c4yc****");
        let dry = client
            .kill_instance_all_session()
            .input(request())
            .dry_run()
            .await
            .unwrap();
        assert!(server.requests().is_empty());
        assert_eq!(
            dry.url,
            format!("{}/?InstanceId=r-8vbcyr4sw0c4yc%2A%2A%2A%2A", server.url())
        );
        client
            .kill_instance_all_session()
            .input(request())
            .send()
            .await
            .unwrap();
        assert_matches(&dry, &server.requests()[0], &server.url());
    }
}
