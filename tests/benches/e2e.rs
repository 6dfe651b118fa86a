//! End-to-end calls over loopback against a minimal responder started here: the generated clients
//! versus two floors measured in the same run, interleaved:
//!
//! - the bare floor: a plain `reqwest` call sending the same precomputed method, URL, headers and body
//!   (signature included, made once) and reading the reply;
//! - the signed floor: the least any correct client of these APIs does per call, with the same
//!   `reqwest`: a copy of the precomputed unsigned request, signed afresh (date, nonce, signature), sent,
//!   and its reply decoded into the operation's type when it has one. No input, no checks, no
//!   retries, no timeouts, no in-flight limit.
//!
//! Sequential (calls/s, p50, p99) and 64 concurrent calls through one client. Run with
//! `cargo bench -p dbops-tests --bench e2e --profile release`.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use dbops_core::PreparedRequest;
use dbops_core::signing::SigningKey;
use dbops_tests::{Reply, Server};

const SEQUENTIAL: usize = 20_000;
/// An even number: the median of the per-round ratios is the mean of the middle two.
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

type Call = Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// One way of making a call, measured against the others.
struct Side {
    name: &'static str,
    call: Call,
}

/// One operation and its sides; the first side is the client, the second the bare floor.
struct Case {
    name: &'static str,
    sides: Vec<Side>,
}

/// The bare floor: the same bytes through a bare `reqwest::Client`, reading the reply body (and, with
/// `decode`, decoding it as the client must).
fn floor(req: PreparedRequest, decode: Option<fn(&[u8])>) -> Side {
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
    let call: Call = Arc::new(move || {
        let (client, req, body) = (client.clone(), req.clone(), body.clone());
        Box::pin(async move {
            let mut builder = client.request(req.method.parse().unwrap(), &req.url);
            for (k, v) in &req.headers {
                builder = builder.header(k, v);
            }
            if let Some(b) = body.as_deref() {
                builder = builder.body(b.to_vec());
            }
            let resp = builder.send().await.unwrap();
            assert!(resp.status().is_success());
            let bytes = resp.bytes().await.unwrap();
            if let Some(decode) = decode {
                decode(&bytes);
            }
        })
    });
    Side {
        name: if decode.is_some() { "floor, decoding" } else { "floor" },
        call,
    }
}

/// How the signed floor signs: Huawei's SDK-HMAC-SHA256 or Alibaba's ACS3-HMAC-SHA256 (fresh nonce).
#[derive(Clone, Copy)]
enum Signer {
    Huawei,
    Alibaba,
}

/// The signed floor: per call, a copy of the unsigned request `dry` shows, signed afresh as the
/// provider requires, sent through a bare `reqwest::Client`, its reply read and decoded with `decode`.
fn signed_floor(dry: &PreparedRequest, signer: Signer, decode: Option<fn(&[u8])>) -> Side {
    let client = reqwest::Client::new();
    let template = Arc::new(unsigned(dry));
    let key = Arc::new(match signer {
        Signer::Huawei => SigningKey::new(HW_SK),
        Signer::Alibaba => SigningKey::new(ALI_SECRET),
    });
    let call: Call = Arc::new(move || {
        let (client, template, key) = (client.clone(), template.clone(), key.clone());
        Box::pin(async move {
            let mut req = template.try_clone().unwrap();
            match signer {
                Signer::Huawei => sign_huawei(&mut req, &key, SystemTime::now()),
                Signer::Alibaba => sign_alibaba(
                    &mut req,
                    &key,
                    SystemTime::now(),
                    &alibabacloud_dbops::runtime::new_nonce(),
                ),
            }
            let resp = client.execute(req).await.unwrap();
            assert!(resp.status().is_success());
            let bytes = resp.bytes().await.unwrap();
            if let Some(decode) = decode {
                decode(&bytes);
            }
        })
    });
    Side {
        name: "signed floor",
        call,
    }
}

fn client(call: Call) -> Side {
    Side { name: "client", call }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn sequential(call: &Call, n: usize, samples: &mut Vec<Duration>) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        call().await;
        samples.push(t.elapsed());
    }
    started.elapsed()
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

/// What one side did over all rounds.
#[derive(Default)]
struct Totals {
    time: Duration,
    cpu: Duration,
    connections: usize,
    /// Per round: the bare floor's time over this side's (same number of calls).
    ratios: Vec<f64>,
    samples: Vec<Duration>,
}

