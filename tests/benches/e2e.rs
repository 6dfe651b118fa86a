//! End-to-end calls over loopback against a minimal responder started here: the generated clients
//! versus the floor, a plain `reqwest` call sending the same precomputed method, URL, headers and
//! body, measured in the same run. Sequential (calls/s, p50, p99) and 64 concurrent calls through one
//! client. Run with `cargo bench -p dbops-tests --bench e2e`.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use dbops_core::PreparedRequest;
use dbops_tests::{Reply, Server};

const SEQUENTIAL: usize = 20_000;
/// An even number: the median of the per-round ratios is the mean of the middle two, and each side goes
/// first in half of the rounds.
const ROUNDS: usize = 20;
const CONCURRENCY: usize = 64;
/// 2,048 calls a round: 32 from each task.
const CONCURRENT_CALLS: usize = 40_960;

/// CPU time of this whole process (client, responder and runtime) so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

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

/// The floor: the same bytes through a bare `reqwest::Client`, reading the reply body (and, with
/// `decode`, decoding it as the client must).
async fn floor_call(client: &reqwest::Client, req: &PreparedRequest, body: Option<&[u8]>, decode: Option<fn(&[u8])>) {
    let mut builder = client.request(req.method.parse().unwrap(), &req.url);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    if let Some(b) = body {
        builder = builder.body(b.to_vec());
    }
    let resp = builder.send().await.unwrap();
    assert!(resp.status().is_success());
    let bytes = resp.bytes().await.unwrap();
    if let Some(decode) = decode {
        decode(&bytes);
    }
}

type Call = Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

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

/// `calls` calls from [`CONCURRENCY`] tasks through one client; returns the time they took.
async fn concurrent(call: &Call, calls: usize) -> Duration {
    let started = Instant::now();
    let per_task = calls / CONCURRENCY;
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
    started.elapsed()
}

/// Sequential calls, client and floor interleaved in rounds so that drift hits both alike.
async fn compare_sequential(name: &str, client_call: &Call, floor: &Call) {
    // `E2E_ONLY=client` or `E2E_ONLY=floor`: only that side's sequential calls, for `perf stat`.
    if let Ok(only) = std::env::var("E2E_ONLY") {
        let call = if only == "client" { client_call } else { floor };
        // `E2E_CALLS=N`: that many calls instead (fewer for valgrind).
        let n = std::env::var("E2E_CALLS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(SEQUENTIAL);
        // `E2E_CONCURRENT=1`: the 64-concurrent calls instead.
        if std::env::var_os("E2E_CONCURRENT").is_some() {
            let rate = CONCURRENT_CALLS as f64 / concurrent(call, CONCURRENT_CALLS).await.as_secs_f64();
            println!("{name:<38} {only} only, {CONCURRENCY} concurrent: {rate:.0} calls/s");
            return;
        }
        let (_, t) = sequential(call, n).await;
        println!("{name:<38} {only} only: {:.0} calls/s", n as f64 / t.as_secs_f64());
        return;
    }
    sequential(client_call, 2_000).await;
    sequential(floor, 2_000).await;
    let (mut cs, mut fs) = (Vec::new(), Vec::new());
    let (mut ct, mut ft) = (Duration::ZERO, Duration::ZERO);
    let (mut ccpu, mut fcpu) = (Duration::ZERO, Duration::ZERO);
    let mut round_ratios = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        // Client first in even rounds, floor first in odd ones, so that neither side always runs right
        // after the other (caches, the connection pool's state, drift within a round).
        let (mut client_time, mut floor_time) = (Duration::ZERO, Duration::ZERO);
        for side in [round % 2, 1 - round % 2] {
            let before = cpu_time();
            if side == 0 {
                let (s, t) = sequential(client_call, SEQUENTIAL / ROUNDS).await;
                ccpu += cpu_time() - before;
                cs.extend(s);
                client_time = t;
            } else {
                let (s, t) = sequential(floor, SEQUENTIAL / ROUNDS).await;
                fcpu += cpu_time() - before;
                fs.extend(s);
                floor_time = t;
            }
        }
        ct += client_time;
        ft += floor_time;
        // Throughput ratio of this round: same number of calls on each side.
        round_ratios.push(floor_time.as_secs_f64() / client_time.as_secs_f64());
    }
    round_ratios.sort_by(f64::total_cmp);
    let median_ratio = (round_ratios[ROUNDS / 2 - 1] + round_ratios[ROUNDS / 2]) / 2.0;
    let (c, f) = (stats(cs, ct), stats(fs, ft));
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "| {name} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.2} | {median_ratio:.2} | {:.1} / {:.1} |",
        c.calls_per_s,
        us(c.p50),
        us(c.p99),
        f.calls_per_s,
        us(f.p50),
        us(f.p99),
        c.calls_per_s / f.calls_per_s,
        us(ccpu) / SEQUENTIAL as f64,
        us(fcpu) / SEQUENTIAL as f64,
    );
}

