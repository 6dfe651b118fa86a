//! Kill MongoDB sessions on a node through Huawei Cloud DDS (`DeleteSession`).
//!
//! ```text
//! export HUAWEICLOUD_SDK_AK=… HUAWEICLOUD_SDK_SK=… HUAWEICLOUD_SDK_PROJECT_ID=…   # HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary AK/SK
//! export HUAWEICLOUD_SDK_REGION=ap-southeast-1    # or HUAWEICLOUD_SDK_ENDPOINT=https://… (http:// is accepted for local test servers)
//! cargo run -p huaweicloud-dbops --example delete_session -- <node_id> <session_id>...
//! ```

use huaweicloud_dbops::{ClientConfig, DdsClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [node_id, sessions @ ..] = args.as_slice() else {
        return Err("usage: delete_session <node_id> <session_id>...".into());
    };
    let mut config = ClientConfig::from_env()?;
    match std::env::var("HUAWEICLOUD_SDK_ENDPOINT") {
        Ok(endpoint) => config = config.allow_http(endpoint.starts_with("http://")).endpoint(endpoint),
        Err(_) => {
            config = config.region(
                std::env::var("HUAWEICLOUD_SDK_REGION")
                    .map_err(|_| "set HUAWEICLOUD_SDK_REGION or HUAWEICLOUD_SDK_ENDPOINT")?,
            )
        }
    }
    let client = DdsClient::new(config)?;
    client
        .delete_session()
        .node_id(node_id)
        .sessions(sessions)
        .send()
        .await?;
    println!("{} session(s) killed on node {node_id}", sessions.len());
    Ok(())
}
