//! Shared fixtures of the benchmarks: one representative request per operation, and clients for them.
#![allow(dead_code)]

use std::time::SystemTime;

use alibabacloud_dbops::das::{CreateKillInstanceSessionTaskInput, KillInstanceAllSessionInput};
use dbops_core::PreparedRequest;
use dbops_core::signing::SigningKey;
use dbops_core::time::UtcDateTime;
use huaweicloud_dbops::das::DeleteProcessInput;
use huaweicloud_dbops::dds::DeleteSessionInput;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

pub const HW_AK: &str = "HWBENCHACCESSKEY000001";
pub const HW_SK: &str = "hw-bench-secret-key";
pub const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
pub const INSTANCE: &str = "da304cd5bbb944de828759bc7be3d3fein01";
pub const NODE: &str = "520c58ba00a3497e97ce0b9604874dd6no02";
pub const ALI_AK: &str = "LTAIBENCHACCESSKEY01";
pub const ALI_SECRET: &str = "ali-bench-secret";
/// The database password of [`task_request`].
pub const DB_USER_ID: &str = "2c250598-1e3c-4d31-bc19-be1d866247e6";

/// A `ListProcesses` reply holding `n` processes, as the service writes them.
pub fn process_page(n: usize) -> String {
    let processes: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({"id": (11212 + i).to_string(), "user": "app", "host": format!("192.168.0.{i}:52376"),
                "database": "orders", "command": "Query", "time": (30 + i).to_string(), "state": "Sending data",
                "sql": format!("select * from orders where customer_id = {i} and created_at > now() - interval 1 day"),
                "trx_executed_time": "12"})
        })
        .collect();
    serde_json::json!({"processes": processes, "count": n}).to_string()
}

pub const TASK_PASSWORD: &str = "testPassword";
pub const TASK_OK: &str = r#"{"Code":200,"Message":"Successful","Data":"f77d535b45405bd462b21caa3ee8****","RequestId":"B6D17591-B48B-4D31-9CD6-9B9796B2****","Success":true}"#;
pub const ALL_OK: &str = r#"{"Code":"200","Message":"Successful","Data":"None","RequestId":"B6D17591-B48B-4D31-9CD6-9B9796B2****","Success":"true"}"#;

/// `DeleteProcess` without its instance id (given at the call, [`INSTANCE`]).
pub fn process_body() -> DeleteProcessInput {
    DeleteProcessInput::default()
        .db_user_id("2c250598-1e3c-4d31-bc19-be1d866247e6")
        .database("example")
        .user("aaa")
        .process_ids(["11212", "3423222"])
}

/// `DeleteSession` without its node id (given at the call, [`NODE`]).
pub fn session_body() -> DeleteSessionInput {
    DeleteSessionInput::default().sessions(["34631", "34703"])
}

pub fn task_request() -> CreateKillInstanceSessionTaskInput {
    CreateKillInstanceSessionTaskInput::default()
        .instance_id("rm-2ze8g2am97624****")
        .node_id("pi-bp1v203xzzh0a****")
        .db_user("testUser")
        .db_user_password(TASK_PASSWORD)
        .ignored_users(["db_user1", "db_user2"])
        .kill_all_sessions(false)
        .session_ids([10805639, 10805623, 10805645, 10805553, 10805566, 10805616])
}

pub fn all_request() -> KillInstanceAllSessionInput {
    KillInstanceAllSessionInput::default().instance_id("r-8vbcyr4sw0c4yc****")
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

/// The headers a signing adds, Huawei's and Alibaba's.
const SIGNATURE_HEADERS: [&str; 6] = [
    "authorization",
    "x-sdk-date",
    "x-security-token",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-security-token",
];

/// The request a dry run shows, as it is before each attempt's signing: the runtime's wire form (its
/// method, URL, headers and body), without the headers the signing adds, the masked password put back.
pub fn unsigned(dry: &PreparedRequest) -> reqwest::Request {
    let url = dry
        .url
        .replace("DbUserPassword=***", &format!("DbUserPassword={TASK_PASSWORD}"));
    let mut request = reqwest::Request::new(dry.method.parse().unwrap(), url.parse().unwrap());
    for (name, value) in dry
        .headers
        .iter()
        .filter(|(name, _)| !SIGNATURE_HEADERS.contains(&name.as_str()))
    {
        request.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    if let Some(body) = &dry.body {
        *request.body_mut() = Some(body.clone().into());
    }
    request
}

/// What the Huawei runtime does to each attempt with AK/SK credentials: `X-Sdk-Date` for `now`, then
/// the SDK-HMAC-SHA256 `Authorization` over the request.
pub fn sign_huawei(request: &mut reqwest::Request, key: &SigningKey, now: SystemTime) {
    let date = UtcDateTime::from_system(now).basic_stamp();
    request.headers_mut().insert("x-sdk-date", date.header_value());
    let authorization = huaweicloud_dbops::runtime::authorization(request, HW_AK, key, date.as_str());
    let mut value = HeaderValue::try_from(authorization).unwrap();
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
}

/// What the Alibaba runtime does to each attempt: `x-acs-date` for `now`, the nonce, then the
/// ACS3-HMAC-SHA256 `Authorization` over the request.
pub fn sign_alibaba(request: &mut reqwest::Request, key: &SigningKey, now: SystemTime, nonce: &str) {
    let date = UtcDateTime::from_system(now).extended_stamp();
    let headers = request.headers_mut();
    headers.insert("x-acs-date", date.header_value());
    headers.insert("x-acs-signature-nonce", HeaderValue::from_str(nonce).unwrap());
    let authorization = alibabacloud_dbops::runtime::authorization(request, ALI_AK, key);
    let mut value = HeaderValue::try_from(authorization).unwrap();
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
}
