//! Huawei Cloud DAS and DDS over real HTTP against a local gateway that recomputes the SDK-HMAC-SHA256
//! signature from the raw request and answers 401 APIGW.0301 on a mismatch.

use std::time::Duration;

use dbops_tests::{RawRequest, Reply, Server, verify};
use huaweicloud_dbops::das::DeleteProcessInput;
use huaweicloud_dbops::dds::DeleteSessionInput;
use huaweicloud_dbops::{ClientConfig, Credentials, DasClient, DdsClient, Error, RetryPolicy};
use serde_json::{Value, json};

const AK: &str = "HWTESTACCESSKEY0000001";
const SK: &str = "hw-secret-key-must-not-leak";
const TOKEN: &str = "hw-security-token-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const NODE: &str = "520c58ba00a3497e97ce0b9604874dd6no02";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";

fn doc_delete_process_body() -> Value {
    json!({
        "db_user_id": DB_USER_ID,
        "database": "example",
        "user": "aaa",
        "process_ids": ["11212", "3423222"]
    })
}

/// A gateway: checks the credentials (signature with `secret`, access key, token; see
/// [`verify::HuaweiAccount`]), then the request shape with `expect`, then answers
/// with `script(index)`.
fn gateway(
    secret: &'static str,
    expect: impl Fn(&RawRequest) -> Result<(), String> + Send + Sync + 'static,
    script: impl Fn(usize) -> Reply + Send + Sync + 'static,
) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::HuaweiAccount {
        access_key: AK,
        secret_key: secret,
        security_token: Some(TOKEN),
        iam_token: Some(TOKEN),
    };
    move |req, i| {
        if let Err(why) = account.check(req) {
            return Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string());
        }
        if let Err(why) = expect(req) {
            return Reply::json(400, &json!({"error_code": "TEST.0001", "error_msg": why}).to_string());
        }
        script(i)
    }
}

fn expect_delete_process(req: &RawRequest) -> Result<(), String> {
    let want_path = format!("/v3/{PROJECT}/instances/{INSTANCE}/process");
    if req.method != "DELETE" || req.path() != want_path {
        return Err(format!("unexpected {} {}", req.method, req.target));
    }
    if req.header("x-project-id") != Some(PROJECT) {
        return Err("X-Project-Id missing or wrong".into());
    }
    if req.header("content-type") != Some("application/json") {
        return Err("content-type is not application/json".into());
    }
    if req.header("api-version").is_some() {
        return Err("api-version header must not be sent".into());
    }
    let body: Value = serde_json::from_slice(&req.body).map_err(|e| format!("body is not JSON: {e}"))?;
    if body != doc_delete_process_body() {
        return Err(format!("unexpected body {body}"));
    }
    Ok(())
}

fn expect_delete_session(req: &RawRequest) -> Result<(), String> {
    let want_path = format!("/v3/{PROJECT}/nodes/{NODE}/session");
    if req.method != "POST" || req.path() != want_path {
        return Err(format!("unexpected {} {}", req.method, req.target));
    }
    if req.header("x-project-id") != Some(PROJECT) {
        return Err("X-Project-Id missing or wrong".into());
    }
    let body: Value = serde_json::from_slice(&req.body).map_err(|e| format!("body is not JSON: {e}"))?;
    if body != json!({"sessions": ["34631", "34703"]}) {
        return Err(format!("unexpected body {body}"));
    }
    Ok(())
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(50))
}

fn config(server: &Server, credentials: Credentials) -> ClientConfig {
    ClientConfig::new(credentials)
        .endpoint(server.url())
        .allow_http(true)
        .attempt_timeout(Duration::from_millis(1500))
        .total_timeout(Duration::from_secs(5))
        .retry(fast_retries())
}

fn das(server: &Server) -> DasClient {
    DasClient::new(config(server, Credentials::new(AK, SK, PROJECT))).unwrap()
}

fn dds(server: &Server) -> DdsClient {
    DdsClient::new(config(server, Credentials::new(AK, SK, PROJECT))).unwrap()
}

