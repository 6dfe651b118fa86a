//! Signing one request of each operation (the per-attempt cost: date, nonce and signature headers on a
//! ready request), the pure signers alone, and building each request from the typed input up to the
//! signed request without sending it (validation, wire form, signing, and the masked dry-run copy).

mod common;

use std::time::SystemTime;

use common::*;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dbops_core::signing::SigningKey;

fn signing(c: &mut Criterion) {
    let endpoint = "https://bench.example.com";
    let now = SystemTime::now();
    let hw_key = SigningKey::new(HW_SK);
    let ali_key = SigningKey::new(ALI_SECRET);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // Each request is brought to its wire form by the client's own dry run, then signed here as the
    // runtime signs each attempt.
    let das_client = huaweicloud_dbops::DasClient::new(huawei_config(endpoint)).unwrap();
    let dds_client = huaweicloud_dbops::DdsClient::new(huawei_config(endpoint)).unwrap();
    let ali_client = alibabacloud_dbops::DasClient::new(alibaba_config(endpoint)).unwrap();
    let (das, dds, ali) = (&das_client, &dds_client, &ali_client);
    let das_dry = rt
        .block_on(async {
            das.delete_process()
                .input(process_body())
                .instance_id(INSTANCE)
                .dry_run()
                .await
        })
        .unwrap();
    let das_req = unsigned(&das_dry);
    let dds_req = unsigned(
        &rt.block_on(async { dds.delete_session().input(session_body()).node_id(NODE).dry_run().await })
            .unwrap(),
    );
    let task_req = unsigned(
        &rt.block_on(async {
            ali.create_kill_instance_session_task()
                .input(task_request())
                .dry_run()
                .await
        })
        .unwrap(),
    );
    let all_req = unsigned(
        &rt.block_on(async { ali.kill_instance_all_session().input(all_request()).dry_run().await })
            .unwrap(),
    );

    let mut g = c.benchmark_group("sign");
    g.bench_function("DeleteProcess", |b| {
        b.iter_batched(
            || das_req.try_clone().unwrap(),
            |mut r| {
                sign_huawei(&mut r, &hw_key, now);
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("DeleteSession", |b| {
        b.iter_batched(
            || dds_req.try_clone().unwrap(),
            |mut r| {
                sign_huawei(&mut r, &hw_key, now);
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("CreateKillInstanceSessionTask", |b| {
        b.iter_batched(
            || task_req.try_clone().unwrap(),
            |mut r| {
                sign_alibaba(&mut r, &ali_key, now, "3156853299f313e23d1673dc12e1703d");
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("KillInstanceAllSession", |b| {
        b.iter_batched(
            || all_req.try_clone().unwrap(),
            |mut r| {
                sign_alibaba(&mut r, &ali_key, now, "3156853299f313e23d1673dc12e1703d");
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("signer");
    let body = das_dry.body.clone().unwrap_or_default().into_bytes();
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
    let query: Vec<(String, String)> = task_req.url().query_pairs().into_owned().collect();
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

    let mut g = c.benchmark_group("build");
    g.bench_function("DeleteProcess", |b| {
        b.to_async(&rt).iter(move || async move {
            das.delete_process()
                .input(process_body())
                .instance_id(INSTANCE)
                .dry_run()
                .await
        })
    });
    g.bench_function("DeleteSession", |b| {
        b.to_async(&rt)
            .iter(move || async move { dds.delete_session().input(session_body()).node_id(NODE).dry_run().await })
    });
    g.bench_function("CreateKillInstanceSessionTask", |b| {
        b.to_async(&rt).iter(move || async move {
            ali.create_kill_instance_session_task()
                .input(task_request())
                .dry_run()
                .await
        })
    });
    g.bench_function("KillInstanceAllSession", |b| {
        b.to_async(&rt)
            .iter(move || async move { ali.kill_instance_all_session().input(all_request()).dry_run().await })
    });
    g.finish();
}

criterion_group!(benches, signing);
criterion_main!(benches);
