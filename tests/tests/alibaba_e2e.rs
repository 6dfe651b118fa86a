//! Alibaba Cloud DAS over real HTTP against a local gateway that recomputes the ACS3-HMAC-SHA256
//! signature from the raw request and answers SignatureDoesNotMatch on a mismatch.

use std::time::Duration;

use alibabacloud_dbops::das::{CreateKillInstanceSessionTaskInput, KillInstanceAllSessionInput};
use alibabacloud_dbops::{ClientConfig, Credentials, DasClient, Error, RetryPolicy, SecretString};
use dbops_tests::{RawRequest, Reply, Server, verify};
use serde_json::json;

const AK: &str = "LTAITESTACCESSKEYID01";
const SECRET: &str = "ali-secret-must-not-leak";
const TOKEN: &str = "ali-sts-token-must-not-leak";
const PASSWORD: &str = "db-p@ss w0rd&=must-not-leak";

const TASK_OK: &str = r#"{"Code":200,"Message":"Successful","Data":"f77d535b45405bd462b21caa3ee8****","RequestId":"B6D17591-B48B-4D31-9CD6-9B9796B2****","Success":true}"#;
const ALL_OK: &str = r#"{"Code":"200","Message":"Successful","Data":"None","RequestId":"B6D17591-B48B-4D31-9CD6-9B9796B2****","Success":"true"}"#;

fn gateway(
    secret: &'static str,
    expect: impl Fn(&RawRequest) -> Result<(), String> + Send + Sync + 'static,
    script: impl Fn(usize) -> Reply + Send + Sync + 'static,
) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::AlibabaAccount {
        access_key_id: AK,
        secret,
        security_token: Some(TOKEN),
    };
    move |req, i| {
        if let Err(why) = account.check(req) {
            let body = json!({"RequestId": "R-SIG", "HostId": "das.cn-shanghai.aliyuncs.com", "Code": "SignatureDoesNotMatch", "Message": why, "Recommend": "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch"});
            return Reply::json(400, &body.to_string());
        }
        if let Err(why) = expect(req) {
            return Reply::json(
                400,
                &json!({"RequestId": "R-TEST", "Code": "InvalidParams", "Message": why}).to_string(),
            );
        }
        script(i)
    }
}

/// The common RPC wire form, then the action's own parameters.
fn rpc(req: &RawRequest, action: &str, params: &[(&str, &str)]) -> Result<(), String> {
    if req.method != "POST" || req.path() != "/" {
        return Err(format!("expected POST /, got {} {}", req.method, req.path()));
    }
    if !req.body.is_empty() {
        return Err("the body must be empty".into());
    }
    if req.header("x-acs-action") != Some(action) || req.header("x-acs-version") != Some("2020-01-16") {
        return Err("wrong x-acs-action or x-acs-version".into());
    }
    if req.header("api-version").is_some() || req.header("content-type").is_some() {
        return Err("unexpected api-version or content-type header".into());
    }
    let mut got = req.query();
    got.sort();
    let mut want: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    want.sort();
    if got != want {
        return Err(format!("parameters {got:?} != {want:?}"));
    }
    Ok(())
}

