//! The path every real call takes: https through rustls, with the server's certificate checked. A local
//! HTTPS gateway presents a certificate issued by a certificate authority made in the test; the client
//! refuses it until told to trust that authority (`ClientConfig::add_root_certificates_pem`), and even
//! then refuses a certificate for another host name or one that has expired. One operation per
//! provider goes end to end over TLS, its signature checked by the gateway.

use std::time::Duration;

use dbops_tests::tls::TestCa;
use dbops_tests::{RawRequest, Reply, Server, verify};
use serde_json::json;

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";
const ALI_AK: &str = "LTAITESTACCESSKEYID01";
const ALI_SECRET: &str = "ali-secret-must-not-leak";

/// Both providers' gateways in one: a signature-checking answer by the request's shape.
fn gateway() -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let huawei = verify::HuaweiAccount {
        access_key: HW_AK,
        secret_key: HW_SK,
        security_token: None,
        iam_token: None,
    };
    let alibaba = verify::AlibabaAccount {
        access_key_id: ALI_AK,
        secret: ALI_SECRET,
        security_token: None,
    };
    move |req, _| {
        if req.header("x-acs-action").is_some() {
            return match alibaba.check(req) {
                Ok(()) => Reply::json(200, r#"{"Code":"200","Success":"true","RequestId":"R-TLS"}"#),
                Err(why) => Reply::json(
                    400,
                    &json!({"Code": "SignatureDoesNotMatch", "Message": why}).to_string(),
                ),
            };
        }
        match huawei.check(req) {
            Ok(()) => Reply::empty(200).with_header("X-Request-Id", "req-tls"),
            Err(why) => Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string()),
        }
    }
}

fn huawei(url: &str, root: Option<&str>) -> Result<huaweicloud_dbops::DasClient, huaweicloud_dbops::Error> {
    let mut config = huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
        .endpoint(url)
        .total_timeout(Duration::from_secs(10));
    if let Some(pem) = root {
        config = config.add_root_certificates_pem(pem);
    }
    huaweicloud_dbops::DasClient::new(config)
}

async fn delete_process(url: &str, root: Option<&str>) -> Result<String, huaweicloud_dbops::Error> {
    let das = huawei(url, root)?;
    let done = das
        .delete_process()
        .instance_id(INSTANCE)
        .db_user_id(DB_USER_ID)
        .user("app")
        .send()
        .await?;
    Ok(done.request_id.unwrap_or_default())
}

#[tokio::test]
async fn a_certificate_is_trusted_only_through_the_root_given_and_only_for_its_host_while_valid() {
    let ca = TestCa::new("dbops test CA");
    let server = Server::start_tls(ca.issue(&["localhost"], false).server_config(), gateway()).await;
    let url = server.https_url("localhost");

    // Without the root: refused in the handshake, nothing sent.
    let err = delete_process(&url, None).await.unwrap_err();
    assert!(matches!(err, huaweicloud_dbops::Error::Transport(_)), "{err}");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    assert!(server.requests().is_empty());

    // With it: the call goes through, signed and checked.
    assert_eq!(delete_process(&url, Some(&ca.pem)).await.unwrap(), "req-tls");
    assert_eq!(server.requests().len(), 1);

    // Another authority's root does not help.
    let other = TestCa::new("another CA");
    let err = delete_process(&url, Some(&other.pem)).await.unwrap_err();
    assert!(matches!(err, huaweicloud_dbops::Error::Transport(_)), "{err}");

    // A certificate for another name than the endpoint's host.
    let wrong = Server::start_tls(ca.issue(&["das.example.com"], false).server_config(), gateway()).await;
    let err = delete_process(&wrong.https_url("localhost"), Some(&ca.pem))
        .await
        .unwrap_err();
    assert!(matches!(err, huaweicloud_dbops::Error::Transport(_)), "{err}");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    assert!(wrong.requests().is_empty());

    // An expired certificate.
    let expired = Server::start_tls(ca.issue(&["localhost"], true).server_config(), gateway()).await;
    let err = delete_process(&expired.https_url("localhost"), Some(&ca.pem))
        .await
        .unwrap_err();
    assert!(matches!(err, huaweicloud_dbops::Error::Transport(_)), "{err}");
    assert!(err.to_string().to_lowercase().contains("expired"), "{err}");
    assert!(expired.requests().is_empty());
}

#[tokio::test]
async fn one_operation_of_each_provider_goes_end_to_end_over_tls() {
    let ca = TestCa::new("dbops test CA");
    let server = Server::start_tls(ca.issue(&["localhost", "127.0.0.1"], false).server_config(), gateway()).await;
    let url = server.https_url("localhost");

    assert_eq!(delete_process(&url, Some(&ca.pem)).await.unwrap(), "req-tls");

    let ali = alibabacloud_dbops::DasClient::new(
        alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new(ALI_AK, ALI_SECRET))
            .endpoint(server.https_url("127.0.0.1"))
            .add_root_certificates_pem(ca.pem.clone())
            .total_timeout(Duration::from_secs(10)),
    )
    .unwrap();
    let reply = ali
        .kill_instance_all_session()
        .instance_id("r-bp1")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.request_id.as_deref(), Some("R-TLS"));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].header("host"),
        Some(format!("127.0.0.1:{}", url.rsplit(':').next().unwrap()).as_str())
    );
}

#[test]
fn a_root_bundle_that_holds_no_certificate_is_refused_when_the_client_is_built() {
    for (bundle, why) in [
        ("not a certificate", "holds no PEM certificate"),
        (
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            "not a PEM certificate bundle",
        ),
    ] {
        let err = huawei("https://das.example.com", Some(bundle)).unwrap_err();
        assert!(
            matches!(&err, huaweicloud_dbops::Error::Config(m) if m.contains(why) && m.contains("bundle 1")),
            "{err}"
        );
    }
}
