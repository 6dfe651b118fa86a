//! Terminate sessions of an RDS / PolarDB for MySQL instance through Alibaba Cloud DAS
//! (`CreateKillInstanceSessionTask`).
//!
//! ```text
//! export ALIBABA_CLOUD_ACCESS_KEY_ID=… ALIBABA_CLOUD_ACCESS_KEY_SECRET=…   # ALIBABA_CLOUD_SECURITY_TOKEN for STS
//! export DAS_DB_PASSWORD=…                       # the database account's password, never on the command line
//! export ALIBABA_CLOUD_DAS_ENDPOINT=http://127.0.0.1:8080   # optional override (default https://das.cn-shanghai.aliyuncs.com)
//! cargo run -p alibabacloud-dbops --example create_kill_instance_session_task -- \
//!     <instance_id> <db_user> (all | <session_id>...) [ignore=USER]... [node=NODE_ID]
//! ```

use alibabacloud_dbops::das::types::CreateKillInstanceSessionTaskRequest;
use alibabacloud_dbops::{ClientConfig, DasClient, SecretString};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [instance_id, db_user, rest @ ..] = args.as_slice() else {
        return Err("usage: create_kill_instance_session_task <instance_id> <db_user> (all | <session_id>...) [ignore=USER]... [node=NODE_ID]".into());
    };
    let password = std::env::var("DAS_DB_PASSWORD").map_err(|_| "set DAS_DB_PASSWORD")?;
    let mut request = CreateKillInstanceSessionTaskRequest {
        instance_id: instance_id.clone(),
        node_id: None,
        db_user: db_user.clone(),
        db_user_password: SecretString::new(password),
        ignored_users: Vec::new(),
        kill_all_sessions: false,
        session_ids: Vec::new(),
    };
    for arg in rest {
        match arg.split_once('=') {
            Some(("ignore", v)) => request.ignored_users.push(v.to_string()),
            Some(("node", v)) => request.node_id = Some(v.to_string()),
            _ if arg == "all" => request.kill_all_sessions = true,
            _ => request
                .session_ids
                .push(arg.parse().map_err(|_| format!("`{arg}` is not a session id"))?),
        }
    }
    let mut config = ClientConfig::from_env()?;
    if let Ok(endpoint) = std::env::var("ALIBABA_CLOUD_DAS_ENDPOINT") {
        config = config.allow_http(endpoint.starts_with("http://")).endpoint(endpoint);
    }
    let reply = DasClient::new(config)?
        .create_kill_instance_session_task(request)
        .await?;
    println!(
        "task {} created (request id {})",
        reply.data.unwrap_or_default(),
        reply.request_id.unwrap_or_default()
    );
    Ok(())
}
