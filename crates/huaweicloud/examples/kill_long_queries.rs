//! Find the MySQL sessions of a user that have run for at least N seconds, show them, kill them and
//! report what was killed, through Huawei Cloud DAS: `ListDbUsers` / `RegisterDbUser` for the DAS
//! connection, `ListProcesses` (every page), `DeleteProcess`.
//!
//! ```text
//! export HUAWEICLOUD_SDK_AK=… HUAWEICLOUD_SDK_SK=… HUAWEICLOUD_SDK_PROJECT_ID=…
//! export HUAWEICLOUD_SDK_REGION=cn-north-4          # or HUAWEICLOUD_SDK_ENDPOINT=http://127.0.0.1:8080
//! export DAS_DB_USER=root DAS_DB_PASSWORD=…         # the account DAS connects with (registered if new)
//! cargo run -p huaweicloud-dbops --example kill_long_queries -- <instance_id> <user> <seconds> [--yes]
//! ```
//!
//! Against the local gateway (`cargo run -p dbops-tests --bin local-gateway -- huawei 8080 <sk>`), the
//! sessions are the documented examples.

use huaweicloud_dbops::{ClientConfig, DasClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [instance_id, user, seconds, rest @ ..] = args.as_slice() else {
        return Err("usage: kill_long_queries <instance_id> <user> <seconds> [--yes]".into());
    };
    let min_seconds: u64 = seconds.parse().map_err(|_| "seconds: a whole number")?;
    let yes = rest.iter().any(|a| a == "--yes");
    let mut config = ClientConfig::from_env()?;
    config = match std::env::var("HUAWEICLOUD_SDK_ENDPOINT") {
        Ok(endpoint) => config.allow_http(endpoint.starts_with("http://")).endpoint(endpoint),
        Err(_) => config.region(std::env::var("HUAWEICLOUD_SDK_REGION")?),
    };
    let das = DasClient::new(config)?;

    // The DAS connection (`db_user_id`) of the database account, registered if there is none yet.
    let db_user = std::env::var("DAS_DB_USER").map_err(|_| "set DAS_DB_USER")?;
    let known = das
        .list_db_users()
        .instance_id(instance_id)
        .db_username(&db_user)
        .collect_all(1_000)
        .await?;
    let db_user_id = match known.into_iter().find_map(|u| u.db_user_id) {
        Some(id) => id,
        None => {
            let password = std::env::var("DAS_DB_PASSWORD").map_err(|_| "set DAS_DB_PASSWORD")?;
            das.register_db_user()
                .instance_id(instance_id)
                .db_username(&db_user)
                .db_user_password(password)
                .datastore_type("MySQL")
                .send()
                .await?
                .db_user_id
                .ok_or("RegisterDbUser returned no db_user_id")?
        }
    };

    let processes = das
        .list_processes()
        .instance_id(instance_id)
        .db_user_id(&db_user_id)
        .user(user)
        .limit(100)
        .collect_all(10_000)
        .await?;
    let victims: Vec<_> = processes
        .iter()
        .filter(|p| p.user.as_deref() == Some(user.as_str()))
        .filter(|p| {
            p.time
                .as_deref()
                .and_then(|t| t.parse::<u64>().ok())
                .is_some_and(|t| t >= min_seconds)
        })
        .filter(|p| {
            !matches!(
                p.command.as_deref(),
                Some("Binlog Dump" | "Binlog Dump GTID" | "Daemon")
            )
        })
        .collect();
    println!(
        "{} of {} session(s) of `{user}` have run for {min_seconds} s or more:",
        victims.len(),
        processes.len()
    );
    for p in &victims {
        println!(
            "  id {:>8}  {:>6} s  {:<10} {}",
            p.id.as_deref().unwrap_or("?"),
            p.time.as_deref().unwrap_or("?"),
            p.command.as_deref().unwrap_or(""),
            p.sql.as_deref().unwrap_or("").chars().take(60).collect::<String>()
        );
    }
    if victims.is_empty() {
        return Ok(());
    }
    if !yes {
        println!("not killed: run again with --yes to kill them");
        return Ok(());
    }
    let ids: Vec<String> = victims.iter().filter_map(|p| p.id.clone()).collect();
    das.delete_process()
        .instance_id(instance_id)
        .db_user_id(&db_user_id)
        .process_ids(ids.clone())
        .send()
        .await?;
    println!("killed {} session(s): {}", ids.len(), ids.join(", "));
    Ok(())
}
