//! Terminate all sessions of an ApsaraDB for Redis instance through Alibaba Cloud DAS
//! (`KillInstanceAllSession`).
//!
//! ```text
//! export ALIBABA_CLOUD_ACCESS_KEY_ID=… ALIBABA_CLOUD_ACCESS_KEY_SECRET=…   # ALIBABA_CLOUD_SECURITY_TOKEN for STS
//! export ALIBABA_CLOUD_DAS_ENDPOINT=http://127.0.0.1:8080   # optional override (default https://das.cn-shanghai.aliyuncs.com)
//! cargo run -p alibabacloud-dbops --example kill_instance_all_session -- <instance_id>
//! ```

use alibabacloud_dbops::{ClientConfig, DasClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(instance_id) = std::env::args().nth(1) else {
        return Err("usage: kill_instance_all_session <instance_id>".into());
    };
    let mut config = ClientConfig::from_env()?;
    if let Ok(endpoint) = std::env::var("ALIBABA_CLOUD_DAS_ENDPOINT") {
        config = config.allow_http(endpoint.starts_with("http://")).endpoint(endpoint);
    }
    let reply = DasClient::new(config)?
        .kill_instance_all_session()
        .instance_id(&instance_id)
        .send()
        .await?;
    println!(
        "all sessions of {instance_id} terminated (request id {})",
        reply.request_id.unwrap_or_default()
    );
    Ok(())
}