fn expect_task(req: &RawRequest) -> Result<(), String> {
    rpc(
        req,
        "CreateKillInstanceSessionTask",
        &[
            ("InstanceId", "rm-2ze8g2am97624****"),
            ("NodeId", "pi-bp1v203xzzh0a****"),
            ("DbUser", "testUser"),
            ("DbUserPassword", PASSWORD),
            ("IgnoredUsers", r#"["db_user1","db_user2"]"#),
            ("KillAllSessions", "false"),
            ("SessionIds", "[10805639,10805623,10805645,10805553,10805566,10805616]"),
        ],
    )
}

fn expect_all(req: &RawRequest) -> Result<(), String> {
    rpc(req, "KillInstanceAllSession", &[("InstanceId", "r-8vbcyr4sw0c4yc****")])
}

fn task_request() -> CreateKillInstanceSessionTaskInput {
    CreateKillInstanceSessionTaskInput::default()
        .instance_id("rm-2ze8g2am97624****")
        .node_id("pi-bp1v203xzzh0a****")
        .db_user("testUser")
        .db_user_password(PASSWORD)
        .ignored_users(["db_user1", "db_user2"])
        .kill_all_sessions(false)
        .session_ids([10805639, 10805623, 10805645, 10805553, 10805566, 10805616])
}

fn all_request() -> KillInstanceAllSessionInput {
    KillInstanceAllSessionInput::default().instance_id("r-8vbcyr4sw0c4yc****")
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

fn client(server: &Server) -> DasClient {
    DasClient::new(config(server, Credentials::new(AK, SECRET))).unwrap()
}

fn assert_no_secret(text: &str) {
    for secret in [SECRET, TOKEN, PASSWORD, AK, "p%40ss", "db-p@ss"] {
        assert!(!text.contains(secret), "secret leaked in: {text}");
    }
}

#[tokio::test]
async fn create_kill_instance_session_task_goes_out_in_rpc_form_and_is_accepted() {
    let server = Server::start(gateway(SECRET, expect_task, |_| Reply::json(200, TASK_OK))).await;
    let reply = client(&server)
        .create_kill_instance_session_task()
        .input(task_request())
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&reply.data).unwrap(),
        json!("f77d535b45405bd462b21caa3ee8****")
    );
    assert_eq!((reply.code, reply.success), (Some(200), Some(true)));
    let req = &server.requests()[0];
    let auth = req.header("authorization").unwrap();
    assert!(
        auth.starts_with(&format!(
            "ACS3-HMAC-SHA256 Credential={AK},SignedHeaders=host;x-acs-action;"
        )),
        "{auth}"
    );
}

#[tokio::test]
async fn the_builder_interface_encodes_lists_and_booleans() {
    let server = Server::start(gateway(
        SECRET,
        |req| {
            rpc(
                req,
                "CreateKillInstanceSessionTask",
                &[
                    ("InstanceId", "rm-1"),
                    ("DbUser", "u"),
                    ("DbUserPassword", PASSWORD),
                    ("KillAllSessions", "true"),
                    ("IgnoredUsers", r#"["ops","用户 1"]"#),
                ],
            )
        },
        |_| Reply::json(200, TASK_OK),
    ))
    .await;
    client(&server)
        .create_kill_instance_session_task()
        .instance_id("rm-1")
        .db_user("u")
        .db_user_password(SecretString::new(PASSWORD))
        .kill_all_sessions(true)
        .ignored_users(["ops", "用户 1"])
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn kill_instance_all_session_is_accepted_with_string_code_and_success() {
    let server = Server::start(gateway(SECRET, expect_all, |_| Reply::json(200, ALL_OK))).await;
    let reply = client(&server)
        .kill_instance_all_session()
        .input(all_request())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (reply.code.as_deref(), reply.success.as_deref()),
        (Some("200"), Some("true"))
    );
}

#[tokio::test]
async fn sts_credentials_send_and_sign_the_security_token() {
    let server = Server::start(gateway(SECRET, expect_all, |_| Reply::json(200, ALL_OK))).await;
    let client = DasClient::new(config(&server, Credentials::sts(AK, SECRET, TOKEN))).unwrap();
    client
        .kill_instance_all_session()
        .input(all_request())
        .send()
        .await
        .unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.header("x-acs-security-token"), Some(TOKEN));
    assert!(req.header("authorization").unwrap().contains("x-acs-security-token"));
}

#[tokio::test]
async fn a_wrong_signature_is_refused_with_a_typed_error() {
    let server = Server::start(gateway("other-secret", expect_all, |_| Reply::json(200, ALL_OK))).await;
    let err = client(&server)
        .kill_instance_all_session()
        .input(all_request())
        .send()
        .await
        .unwrap_err();
    let Error::Service(e) = &err else {
        panic!("expected a service error, got {err:?}")
    };
    assert_eq!((e.status, e.code.as_deref()), (400, Some("SignatureDoesNotMatch")));
    assert_eq!(e.request_id.as_deref(), Some("R-SIG"));
    assert_eq!(e.host_id.as_deref(), Some("das.cn-shanghai.aliyuncs.com"));
    assert!(
        e.recommend
            .as_deref()
            .unwrap()
            .starts_with("https://api.aliyun.com/troubleshoot")
    );
}