/// Concurrent calls, client and floor interleaved in rounds as the sequential ones are.
async fn compare_concurrent(name: &str, client_call: &Call, floor: &Call, accepted: &dyn Fn() -> usize) {
    const PER_ROUND: usize = CONCURRENT_CALLS / ROUNDS;
    concurrent(client_call, 2 * PER_ROUND).await;
    concurrent(floor, 2 * PER_ROUND).await;
    let (mut ct, mut ft) = (Duration::ZERO, Duration::ZERO);
    let (mut ccpu, mut fcpu) = (Duration::ZERO, Duration::ZERO);
    let (mut c_conns, mut f_conns) = (0, 0);
    let mut round_ratios = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let (mut client_time, mut floor_time) = (Duration::ZERO, Duration::ZERO);
        for side in [round % 2, 1 - round % 2] {
            let (before, cpu) = (accepted(), cpu_time());
            if side == 0 {
                client_time = concurrent(client_call, PER_ROUND).await;
                ccpu += cpu_time() - cpu;
                c_conns += accepted() - before;
            } else {
                floor_time = concurrent(floor, PER_ROUND).await;
                fcpu += cpu_time() - cpu;
                f_conns += accepted() - before;
            }
        }
        ct += client_time;
        ft += floor_time;
        round_ratios.push(floor_time.as_secs_f64() / client_time.as_secs_f64());
    }
    round_ratios.sort_by(f64::total_cmp);
    let median_ratio = (round_ratios[ROUNDS / 2 - 1] + round_ratios[ROUNDS / 2]) / 2.0;
    let calls = (PER_ROUND / CONCURRENCY * CONCURRENCY * ROUNDS) as f64;
    let us = |d: Duration| d.as_secs_f64() * 1e6 / calls;
    println!(
        "| {name} | {:.0} | {:.0} | {:.2} | {median_ratio:.2} | {:.1} / {:.1} | {c_conns} / {f_conns} |",
        calls / ct.as_secs_f64(),
        calls / ft.as_secs_f64(),
        ft.as_secs_f64() / ct.as_secs_f64(),
        us(ccpu),
        us(fcpu)
    );
}

fn floor_for(req: PreparedRequest) -> Call {
    floor_decoding(req, None)
}

/// The floor, decoding each reply with `decode`.
fn floor_decoding(req: PreparedRequest, decode: Option<fn(&[u8])>) -> Call {
    let client = if std::env::var_os("FLOOR_TIMEOUTS").is_some() {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    } else {
        reqwest::Client::new()
    };
    let body: Arc<Option<Vec<u8>>> = Arc::new(req.body.clone().map(String::into_bytes));
    let req = Arc::new(req);
    Arc::new(move || {
        let (client, req, body) = (client.clone(), req.clone(), body.clone());
        Box::pin(async move { floor_call(&client, &req, body.as_deref(), decode).await })
    })
}

