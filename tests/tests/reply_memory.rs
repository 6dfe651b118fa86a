//! Memory stays bounded by the reply cap: a counting allocator records the peak heap in use while a
//! client reads a 200 MB reply (success and error, with and without a declared length). One test in its
//! own binary, so no other test's allocations are counted.

use std::time::Duration;

use dbops_tests::alloc::{Counting, peak_growth};
use dbops_tests::{Reply, Server};
use huaweicloud_dbops::{Error, RetryPolicy};

#[global_allocator]
static GLOBAL: Counting = Counting;

const MIB: usize = 1 << 20;
const CAP: usize = 8 * MIB;
const REPLY: u64 = 200_000_000;

#[tokio::test(flavor = "current_thread")]
async fn a_200_mb_reply_costs_about_the_cap_in_memory() {
    let huge = |status: u16, prefix: &[u8], declared: bool| {
        let prefix = prefix.to_vec();
        move |_: &dbops_tests::RawRequest, _| Reply::Huge {
            status,
            prefix: prefix.clone(),
            fill: b'x',
            len: REPLY,
            declared,
        }
    };
    // The local server shares the heap; it holds one 64 KiB block per connection, inside the margin.
    for declared in [false, true] {
        let ok = Server::start(huge(200, br#"{"Code":"200","Data":""#, declared)).await;
        let ali = alibabacloud_dbops::DasClient::new(
            alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new("LTAIAK", "secret"))
                .endpoint(ok.url())
                .allow_http(true)
                .total_timeout(Duration::from_secs(60))
                .max_reply_bytes(CAP),
        )
        .unwrap();
        let (result, peak) = peak_growth(ali.kill_instance_all_session().instance_id("r-1").send()).await;
        assert!(
            matches!(
                result,
                Err(Error::ReplyTooLarge {
                    status: 200,
                    limit: CAP
                })
            ),
            "{result:?}"
        );
        println!(
            "Alibaba 200 reply of 200 MB, declared length {declared}: peak heap growth {:.1} MiB (cap {} MiB)",
            peak as f64 / MIB as f64,
            CAP / MIB
        );
        assert!(peak < CAP + 4 * MIB, "peak {peak} bytes");

        let err = Server::start(huge(500, br#"{"error_code":"DBS.1","error_msg":""#, declared)).await;
        let das = huaweicloud_dbops::DasClient::new(
            huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new(
                "HWAK",
                "secret",
                "054e292c9880d4992f02c0196d3ea468",
            ))
            .endpoint(err.url())
            .allow_http(true)
            .retry(RetryPolicy::none())
            .max_reply_bytes(CAP),
        )
        .unwrap();
        let call = das
            .delete_process()
            .instance_id("da304cd5bbb944de828759bc7be3d3fein01")
            .db_user_id("2c250598-1e3c-4d31-bc19-be1d866247e6")
            .user("app")
            .send();
        let (result, peak) = peak_growth(call).await;
        let Err(Error::Service(e)) = &result else {
            panic!("{result:?}")
        };
        assert_eq!(e.status, 500);
        println!(
            "Huawei 500 reply of 200 MB, declared length {declared}: peak heap growth {:.1} MiB",
            peak as f64 / MIB as f64
        );
        assert!(peak < 4 * MIB, "peak {peak} bytes");
    }
}