/// The documented example: the same fields as [`doc_delete_process_body`].
fn body() -> DeleteProcessInput {
    DeleteProcessInput::default()
        .db_user_id(DB_USER_ID)
        .database("example")
        .user("aaa")
        .process_ids(["11212", "3423222"])
}

fn sessions() -> DeleteSessionInput {
    DeleteSessionInput::default().sessions(["34631", "34703"])
}

fn assert_no_secret(text: &str) {
    for secret in [SK, TOKEN, AK] {
        assert!(!text.contains(secret), "secret leaked in: {text}");
    }
}

#[tokio::test]
async fn delete_process_doc_example_is_signed_and_accepted() {
    let server = Server::start(gateway(SK, expect_delete_process, |_| Reply::empty(200))).await;
    das(&server)
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let auth = reqs[0].header("authorization").unwrap();
    assert!(
        auth.starts_with(&format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=")),
        "{auth}"
    );
    assert!(auth.contains("content-type;host;x-project-id;x-sdk-date"), "{auth}");
}

#[tokio::test]
async fn delete_session_doc_example_accepts_empty_object_and_empty_body() {
    for reply in [Reply::json(200, "{}"), Reply::empty(200)] {
        let server = Server::start(gateway(SK, expect_delete_session, move |_| reply.clone())).await;
        dds(&server)
            .delete_session()
            .input(sessions())
            .node_id(NODE)
            .send()
            .await
            .unwrap();
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn a_wrong_signature_is_refused_by_the_gateway() {
    // The gateway holds a different secret: the client's signature cannot match.
    let server = Server::start(gateway("another-secret", expect_delete_process, |_| Reply::empty(200))).await;
    let err = das(&server)
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("APIGW.0301"));
    assert_eq!(server.requests().len(), 1, "a signature mismatch is not retried");
}

#[tokio::test]
async fn temporary_credentials_send_and_sign_the_security_token() {
    let server = Server::start(gateway(SK, expect_delete_session, |_| Reply::json(200, "{}"))).await;
    let client = DdsClient::new(config(&server, Credentials::temporary(AK, SK, TOKEN, PROJECT))).unwrap();
    client
        .delete_session()
        .input(sessions())
        .node_id(NODE)
        .send()
        .await
        .unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.header("x-security-token"), Some(TOKEN));
    assert!(req.header("authorization").unwrap().contains("x-security-token"));
}

#[tokio::test]
async fn iam_token_sends_x_auth_token_and_no_signature() {
    let server = Server::start(gateway(SK, expect_delete_process, |_| Reply::empty(200))).await;
    let client = DasClient::new(config(&server, Credentials::iam_token(TOKEN, PROJECT))).unwrap();
    client
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.header("x-auth-token"), Some(TOKEN));
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.header("x-project-id"), Some(PROJECT));
}

