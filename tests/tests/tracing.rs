//! Each call runs in a `dbops.call` span carrying provider, service, operation, endpoint host, HTTP
//! status, attempt number and vendor request id, and nothing it logs holds a secret.
//!
//! One test function in its own binary: the subscriber is the only one in the process while it runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dbops_tests::{RawRequest, Reply, Server, verify};
use serde_json::json;

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const HW_TOKEN: &str = "hw-security-token-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const ALI_AK: &str = "LTAITESTACCESSKEYID01";
const ALI_SECRET: &str = "ali-secret-must-not-leak";
const PASSWORD: &str = "db-p@ss w0rd-must-not-leak";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

fn assert_logged(text: &str, wanted: &[&str]) {
    for want in wanted {
        assert!(text.contains(want), "`{want}` missing from the logs:\n{text}");
    }
    for secret in [HW_AK, HW_SK, HW_TOKEN, ALI_AK, ALI_SECRET, PASSWORD, "DbUserPassword"] {
        assert!(!text.contains(secret), "`{secret}` leaked into the logs:\n{text}");
    }
}

#[tokio::test]
async fn calls_are_traced_with_their_facts_and_without_secrets() {
    let logs = Buffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // Huawei: throttled once, then accepted.
    let server = Server::start(|req: &RawRequest, i| {
        if i == 0 {
            return Reply::json(429, r#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#)
                .with_header("X-Request-Id", "hw-throttled");
        }
        match verify::huawei(req, HW_SK) {
            Ok(_) => Reply::empty(200).with_header("X-Request-Id", "hw-req-1"),
            Err(why) => Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string()),
        }
    })
    .await;
    let config = huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::temporary(
        HW_AK, HW_SK, HW_TOKEN, PROJECT,
    ))
    .endpoint(server.url())
    .allow_http(true)
    .retry(huaweicloud_dbops::RetryPolicy::default().initial_backoff(Duration::from_millis(5)));
    huaweicloud_dbops::DasClient::new(config)
        .unwrap()
        .delete_process()
        .instance_id("da304cd5bbb944de828759bc7be3d3fein01")
        .db_user_id("2c250598-1e3c-4d31-bc19-be1d866247e6")
        .user("aaa")
        .send()
        .await
        .unwrap();
    assert_logged(
        &logs.take(),
        &[
            "dbops.call{provider=\"huaweicloud\" service=\"das\" operation=\"DeleteProcess\" host=127.0.0.1",
            "status=429",
            "attempt=2",
            "status=200",
            "request_id=\"hw-req-1\"",
            "call succeeded",
        ],
    );

    // Alibaba: refused.
    let server = Server::start(|_: &RawRequest, _| {
        Reply::json(
            403,
            r#"{"RequestId":"ali-denied","Code":"NoPermission","Message":"denied"}"#,
        )
    })
    .await;
    let client = alibabacloud_dbops::DasClient::new(
        alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new(ALI_AK, ALI_SECRET))
            .endpoint(server.url())
            .allow_http(true),
    )
    .unwrap();
    let err = client
        .create_kill_instance_session_task()
        .instance_id("rm-1")
        .db_user("u")
        .db_user_password(PASSWORD)
        .kill_all_sessions(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoPermission"));
    assert_logged(
        &logs.take(),
        &[
            "dbops.call{provider=\"alibabacloud\" service=\"das\" operation=\"CreateKillInstanceSessionTask\" host=127.0.0.1",
            "attempt=1",
            "status=403",
            "request_id=\"ali-denied\"",
            "call failed",
        ],
    );
}
