//! End-to-end calls over loopback against a minimal responder started here: the generated clients
//! versus the floor, a plain `reqwest` call sending the same precomputed method, URL, headers and
//! body, measured in the same run. Sequential (calls/s, p50, p99) and 64 concurrent calls through one
//! client. Run with `cargo bench -p dbops-tests --bench e2e`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dbops_core::PreparedRequest;
use dbops_tests::{Reply, Server};

const SEQUENTIAL: usize = 20_000;
const ROUNDS: usize = 10;
const CONCURRENCY: usize = 64;
const CONCURRENT_CALLS: usize = 20_000;

struct Stats {
    calls_per_s: f64,
    p50: Duration,
    p99: Duration,
}

fn stats(mut samples: Vec<Duration>, total: Duration) -> Stats {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    Stats {
        calls_per_s: samples.len() as f64 / total.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// The floor: the same bytes through a bare `reqwest::Client`, reading the reply body.
async fn floor_call(client: &reqwest::Client, req: &PreparedRequest, body: &bytes_body::Body) {
    let mut builder = client.request(req.method.parse().unwrap(), &req.url);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    if let Some(b) = &body.0 {
        builder = builder.body(b.clone());
    }
    let resp = builder.send().await.unwrap();
    assert!(resp.status().is_success());
    resp.bytes().await.unwrap();
}

mod bytes_body {
    pub struct Body(pub Option<Vec<u8>>);
}

type Call = std::sync::Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

async fn sequential(call: &Call, n: usize) -> (Vec<Duration>, Duration) {
    let mut samples = Vec::with_capacity(n);
    let started = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        call().await;
        samples.push(t.elapsed());
    }
    (samples, started.elapsed())
}

async fn concurrent(call: &Call) -> f64 {
    let started = Instant::now();
    let per_task = CONCURRENT_CALLS / CONCURRENCY;
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    call().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (per_task * CONCURRENCY) as f64 / started.elapsed().as_secs_f64()
}

async fn compare(name: &str, client_call: Call, floor: Call) {
    // Warm both up (connections, allocator), then interleave rounds so drift hits both alike.
    sequential(&client_call, 2_000).await;
    sequential(&floor, 2_000).await;
    let (mut cs, mut fs) = (Vec::new(), Vec::new());
    let (mut ct, mut ft) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..ROUNDS {
        let (s, t) = sequential(&client_call, SEQUENTIAL / ROUNDS).await;
        cs.extend(s);
        ct += t;
        let (s, t) = sequential(&floor, SEQUENTIAL / ROUNDS).await;
        fs.extend(s);
        ft += t;
    }
    let (c, f) = (stats(cs, ct), stats(fs, ft));
    let c64 = concurrent(&client_call).await;
    let f64_ = concurrent(&floor).await;
    println!(
        "{name:<32} sequential: client {:>7.0} calls/s p50 {:>5.1} µs p99 {:>6.1} µs | floor {:>7.0} calls/s p50 {:>5.1} µs p99 {:>6.1} µs | ratio {:.2}",
        c.calls_per_s,
        c.p50.as_secs_f64() * 1e6,
        c.p99.as_secs_f64() * 1e6,
        f.calls_per_s,
        f.p50.as_secs_f64() * 1e6,
        f.p99.as_secs_f64() * 1e6,
        c.calls_per_s / f.calls_per_s
    );
    println!(
        "{name:<32} 64 concurrent: client {c64:>7.0} calls/s | floor {f64_:>7.0} calls/s | ratio {:.2}",
        c64 / f64_
    );
}

fn floor_for(req: PreparedRequest) -> Call {
    let client = reqwest::Client::new();
    let body = std::sync::Arc::new(bytes_body::Body(req.body.clone().map(String::into_bytes)));
    let req = std::sync::Arc::new(req);
    std::sync::Arc::new(move || {
        let (client, req, body) = (client.clone(), req.clone(), body.clone());
        Box::pin(async move { floor_call(&client, &req, &body).await })
    })
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("end-to-end over loopback, {SEQUENTIAL} sequential calls in {ROUNDS} interleaved rounds, {CONCURRENT_CALLS} calls by {CONCURRENCY} tasks");

        let huawei = Server::responder(Reply::empty(200)).await;
        let das = std::sync::Arc::new(huaweicloud_dbops::DasClient::new(huawei_config(&huawei.url())).unwrap());
        let dry = das.delete_process_dry_run(INSTANCE, process_body()).await.unwrap();
        let client: Call = std::sync::Arc::new(move || {
            let das = das.clone();
            Box::pin(async move { das.delete_process(INSTANCE, process_body()).await.unwrap() })
        });
        compare("Huawei DAS DeleteProcess", client, floor_for(dry)).await;

        let dds = std::sync::Arc::new(huaweicloud_dbops::DdsClient::new(huawei_config(&huawei.url())).unwrap());
        let dry = dds.delete_session_dry_run(NODE, session_body()).await.unwrap();
        let client: Call = std::sync::Arc::new(move || {
            let dds = dds.clone();
            Box::pin(async move { dds.delete_session(NODE, session_body()).await.unwrap() })
        });
        compare("Huawei DDS DeleteSession", client, floor_for(dry)).await;

        let task_server = Server::responder(Reply::json(200, TASK_OK)).await;
        let ali = std::sync::Arc::new(alibabacloud_dbops::DasClient::new(alibaba_config(&task_server.url())).unwrap());
        let dry = ali.create_kill_instance_session_task_dry_run(task_request()).await.unwrap();
        let c = ali.clone();
        let client: Call = std::sync::Arc::new(move || {
            let ali = c.clone();
            Box::pin(async move {
                ali.create_kill_instance_session_task(task_request()).await.unwrap();
            })
        });
        compare("Alibaba CreateKillInstanceSessionTask", client, floor_for(dry)).await;

        let all_server = Server::responder(Reply::json(200, ALL_OK)).await;
        let ali = std::sync::Arc::new(alibabacloud_dbops::DasClient::new(alibaba_config(&all_server.url())).unwrap());
        let dry = ali.kill_instance_all_session_dry_run(all_request()).await.unwrap();
        let client: Call = std::sync::Arc::new(move || {
            let ali = ali.clone();
            Box::pin(async move {
                ali.kill_instance_all_session(all_request()).await.unwrap();
            })
        });
        compare("Alibaba KillInstanceAllSession", client, floor_for(dry)).await;
    });
}