#[tokio::test]
async fn success_false_on_200_is_a_service_error_for_both_shapes() {
    let server = Server::start(gateway(SECRET, expect_task, |_| {
        Reply::json(
            200,
            r#"{"Code":-1,"Message":"instance not found","RequestId":"R-1","Success":false}"#,
        )
    }))
    .await;
    let err = client(&server)
        .create_kill_instance_session_task()
        .input(task_request())
        .send()
        .await
        .unwrap_err();
    let Error::Service(e) = &err else {
        panic!("expected a service error, got {err:?}")
    };
    assert_eq!(
        (
            e.status,
            e.code.as_deref(),
            e.message.as_deref(),
            e.request_id.as_deref()
        ),
        (200, Some("-1"), Some("instance not found"), Some("R-1"))
    );
    assert_no_secret(&format!("{err} {err:?}"));

    let server = Server::start(gateway(SECRET, expect_all, |_| {
        Reply::json(
            200,
            r#"{"Code":"-1","Message":"not a redis instance","RequestId":"R-2","Success":"false"}"#,
        )
    }))
    .await;
    let err = client(&server)
        .kill_instance_all_session()
        .input(all_request())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.code(), err.request_id()),
        (Some(200), Some("-1"), Some("R-2"))
    );
}

#[tokio::test]
async fn throttling_is_retried_with_a_fresh_nonce_then_succeeds() {
    let server = Server::start(gateway(SECRET, expect_task, |i| match i {
        0 => Reply::json(
            400,
            r#"{"RequestId":"R-T","Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#,
        ),
        1 => Reply::json(
            503,
            r#"{"RequestId":"R-T2","Code":"Throttling","Message":"Request was denied due to flow control."}"#,
        ),
        _ => Reply::json(200, TASK_OK),
    }))
    .await;
    client(&server)
        .create_kill_instance_session_task()
        .input(task_request())
        .send()
        .await
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let nonces: std::collections::HashSet<_> = reqs
        .iter()
        .map(|r| r.header("x-acs-signature-nonce").unwrap().to_string())
        .collect();
    assert_eq!(nonces.len(), 3, "each attempt carries its own nonce");
}

