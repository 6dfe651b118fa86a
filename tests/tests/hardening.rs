//! The clients against hostile or faulty servers and inputs: redirects to another host, ids that try to
//! leave their path segment, unusable credentials, oversized requests, throttling that cannot fit the
//! time left, and many concurrent calls against a limited number of sockets.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput;
use dbops_tests::{RawRequest, Reply, Server, verify};
use huaweicloud_dbops::das::DeleteProcessInput;
use huaweicloud_dbops::dds::DeleteSessionInput;
use huaweicloud_dbops::{DasClient, DdsClient, Error, RetryPolicy, SecretString};
use serde_json::json;

const HW_AK: &str = "HWTESTACCESSKEY0000001";
const HW_SK: &str = "hw-secret-key-must-not-leak";
const HW_TOKEN: &str = "hw-security-token-must-not-leak";
const HW_IAM: &str = "hw-iam-token-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const AL_AK: &str = "LTAITESTACCESSKEYID01";
const AL_SECRET: &str = "ali-secret-must-not-leak";
const AL_TOKEN: &str = "ali-sts-token-must-not-leak";
const PASSWORD: &str = "db-p@ss w0rd&=must-not-leak";

const SECRETS: [&str; 8] = [
    HW_SK,
    HW_TOKEN,
    HW_IAM,
    AL_SECRET,
    AL_TOKEN,
    PASSWORD,
    "db-p%40ss",
    "w0rd",
];

fn hw_config(server: &Server, credentials: huaweicloud_dbops::Credentials) -> huaweicloud_dbops::ClientConfig {
    huaweicloud_dbops::ClientConfig::new(credentials)
        .endpoint(server.url())
        .allow_http(true)
        .attempt_timeout(Duration::from_secs(5))
        .total_timeout(Duration::from_secs(10))
}

fn al_config(server: &Server, credentials: alibabacloud_dbops::Credentials) -> alibabacloud_dbops::ClientConfig {
    alibabacloud_dbops::ClientConfig::new(credentials)
        .endpoint(server.url())
        .allow_http(true)
        .attempt_timeout(Duration::from_secs(5))
        .total_timeout(Duration::from_secs(10))
}

fn hw_temporary() -> huaweicloud_dbops::Credentials {
    huaweicloud_dbops::Credentials::temporary(HW_AK, HW_SK, HW_TOKEN, PROJECT)
}

fn process_body() -> DeleteProcessInput {
    DeleteProcessInput::default()
        .db_user_id("2c250598-1e3c-4d31-bc19-be1d866247e6")
        .user("app")
}

fn sessions() -> DeleteSessionInput {
    DeleteSessionInput::default().sessions(["34631"])
}

fn task_request(session_ids: Vec<u64>) -> CreateKillInstanceSessionTaskInput {
    CreateKillInstanceSessionTaskInput::default()
        .instance_id("rm-2ze8g2am97624****")
        .db_user("testUser")
        .db_user_password(PASSWORD)
        .kill_all_sessions(false)
        .session_ids(session_ids)
}

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "secret leaked in: {text}");
    }
}

// 1. Redirects.

