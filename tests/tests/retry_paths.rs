//! Every retry and timeout path of the send loop, pinned by counting attempts: each attempt is signed
//! once, so the signing closure counts what was tried, refused connections included; the server's
//! record counts what arrived.

use std::time::{Duration, Instant};

use dbops_core::http::{self, Transport};
use dbops_core::{HttpConfig, RetryPolicy};
use dbops_tests::{Reply, Server};
use huaweicloud_dbops::runtime::HuaweiDialect;

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(20))
        .max_retry_after(Duration::from_secs(2))
        .retry_server_errors(false)
        .retry_after_send_failures(false)
}

fn settings(retry: RetryPolicy, total: Duration) -> HttpConfig {
    let mut config = HttpConfig::default();
    config.retry = retry;
    config.total_timeout = total;
    config.attempt_timeout = Duration::from_secs(2);
    config.connect_timeout = Duration::from_secs(2);
    config.allow_http = true;
    config
}

/// Sends one POST to `url` under `retry`; returns the attempts made (signatures), the outcome's HTTP
/// status (or the error) and the time taken.
async fn run(url: &str, retry: RetryPolicy, total: Duration) -> (u32, Result<u16, dbops_core::Error>, Duration) {
    let config = settings(retry, total);
    let client = config.build_client(url).unwrap();
    let transport: Transport = config.transport();
    let url: reqwest::Url = url.parse().unwrap();
    let request = || {
        let mut request = reqwest::Request::new(reqwest::Method::POST, url.clone());
        *request.body_mut() = Some(reqwest::Body::from("{}"));
        Ok(request)
    };
    let mut attempts = 0;
    let started = Instant::now();
    let result = http::send(&client, &transport, &HuaweiDialect, request, |_| attempts += 1).await;
    (attempts, result.map(|r| r.status().as_u16()), started.elapsed())
}

const LONG: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_refused_connection_is_retried_up_to_the_bound() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let (attempts, result, _) = run(&url, policy(), LONG).await;
    let e = result.unwrap_err();
    assert!(matches!(&e, dbops_core::Error::Transport(t) if t.is_connect()), "{e:?}");
    assert_eq!(attempts, 3);
    let (attempts, _, _) = run(&url, RetryPolicy::none(), LONG).await;
    assert_eq!(attempts, 1);
}

#[tokio::test]
async fn a_reset_after_sending_is_retried_only_when_opted_in() {
    let server = Server::start(|_, _| Reply::Reset).await;
    let (attempts, result, _) = run(&server.url(), policy(), LONG).await;
    assert!(result.is_err());
    assert_eq!((attempts, server.requests().len()), (1, 1));

    let opted = policy().retry_after_send_failures(true);
    let (attempts, result, _) = run(&server.url(), opted, LONG).await;
    assert!(result.is_err());
    assert_eq!((attempts, server.requests().len()), (3, 4));
}

#[tokio::test]
async fn a_stalled_attempt_is_retried_only_when_opted_in() {
    let server = Server::start(|_, _| Reply::Stall(Duration::from_secs(5))).await;
    let mut p = policy();
    let config = |p: RetryPolicy| {
        let mut config = settings(p, LONG);
        config.attempt_timeout = Duration::from_millis(200);
        config
    };
    for (opt_in, want) in [(false, 1), (true, 3)] {
        p.retry_after_send_failures = opt_in;
        let c = config(p.clone());
        let client = c.build_client(&server.url()).unwrap();
        let request = || {
            Ok(reqwest::Request::new(
                reqwest::Method::GET,
                server.url().parse().unwrap(),
            ))
        };
        let mut attempts = 0;
        let e = http::send(&client, &c.transport(), &HuaweiDialect, request, |_| attempts += 1)
            .await
            .unwrap_err();
        assert!(matches!(e, dbops_core::Error::Timeout), "{e:?}");
        assert_eq!(attempts, want, "opt in: {opt_in}");
    }
}

