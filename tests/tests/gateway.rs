//! The test gateway cannot be fooled: a request the clients signed passes, and the same request with
//! any signed part changed afterwards (body, path, query, a signed header, the date, the nonce, the
//! token), with a foreign access key, or with an IAM token beside the signature, is refused.

use dbops_tests::verify::{AlibabaAccount, HuaweiAccount};
use dbops_tests::{RawRequest, Reply, Server};

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key";
const HW_TOKEN: &str = "hw-security-token";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const AL_AK: &str = "LTAITESTACCESSKEYID01";
const AL_SECRET: &str = "ali-secret";
const AL_TOKEN: &str = "ali-sts-token";

const HW: HuaweiAccount = HuaweiAccount {
    access_key: HW_AK,
    secret_key: HW_SK,
    security_token: Some(HW_TOKEN),
    iam_token: Some("iam-token"),
};
const AL: AlibabaAccount = AlibabaAccount {
    access_key_id: AL_AK,
    secret: AL_SECRET,
    security_token: Some(AL_TOKEN),
};

/// One request as a client signed and sent it, recorded by a server that accepts anything.
async fn recorded(call: impl AsyncFnOnce(String)) -> RawRequest {
    let server = Server::start(|_, _| Reply::json(200, r#"{"Code":200,"Success":true}"#)).await;
    call(server.url()).await;
    server.requests().into_iter().next().expect("one request")
}

async fn huawei_request(credentials: huaweicloud_dbops::Credentials) -> RawRequest {
    recorded(async |url| {
        let das = huaweicloud_dbops::DasClient::new(
            huaweicloud_dbops::ClientConfig::new(credentials)
                .endpoint(url)
                .allow_http(true),
        )
        .unwrap();
        das.delete_process()
            .instance_id("da304cd5bbb944de828759bc7be3d3fein01")
            .db_user_id("2c250598-1e3c-4d31-bc19-be1d866247e6")
            .user("app")
            .send()
            .await
            .unwrap();
    })
    .await
}

async fn alibaba_request() -> RawRequest {
    recorded(async |url| {
        let das = alibabacloud_dbops::DasClient::new(
            alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::sts(AL_AK, AL_SECRET, AL_TOKEN))
                .endpoint(url)
                .allow_http(true),
        )
        .unwrap();
        das.create_kill_instance_session_task()
            .instance_id("rm-2ze8g2am97624")
            .db_user("u")
            .db_user_password("p")
            .kill_all_sessions(false)
            .session_ids([1, 2])
            .send()
            .await
            .unwrap();
    })
    .await
}

fn set_header(req: &mut RawRequest, name: &str, value: &str) {
    match req.headers.iter_mut().find(|(k, _)| k == name) {
        Some((_, v)) => *v = value.to_string(),
        None => req.headers.push((name.to_string(), value.to_string())),
    }
}

fn remove_header(req: &mut RawRequest, name: &str) {
    req.headers.retain(|(k, _)| k != name);
}

/// `value` with its last character changed.
fn changed(value: &str) -> String {
    let mut s = value.to_string();
    let last = s.pop().unwrap();
    s.push(if last == '0' { '1' } else { '0' });
    s
}

type Tamper = (&'static str, fn(&mut RawRequest));

#[tokio::test]
async fn huawei_signed_requests_pass_and_tampered_ones_are_refused() {
    let original = huawei_request(huaweicloud_dbops::Credentials::temporary(
        HW_AK, HW_SK, HW_TOKEN, PROJECT,
    ))
    .await;
    assert_eq!(HW.check(&original), Ok(()));
    let tampers: [Tamper; 11] = [
        ("body", |r| r.body.push(b' ')),
        ("path", |r| r.target = r.target.replace("fein01", "fein02")),
        ("query added", |r| r.target.push_str("?x=1")),
        ("signed header", |r| set_header(r, "x-project-id", &changed(PROJECT))),
        ("date", |r| {
            let d = r.header("x-sdk-date").unwrap().to_string();
            set_header(r, "x-sdk-date", &changed(&d));
        }),
        ("method", |r| r.method = "POST".into()),
        ("security token", |r| {
            set_header(r, "x-security-token", &changed(HW_TOKEN))
        }),
        ("security token removed", |r| remove_header(r, "x-security-token")),
        ("signature removed", |r| remove_header(r, "authorization")),
        ("IAM token beside the signature", |r| {
            set_header(r, "x-auth-token", "iam-token")
        }),
        ("foreign access key", |r| {
            let a = r.header("authorization").unwrap().replace(HW_AK, "OTHERACCESSKEY");
            set_header(r, "authorization", &a);
        }),
    ];
    for (what, tamper) in tampers {
        let mut req = original.clone();
        tamper(&mut req);
        assert!(HW.check(&req).is_err(), "{what}: accepted");
    }
}

#[tokio::test]
async fn huawei_iam_token_requests_pass_alone_only() {
    let token = huawei_request(huaweicloud_dbops::Credentials::iam_token("iam-token", PROJECT)).await;
    assert_eq!(HW.check(&token), Ok(()));
    let mut other = token.clone();
    set_header(&mut other, "x-auth-token", "another-token");
    assert!(HW.check(&other).is_err());
    let mut both = token.clone();
    set_header(&mut both, "x-sdk-date", "20261201T000000Z");
    assert!(HW.check(&both).is_err());
    // A permanent key's request (no token) passes; the same key signed by another secret does not.
    let permanent = huawei_request(huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT)).await;
    assert_eq!(HW.check(&permanent), Ok(()));
    let forged = huawei_request(huaweicloud_dbops::Credentials::new(HW_AK, "not-the-secret", PROJECT)).await;
    assert!(HW.check(&forged).is_err());
}

#[tokio::test]
async fn alibaba_signed_requests_pass_and_tampered_ones_are_refused() {
    let original = alibaba_request().await;
    assert_eq!(AL.check(&original), Ok(()));
    let tampers: [Tamper; 10] = [
        ("body", |r| r.body.extend_from_slice(b"x")),
        ("query value", |r| r.target = r.target.replace("DbUser=u", "DbUser=v")),
        ("path", |r| r.target = r.target.replacen('/', "/x", 1)),
        ("action", |r| set_header(r, "x-acs-action", "KillInstanceAllSession")),
        ("date", |r| {
            let d = r.header("x-acs-date").unwrap().to_string();
            set_header(r, "x-acs-date", &changed(&d));
        }),
        ("nonce", |r| {
            let n = r.header("x-acs-signature-nonce").unwrap().to_string();
            set_header(r, "x-acs-signature-nonce", &changed(&n));
        }),
        ("security token", |r| {
            set_header(r, "x-acs-security-token", &changed(AL_TOKEN))
        }),
        ("signature removed", |r| remove_header(r, "authorization")),
        ("foreign access key", |r| {
            let a = r.header("authorization").unwrap().replace(AL_AK, "LTAIOTHER");
            set_header(r, "authorization", &a);
        }),
        ("signature", |r| {
            let a = r.header("authorization").unwrap().to_string();
            set_header(r, "authorization", &changed(&a));
        }),
    ];
    for (what, tamper) in tampers {
        let mut req = original.clone();
        tamper(&mut req);
        assert!(AL.check(&req).is_err(), "{what}: accepted");
    }
}