#[tokio::test]
async fn other_errors_are_not_retried() {
    let server = Server::start(gateway(SECRET, expect_task, |_| {
        Reply::json(
            403,
            r#"{"RequestId":"R-3","Code":"NoPermission","Message":"You are not authorized to do this action."}"#,
        )
    }))
    .await;
    let err = client(&server)
        .create_kill_instance_session_task()
        .input(task_request())
        .send()
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(403), Some("NoPermission")));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn faults_are_typed_and_never_show_a_secret() {
    type IsExpected = fn(&Error) -> bool;
    let cases: Vec<(Reply, IsExpected, &str)> = vec![
        (
            Reply::Stall(Duration::from_secs(5)),
            |e| matches!(e, Error::Timeout),
            "timeout",
        ),
        (Reply::Reset, |e| matches!(e, Error::Transport(_)), "reset"),
        (
            Reply::Close,
            |e| matches!(e, Error::Transport(_)),
            "closed without reply",
        ),
        (
            Reply::json(200, "{\"Code\":200,"),
            |e| matches!(e, Error::Decode { .. }),
            "malformed 200",
        ),
        (Reply::empty(200), |e| matches!(e, Error::Decode { .. }), "empty 200"),
        (
            Reply::json(200, r#"{"Success":"yes"}"#),
            |e| matches!(e, Error::Decode { .. }),
            "wrong type",
        ),
        (
            Reply::Http {
                status: 500,
                headers: vec![],
                body: b"oops".to_vec(),
            },
            |e| e.status() == Some(500) && e.code().is_none(),
            "malformed 500",
        ),
    ];
    for (reply, is_expected, what) in cases {
        let server = Server::start(gateway(SECRET, expect_task, move |_| reply.clone())).await;
        let err = client(&server)
            .create_kill_instance_session_task()
            .input(task_request())
            .send()
            .await
            .unwrap_err();
        assert!(is_expected(&err), "{what}: {err:?}");
        let shown = format!("{err} {err:?}");
        assert_no_secret(&shown);
        assert!(
            !shown.contains("DbUserPassword"),
            "{what}: the URL must not appear: {shown}"
        );
        assert_eq!(server.requests().len(), 1, "{what}: not retried");
    }
}

#[tokio::test]
async fn connection_refused_never_shows_the_url_or_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = DasClient::new(
        ClientConfig::new(Credentials::new(AK, SECRET))
            .endpoint(format!("http://127.0.0.1:{port}"))
            .allow_http(true)
            .retry(fast_retries()),
    )
    .unwrap();
    let err = client
        .create_kill_instance_session_task()
        .input(task_request())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Transport(e) if e.is_connect()), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert_no_secret(&shown);
    assert!(!shown.contains("DbUserPassword"), "{shown}");
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let server = Server::start(gateway(SECRET, expect_task, |_| Reply::json(200, TASK_OK))).await;
    let client = client(&server);
    let cases: Vec<(CreateKillInstanceSessionTaskInput, &str, &str)> = vec![
        (
            task_request().instance_id(""),
            "InstanceId",
            "must be at least 1 character long",
        ),
        (
            task_request().db_user(""),
            "DbUser",
            "must be at least 1 character long",
        ),
        (
            task_request().db_user_password(""),
            "DbUserPassword",
            "must be at least 1 character long",
        ),
        (
            task_request().ignored_users(["a", ""]),
            "IgnoredUsers[1]",
            "must be at least 1 character long",
        ),
        // A required parameter left out is refused, naming it.
        (
            CreateKillInstanceSessionTaskInput::default()
                .instance_id("rm-1")
                .db_user("u")
                .kill_all_sessions(true),
            "DbUserPassword",
            "is required",
        ),
    ];
    for (request, field, rule) in cases {
        let err = client
            .create_kill_instance_session_task()
            .input(request)
            .send()
            .await
            .unwrap_err();
        let Error::InvalidRequest(v) = &err else {
            panic!("expected a violation, got {err:?}")
        };
        assert_eq!((v.field.as_str(), v.rule.as_str()), (field, rule));
        assert_no_secret(&format!("{err} {err:?}"));
    }
    // Session ids with KillAllSessions true contradict each other.
    let err = client
        .create_kill_instance_session_task()
        .input(task_request())
        .kill_all_sessions(true)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(v)
            if v.field == "SessionIds" && v.rule.starts_with("must be left out when KillAllSessions is true")),
        "{err:?}"
    );
    assert_no_secret(&format!("{err} {err:?}"));
    let err = client
        .kill_instance_all_session()
        .instance_id("")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(v) if v.field == "InstanceId"),
        "{err:?}"
    );
    let err = client.kill_instance_all_session().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(v) if v.field == "InstanceId" && v.rule == "is required"),
        "{err:?}"
    );
    // The kill with the maintenance account has the same rules, but no account to give.
    use alibabacloud_dbops::das::CreateKillInstanceSessionTaskWithMaintainUserInput as Maintain;
    let maintain_cases: Vec<(Maintain, &str, &str)> = vec![
        (Maintain::default().kill_all_sessions(true), "InstanceId", "is required"),
        (
            Maintain::default().instance_id("").kill_all_sessions(true),
            "InstanceId",
            "must be at least 1 character long",
        ),
        (
            Maintain::default().instance_id("rm-1"),
            "KillAllSessions",
            "is required",
        ),
        (
            Maintain::default()
                .instance_id("rm-1")
                .kill_all_sessions(false)
                .ignored_users(["ok", ""]),
            "IgnoredUsers[1]",
            "must be at least 1 character long",
        ),
        (
            Maintain::default()
                .instance_id("rm-1")
                .kill_all_sessions(true)
                .session_ids([7u64]),
            "SessionIds",
            "must be left out when KillAllSessions is true: the service then kills every session and ignores the ids",
        ),
    ];
    for (input, field, rule) in maintain_cases {
        let err = client
            .create_kill_instance_session_task_with_maintain_user()
            .input(input)
            .send()
            .await
            .unwrap_err();
        let Error::InvalidRequest(v) = &err else {
            panic!("expected a violation, got {err:?}")
        };
        assert_eq!((v.field.as_str(), v.rule.as_str()), (field, rule));
    }
    assert_eq!(server.requests().len(), 0, "nothing may reach the network");
}

