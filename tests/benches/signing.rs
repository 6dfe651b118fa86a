//! Signing one request of each operation (the per-attempt cost: date, token and signature headers on a
//! ready request), the pure signers alone, and building each request from the typed value up to the
//! signed request without sending it (validation, wire form, signing, and the masked dry-run copy).

mod common;

use std::time::SystemTime;

use common::*;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use progenitor_client::ClientInfo;

fn signing(c: &mut Criterion) {
    let endpoint = "https://bench.example.com";
    let now = SystemTime::now();

    // Each request is brought to its wire form by the runtime's own pre-send step, then signed.
    let das_client = huaweicloud_dbops::DasClient::new(huawei_config(endpoint)).unwrap();
    let das_rt = das_client.raw().inner();
    let mut das_req = reqwest::Client::new()
        .delete(format!("{endpoint}/v3/{PROJECT}/instances/{INSTANCE}/process"))
        .json(&process_body())
        .build()
        .unwrap();
    das_rt
        .pre::<huaweicloud_dbops::das::types::DeleteProcessReqBody>(
            &mut das_req,
            Some(&huaweicloud_dbops::das::meta::DELETE_PROCESS),
        )
        .unwrap();

    let dds_client = huaweicloud_dbops::DdsClient::new(huawei_config(endpoint)).unwrap();
    let dds_rt = dds_client.raw().inner();
    let mut dds_req = reqwest::Client::new()
        .post(format!("{endpoint}/v3/{PROJECT}/nodes/{NODE}/session"))
        .json(&session_body())
        .build()
        .unwrap();
    dds_rt
        .pre::<huaweicloud_dbops::dds::types::DeleteSessionRequestBody>(
            &mut dds_req,
            Some(&huaweicloud_dbops::dds::meta::DELETE_SESSION),
        )
        .unwrap();

    let ali_client = alibabacloud_dbops::DasClient::new(alibaba_config(endpoint)).unwrap();
    let ali_rt = ali_client.raw().inner();
    let mut task_req = reqwest::Client::new()
        .post(format!("{endpoint}/CreateKillInstanceSessionTask"))
        .json(&task_request())
        .build()
        .unwrap();
    ali_rt
        .pre::<alibabacloud_dbops::das::types::CreateKillInstanceSessionTaskRequest>(
            &mut task_req,
            Some(&alibabacloud_dbops::das::meta::CREATE_KILL_INSTANCE_SESSION_TASK),
        )
        .unwrap();
    let mut all_req = reqwest::Client::new()
        .post(format!("{endpoint}/KillInstanceAllSession"))
        .json(&all_request())
        .build()
        .unwrap();
    ali_rt
        .pre::<alibabacloud_dbops::das::types::KillInstanceAllSessionRequest>(
            &mut all_req,
            Some(&alibabacloud_dbops::das::meta::KILL_INSTANCE_ALL_SESSION),
        )
        .unwrap();

    let mut g = c.benchmark_group("sign");
    g.bench_function("DeleteProcess", |b| {
        b.iter_batched(
            || das_req.try_clone().unwrap(),
            |mut r| {
                das_rt.sign(&mut r, now);
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("DeleteSession", |b| {
        b.iter_batched(
            || dds_req.try_clone().unwrap(),
            |mut r| {
                dds_rt.sign(&mut r, now);
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("CreateKillInstanceSessionTask", |b| {
        b.iter_batched(
            || task_req.try_clone().unwrap(),
            |mut r| {
                ali_rt.sign(&mut r, now, "3156853299f313e23d1673dc12e1703d");
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("KillInstanceAllSession", |b| {
        b.iter_batched(
            || all_req.try_clone().unwrap(),
            |mut r| {
                ali_rt.sign(&mut r, now, "3156853299f313e23d1673dc12e1703d");
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("signer");
    let hw_key = dbops_core::signing::SigningKey::new(HW_SK);
    let ali_key = dbops_core::signing::SigningKey::new(ALI_SECRET);
    let body = serde_json::to_vec(&process_body()).unwrap();
    let path = format!("/v3/{PROJECT}/instances/{INSTANCE}/process");
    let headers = [
        ("accept", "application/json"),
        ("content-type", "application/json"),
        ("host", "das.cn-north-4.myhuaweicloud.com"),
        ("x-project-id", PROJECT),
        ("x-sdk-date", "20251126T101500Z"),
    ];
    g.bench_function("SDK-HMAC-SHA256 DeleteProcess", |b| {
        b.iter(|| {
            let req = huaweicloud_dbops::signer::SignableRequest {
                method: "DELETE",
                path: &path,
                query: &[],
                headers: &headers,
                body: &body,
            };
            huaweicloud_dbops::signer::sign_with(&req, &hw_key, "20251126T101500Z")
        })
    });
    let query = alibabacloud_dbops::runtime::rpc_parameters(&task_request());
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ali_headers = [
        ("host", "das.cn-shanghai.aliyuncs.com"),
        ("x-acs-action", "CreateKillInstanceSessionTask"),
        ("x-acs-version", "2020-01-16"),
        ("x-acs-date", "2025-11-26T10:15:00Z"),
        ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
        ("x-acs-content-sha256", alibabacloud_dbops::signer::EMPTY_SHA256),
    ];
    g.bench_function("ACS3-HMAC-SHA256 CreateKillInstanceSessionTask", |b| {
        b.iter(|| {
            let req = alibabacloud_dbops::signer::SignableRequest {
                method: "POST",
                path: "/",
                query: alibabacloud_dbops::signer::Query::Pairs(&query),
                headers: &ali_headers,
                hashed_payload: alibabacloud_dbops::signer::EMPTY_SHA256,
            };
            alibabacloud_dbops::signer::sign_with(&req, &ali_key)
        })
    });
    g.finish();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("build");
    g.bench_function("DeleteProcess", |b| {
        b.to_async(&rt)
            .iter(|| das_client.delete_process_dry_run(INSTANCE, process_body()))
    });
    g.bench_function("DeleteSession", |b| {
        b.to_async(&rt)
            .iter(|| dds_client.delete_session_dry_run(NODE, session_body()))
    });
    g.bench_function("CreateKillInstanceSessionTask", |b| {
        b.to_async(&rt)
            .iter(|| ali_client.create_kill_instance_session_task_dry_run(task_request()))
    });
    g.bench_function("KillInstanceAllSession", |b| {
        b.to_async(&rt)
            .iter(|| ali_client.kill_instance_all_session_dry_run(all_request()))
    });
    g.finish();
}

criterion_group!(benches, signing);
criterion_main!(benches);