#[tokio::test]
async fn service_error_is_typed_with_code_message_and_request_id() {
    let reply = Reply::json(400, r#"{"error_code":"DBS.280001","error_msg":"Invalid parameter."}"#)
        .with_header("X-Request-Id", "req-123");
    let server = Server::start(gateway(SK, expect_delete_process, move |_| reply.clone())).await;
    let err = das(&server)
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    let Error::Service(e) = &err else {
        panic!("expected a service error, got {err:?}")
    };
    assert_eq!(
        (e.status, e.code.as_deref(), e.message.as_deref()),
        (400, Some("DBS.280001"), Some("Invalid parameter."))
    );
    assert_eq!(e.request_id.as_deref(), Some("req-123"));
    assert_eq!(server.requests().len(), 1, "a 400 is not retried");
    assert_no_secret(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn code_and_message_are_the_fallback_error_fields() {
    let server = Server::start(gateway(SK, expect_delete_session, |_| {
        Reply::json(403, r#"{"code":"DDS.0403","message":"Forbidden"}"#)
    }))
    .await;
    let err = dds(&server)
        .delete_session()
        .input(sessions())
        .node_id(NODE)
        .send()
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(403), Some("DDS.0403")));
}

#[tokio::test]
async fn throttling_is_retried_with_a_fresh_signature_then_succeeds() {
    let server = Server::start(gateway(SK, expect_delete_process, |i| match i {
        0 => Reply::json(
            429,
            r#"{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}"#,
        )
        .with_header("Retry-After", "1"),
        _ => Reply::empty(200),
    }))
    .await;
    let started = std::time::Instant::now();
    das(&server)
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    // Both attempts passed the gateway's signature check; the second was signed at its own time.
    assert!(reqs[1].header("x-sdk-date").unwrap() > reqs[0].header("x-sdk-date").unwrap());
}

#[tokio::test]
async fn throttling_code_on_400_is_retried_up_to_the_bound() {
    let server = Server::start(gateway(SK, expect_delete_process, |_| {
        Reply::json(400, r#"{"error_code":"APIG.0308","error_msg":"throttled"}"#)
    }))
    .await;
    let err = das(&server)
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("APIG.0308"));
    assert_eq!(server.requests().len(), 3, "default policy: 3 attempts in all");
}

#[tokio::test]
async fn server_errors_are_retried_only_when_opted_in() {
    let script = |i: usize| {
        if i == 0 {
            Reply::json(500, r#"{"error_code":"DBS.200001","error_msg":"internal"}"#)
        } else {
            Reply::empty(200)
        }
    };
    let server = Server::start(gateway(SK, expect_delete_process, script)).await;
    let err = das(&server)
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(server.requests().len(), 1);

    let server = Server::start(gateway(SK, expect_delete_process, script)).await;
    let client = DasClient::new(
        config(&server, Credentials::new(AK, SK, PROJECT)).retry(fast_retries().retry_server_errors(true)),
    )
    .unwrap();
    client
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_stalled_reply_times_out() {
    let server = Server::start(gateway(SK, expect_delete_process, |_| {
        Reply::Stall(Duration::from_secs(5))
    }))
    .await;
    let err = das(&server)
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert_eq!(
        server.requests().len(),
        1,
        "a timeout after sending is not retried by default"
    );
}

#[tokio::test]
async fn the_total_timeout_bounds_retries() {
    let server = Server::start(gateway(SK, expect_delete_process, |_| {
        Reply::Stall(Duration::from_secs(5))
    }))
    .await;
    let client = DasClient::new(
        config(&server, Credentials::new(AK, SK, PROJECT))
            .attempt_timeout(Duration::from_secs(10))
            .total_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = client
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_connection_reset_is_a_transport_error() {
    let server = Server::start(gateway(SK, expect_delete_process, |_| Reply::Reset)).await;
    let err = das(&server)
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(
        server.requests().len(),
        1,
        "the request may have been processed: not retried by default"
    );
    assert_no_secret(&format!("{err} {err:?}"));
    assert!(
        !format!("{err} {err:?}").contains("127.0.0.1"),
        "the URL is removed from transport errors"
    );
}

#[tokio::test]
async fn a_connection_closed_without_reply_is_a_transport_error() {
    let server = Server::start(gateway(SK, expect_delete_session, |_| Reply::Close)).await;
    let err = dds(&server)
        .delete_session()
        .input(sessions())
        .node_id(NODE)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn malformed_and_empty_error_replies_keep_the_status() {
    let cases = [
        (
            Reply::Http {
                status: 502,
                headers: vec![],
                body: b"<html>Bad Gateway</html>".to_vec(),
            },
            502,
        ),
        (Reply::empty(400), 400),
        (Reply::json(500, r#"{"error_code": 12"#), 500),
    ];
    for (reply, status) in cases {
        let server = Server::start(gateway(SK, expect_delete_process, move |_| reply.clone())).await;
        let err = das(&server)
            .delete_process()
            .input(body())
            .instance_id(INSTANCE)
            .send()
            .await
            .unwrap_err();
        let Error::Service(e) = &err else {
            panic!("expected a service error, got {err:?}")
        };
        assert_eq!(
            (e.status, e.code.as_deref(), e.message.as_deref()),
            (status, None, None)
        );
    }
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = DasClient::new(
        ClientConfig::new(Credentials::new(AK, SK, PROJECT))
            .endpoint(format!("http://127.0.0.1:{port}"))
            .allow_http(true)
            .retry(fast_retries()),
    )
    .unwrap();
    let err = client
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    let Error::Transport(e) = &err else {
        panic!("expected a transport error, got {err:?}")
    };
    assert!(e.is_connect());
    assert_no_secret(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let server = Server::start(gateway(SK, expect_delete_process, |_| Reply::empty(200))).await;
    let client = das(&server);
    let cases = [
        (
            "da304cd5bbb944de828759bc7be3d3fein0!",
            body(),
            "instance_id",
            "must match the pattern `^[A-Za-z0-9]{32,36}$`",
        ),
        (
            "short",
            body(),
            "instance_id",
            "must match the pattern `^[A-Za-z0-9]{32,36}$`",
        ),
        (
            INSTANCE,
            DeleteProcessInput::default().db_user_id(DB_USER_ID),
            "process_ids, user, database",
            "at least one of process_ids, user, database must be given and non-empty",
        ),
        (
            INSTANCE,
            DeleteProcessInput::default()
                .db_user_id(DB_USER_ID)
                .process_ids(Vec::<String>::new())
                .user(""),
            "process_ids, user, database",
            "at least one of process_ids, user, database must be given and non-empty",
        ),
        (
            INSTANCE,
            body().process_ids(["1", "2147483648"]),
            "process_ids[1]",
            "must be the decimal text of an integer from 0 to 2147483647",
        ),
        (
            INSTANCE,
            body().process_ids(["abc"]),
            "process_ids[0]",
            "must be the decimal text of an integer from 0 to 2147483647",
        ),
        (
            INSTANCE,
            body().db_user_id("not-a-uuid"),
            "db_user_id",
            "must match the pattern `^[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}$`",
        ),
    ];
    for (instance, b, field, rule) in cases {
        let err = client
            .delete_process()
            .input(b)
            .instance_id(instance)
            .send()
            .await
            .unwrap_err();
        let Error::InvalidRequest(v) = &err else {
            panic!("expected a violation, got {err:?}")
        };
        assert_eq!((v.field.as_str(), v.rule.as_str()), (field, rule));
        assert!(err.to_string().contains("nothing was sent"));
    }
    // A project id from the credentials is checked against the spec's rule for it once, when the
    // client is built: a project id no operation could use is an unusable credential.
    let err = DasClient::new(config(&server, Credentials::new(AK, SK, "not-32-chars"))).unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m == "the credentials' `project_id` must match the pattern `^[A-Za-z0-9]{32}$`"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("not-32-chars"), "{err}");
    let err = huaweicloud_dbops::DdsClient::new(config(&server, Credentials::new(AK, SK, "p/../x"))).unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("`project_id`")),
        "{err:?}"
    );

    let dds_client = dds(&server);
    let err = dds_client
        .delete_session()
        .input(DeleteSessionInput::default().sessions(Vec::<String>::new()))
        .node_id(NODE)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(v) if v.field == "sessions" && v.rule == "must hold at least 1 item"),
        "{err:?}"
    );
    let err = dds_client
        .delete_session()
        .input(sessions())
        .node_id("")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(v) if v.field == "node_id"),
        "{err:?}"
    );

    assert_eq!(server.requests().len(), 0, "nothing may reach the network");
}

#[tokio::test]
async fn configuration_errors_name_the_problem() {
    let creds = || Credentials::new(AK, SK, PROJECT);
    let err = DasClient::new(ClientConfig::new(creds()).region("xx-nowhere-1")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("unknown das region `xx-nowhere-1`") && text.contains("cn-north-4"),
        "{text}"
    );
    let err = DasClient::new(ClientConfig::new(creds()).endpoint("http://127.0.0.1:1")).unwrap_err();
    assert!(err.to_string().contains("plain http"), "{err}");
    let err = DdsClient::new(ClientConfig::new(creds())).unwrap_err();
    assert!(err.to_string().contains("choose a region or an endpoint"), "{err}");
    let err = Credentials::from_lookup(|name| (name != "HUAWEICLOUD_SDK_SK").then(|| "x".to_string())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "client configuration: environment variable HUAWEICLOUD_SDK_SK is not set"
    );
}

#[test]
fn region_table_includes_the_documented_exceptions() {
    use huaweicloud_dbops::{das, dds};
    let find = |t: &[(&str, &str)], r: &str| t.iter().find(|(k, _)| *k == r).map(|(_, u)| u.to_string());
    assert_eq!(
        find(&das::meta::REGIONS, "na-mexico-1").as_deref(),
        Some("https://das.la-south-2.myhuaweicloud.com")
    );
    assert_eq!(
        find(&das::meta::REGIONS, "cn-north-4").as_deref(),
        Some("https://das.cn-north-4.myhuaweicloud.com")
    );
    assert_eq!(
        find(&dds::meta::REGIONS, "eu-west-101").as_deref(),
        Some("https://dds.eu-west-101.myhuaweicloud.eu")
    );
    assert_eq!(
        find(&dds::meta::REGIONS, "ap-southeast-5").as_deref(),
        Some("https://dds.ap-southeast-5.myhuaweicloud.com")
    );
    assert_eq!(das::meta::REGIONS.len(), 19);
    assert_eq!(dds::meta::REGIONS.len(), 34);
}

#[test]
fn credentials_debug_is_masked() {
    let creds = Credentials::temporary(AK, SK, TOKEN, PROJECT);
    let text = format!("{creds:?}");
    assert_no_secret(&text);
    assert!(text.contains(PROJECT));
    let from_env = Credentials::from_lookup(|name| match name {
        "HUAWEICLOUD_SDK_AK" => Some(AK.into()),
        "HUAWEICLOUD_SDK_SK" => Some(SK.into()),
        "HUAWEICLOUD_SDK_PROJECT_ID" => Some(PROJECT.into()),
        "HUAWEICLOUD_SDK_SECURITY_TOKEN" => Some(TOKEN.into()),
        _ => None,
    })
    .unwrap();
    assert_no_secret(&format!("{from_env:?}"));
    assert_eq!(from_env.project_id(), PROJECT);
}

#[tokio::test]
async fn an_iam_token_never_shows_in_debug_a_client_or_a_dry_run() {
    let creds = Credentials::iam_token(TOKEN, PROJECT);
    let text = format!("{creds:?}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(text.contains(PROJECT), "{text}");
    let server = Server::start(|_, _| Reply::empty(200)).await;
    let client = DasClient::new(config(&server, creds)).unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains(TOKEN), "{text}");
    let dry = client
        .delete_process()
        .input(body())
        .instance_id(INSTANCE)
        .dry_run()
        .await
        .unwrap();
    for text in [format!("{dry:?}"), dry.to_string()] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(
            text.to_lowercase().contains("x-auth-token"),
            "the token header is shown, masked: {text}"
        );
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn every_attempt_is_built_and_signed_afresh_and_a_request_that_cannot_be_built_is_not_sent() {
    // The send loop keeps no copy of a request for a retry: each attempt builds its own, then signs it.
    let server = Server::start(|_, _| Reply::empty(503)).await;
    let client = reqwest::Client::new();
    let url: reqwest::Url = server.url().parse().unwrap();
    let policy = fast_retries().retry_server_errors(true);
    let mut settings = dbops_core::HttpConfig::default();
    settings.retry = policy.clone();
    let transport = settings.transport();
    let (mut built, mut signed) = (0u32, 0u32);
    let reply = dbops_core::http::send(
        &client,
        &transport,
        &huaweicloud_dbops::runtime::HuaweiDialect,
        || {
            built += 1;
            let mut request = reqwest::Request::new(reqwest::Method::POST, url.clone());
            *request.body_mut() = Some(reqwest::Body::from(format!("attempt {built}")));
            Ok(request)
        },
        |request| {
            signed += 1;
            request.headers_mut().insert("x-signed", signed.into());
        },
    )
    .await
    .unwrap();
    assert_eq!(reply.status(), 503);
    let n = policy.max_attempts;
    assert!(n > 1);
    assert_eq!((built, signed, server.requests().len()), (n, n, n as usize));
    for (i, request) in server.requests().iter().enumerate() {
        assert_eq!(request.body, format!("attempt {}", i + 1).as_bytes());
        assert_eq!(request.header("x-signed"), Some((i + 1).to_string().as_str()));
    }

    let err = dbops_core::http::send(
        &client,
        &transport,
        &huaweicloud_dbops::runtime::HuaweiDialect,
        || Err(Error::Config("cannot be built".into())),
        |_| panic!("nothing to sign"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Config(ref m) if m == "cannot be built"), "{err:?}");
    assert_eq!(server.requests().len(), n as usize);
}

#[tokio::test]
async fn a_call_waiting_for_an_in_flight_place_ends_at_its_deadline() {
    let server = Server::start(gateway(SK, expect_delete_process, |_| {
        Reply::Stall(Duration::from_secs(5))
    }))
    .await;
    let client = DasClient::new(
        config(&server, Credentials::new(AK, SK, PROJECT))
            .max_in_flight(1)
            .attempt_timeout(Duration::from_secs(10))
            .total_timeout(Duration::from_millis(400))
            .retry(RetryPolicy::none()),
    )
    .unwrap();
    let call = || client.delete_process().input(body()).instance_id(INSTANCE).send();
    let started = std::time::Instant::now();
    // The first call holds the one place on a stalled server until its deadline; the second waits for
    // it, gets it with a few milliseconds left, and also ends at its own deadline, not after an attempt
    // timeout of 10 s.
    let (first, second) = tokio::join!(call(), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        call().await
    });
    assert!(matches!(first, Err(Error::Timeout)), "{first:?}");
    assert!(matches!(second, Err(Error::Timeout)), "{second:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(server.requests().len() <= 2);
}

#[test]
fn any_one_of_process_ids_user_or_database_is_enough_to_kill_and_an_empty_one_is_not() {
    let base = || {
        DeleteProcessInput::default()
            .instance_id(INSTANCE)
            .db_user_id(DB_USER_ID)
    };
    for (input, ok) in [
        (base().process_ids(["1"]), true),
        (base().user("app"), true),
        (base().database("orders"), true),
        (base().user("").database(""), false),
        (base(), false),
    ] {
        assert_eq!(input.check().is_ok(), ok, "{input:?}");
    }
}

#[tokio::test]
async fn x_language_is_sent_as_a_header_when_given_and_not_when_empty() {
    let server = Server::start(|req: &RawRequest, _| match req.method.as_str() {
        "GET" if req.path().ends_with("/db-users") => Reply::json(200, r#"{"db_users":[],"total":0}"#),
        "GET" => Reply::json(200, r#"{"processes":[],"count":0}"#),
        "POST" => Reply::json(200, r#"{"db_user_id":"2c250598-1e3c-4d31-bc19-be1d866247e6"}"#),
        _ => Reply::empty(200),
    })
    .await;
    let client = das(&server);
    for (given, want) in [(Some("en-us"), Some("en-us")), (Some(""), None), (None, None)] {
        let mut list_users = client.list_db_users().instance_id(INSTANCE);
        let mut register = client
            .register_db_user()
            .instance_id(INSTANCE)
            .datastore_type("MySQL")
            .db_username("app")
            .db_user_password("pw");
        let mut delete = client.delete_process().input(body()).instance_id(INSTANCE);
        let mut list = client.list_processes().instance_id(INSTANCE).db_user_id(DB_USER_ID);
        if let Some(v) = given {
            list_users = list_users.x_language(v);
            register = register.x_language(v);
            delete = delete.x_language(v);
            list = list.x_language(v);
        }
        let before = server.requests().len();
        list_users.send().await.unwrap();
        register.send().await.unwrap();
        delete.send().await.unwrap();
        list.send().await.unwrap();
        let sent: Vec<Option<String>> = server.requests()[before..]
            .iter()
            .map(|r| r.header("x-language").map(str::to_string))
            .collect();
        assert_eq!(sent, vec![want.map(str::to_string); 4], "{given:?}");
    }
}