/// Runs every side of `case` in [`ROUNDS`] interleaved rounds (the order rotating from one round to
/// the next, so that no side always runs right after another) and prints a row per side.
async fn compare(case: &Case, concurrently: bool, accepted: &dyn Fn() -> usize) {
    let per_round = if concurrently {
        CONCURRENT_CALLS / ROUNDS / CONCURRENCY * CONCURRENCY
    } else {
        SEQUENTIAL / ROUNDS
    };
    let run = async |side: &Side, n: usize, samples: &mut Vec<Duration>| {
        if concurrently {
            concurrent(&side.call, n).await
        } else {
            sequential(&side.call, n, samples).await
        }
    };
    for side in &case.sides {
        run(side, 2 * per_round, &mut Vec::new()).await;
    }
    let mut totals: Vec<Totals> = case.sides.iter().map(|_| Totals::default()).collect();
    for round in 0..ROUNDS {
        let n = case.sides.len();
        let mut times = vec![Duration::ZERO; n];
        for k in 0..n {
            let i = (round + k) % n;
            let (before, cpu) = (accepted(), cpu_time());
            let t = run(&case.sides[i], per_round, &mut totals[i].samples).await;
            totals[i].cpu += cpu_time() - cpu;
            totals[i].connections += accepted() - before;
            totals[i].time += t;
            times[i] = t;
        }
        for i in 0..n {
            totals[i].ratios.push(times[1].as_secs_f64() / times[i].as_secs_f64());
        }
    }
    let calls = (per_round * ROUNDS) as f64;
    for (side, t) in case.sides.iter().zip(totals) {
        let ratio = median(t.ratios);
        let cpu = us(t.cpu) / calls;
        let rate = calls / t.time.as_secs_f64();
        if concurrently {
            println!(
                "| {} | {} | {rate:.0} | {ratio:.2} | {cpu:.1} | {} |",
                case.name, side.name, t.connections
            );
        } else {
            let mut s = t.samples;
            s.sort_unstable();
            println!(
                "| {} | {} | {rate:.0} | {:.1} | {:.1} | {ratio:.2} | {cpu:.1} |",
                case.name,
                side.name,
                us(percentile(&s, 0.5)),
                us(percentile(&s, 0.99)),
            );
        }
    }
}

/// The responders run on a thread and runtime of their own, as a remote server would: the client's
/// runtime schedules only the client's work. They live until the process ends.
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

fn decode_task(bytes: &[u8]) {
    let _: alibabacloud_dbops::das::types::CreateKillInstanceSessionTaskResponse =
        serde_json::from_slice(bytes).unwrap();
}

fn decode_all(bytes: &[u8]) {
    let _: alibabacloud_dbops::das::types::KillInstanceAllSessionResponse = serde_json::from_slice(bytes).unwrap();
}

fn decode_page(bytes: &[u8]) {
    let page: huaweicloud_dbops::das::types::ListProcessesResponse = serde_json::from_slice(bytes).unwrap();
    assert_eq!(page.processes.len(), 20);
}

