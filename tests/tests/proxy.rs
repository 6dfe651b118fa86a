//! How proxies are chosen: the environment's for https endpoints (with `NO_PROXY`), never for loopback
//! or plain-http endpoints, an explicit one when configured, none when told. One test in its own
//! binary: it sets the process's proxy variables.

use std::time::Duration;

use alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput;
use alibabacloud_dbops::{ClientConfig, Credentials, DasClient, Error, Proxy, SecretString};
use dbops_tests::{Reply, Server};

const PASSWORD: &str = "db-p@ss-must-not-leak";

fn request() -> CreateKillInstanceSessionTaskInput {
    CreateKillInstanceSessionTaskInput::default()
        .instance_id("rm-2ze8g2am97624****")
        .db_user("testUser")
        .db_user_password(PASSWORD)
        .kill_all_sessions(true)
}

fn config(endpoint: &str) -> ClientConfig {
    ClientConfig::new(Credentials::new("LTAIAK", "secret"))
        .endpoint(endpoint)
        .allow_http(true)
        .connect_timeout(Duration::from_secs(2))
        .total_timeout(Duration::from_secs(4))
        .retry(alibabacloud_dbops::RetryPolicy::none())
}

fn set_proxy_env(proxy: &str, no_proxy: &str) {
    // SAFETY: this binary's one test sets them before any client reads them; nothing else runs.
    unsafe {
        for name in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            std::env::set_var(name, proxy);
        }
        std::env::set_var("NO_PROXY", no_proxy);
        std::env::set_var("no_proxy", no_proxy);
    }
}

#[tokio::test]
async fn proxies_are_chosen_per_endpoint() {
    let proxy = Server::start(|_, _| Reply::empty(403)).await;
    let endpoint = Server::start(|_, _| Reply::json(200, r#"{"Code":200,"Success":true}"#)).await;
    set_proxy_env(&proxy.url(), "");

    // A loopback, plain-http endpoint goes direct whatever the environment says.
    DasClient::new(config(&endpoint.url()))
        .unwrap()
        .create_kill_instance_session_task()
        .input(request())
        .send()
        .await
        .unwrap();
    assert_eq!(endpoint.requests().len(), 1);
    assert_eq!(proxy.connections(), 0);

    // An explicit proxy is used, even for such an endpoint; it then sees the whole request.
    let explicit = config(&endpoint.url()).proxy(Proxy::Url(SecretString::new(proxy.url())));
    let e = DasClient::new(explicit)
        .unwrap()
        .create_kill_instance_session_task()
        .input(request())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(403), "{e:?}");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].target.starts_with(&format!("{}/?", endpoint.url())),
        "{}",
        seen[0].target
    );
    assert_eq!(endpoint.requests().len(), 1);

    // An https endpoint takes the environment's proxy, through a CONNECT tunnel: the proxy sees the
    // host and port only, never the query with the password.
    let https = config("https://das.cn-shanghai.aliyuncs.com");
    let e = DasClient::new(https)
        .unwrap()
        .create_kill_instance_session_task()
        .input(request())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[1].method.as_str(), seen[1].target.as_str()),
        ("CONNECT", "das.cn-shanghai.aliyuncs.com:443")
    );
    assert!(!format!("{:?}", seen[1]).contains(PASSWORD));

    // `Proxy::Direct` ignores the environment.
    let direct = config("https://das.cn-shanghai.aliyuncs.com").proxy(Proxy::Direct);
    let _ = DasClient::new(direct)
        .unwrap()
        .create_kill_instance_session_task()
        .input(request())
        .send()
        .await;
    assert_eq!(proxy.requests().len(), 2);

    // `NO_PROXY` exempts the hosts it names.
    set_proxy_env(&proxy.url(), ".aliyuncs.com");
    let exempt = config("https://das.cn-shanghai.aliyuncs.com");
    let _ = DasClient::new(exempt)
        .unwrap()
        .create_kill_instance_session_task()
        .input(request())
        .send()
        .await;
    assert_eq!(proxy.requests().len(), 2);

    // A loopback https endpoint also goes direct (nothing listens there; the proxy sees nothing).
    set_proxy_env(&proxy.url(), "");
    let local = config("https://localhost:1");
    let _ = DasClient::new(local)
        .unwrap()
        .create_kill_instance_session_task()
        .input(request())
        .send()
        .await;
    assert_eq!(proxy.requests().len(), 2);
}