#[test]
fn debug_output_masks_credentials_and_the_password() {
    let creds = Credentials::sts(AK, SECRET, TOKEN);
    assert_no_secret(&format!("{creds:?}"));
    assert_no_secret(&format!("{:?}", task_request()));
    let partial = CreateKillInstanceSessionTaskInput::default().db_user_password(SecretString::new(PASSWORD));
    assert_no_secret(&format!("{partial:?}"));
    let client = DasClient::new(ClientConfig::new(creds)).unwrap();
    assert_no_secret(&format!("{client:?}"));
    let err =
        Credentials::from_lookup(|name| (name == "ALIBABA_CLOUD_ACCESS_KEY_ID").then(|| AK.to_string())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "client configuration: environment variable ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set"
    );
}

#[test]
fn the_default_endpoint_is_cn_shanghai_and_https_is_required() {
    assert_eq!(
        alibabacloud_dbops::das::meta::DEFAULT_ENDPOINT,
        "https://das.cn-shanghai.aliyuncs.com"
    );
    let client = DasClient::new(ClientConfig::new(Credentials::new(AK, SECRET))).unwrap();
    assert!(format!("{client:?}").contains("https://das.cn-shanghai.aliyuncs.com"));
    let err =
        DasClient::new(ClientConfig::new(Credentials::new(AK, SECRET)).endpoint("http://das.example.com")).unwrap_err();
    assert!(err.to_string().contains("plain http"), "{err}");
}

#[tokio::test]
async fn throttling_is_told_by_the_error_whether_the_reply_is_a_400_or_a_200_that_reports_failure() {
    let throttled = r#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","Success":"false","RequestId":"R-T"}"#;
    for status in [400, 200] {
        let server = Server::start(move |_, _| Reply::json(status, throttled)).await;
        let client = DasClient::new(
            ClientConfig::new(Credentials::new(AK, SECRET))
                .endpoint(server.url())
                .allow_http(true)
                .retry(RetryPolicy::none()),
        )
        .unwrap();
        let err = client
            .kill_instance_all_session()
            .instance_id("r-1")
            .send()
            .await
            .unwrap_err();
        assert!(err.is_throttling(), "HTTP {status}: {err}");
        assert_eq!(err.code(), Some("Throttling.User"));
    }
    let server = Server::start(|_, _| Reply::json(400, r#"{"Code":"InvalidParams","Message":"bad"}"#)).await;
    let client = DasClient::new(
        ClientConfig::new(Credentials::new(AK, SECRET))
            .endpoint(server.url())
            .allow_http(true),
    )
    .unwrap();
    let err = client
        .kill_instance_all_session()
        .instance_id("r-1")
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_throttling(), "{err}");
}

#[tokio::test]
async fn an_optional_parameter_is_sent_when_given_and_left_out_when_empty() {
    for (given, want) in [(Some("console-1"), Some("console-1")), (Some(""), None), (None, None)] {
        let server = Server::start(|_, _| Reply::json(200, r#"{"Code":"200","Success":"true","RequestId":"R"}"#)).await;
        let client = client(&server);
        let mut call = client.kill_instance_all_session().instance_id("r-1");
        if let Some(v) = given {
            call = call.console_context(v);
        }
        call.send().await.unwrap();
        let sent = &server.requests()[0];
        assert_eq!(sent.query_param("ConsoleContext").as_deref(), want, "{given:?}");
        assert_eq!(sent.query_param("InstanceId").as_deref(), Some("r-1"));
    }
}