async fn cases(huawei: &str, task_server: &str, all_server: &str, list_server: &str) -> Vec<Case> {
    let mut cases = Vec::new();

    let das = Arc::new(huaweicloud_dbops::DasClient::new(huawei_config(huawei)).unwrap());
    let dry = das
        .delete_process()
        .input(process_body())
        .instance_id(INSTANCE)
        .dry_run()
        .await
        .unwrap();
    let call: Call = Arc::new(move || {
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
    cases.push(Case {
        name: "Huawei DAS DeleteProcess",
        sides: vec![
            client(call),
            floor(dry.clone(), None),
            signed_floor(&dry, Signer::Huawei, None),
        ],
    });

    let dds = Arc::new(huaweicloud_dbops::DdsClient::new(huawei_config(huawei)).unwrap());
    let dry = dds
        .delete_session()
        .input(session_body())
        .node_id(NODE)
        .dry_run()
        .await
        .unwrap();
    let call: Call = Arc::new(move || {
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
    cases.push(Case {
        name: "Huawei DDS DeleteSession",
        sides: vec![
            client(call),
            floor(dry.clone(), None),
            signed_floor(&dry, Signer::Huawei, None),
        ],
    });

    let ali = Arc::new(alibabacloud_dbops::DasClient::new(alibaba_config(task_server)).unwrap());
    let dry = ali
        .create_kill_instance_session_task()
        .input(task_request())
        .dry_run()
        .await
        .unwrap();
    let call: Call = Arc::new(move || {
        let ali = ali.clone();
        Box::pin(async move {
            ali.create_kill_instance_session_task()
                .input(task_request())
                .send()
                .await
                .unwrap();
        })
    });
    cases.push(Case {
        name: "Alibaba CreateKillInstanceSessionTask",
        sides: vec![
            client(call),
            floor(dry.clone(), None),
            signed_floor(&dry, Signer::Alibaba, Some(decode_task)),
        ],
    });

    let ali = Arc::new(alibabacloud_dbops::DasClient::new(alibaba_config(all_server)).unwrap());
    let dry = ali
        .kill_instance_all_session()
        .input(all_request())
        .dry_run()
        .await
        .unwrap();
    let call: Call = Arc::new(move || {
        let ali = ali.clone();
        Box::pin(async move {
            ali.kill_instance_all_session()
                .input(all_request())
                .send()
                .await
                .unwrap();
        })
    });
    cases.push(Case {
        name: "Alibaba KillInstanceAllSession",
        sides: vec![
            client(call),
            floor(dry.clone(), None),
            signed_floor(&dry, Signer::Alibaba, Some(decode_all)),
        ],
    });

    // A list: one page of 20 processes (about 5 KB), decoded into the generated types.
    let das = Arc::new(huaweicloud_dbops::DasClient::new(huawei_config(list_server)).unwrap());
    fn list(das: &huaweicloud_dbops::DasClient) -> huaweicloud_dbops::das::ListProcesses<'_> {
        das.list_processes()
            .instance_id(INSTANCE)
            .db_user_id(DB_USER_ID)
            .limit(20)
    }
    let dry = list(&das).dry_run().await.unwrap();
    let call: Call = Arc::new(move || {
        let das = das.clone();
        Box::pin(async move {
            let page = list(&das).send().await.unwrap();
            assert_eq!(page.processes.len(), 20);
        })
    });
    cases.push(Case {
        name: "Huawei DAS ListProcesses (20 per page)",
        sides: vec![
            client(call),
            floor(dry.clone(), None),
            signed_floor(&dry, Signer::Huawei, Some(decode_page)),
            floor(dry, Some(decode_page)),
        ],
    });
    cases
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
        let mut cases = cases(&huawei, &task_server, &all_server, &list_server).await;
        // `E2E_CASE=CreateKill`: only the cases whose name contains this, for profiling.
        if let Ok(only) = std::env::var("E2E_CASE") {
            cases.retain(|case| case.name.contains(&only));
        }
        // `E2E_ONLY=client|floor|signed`: only that side's calls (`E2E_CALLS` of them, sequential, or
        // concurrent with `E2E_CONCURRENT=1`), for `perf` and `valgrind`.
        if let Ok(only) = std::env::var("E2E_ONLY") {
            let n = std::env::var("E2E_CALLS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(SEQUENTIAL);
            for case in &cases {
                let Some(side) = case.sides.iter().find(|s| s.name.starts_with(&only)) else {
                    continue;
                };
                let t = if std::env::var_os("E2E_CONCURRENT").is_some() {
                    concurrent(&side.call, n / CONCURRENCY * CONCURRENCY).await
                } else {
                    sequential(&side.call, n, &mut Vec::new()).await
                };
                println!("{} {}: {:.0} calls/s", case.name, side.name, n as f64 / t.as_secs_f64());
            }
            return;
        }
        // `E2E_SKIP_SEQUENTIAL=1`: the concurrent comparison only.
        if std::env::var_os("E2E_SKIP_SEQUENTIAL").is_none() {
            println!("Sequential: {SEQUENTIAL} calls per side in {ROUNDS} interleaved rounds (after 2,000 warm-up calls each).");
            println!("CPU is the whole process's (client, responder, runtime, kernel) per call.\n");
            println!("| operation | side | calls/s | p50 µs | p99 µs | ÷ floor (median of rounds) | CPU µs/call |");
            println!("|---|---|---|---|---|---|---|");
            for case in &cases {
                compare(case, false, &accepted).await;
            }
        }
        println!(
            "\n{CONCURRENCY} concurrent tasks through one client: {CONCURRENT_CALLS} calls per side in {ROUNDS} interleaved rounds.\n"
        );
        println!("| operation | side | calls/s | ÷ floor (median of rounds) | CPU µs/call | connections opened |");
        println!("|---|---|---|---|---|---|");
        for case in &cases {
            compare(case, true, &accepted).await;
        }
    });
}