/// The responders run on a thread and runtime of their own, as a remote server would: the client's
/// runtime schedules only the client's work. Returns the responders' URLs; they live until the process
/// ends.
fn start_responders() -> [Server; 4] {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let huawei = Server::responder(Reply::empty(200)).await;
            let task = Server::responder(Reply::json(200, TASK_OK)).await;
            let all = Server::responder(Reply::json(200, ALL_OK)).await;
            let list = Server::responder(Reply::json(200, &process_page(20))).await;
            tx.send([huawei, task, all, list]).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

fn main() {
    let servers = start_responders();
    let [huawei, task_server, all_server, list_server] = servers.each_ref().map(Server::url);
    let accepted = || servers.iter().map(Server::connections).sum::<usize>();
    // `E2E_RT=current`: a current-thread runtime instead, which takes cross-thread wake-ups out of the
    // client's path (a lower-noise cross-check of the per-call cost).
    let rt = if std::env::var("E2E_RT").as_deref() == Ok("current") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    };
    rt.block_on(async {
        let mut cases: Vec<(&str, Call, Call)> = Vec::new();

        let das = Arc::new(huaweicloud_dbops::DasClient::new(huawei_config(&huawei)).unwrap());
        let floor = floor_for(
            das.delete_process()
                .input(process_body())
                .instance_id(INSTANCE)
                .dry_run()
                .await
                .unwrap(),
        );
        let client: Call = Arc::new(move || {
            let das = das.clone();
            Box::pin(async move {
                das.delete_process()
                    .input(process_body())
                    .instance_id(INSTANCE)
                    .send()
                    .await
                    .unwrap();
            })
        });
        cases.push(("Huawei DAS DeleteProcess", client, floor));

        let dds = Arc::new(huaweicloud_dbops::DdsClient::new(huawei_config(&huawei)).unwrap());
        let floor = floor_for(
            dds.delete_session()
                .input(session_body())
                .node_id(NODE)
                .dry_run()
                .await
                .unwrap(),
        );
        let client: Call = Arc::new(move || {
            let dds = dds.clone();
            Box::pin(async move {
                dds.delete_session()
                    .input(session_body())
                    .node_id(NODE)
                    .send()
                    .await
                    .unwrap();
            })
        });
        cases.push(("Huawei DDS DeleteSession", client, floor));

        let ali = Arc::new(alibabacloud_dbops::DasClient::new(alibaba_config(&task_server)).unwrap());
        let floor = floor_for(
            ali.create_kill_instance_session_task()
                .input(task_request())
                .dry_run()
                .await
                .unwrap(),
        );
        let client: Call = Arc::new(move || {
            let ali = ali.clone();
            Box::pin(async move {
                ali.create_kill_instance_session_task()
                    .input(task_request())
                    .send()
                    .await
                    .unwrap();
            })
        });
        cases.push(("Alibaba CreateKillInstanceSessionTask", client, floor));

        let ali = Arc::new(alibabacloud_dbops::DasClient::new(alibaba_config(&all_server)).unwrap());
        let floor = floor_for(
            ali.kill_instance_all_session()
                .input(all_request())
                .dry_run()
                .await
                .unwrap(),
        );
        let client: Call = Arc::new(move || {
            let ali = ali.clone();
            Box::pin(async move {
                ali.kill_instance_all_session()
                    .input(all_request())
                    .send()
                    .await
                    .unwrap();
            })
        });
        cases.push(("Alibaba KillInstanceAllSession", client, floor));

        // A list: one page of 20 processes (about 5 KB), decoded into the generated types.
        let das = Arc::new(huaweicloud_dbops::DasClient::new(huawei_config(&list_server)).unwrap());
        fn list(das: &huaweicloud_dbops::DasClient) -> huaweicloud_dbops::das::ListProcesses<'_> {
            das.list_processes().instance_id(INSTANCE).db_user_id(DB_USER_ID).limit(20)
        }
        let request = list(&das).dry_run().await.unwrap();
        let floor = floor_for(request.clone());
        // The same floor, decoding the page into the same generated types as the client must.
        let decoding = floor_decoding(
            request,
            Some(|bytes| {
                let page: huaweicloud_dbops::das::types::ListProcessesResponse = serde_json::from_slice(bytes).unwrap();
                assert_eq!(page.processes.len(), 20);
            }),
        );
        let client: Call = Arc::new(move || {
            let das = das.clone();
            Box::pin(async move {
                let page = list(&das).send().await.unwrap();
                assert_eq!(page.processes.len(), 20);
            })
        });
        cases.push(("Huawei DAS ListProcesses (20 per page)", client.clone(), floor));
        cases.push(("Huawei DAS ListProcesses, floor decoding too", client, decoding));

        println!("Sequential: {SEQUENTIAL} calls per side in {ROUNDS} interleaved rounds (after 2,000 warm-up calls each).");
        println!("CPU is the whole process's (client, responder, runtime, kernel) per call.\n");
        println!("| operation | client calls/s | client p50 µs | client p99 µs | floor calls/s | floor p50 µs | floor p99 µs | client/floor | median of rounds | CPU µs/call client / floor |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
        // `E2E_CASE=CreateKill`: only the cases whose name contains this, for profiling.
        if let Ok(only) = std::env::var("E2E_CASE") {
            cases.retain(|(name, _, _)| name.contains(&only));
        }
        // `E2E_SKIP_SEQUENTIAL=1`: the concurrent comparison only.
        if std::env::var_os("E2E_SKIP_SEQUENTIAL").is_none() {
            for (name, client, floor) in &cases {
                compare_sequential(name, client, floor).await;
            }
        }
        if std::env::var_os("E2E_ONLY").is_some() {
            return;
        }
        println!("\n{CONCURRENCY} concurrent tasks through one client: {CONCURRENT_CALLS} calls per side in {ROUNDS} interleaved rounds.\n");
        println!("| operation | client calls/s | floor calls/s | client/floor | median of rounds | CPU µs/call client / floor | connections opened client / floor |");
        println!("|---|---|---|---|---|---|---|");
        for (name, client, floor) in &cases {
            compare_concurrent(name, client, floor, &accepted).await;
        }
    });
}
