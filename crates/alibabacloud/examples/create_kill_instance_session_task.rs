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

use alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput;
use alibabacloud_dbops::das::types::KillTaskData;
use alibabacloud_dbops::{ClientConfig, DasClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [instance_id, db_user, rest @ ..] = args.as_slice() else {
        return Err("usage: create_kill_instance_session_task <instance_id> <db_user> (all | <session_id>...) [ignore=USER]... [node=NODE_ID]".into());
    };
    let password = std::env::var("DAS_DB_PASSWORD").map_err(|_| "set DAS_DB_PASSWORD")?;
    let mut request = CreateKillInstanceSessionTaskInput::default()
        .instance_id(instance_id)
        .db_user(db_user)
        .db_user_password(password)
        .kill_all_sessions(false);
    for arg in rest {
        match arg.split_once('=') {
            Some(("ignore", v)) => request.ignored_users.push(v.to_string()),
            Some(("node", v)) => request.node_id = Some(v.to_string()),
            _ if arg == "all" => request.kill_all_sessions = Some(true),
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
        .create_kill_instance_session_task()
        .input(request)
        .send()
        .await?;
    let tasks = match reply.data {
        Some(KillTaskData::String(id)) => vec![id],
        Some(KillTaskData::Array(ids)) => ids,
        None => Vec::new(),
    };
    println!(
        "task(s) {} created (request id {})",
        tasks.join(", "),
        reply.request_id.unwrap_or_default()
    );
    Ok(())
}
