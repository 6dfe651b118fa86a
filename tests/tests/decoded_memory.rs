//! What a reply decodes into stays bounded, not only what is read: a counting allocator records the peak
//! heap in use while a client reads replies of a million tiny list items (`{}`, three bytes each, which
//! would decode into hundreds of megabytes of empty structs) for every list the clients decode, and a
//! page of ten million just under the reply cap. One test in its own binary, so no other test's
//! allocations are counted.

use std::time::Duration;

use dbops_tests::alloc::{Counting, peak_growth};
use dbops_tests::{Reply, Server};
use huaweicloud_dbops::Error;

#[global_allocator]
static GLOBAL: Counting = Counting;

const MIB: usize = 1 << 20;
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";

/// A server answering every request with `count` copies of `item` between `prefix` and `suffix`.
async fn list_server(prefix: &str, item: &str, count: usize, suffix: &str) -> Server {
    let (prefix, item, suffix) = (
        prefix.as_bytes().to_vec(),
        item.as_bytes().to_vec(),
        suffix.as_bytes().to_vec(),
    );
    Server::start(move |_, _| Reply::Repeated {
        prefix: prefix.clone(),
        item: item.clone(),
        count,
        suffix: suffix.clone(),
    })
    .await
}

fn huawei<T>(server: &Server, make: impl Fn(huaweicloud_dbops::ClientConfig) -> Result<T, Error>) -> T {
    make(
        huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new("HWAK", "secret", PROJECT))
            .endpoint(server.url())
            .allow_http(true)
            .total_timeout(Duration::from_secs(120)),
    )
    .unwrap()
}

fn alibaba(server: &Server) -> alibabacloud_dbops::DasClient {
    alibabacloud_dbops::DasClient::new(
        alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new("LTAIAK", "secret"))
            .endpoint(server.url())
            .allow_http(true)
            .total_timeout(Duration::from_secs(120)),
    )
    .unwrap()
}

fn report(what: &str, peak: usize) {
    println!("{what}: peak heap growth {:.1} MiB", peak as f64 / MIB as f64);
}

#[tokio::test(flavor = "current_thread")]
async fn replies_of_a_million_tiny_items_are_refused_before_they_are_decoded() {
    const ITEMS: usize = 1_000_000;
    // 3 MB of body, read in pieces and joined once: twice that at most, plus the client.
    const BOUND: usize = 8 * MIB;
    let cap = dbops_core::http::DEFAULT_MAX_REPLY_ITEMS;

    let server = list_server(r#"{"count":1000000,"processes":["#, "{}", ITEMS, "]}").await;
    let das = huawei(&server, huaweicloud_dbops::DasClient::new);
    let call = das
        .list_processes()
        .instance_id(INSTANCE)
        .db_user_id(DB_USER_ID)
        .limit(20)
        .collect_all(1_000_000);
    let (result, peak) = peak_growth(call).await;
    assert!(
        matches!(result, Err(Error::TooManyItems { cap: c }) if c == cap),
        "{result:?}"
    );
    report("DAS ListProcesses page of 1,000,000 items", peak);
    assert!(peak < BOUND, "peak {peak} bytes");

    let server = list_server(r#"{"total_count":1000000,"sessions":["#, "{}", ITEMS, "]}").await;
    let dds = huawei(&server, huaweicloud_dbops::DdsClient::new);
    let call = dds.list_sessions().node_id("node-1").limit(20).collect_all(1_000_000);
    let (result, peak) = peak_growth(call).await;
    assert!(matches!(result, Err(Error::TooManyItems { .. })), "{result:?}");
    report("DDS ListSessions page of 1,000,000 items", peak);
    assert!(peak < BOUND, "peak {peak} bytes");

    let cases = [
        (
            "Redis session list",
            r#"{"Code":"200","Success":true,"Data":{"Sessions":["#,
            "]}}",
        ),
        (
            "MySQL session list",
            r#"{"Code":"200","Success":true,"Data":{"IsFinish":true,"SessionData":{"SessionList":["#,
            "]}}}",
        ),
        (
            "kill task result",
            r#"{"Code":"200","Success":true,"Data":{"TaskState":"SUCCESS","Result":["#,
            "]}}",
        ),
    ];
    for (what, prefix, suffix) in cases {
        let server = list_server(prefix, "{}", ITEMS, suffix).await;
        let ali = alibaba(&server);
        let (result, peak) = peak_growth(async {
            match what {
                "Redis session list" => ali.get_redis_all_session().instance_id("r-1").send().await.map(drop),
                "MySQL session list" => ali
                    .get_my_sql_all_session_async()
                    .instance_id("rm-1")
                    .send()
                    .await
                    .map(drop),
                _ => ali
                    .get_kill_instance_session_task_result()
                    .instance_id("rm-1")
                    .task_id("t-1")
                    .send()
                    .await
                    .map(drop),
            }
        })
        .await;
        assert!(matches!(result, Err(Error::TooManyItems { .. })), "{what}: {result:?}");
        report(&format!("Alibaba {what} of 1,000,000 items"), peak);
        assert!(peak < BOUND, "{what}: peak {peak} bytes");
    }

    // A page just under the 32 MiB reply cap: ten million items.
    let near_cap = (dbops_core::http::DEFAULT_MAX_REPLY_BYTES - 64) / 3;
    let server = list_server(r#"{"count":1,"processes":["#, "{}", near_cap, "]}").await;
    let das = huawei(&server, huaweicloud_dbops::DasClient::new);
    let call = das.list_processes().instance_id(INSTANCE).db_user_id(DB_USER_ID).send();
    let (result, peak) = peak_growth(call).await;
    assert!(matches!(result, Err(Error::TooManyItems { .. })), "{result:?}");
    report(&format!("DAS ListProcesses page of {near_cap} items (32 MiB)"), peak);
    // The body is held once its pieces are joined (for a moment, pieces and whole): nothing is decoded.
    assert!(peak < 2 * 32 * MIB + 4 * MIB, "peak {peak} bytes");

    // At the item limit, a reply is decoded: what it costs is the items' size, bounded by the limit.
    let item = r#"{"id":"1","user":"u","host":"h","database":"d","command":"Sleep","time":"1","state":"","sql":""}"#;
    let server = list_server(r#"{"count":100000,"processes":["#, item, cap, "]}").await;
    let das = huawei(&server, huaweicloud_dbops::DasClient::new);
    let call = das.list_processes().instance_id(INSTANCE).db_user_id(DB_USER_ID).send();
    let (result, peak) = peak_growth(call).await;
    let page = result.unwrap();
    assert_eq!(page.processes.len(), cap);
    report(&format!("DAS ListProcesses page of {cap} items, decoded"), peak);
    // Each item: its struct, and its eight short strings' heap blocks (a few bytes, rounded up by
    // the allocator, counted here at 16 bytes each); the body (10 MB) on top.
    let struct_size = std::mem::size_of::<huaweicloud_dbops::das::types::Process>();
    let per_item = struct_size + 8 * 16;
    let body = cap * (item.len() + 1);
    assert!(
        peak < cap * per_item + 2 * body + 4 * MIB,
        "peak {peak} bytes, {struct_size} a struct"
    );
    drop(page);
}
