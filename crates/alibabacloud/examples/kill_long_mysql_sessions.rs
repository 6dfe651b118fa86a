//! Find the sessions of a MySQL user that have run for at least N seconds on an ApsaraDB RDS or PolarDB
//! instance, show them, kill them and report each session's outcome through Alibaba Cloud DAS:
//! `GetMySQLAllSessionAsync` (waited for), `CreateKillInstanceSessionTask`, then
//! `GetKillInstanceSessionTaskResult` (waited for, per node).
//!
//! ```text
//! export ALIBABA_CLOUD_ACCESS_KEY_ID=… ALIBABA_CLOUD_ACCESS_KEY_SECRET=…
//! export ALIBABA_CLOUD_DAS_ENDPOINT=http://127.0.0.1:8080   # optional (default das.cn-shanghai.aliyuncs.com)
//! export DAS_DB_USER=admin DAS_DB_PASSWORD=…              # an account allowed to kill sessions
//! cargo run -p alibabacloud-dbops --example kill_long_mysql_sessions -- <instance_id> <user> <seconds> [--yes]
//! ```

use std::time::Duration;

use alibabacloud_dbops::{ClientConfig, DasClient, WaitPolicy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [instance_id, user, seconds, rest @ ..] = args.as_slice() else {
        return Err("usage: kill_long_mysql_sessions <instance_id> <user> <seconds> [--yes]".into());
    };
    let min_seconds: i64 = seconds.parse().map_err(|_| "seconds: a whole number")?;
    let yes = rest.iter().any(|a| a == "--yes");
    let mut config = ClientConfig::from_env()?;
    if let Ok(endpoint) = std::env::var("ALIBABA_CLOUD_DAS_ENDPOINT") {
        config = config.allow_http(endpoint.starts_with("http://")).endpoint(endpoint);
    }
    let das = DasClient::new(config)?;
    let wait = WaitPolicy::default().timeout(Duration::from_secs(60));

    let reply = das
        .get_my_sql_all_session_async()
        .instance_id(instance_id)
        .wait(wait.clone())
        .await?;
    let sessions = reply
        .data
        .and_then(|d| d.session_data)
        .map(|s| s.session_list)
        .unwrap_or_default();
    let victims: Vec<_> = sessions
        .iter()
        .filter(|s| s.user.as_deref() == Some(user.as_str()))
        .filter(|s| s.time.is_some_and(|t| t >= min_seconds))
        .filter(|s| {
            !matches!(
                s.command.as_deref(),
                Some("Binlog Dump" | "Binlog Dump GTID" | "Daemon")
            )
        })
        .collect();
    println!(
        "{} of {} session(s) of `{user}` have run for {min_seconds} s or more:",
        victims.len(),
        sessions.len()
    );
    for s in &victims {
        println!(
            "  id {:>10}  {:>6} s  {:<8} {}",
            s.session_id.unwrap_or_default(),
            s.time.unwrap_or_default(),
            s.command.as_deref().unwrap_or(""),
            s.sql_text.as_deref().unwrap_or("").chars().take(60).collect::<String>()
        );
    }
    if victims.is_empty() {
        return Ok(());
    }
    if !yes {
        println!("not killed: run again with --yes to kill them");
        return Ok(());
    }
    let ids: Vec<u64> = victims
        .iter()
        .filter_map(|s| s.session_id)
        .filter_map(|id| u64::try_from(id).ok())
        .collect();
    let input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
        .instance_id(instance_id)
        .db_user(std::env::var("DAS_DB_USER").map_err(|_| "set DAS_DB_USER")?)
        .db_user_password(std::env::var("DAS_DB_PASSWORD").map_err(|_| "set DAS_DB_PASSWORD")?)
        .kill_all_sessions(false)
        .session_ids(ids);
    for outcome in das.kill_sessions(input, wait).await? {
        println!("task {}: {}", outcome.task_id, outcome.state().unwrap_or("?"));
        for s in outcome.sessions() {
            println!(
                "  id {:>10}  {}",
                s.id.unwrap_or_default(),
                s.reason.as_deref().unwrap_or("?")
            );
        }
    }
    Ok(())
}