#[tokio::test]
async fn redirects_are_not_followed_and_nothing_reaches_the_other_host() {
    let elsewhere = Server::start(|_, _| Reply::json(200, "{}")).await;
    let target = format!("{}/steal?DbUserPassword=leak&x=1", elsewhere.url());
    let port = elsewhere.url().rsplit(':').next().unwrap().to_string();
    for status in [301u16, 302, 307, 308] {
        let location = target.clone();
        let endpoint = Server::start(move |_, _| {
            Reply::empty(status)
                .with_header("location", &location)
                .with_header("x-request-id", "req-redirect")
        })
        .await;
        let ali_location = target.clone();
        let ali_endpoint = Server::start(move |_, _| Reply::empty(status).with_header("location", &ali_location)).await;

        let das = DasClient::new(hw_config(&endpoint, hw_temporary())).unwrap();
        let dds = DdsClient::new(hw_config(
            &endpoint,
            huaweicloud_dbops::Credentials::iam_token(HW_IAM, PROJECT),
        ))
        .unwrap();
        let ali = alibabacloud_dbops::DasClient::new(al_config(
            &ali_endpoint,
            alibabacloud_dbops::Credentials::sts(AL_AK, AL_SECRET, AL_TOKEN),
        ))
        .unwrap();
        let errors = [
            das.delete_process()
                .input(process_body())
                .instance_id(INSTANCE)
                .send()
                .await
                .unwrap_err(),
            dds.delete_session()
                .input(sessions())
                .node_id("node01")
                .send()
                .await
                .unwrap_err(),
            ali.create_kill_instance_session_task()
                .input(task_request(vec![1]))
                .send()
                .await
                .unwrap_err(),
        ];
        for e in &errors {
            let Error::Service(s) = e else {
                panic!("{status}: {e:?}")
            };
            assert_eq!(s.status, status);
            let text = e.to_string();
            assert!(
                text.contains(&format!("redirect to `127.0.0.1:{port}` not followed")),
                "{text}"
            );
            assert!(!text.contains("steal") && !text.contains("DbUserPassword"), "{text}");
            assert_no_secret(&text);
        }
        assert_eq!(errors[0].request_id(), Some("req-redirect"));
        // One request each reached the endpoint (a redirect is not retried), none carried a Referer.
        assert_eq!(endpoint.requests().len(), 2, "{status}");
        assert_eq!(ali_endpoint.requests().len(), 1, "{status}");
        for req in endpoint.requests().iter().chain(&ali_endpoint.requests()) {
            assert_eq!(req.header("referer"), None);
        }
    }
    assert_eq!(elsewhere.connections(), 0, "the other host was contacted");
    assert!(elsewhere.requests().is_empty());
}

#[tokio::test]
async fn a_relative_redirect_is_not_followed_either() {
    let endpoint = Server::start(|_, _| Reply::empty(307).with_header("location", "/v4/other?secret=1")).await;
    let das = DasClient::new(hw_config(&endpoint, hw_temporary())).unwrap();
    let e = das
        .delete_process()
        .input(process_body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(307));
    assert!(
        e.to_string()
            .contains("redirect to a path of the endpoint not followed"),
        "{e}"
    );
    assert!(!e.to_string().contains("secret=1"), "{e}");
    assert_eq!(endpoint.requests().len(), 1);
}

// 2. Ids stay one path segment.

/// A Huawei gateway that checks the signature, then answers 200.
fn huawei_gateway(req: &RawRequest, _: usize) -> Reply {
    let account = verify::HuaweiAccount {
        access_key: HW_AK,
        secret_key: HW_SK,
        security_token: None,
        iam_token: None,
    };
    match account.check(req) {
        Ok(()) => Reply::empty(200),
        Err(why) => Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string()),
    }
}

const HOSTILE_IDS: [&str; 14] = [
    "x\\..\\..\\..\\..\\v4\\0000other0project0000000000000\\nodes\\n1",
    "x/../../../v4/p/nodes/n1",
    "..\\x",
    "x\\..",
    "%2e%2e",
    ".%2E",
    "a%2Fb",
    "a?b=c#d",
    "a;b",
    "a b",
    "\u{3002}\u{3002}",
    "...",
    "\\",
    "a\tb\r\nc",
];

#[tokio::test]
async fn every_hostile_node_id_arrives_as_one_segment_or_is_refused_by_name() {
    let server = Server::start(huawei_gateway).await;
    let dds = DdsClient::new(hw_config(
        &server,
        huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT),
    ))
    .unwrap();
    for id in HOSTILE_IDS {
        let before = server.requests().len();
        dds.delete_session()
            .input(sessions())
            .node_id(id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id:?}: {e}"));
        let reqs = server.requests();
        assert_eq!(reqs.len(), before + 1, "{id:?}");
        let path = reqs[before].path().to_string();
        let segments: Vec<&str> = path.split('/').collect();
        assert_eq!(segments.len(), 6, "{id:?} arrived as {path}");
        assert_eq!(
            (segments[1], segments[2], segments[3], segments[5]),
            ("v3", PROJECT, "nodes", "session"),
            "{id:?} arrived as {path}"
        );
        let decoded = percent_encoding::percent_decode_str(segments[4]).decode_utf8().unwrap();
        assert_eq!(decoded, id, "{path}");
    }
    for id in ["", ".", ".."] {
        let e = dds
            .delete_session()
            .input(sessions())
            .node_id(id)
            .send()
            .await
            .unwrap_err();
        let Error::InvalidRequest(v) = &e else {
            panic!("{id:?}: {e:?}")
        };
        assert_eq!(v.field, "node_id", "{id:?}: {e}");
    }
    let das = DasClient::new(hw_config(
        &server,
        huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT),
    ))
    .unwrap();
    for id in [".", "..", ""] {
        let e = das
            .delete_process()
            .input(process_body())
            .instance_id(id)
            .send()
            .await
            .unwrap_err();
        let Error::InvalidRequest(v) = &e else {
            panic!("{id:?}: {e:?}")
        };
        assert_eq!(v.field, "instance_id", "{id:?}: {e}");
    }
    assert_eq!(server.requests().len(), HOSTILE_IDS.len());
}