#[tokio::test]
async fn server_errors_are_retried_only_when_opted_in() {
    let server = Server::start(|_, _| Reply::empty(503)).await;
    let (attempts, result, _) = run(&server.url(), policy(), LONG).await;
    assert_eq!((attempts, result.unwrap()), (1, 503));
    let opted = policy().retry_server_errors(true);
    let (attempts, result, _) = run(&server.url(), opted, LONG).await;
    assert_eq!((attempts, result.unwrap()), (3, 503));
    // A 4xx that is not throttling is never retried.
    let bad = Server::start(|_, _| Reply::json(400, r#"{"error_code":"DBS.1"}"#)).await;
    let opted = policy().retry_server_errors(true).retry_after_send_failures(true);
    let (attempts, result, _) = run(&bad.url(), opted, LONG).await;
    assert_eq!((attempts, result.unwrap()), (1, 400));
}

#[tokio::test]
async fn throttling_waits_its_retry_after_up_to_the_cap() {
    // Retry-After 1 s, within the 2 s cap: waited for, then retried.
    let server = Server::start(|_, i| match i {
        0 => Reply::empty(429).with_header("retry-after", "1"),
        _ => Reply::empty(200),
    })
    .await;
    let (attempts, result, took) = run(&server.url(), policy(), LONG).await;
    assert_eq!((attempts, result.unwrap()), (2, 200));
    assert!(took >= Duration::from_secs(1), "{took:?}");

    // Retry-After 3 s, over the cap: the throttling reply comes back at once.
    let server = Server::start(|_, _| Reply::empty(429).with_header("retry-after", "3")).await;
    let (attempts, result, took) = run(&server.url(), policy(), LONG).await;
    assert_eq!((attempts, result.unwrap()), (1, 429));
    assert!(took < Duration::from_secs(1), "{took:?}");

    // Throttling without Retry-After is retried up to the bound.
    let server = Server::start(|_, _| Reply::empty(429)).await;
    let (attempts, result, _) = run(&server.url(), policy(), LONG).await;
    assert_eq!((attempts, result.unwrap()), (3, 429));
}

#[tokio::test]
async fn a_backoff_that_would_pass_the_total_timeout_is_not_started() {
    let server = Server::start(|_, _| Reply::empty(429)).await;
    let slow = policy()
        .initial_backoff(Duration::from_secs(4))
        .max_backoff(Duration::from_secs(4));
    // The backoff (2 to 4 s) cannot end within the 1.5 s total: the first reply is returned at once.
    let (attempts, result, took) = run(&server.url(), slow.clone(), Duration::from_millis(1500)).await;
    assert_eq!((attempts, result.unwrap()), (1, 429));
    assert!(took < Duration::from_secs(1), "{took:?}");
    // With room for it, the same backoff is waited and the call retried.
    let (attempts, result, took) = run(&server.url(), slow, Duration::from_secs(20)).await;
    assert_eq!((attempts, result.unwrap()), (3, 429));
    assert!(took >= Duration::from_secs(4), "{took:?}");
}

#[tokio::test]
async fn a_total_timeout_that_ends_during_a_later_attempt_is_a_timeout() {
    use huaweicloud_dbops::{ClientConfig, Credentials, DasClient, Error};
    let server = Server::start(|_, i| match i {
        0 => Reply::empty(429),
        _ => Reply::Stall(Duration::from_secs(10)),
    })
    .await;
    let das = DasClient::new(
        ClientConfig::new(Credentials::new("AK", "SK", "054e292c9880d4992f02c0196d3ea468"))
            .endpoint(server.url())
            .allow_http(true)
            .retry(policy())
            .attempt_timeout(Duration::from_secs(5))
            .total_timeout(Duration::from_secs(1)),
    )
    .unwrap();
    let started = Instant::now();
    let e = das
        .delete_process()
        .instance_id("da304cd5bbb944de828759bc7be3d3fein01")
        .db_user_id("2c250598-1e3c-4d31-bc19-be1d866247e6")
        .user("a")
        .send()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e, Error::Timeout), "{e:?}");
    assert_eq!(server.requests().len(), 2);
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

/// The gaps between successive attempts' signing times under `retry`.
async fn gaps(url: &str, retry: RetryPolicy) -> Vec<Duration> {
    let config = settings(retry, LONG);
    let client = config.build_client(url).unwrap();
    let request = || Ok(reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap()));
    let mut times = Vec::new();
    let _ = http::send(&client, &config.transport(), &HuaweiDialect, request, |_| {
        times.push(Instant::now())
    })
    .await;
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test]
async fn backoff_doubles_from_one_attempt_to_the_next() {
    // Before attempt k+1 the wait is half fixed, half random, of 100 ms × 2^(k-1): at least
    // 50 ms × 2^(k-1), at most twice that. A wait that did not grow (the same index twice, or one
    // behind) would stay at or below that minimum at every gap; with the doubling, all four gaps
    // landing within 10 ms of their minimum has a chance of about one in a million.
    let growing = policy()
        .max_attempts(5)
        .initial_backoff(Duration::from_millis(100))
        .max_backoff(Duration::from_secs(10));
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let server = Server::start(|_, _| Reply::empty(429)).await;
    for (what, url) in [
        ("refused", format!("http://127.0.0.1:{port}/")),
        ("throttled", server.url()),
    ] {
        let gaps = gaps(&url, growing.clone()).await;
        assert_eq!(gaps.len(), 4, "{what}");
        for (k, gap) in gaps.iter().enumerate() {
            let min = Duration::from_millis(50 << k);
            assert!(*gap >= min, "{what}: wait {k} of {gap:?} is under {min:?}");
        }
        assert!(
            gaps.iter()
                .enumerate()
                .any(|(k, gap)| *gap > Duration::from_millis((50 << k) + 10)),
            "{what}: no wait grew past its minimum: {gaps:?}"
        );
    }
}
