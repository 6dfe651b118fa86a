//! Text a server sends reaches errors cut and escaped: a service error's message, a decode error that
//! quotes the reply, a wait's last state. No raw control character (ESC, CR, LF, BEL) and no text
//! longer than the documented limits, whatever the server sends.

use std::time::Duration;

use dbops_core::error::{MAX_FIELD_CHARS, MAX_MESSAGE_CHARS};
use dbops_tests::{Reply, Server};
use huaweicloud_dbops::{Error, RetryPolicy};
use serde_json::json;

const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";
/// A terminal title change, a screen clear, an overwritten line and a bell.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\r\nfake: ok\u{7}";

fn das(server: &Server) -> huaweicloud_dbops::DasClient {
    huaweicloud_dbops::DasClient::new(
        huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new("HWAK", "secret", PROJECT))
            .endpoint(server.url())
            .allow_http(true)
            .retry(RetryPolicy::none())
            .total_timeout(Duration::from_secs(20)),
    )
    .unwrap()
}

fn assert_safe(text: &str, max_chars: usize) {
    assert!(
        !text.chars().any(char::is_control),
        "raw control characters in {text:?}"
    );
    assert!(text.chars().count() <= max_chars, "{} characters", text.chars().count());
}

async fn list_error(reply: Reply) -> Error {
    let server = Server::start(move |_, _| reply.clone()).await;
    das(&server)
        .list_processes()
        .instance_id(INSTANCE)
        .db_user_id(DB_USER_ID)
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_service_error_message_is_cut_and_escaped() {
    let message = format!("{HOSTILE}{}", "m".repeat(50_000));
    let code = format!("DBS.{HOSTILE}");
    let body = json!({"error_code": code, "error_msg": message}).to_string();
    let err = list_error(Reply::json(400, &body).with_header("x-request-id", "req\t-1")).await;
    let Error::Service(e) = &err else { panic!("{err}") };
    assert!(
        e.message
            .as_deref()
            .unwrap()
            .starts_with("\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\r\\nfake")
    );
    assert_eq!(
        e.code.as_deref(),
        Some("DBS.\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\r\\nfake: ok\\u{7}")
    );
    assert_eq!(err.request_id(), Some("req\\t-1"));
    // The escapes lengthen the clipped text by five characters each at most.
    assert_safe(&err.to_string(), 6 * (MAX_MESSAGE_CHARS + 2 * MAX_FIELD_CHARS) + 100);
}

#[tokio::test]
async fn a_decode_error_quoting_a_megabyte_of_the_reply_is_cut_and_escaped() {
    // `count` must be an integer: serde's message quotes the string it got.
    let quoted = format!("{HOSTILE}{}", "q".repeat(1_000_000));
    let body = json!({"count": quoted, "processes": []}).to_string();
    let err = list_error(Reply::json(200, &body)).await;
    let Error::Decode { message, .. } = &err else {
        panic!("{err}")
    };
    assert!(message.contains("\\u{1b}]0;pwned"), "{message}");
    assert!(message.ends_with('…'), "{message}");
    assert_safe(message, 6 * MAX_MESSAGE_CHARS + 1);
    assert_safe(&err.to_string(), 6 * MAX_MESSAGE_CHARS + 100);
}

#[tokio::test]
async fn a_wait_that_ends_at_its_deadline_shows_the_last_state_cut_and_escaped() {
    let state = format!("{HOSTILE}{}", "s".repeat(100_000));
    let body = json!({"Code": 200, "Success": true, "Data": {"TaskState": state}}).to_string();
    let server = Server::start(move |_, _| Reply::json(200, &body)).await;
    let ali = alibabacloud_dbops::DasClient::new(
        alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new("LTAIAK", "secret"))
            .endpoint(server.url())
            .allow_http(true),
    )
    .unwrap();
    let err = ali
        .get_kill_instance_session_task_result()
        .instance_id("rm-1")
        .task_id("t-1")
        .wait(alibabacloud_dbops::WaitPolicy::default().timeout(Duration::from_millis(300)))
        .await
        .unwrap_err();
    let Error::NotDone { state: Some(s), .. } = &err else {
        panic!("{err}")
    };
    assert!(s.starts_with("\\u{1b}]0;pwned"), "{s}");
    assert_safe(s, 6 * MAX_FIELD_CHARS + 1);
    assert_safe(&err.to_string(), 6 * MAX_FIELD_CHARS + 100);
}
