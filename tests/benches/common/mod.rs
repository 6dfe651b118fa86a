//! Shared fixtures of the benchmarks: one representative request per operation, and clients for them.
#![allow(dead_code)]

use alibabacloud_dbops::das::types as ali;
use huaweicloud_dbops::das::types as das;
use huaweicloud_dbops::dds::types as dds;

pub const HW_AK: &str = "HWBENCHACCESSKEY000001";
pub const HW_SK: &str = "hw-bench-secret-key";
pub const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
pub const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
pub const NODE: &str = "520c58ba00a3497e97ce0b9604874dd6no02";
pub const ALI_AK: &str = "LTAIBENCHACCESSKEY01";
pub const ALI_SECRET: &str = "ali-bench-secret";
pub const TASK_OK: &str = r#"{"Code":200,"Message":"Successful","Data":"f77d535b45405bd462b21caa3ee8****","RequestId":"B6D17591-B48B-4D31-9CD6-9B9796B2****","Success":true}"#;
pub const ALL_OK: &str = r#"{"Code":"200","Message":"Successful","Data":"None","RequestId":"B6D17591-B48B-4D31-9CD6-9B9796B2****","Success":"true"}"#;

pub fn process_body() -> das::DeleteProcessReqBody {
    das::DeleteProcessReqBody {
        db_user_id: "2c250598-1e3c-4d31-bc19-be1d866247e6".into(),
        database: Some("example".into()),
        user: Some("aaa".into()),
        process_ids: vec!["11212".into(), "3423222".into()],
    }
}

pub fn session_body() -> dds::DeleteSessionRequestBody {
    dds::DeleteSessionRequestBody {
        sessions: vec!["34631".into(), "34703".into()],
    }
}

pub fn task_request() -> ali::CreateKillInstanceSessionTaskRequest {
    ali::CreateKillInstanceSessionTaskRequest {
        instance_id: "rm-2ze8g2am97624****".into(),
        node_id: Some("pi-bp1v203xzzh0a****".into()),
        db_user: "testUser".into(),
        db_user_password: alibabacloud_dbops::SecretString::new("testPassword"),
        ignored_users: vec!["db_user1".into(), "db_user2".into()],
        kill_all_sessions: false,
        session_ids: vec![10805639, 10805623, 10805645, 10805553, 10805566, 10805616],
    }
}

pub fn all_request() -> ali::KillInstanceAllSessionRequest {
    ali::KillInstanceAllSessionRequest {
        instance_id: "r-8vbcyr4sw0c4yc****".into(),
        console_context: None,
    }
}

pub fn huawei_config(endpoint: &str) -> huaweicloud_dbops::ClientConfig {
    huaweicloud_dbops::ClientConfig::new(huaweicloud_dbops::Credentials::new(HW_AK, HW_SK, PROJECT))
        .endpoint(endpoint)
        .allow_http(true)
}

pub fn alibaba_config(endpoint: &str) -> alibabacloud_dbops::ClientConfig {
    alibabacloud_dbops::ClientConfig::new(alibabacloud_dbops::Credentials::new(ALI_AK, ALI_SECRET))
        .endpoint(endpoint)
        .allow_http(true)
}

/// The resident set size and its peak, in KiB, from /proc/self/status.
pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