// 3. Credentials.

#[test]
fn unusable_credentials_are_refused_when_the_client_is_built_naming_which() {
    use alibabacloud_dbops::Credentials as Al;
    use huaweicloud_dbops::Credentials as Hw;
    let hw = |c: Hw| {
        DasClient::new(huaweicloud_dbops::ClientConfig::new(c).region("cn-north-4"))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let al = |c: Al| {
        alibabacloud_dbops::DasClient::new(alibabacloud_dbops::ClientConfig::new(c))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let bad = "zq\r\nX-Evil: 1";
    let cases: Vec<(Result<(), String>, &str)> = vec![
        (hw(Hw::new("", HW_SK, PROJECT)), "credential access key is empty"),
        (
            hw(Hw::new("AK\nX", HW_SK, PROJECT)),
            "credential access key holds a character",
        ),
        (hw(Hw::new(HW_AK, "", PROJECT)), "credential secret key is empty"),
        (hw(Hw::new(HW_AK, HW_SK, "")), "credential project id is empty"),
        (
            hw(Hw::new(HW_AK, HW_SK, "p r")),
            "credential project id holds a character",
        ),
        (
            hw(Hw::temporary(HW_AK, HW_SK, bad, PROJECT)),
            "credential security token holds a character",
        ),
        (
            hw(Hw::temporary(HW_AK, HW_SK, " ", PROJECT)),
            "credential security token is empty",
        ),
        (
            hw(Hw::iam_token(bad, PROJECT)),
            "credential IAM token holds a character",
        ),
        (hw(Hw::iam_token("", PROJECT)), "credential IAM token is empty"),
        (al(Al::new("", AL_SECRET)), "credential AccessKey id is empty"),
        (
            al(Al::new("LTAI\u{7f}", AL_SECRET)),
            "credential AccessKey id holds a character",
        ),
        (al(Al::new(AL_AK, " ")), "credential AccessKey secret is empty"),
        (
            al(Al::sts(AL_AK, AL_SECRET, bad)),
            "credential security token holds a character",
        ),
        (al(Al::sts(AL_AK, AL_SECRET, "")), "credential security token is empty"),
    ];
    for (got, want) in cases {
        let e = got.expect_err(want);
        assert!(
            e.starts_with("client configuration: ") && e.contains(want),
            "{e} / {want}"
        );
        assert!(!e.contains("zq") && !e.contains("X-Evil") && !e.contains("LTAI"), "{e}");
        assert_no_secret(&e);
    }
    assert_eq!(hw(Hw::temporary(HW_AK, HW_SK, HW_TOKEN, PROJECT)), Ok(()));
    assert_eq!(al(Al::sts(AL_AK, AL_SECRET, AL_TOKEN)), Ok(()));
}

// 4. Oversized requests.

#[tokio::test]
async fn oversized_requests_are_refused_naming_the_field_and_the_limit() {
    let server = Server::start(|_, _| Reply::json(200, "{}")).await;
    let ali = alibabacloud_dbops::DasClient::new(al_config(
        &server,
        alibabacloud_dbops::Credentials::new(AL_AK, AL_SECRET),
    ))
    .unwrap();
    let e = ali
        .create_kill_instance_session_task()
        .input(task_request((10_805_000..10_811_000).collect()))
        .send()
        .await
        .unwrap_err();
    let Error::InvalidRequest(v) = &e else { panic!("{e:?}") };
    assert_eq!(v.field, "SessionIds", "{e}");
    assert!(v.rule.contains("over the limit of 65534"), "{e}");
    // Its dry run is refused alike; the same ids fit when there are fewer of them.
    assert!(matches!(
        ali.create_kill_instance_session_task()
            .input(task_request((10_805_000..10_811_000).collect()))
            .dry_run()
            .await,
        Err(Error::InvalidRequest(_))
    ));
    ali.create_kill_instance_session_task()
        .input(task_request((10_805_000..10_805_500).collect()))
        .dry_run()
        .await
        .unwrap();
    let e = ali
        .kill_instance_all_session()
        .instance_id("r".repeat(1 << 20))
        .send()
        .await
        .unwrap_err();
    let Error::InvalidRequest(v) = &e else { panic!("{e:?}") };
    assert_eq!(v.field, "InstanceId", "{e}");

    // A DDS node id has no pattern of its own: the one-segment rule is what refuses it.
    let dds = DdsClient::new(hw_config(
        &server,
        huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT),
    ))
    .unwrap();
    let e = dds
        .delete_session()
        .input(sessions())
        .node_id("n".repeat(1 << 20))
        .send()
        .await
        .unwrap_err();
    let Error::InvalidRequest(v) = &e else { panic!("{e:?}") };
    assert_eq!(v.field, "node_id", "{e}");
    assert!(v.rule.contains("at most 4096 bytes"), "{e}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_url_of_exactly_the_http_stack_limit_is_sent_and_one_byte_more_is_refused() {
    use dbops_core::encode::MAX_URL_BYTES;
    let server = Server::start(|_, _| Reply::json(200, r#"{"Code":"200","Success":"true"}"#)).await;
    let ali = alibabacloud_dbops::DasClient::new(al_config(
        &server,
        alibabacloud_dbops::Credentials::new(AL_AK, AL_SECRET),
    ))
    .unwrap();
    // `{endpoint}/?InstanceId={id}`: the id fills the URL up to the limit.
    let fill = MAX_URL_BYTES - format!("{}/?InstanceId=", server.url()).len();
    let call = |len: usize| ali.kill_instance_all_session().instance_id("r".repeat(len)).send();
    call(fill).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(format!("{}{}", server.url(), reqs[0].target).len(), MAX_URL_BYTES);
    let e = call(fill + 1).await.unwrap_err();
    let Error::InvalidRequest(v) = &e else { panic!("{e:?}") };
    assert_eq!(v.field, "InstanceId");
    assert_eq!(server.requests().len(), 1);
}

// 5. Throttling that cannot wait within the total timeout.

#[tokio::test]
async fn a_throttling_wait_longer_than_the_time_left_returns_the_throttling_error_at_once() {
    let server = Server::start(|_, _| {
        Reply::json(429, r#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#)
            .with_header("retry-after", "20")
            .with_header("x-request-id", "req-429")
    })
    .await;
    let das = DasClient::new(
        hw_config(&server, huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
            .total_timeout(Duration::from_secs(3))
            .retry(RetryPolicy::default().max_retry_after(Duration::from_secs(60))),
    )
    .unwrap();
    let started = Instant::now();
    let e = das
        .delete_process()
        .input(process_body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        (e.status(), e.code(), e.request_id()),
        (Some(429), Some("APIGW.0308"), Some("req-429")),
        "{e:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(server.requests().len(), 1);
}

// 6. Sockets.

/// Samples, on a thread of its own, the most TCP connections this process holds open to `port` (its
/// client side: established sockets whose remote port it is, from `/proc/net/tcp`) and the most file
/// descriptors it has open, until the returned flag is set.
fn socket_sampler(port: u16) -> (Arc<AtomicBool>, std::thread::JoinHandle<(usize, usize)>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        let (mut sockets, mut fds) = (0, 0);
        let remote = format!(":{port:04X} 01 ");
        while !flag.load(Ordering::SeqCst) {
            let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
            // Columns: sl local_address rem_address st ...; 01 is ESTABLISHED.
            let held = table
                .lines()
                .filter(|l| {
                    l.split_whitespace()
                        .nth(2)
                        .is_some_and(|r| format!("{r} 01 ").ends_with(&remote))
                })
                .filter(|l| l.split_whitespace().nth(3) == Some("01"))
                .count();
            sockets = sockets.max(held);
            fds = fds.max(std::fs::read_dir("/proc/self/fd").map(Iterator::count).unwrap_or(0));
            std::thread::sleep(Duration::from_millis(1));
        }
        (sockets, fds)
    });
    (stop, handle)
}

/// The two tests that open many sockets take turns: the file descriptors counted are the whole
/// process's, and the other's would count against this one's bound.
static MANY_SOCKETS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_concurrent_calls_stay_within_the_in_flight_limit() {
    let _turn = MANY_SOCKETS.lock().await;
    let server = Server::start(|_, _| Reply::empty(200)).await;
    let port: u16 = server.url().rsplit(':').next().unwrap().parse().unwrap();
    let das = DasClient::new(
        hw_config(&server, huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
            .max_in_flight(32)
            .max_idle_connections(8)
            .total_timeout(Duration::from_secs(120)),
    )
    .unwrap();
    let (stop, sampler) = socket_sampler(port);
    let results = concurrent_deletes(&das, 10_000).await;
    stop.store(true, Ordering::SeqCst);
    let (sockets, fds) = sampler.join().unwrap();
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 0, "{:?}", results.iter().find(|r| r.is_err()));
    println!(
        "10,000 calls: at most {sockets} client sockets and {fds} file descriptors (client and server) open at once; \
         the server saw {} connections in all, at most {} at once",
        server.connections(),
        server.max_open_connections()
    );
    // In use (at most the in-flight limit), idle (at most the pool's size), and opening: the HTTP
    // stack starts a connection for a request that finds none idle, and keeps it (for the pool, or
    // closes it) when an idle one turns up first; each such request holds an in-flight place.
    assert!(sockets <= 2 * 32 + 8, "{sockets} client sockets open at once");
    assert!(fds < 256, "{fds} file descriptors open at once");
    // Once the calls are done, at most the idle pool stays open.
    let settle = Instant::now();
    while server.open_connections() > 8 && settle.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        server.open_connections() <= 8,
        "{} still open",
        server.open_connections()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_makes_calls_queue_not_fail() {
    let _turn = MANY_SOCKETS.lock().await;
    let server = Server::start(|_, _| Reply::Delayed(Duration::from_millis(20), Box::new(Reply::empty(200)))).await;
    let das = DasClient::new(
        hw_config(&server, huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
            .total_timeout(Duration::from_secs(120)),
    )
    .unwrap();
    let results = concurrent_deletes(&das, 5_000).await;
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 0);
    // The default in-flight limit and idle pool (see the test above for the bound).
    assert!(
        server.max_open_connections()
            <= 2 * dbops_core::http::DEFAULT_MAX_IN_FLIGHT + dbops_core::http::DEFAULT_MAX_IDLE_CONNECTIONS,
        "{}",
        server.max_open_connections()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_busy_at_its_in_flight_limit_reuses_its_connections() {
    let _turn = MANY_SOCKETS.lock().await;
    // Each reply takes 50 ms, so that every call of a burst is in flight at once.
    let server = Server::start(|_, _| Reply::Delayed(Duration::from_millis(50), Box::new(Reply::empty(200)))).await;
    let das = DasClient::new(hw_config(
        &server,
        huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT),
    ))
    .unwrap();
    let burst = || concurrent_deletes(&das, dbops_core::http::DEFAULT_MAX_IN_FLIGHT);
    assert!(burst().await.iter().all(Result::is_ok));
    let first = server.connections();
    assert!(first > dbops_core::http::DEFAULT_MAX_IDLE_CONNECTIONS / 2, "{first}");
    // All of them went idle together; the next burst finds them in the pool rather than reconnecting.
    assert!(burst().await.iter().all(Result::is_ok));
    assert!(
        server.connections() <= first + 2,
        "{} connections after the second burst, {first} after the first",
        server.connections()
    );
}

#[tokio::test]
async fn a_success_reply_keeps_its_place_until_its_body_is_done() {
    // With one place, a second call waits while the first reply's body is still arriving: here it
    // stalls half-way until the attempt times out.
    let server = Server::start(|_, i| match i {
        0 => Reply::Truncated {
            status: 200,
            declared: 1 << 20,
            sent: 4096,
            stall: Duration::from_secs(5),
        },
        _ => Reply::json(200, r#"{"Code":200,"Success":true}"#),
    })
    .await;
    let ali = alibabacloud_dbops::DasClient::new(
        al_config(&server, alibabacloud_dbops::Credentials::new(AL_AK, AL_SECRET))
            .max_in_flight(1)
            .attempt_timeout(Duration::from_millis(800)),
    )
    .unwrap();
    let started = Instant::now();
    let second = async {
        let r = ali
            .create_kill_instance_session_task()
            .input(task_request(vec![2]))
            .send()
            .await;
        (r, started.elapsed())
    };
    let first = ali
        .create_kill_instance_session_task()
        .input(task_request(vec![1]))
        .send();
    let (a, (b, b_done)) = tokio::join!(first, second);
    assert!(matches!(a, Err(Error::Timeout)), "{a:?}");
    b.unwrap();
    assert!(
        b_done >= Duration::from_millis(700),
        "the second call went out after {b_done:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

/// `n` `DeleteProcess` calls through `das` at once, each on a task of its own; their results in order.
async fn concurrent_deletes(das: &DasClient, n: usize) -> Vec<Result<dbops_core::wire::Done, Error>> {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let das = das.clone();
            tokio::spawn(async move {
                das.delete_process()
                    .input(process_body())
                    .instance_id(INSTANCE)
                    .send()
                    .await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

// 7. Reply size.

#[tokio::test]
async fn replies_past_the_cap_fail_with_a_clear_error() {
    // An endless body, and a 200 MB one, both chunked (no length declared).
    for len in [u64::MAX, 200_000_000] {
        let server = Server::start(move |_, _| Reply::Huge {
            status: 200,
            prefix: br#"{"Data":""#.to_vec(),
            fill: b'a',
            len,
            declared: false,
        })
        .await;
        let ali = alibabacloud_dbops::DasClient::new(
            al_config(&server, alibabacloud_dbops::Credentials::new(AL_AK, AL_SECRET)).max_reply_bytes(1 << 20),
        )
        .unwrap();
        let e = ali
            .kill_instance_all_session()
            .instance_id("r-1")
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::ReplyTooLarge {
                    status: 200,
                    limit: 1_048_576
                }
            ),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("larger than this client's limit of 1048576 bytes"),
            "{e}"
        );
    }
    // A declared length past the cap fails before the body is read.
    let server = Server::start(|_, _| Reply::Huge {
        status: 200,
        prefix: Vec::new(),
        fill: b' ',
        len: 200_000_000,
        declared: true,
    })
    .await;
    let ali = alibabacloud_dbops::DasClient::new(al_config(
        &server,
        alibabacloud_dbops::Credentials::new(AL_AK, AL_SECRET),
    ))
    .unwrap();
    let e = ali
        .kill_instance_all_session()
        .instance_id("r-1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::ReplyTooLarge { status: 200, limit } if limit == dbops_core::http::DEFAULT_MAX_REPLY_BYTES),
        "{e:?}"
    );
}

#[tokio::test]
async fn server_messages_are_shortened_and_huge_error_replies_are_not_read() {
    let long = "m".repeat(50_000);
    let body = json!({"error_code": "DBS.200001", "error_msg": long}).to_string();
    let server = Server::start(move |_, i| match i {
        0 => Reply::json(400, &body).with_header("x-request-id", "req-long"),
        _ => Reply::Huge {
            status: 500,
            prefix: br#"{"error_code":"DBS.1","error_msg":""#.to_vec(),
            fill: b'e',
            len: 200_000_000,
            declared: false,
        },
    })
    .await;
    let das = DasClient::new(
        hw_config(&server, huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT)).retry(RetryPolicy::none()),
    )
    .unwrap();
    let e = das
        .delete_process()
        .input(process_body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    let Error::Service(s) = &e else { panic!("{e:?}") };
    assert_eq!(
        (s.code.as_deref(), s.request_id.as_deref()),
        (Some("DBS.200001"), Some("req-long"))
    );
    let message = s.message.as_deref().unwrap();
    assert_eq!(message.chars().count(), dbops_core::error::MAX_MESSAGE_CHARS + 1);
    assert!(message.ends_with('…'));
    assert!(e.to_string().len() < 1200, "{}", e.to_string().len());

    let started = Instant::now();
    let e = das
        .delete_process()
        .input(process_body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    let Error::Service(s) = &e else { panic!("{e:?}") };
    assert_eq!((s.status, s.code.as_deref(), s.message.as_deref()), (500, None, None));
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn success_replies_are_read_up_to_exactly_the_cap_and_a_longer_declared_one_not_at_all() {
    let body = br#"{"Code":"200","Data":"xx","Success":"true"}"#.to_vec();
    let limit = body.len();
    let (declared, chunked) = (body.clone(), body.clone());
    let server = Server::start(move |_, i| match i {
        0 => Reply::Http {
            status: 200,
            headers: vec![],
            body: declared.clone(),
        },
        1 => Reply::Chunked {
            status: 200,
            body: chunked.clone(),
            chunk: 7,
        },
        // One byte more is declared, and nothing sent: refused without waiting for the body.
        _ => Reply::Truncated {
            status: 200,
            declared: limit + 1,
            sent: 0,
            stall: Duration::from_secs(10),
        },
    })
    .await;
    let ali = alibabacloud_dbops::DasClient::new(
        al_config(&server, alibabacloud_dbops::Credentials::new(AL_AK, AL_SECRET))
            .max_reply_bytes(limit)
            .attempt_timeout(Duration::from_secs(3)),
    )
    .unwrap();
    let call = || ali.kill_instance_all_session().instance_id("r-1").send();
    assert_eq!(call().await.unwrap().data.as_deref(), Some("xx"));
    assert_eq!(call().await.unwrap().data.as_deref(), Some("xx"));
    let started = Instant::now();
    let e = call().await.unwrap_err();
    assert!(
        matches!(e, Error::ReplyTooLarge { status: 200, limit: l } if l == limit),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_reply_read_to_its_end_frees_its_place_while_still_held() {
    let server = Server::start(|_, _| Reply::json(200, r#"{"ok":true}"#)).await;
    let mut config = dbops_core::HttpConfig::default();
    config.max_in_flight = 1;
    config.allow_http = true;
    let client = config.build_client(&server.url()).unwrap();
    let transport = config.transport();
    let request = || {
        Ok(reqwest::Request::new(
            reqwest::Method::GET,
            server.url().parse().unwrap(),
        ))
    };
    let dialect = huaweicloud_dbops::runtime::HuaweiDialect;
    let mut first = dbops_core::http::send(&client, &transport, &dialect, request, |_| {})
        .await
        .unwrap();
    while first.chunk().await.unwrap().is_some() {}
    // `first` is still alive; its body has ended, so the one place is free again.
    let second = tokio::time::timeout(
        Duration::from_secs(2),
        dbops_core::http::send(&client, &transport, &dialect, request, |_| {}),
    )
    .await
    .expect("the second request waited for the first reply's place");
    assert_eq!(second.unwrap().status(), 200);
    drop(first);
}

#[tokio::test]
async fn error_replies_are_read_up_to_exactly_the_cap() {
    use dbops_core::http::MAX_ERROR_REPLY_BYTES;
    // A JSON error body of exactly the cap, declared and chunked: read, code and all.
    let head = r#"{"error_code":"DBS.7","error_msg":""#;
    let mut exact = head.as_bytes().to_vec();
    exact.resize(MAX_ERROR_REPLY_BYTES - 2, b'm');
    exact.extend_from_slice(br#""}"#);
    let over = [&exact[..1], &exact[..]].concat();
    let (a, b, c) = (exact.clone(), exact.clone(), over.clone());
    let server = Server::start(move |_, i| match i {
        0 => Reply::Http {
            status: 500,
            headers: vec![],
            body: a.clone(),
        },
        1 => Reply::Chunked {
            status: 500,
            body: b.clone(),
            chunk: 1000,
        },
        2 => Reply::Chunked {
            status: 500,
            body: c.clone(),
            chunk: 1000,
        },
        // Declared past the cap, then nothing: not waited for.
        _ => Reply::Truncated {
            status: 500,
            declared: MAX_ERROR_REPLY_BYTES + 1,
            sent: 0,
            stall: Duration::from_secs(10),
        },
    })
    .await;
    let das = DasClient::new(
        hw_config(&server, huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
            .retry(RetryPolicy::none())
            .attempt_timeout(Duration::from_secs(3)),
    )
    .unwrap();
    for want in [Some("DBS.7"), Some("DBS.7"), None] {
        let e = das
            .delete_process()
            .input(process_body())
            .instance_id(INSTANCE)
            .send()
            .await
            .unwrap_err();
        assert_eq!((e.status(), e.code()), (Some(500), want), "{e:?}");
    }
    let started = Instant::now();
    let e = das
        .delete_process()
        .input(process_body())
        .instance_id(INSTANCE)
        .send()
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(500), None), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

#[test]
fn secrets_stay_masked_in_the_settings() {
    let config = huaweicloud_dbops::ClientConfig::new(hw_temporary()).proxy(huaweicloud_dbops::Proxy::Url(
        SecretString::new("http://user:proxy-pass@127.0.0.1:3128"),
    ));
    let text = format!("{config:?}");
    assert!(!text.contains("proxy-pass"), "{text}");
    assert_no_secret(&text);
}
