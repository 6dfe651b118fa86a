//! Memory over many calls: 100,000 sequential calls through one client against a local responder,
//! resident set size (and its peak) read at 10,000 and at 100,000 calls. Flat means no per-call leak.
//! Run with `cargo bench -p dbops-tests --bench memory`.

mod common;

use common::*;
use dbops_tests::{Reply, Server};

const CHECKPOINTS: [usize; 2] = [10_000, 100_000];

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let huawei = Server::responder(Reply::empty(200)).await;
        let das = huaweicloud_dbops::DasClient::new(huawei_config(&huawei.url())).unwrap();
        let mut done = 0;
        for checkpoint in CHECKPOINTS {
            while done < checkpoint {
                das.delete_process()
                    .input(process_body())
                    .instance_id(INSTANCE)
                    .send()
                    .await
                    .unwrap();
                done += 1;
            }
            let (rss, peak) = rss_kib();
            println!("Huawei DAS DeleteProcess after {done:>7} calls: RSS {rss:>6} KiB, peak RSS {peak:>6} KiB");
        }

        let alibaba = Server::responder(Reply::json(200, TASK_OK)).await;
        let ali = alibabacloud_dbops::DasClient::new(alibaba_config(&alibaba.url())).unwrap();
        let mut done = 0;
        for checkpoint in CHECKPOINTS {
            while done < checkpoint {
                ali.create_kill_instance_session_task()
                    .input(task_request())
                    .send()
                    .await
                    .unwrap();
                done += 1;
            }
            let (rss, peak) = rss_kib();
            println!(
                "Alibaba CreateKillInstanceSessionTask after {done:>7} calls: RSS {rss:>6} KiB, peak RSS {peak:>6} KiB"
            );
        }
    });
}
