//! The `dbops` binary against local gateways that verify each signature from the raw request: the
//! generated operation subcommands send what their flags say, print the reply as JSON, take secrets
//! from the environment only, refuse bad input before sending (exit status 2), and dry runs send nothing.

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
    cmd.args(args).env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn huawei_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("HUAWEICLOUD_SDK_AK", HW_AK),
        ("HUAWEICLOUD_SDK_SK", HW_SK),
        ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT),
    ]
}

fn alibaba_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET),
        ("DBOPS_DB_USER_PASSWORD", PASSWORD),
    ]
}

fn huawei_gateway(reply: Reply) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::HuaweiAccount {
        access_key: HW_AK,
        secret_key: HW_SK,
        security_token: None,
        iam_token: None,
    };
    move |req, _| match account.check(req) {
        Ok(()) => reply.clone(),
        Err(why) => Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string()),
    }
}

fn alibaba_gateway(reply: Reply) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::AlibabaAccount {
        access_key_id: ALI_AK,
        secret: ALI_SECRET,
        security_token: None,
    };
    move |req, _| match account.check(req) {
        Ok(()) => reply.clone(),
        Err(why) => Reply::json(
            400,
            &json!({"Code": "SignatureDoesNotMatch", "Message": why}).to_string(),
        ),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn an_operation_subcommand_sends_what_its_flags_say_signed() {
    let server = Server::start(huawei_gateway(Reply::empty(200).with_header("X-Request-Id", "req-42"))).await;
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        dbops(
            &[
                "huawei",
                "das",
                "delete-process",
                "--endpoint",
                &url,
                "--instance-id",
                INSTANCE,
                "--db-user-id",
                DB_USER_ID,
                "--user",
                "app",
                "--process-ids",
                "11212",
                "3423222",
                "--x-language",
                "en-us",
            ],
            &huawei_env(),
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // An operation that replies nothing prints the request id the service gave it.
    assert_eq!(text(&out.stdout).trim(), r#"{"request_id":"req-42"}"#);
    let req = &server.requests()[0];
    assert_eq!(req.method, "DELETE");
    assert_eq!(req.path(), format!("/v3/{PROJECT}/instances/{INSTANCE}/process"));
    assert_eq!(req.header("x-language"), Some("en-us"));
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        json!({"db_user_id": DB_USER_ID, "process_ids": ["11212", "3423222"], "user": "app"})
    );
}

#[tokio::test]
async fn a_list_subcommand_prints_the_reply_as_json() {
    let page = json!({"processes": [{"id": "7", "user": "app", "time": "900"}], "count": 1});
    let server = Server::start(huawei_gateway(Reply::json(200, &page.to_string()))).await;
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        dbops(
            &[
                "huawei",
                "das",
                "list-processes",
                "--endpoint",
                &url,
                "--instance-id",
                INSTANCE,
                "--db-user-id",
                DB_USER_ID,
                "--limit",
                "50",
            ],
            &huawei_env(),
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, page);
    assert_eq!(server.requests()[0].query_param("limit").as_deref(), Some("50"));
}

#[tokio::test]
async fn secrets_come_from_the_environment_and_dry_runs_send_nothing() {
    let ok = r#"{"Code":200,"Message":"Successful","Data":"t-1","RequestId":"R-1","Success":true}"#;
    let server = Server::start(alibaba_gateway(Reply::json(200, ok))).await;
    let url = server.url();
    let args = move |dry: bool| {
        let mut a = vec![
            "alibaba".to_string(),
            "das".into(),
            "create-kill-instance-session-task".into(),
            "--endpoint".into(),
            url.clone(),
            "--instance-id".into(),
            "rm-1".into(),
            "--db-user".into(),
            "admin".into(),
            "--kill-all-sessions".into(),
            "false".into(),
            "--session-ids".into(),
            "1".into(),
            "2".into(),
        ];
        if dry {
            a.push("--dry-run".into());
        }
        a
    };
    let (dry, sent) = tokio::task::spawn_blocking(move || {
        let run = |a: Vec<String>| dbops(&a.iter().map(String::as_str).collect::<Vec<_>>(), &alibaba_env());
        (run(args(true)), run(args(false)))
    })
    .await
    .unwrap();
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    let shown = text(&dry.stdout);
    assert!(shown.starts_with("POST http://127.0.0.1:"), "{shown}");
    assert!(
        shown.contains("DbUserPassword=***") && shown.contains("x-acs-action: CreateKillInstanceSessionTask"),
        "{shown}"
    );
    for secret in [PASSWORD, ALI_SECRET, ALI_AK] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(sent.status.success(), "{}", text(&sent.stderr));
    let reply: Value = serde_json::from_slice(&sent.stdout).unwrap();
    assert_eq!(reply["RequestId"], "R-1");
    assert_eq!(server.requests().len(), 1, "the dry run sent nothing");
    let req = &server.requests()[0];
    assert_eq!(req.query_param("DbUserPassword").as_deref(), Some(PASSWORD));
    assert_eq!(req.query_param("SessionIds").as_deref(), Some("[1,2]"));
}

#[test]
fn bad_input_is_refused_before_sending_with_exit_status_2() {
    // Nothing listens here: a request would fail with a transport error (status 1), not 2.
    let endpoint = "http://127.0.0.1:9";
    let out = dbops(
        &[
            "huawei",
            "das",
            "delete-process",
            "--endpoint",
            endpoint,
            "--instance-id",
            INSTANCE,
            "--db-user-id",
            DB_USER_ID,
            "--user",
            "app",
            "--x-language",
            "fr-fr",
        ],
        &huawei_env(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: invalid `X-Language`: must be one of `zh-cn`, `en-us` (nothing was sent)"
    );
    // A missing secret is a missing parameter, not a flag to type in.
    let out = dbops(
        &[
            "alibaba",
            "das",
            "create-kill-instance-session-task",
            "--endpoint",
            endpoint,
            "--instance-id",
            "rm-1",
            "--db-user",
            "admin",
            "--kill-all-sessions",
            "true",
        ],
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SECRET),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid `DbUserPassword`: is required"),
        "{}",
        text(&out.stderr)
    );
    // Missing credentials name the variable.
    let out = dbops(
        &[
            "huawei",
            "dds",
            "list-sessions",
            "--endpoint",
            endpoint,
            "--node-id",
            "n1",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("HUAWEICLOUD_SDK_AK"),
        "{}",
        text(&out.stderr)
    );
    // A usage error is clap's, status 2 as well.
    let out = dbops(&["huawei", "das", "delete-process", "--instance-id"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn a_service_error_is_exit_status_1_with_its_code_and_request_id() {
    let server = Server::start(huawei_gateway(
        Reply::json(403, r#"{"error_code":"DBS.280343","error_msg":"no permission"}"#)
            .with_header("X-Request-Id", "req-77"),
    ))
    .await;
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        dbops(
            &["huawei", "dds", "list-sessions", "--endpoint", &url, "--node-id", "n1"],
            &huawei_env(),
        )
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: service error: HTTP 403, code DBS.280343: no permission (request id req-77)"
    );
}

#[test]
fn plain_http_goes_only_to_this_machine() {
    let out = dbops(
        &[
            "huawei",
            "das",
            "delete-process",
            "--endpoint",
            "http://das.example.com",
            "--instance-id",
            INSTANCE,
            "--db-user-id",
            DB_USER_ID,
            "--user",
            "app",
        ],
        &huawei_env(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("plain http"), "{}", text(&out.stderr));
    // A name that only starts like a loopback address is another machine.
    for endpoint in ["http://127.0.0.1.example.com", "http://localhost.example.com:8080"] {
        let out = dbops(
            &[
                "huawei",
                "das",
                "delete-process",
                "--endpoint",
                endpoint,
                "--instance-id",
                INSTANCE,
                "--db-user-id",
                DB_USER_ID,
                "--user",
                "app",
            ],
            &huawei_env(),
        );
        assert_eq!(out.status.code(), Some(2), "{endpoint}");
        assert!(
            text(&out.stderr).contains("plain http"),
            "{endpoint}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn help_comes_from_the_spec() {
    let out = dbops(&["huawei", "das", "delete-process", "--help"], &[]);
    assert!(out.status.success());
    insta::assert_snapshot!("help_huawei_das_delete_process", text(&out.stdout));
    let out = dbops(&["alibaba", "das", "create-kill-instance-session-task", "--help"], &[]);
    insta::assert_snapshot!("help_alibaba_das_create_kill_instance_session_task", text(&out.stdout));
    let out = dbops(&["--help"], &[]);
    insta::assert_snapshot!("help", text(&out.stdout));
}

#[tokio::test]
async fn alibaba_credentials_come_from_the_alibaba_cloud_cli_profile_when_no_variables_are_set() {
    let home = std::env::temp_dir().join(format!("dbops-home-{}", std::process::id()));
    std::fs::create_dir_all(home.join(".aliyun")).unwrap();
    let config = json!({"current": "ops", "profiles": [
        {"name": "default", "mode": "AK", "access_key_id": "LTAIOTHERKEY000000001", "access_key_secret": "other", "region_id": "cn-hangzhou"},
        {"name": "ops", "mode": "AK", "access_key_id": ALI_AK, "access_key_secret": ALI_SECRET, "sts_token": "", "region_id": "cn-shanghai"}
    ]});
    std::fs::write(home.join(".aliyun/config.json"), config.to_string()).unwrap();
    let ok = r#"{"Code":"200","Message":"Successful","RequestId":"R-9","Success":"true"}"#;
    let server = Server::start(alibaba_gateway(Reply::json(200, ok))).await;
    let url = server.url();
    let home_var = home.to_string_lossy().into_owned();
    let run = move |profile: Option<&str>| {
        let mut args = vec![
            "alibaba",
            "das",
            "kill-instance-all-session",
            "--endpoint",
            &url,
            "--instance-id",
            "r-1",
        ];
        if let Some(p) = profile {
            args.extend(["--profile", p]);
        }
        dbops(&args, &[("HOME", home_var.as_str())])
    };
    let (current, other, missing) =
        tokio::task::spawn_blocking(move || (run(None), run(Some("default")), run(Some("nope"))))
            .await
            .unwrap();
    // The current profile signs correctly; another profile's key is refused by the gateway.
    assert!(current.status.success(), "{}", text(&current.stderr));
    assert_eq!(
        serde_json::from_slice::<Value>(&current.stdout).unwrap()["RequestId"],
        "R-9"
    );
    assert_eq!(other.status.code(), Some(1));
    assert!(
        text(&other.stderr).contains("SignatureDoesNotMatch"),
        "{}",
        text(&other.stderr)
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("no profile `nope`"),
        "{}",
        text(&missing.stderr)
    );
}
