//! Find the operations of a MongoDB user on a DDS node that have run for at least N seconds, show them,
//! kill them and report what was killed: `ListSessions` (every page, filtered by running time),
//! `DeleteSession`.
//!
//! ```text
//! export HUAWEICLOUD_SDK_AK=… HUAWEICLOUD_SDK_SK=… HUAWEICLOUD_SDK_PROJECT_ID=…
//! export HUAWEICLOUD_SDK_REGION=cn-north-4          # or HUAWEICLOUD_SDK_ENDPOINT=http://127.0.0.1:8080
//! cargo run -p huaweicloud-dbops --example kill_long_mongo_ops -- <node_id> <user|-> <seconds> [--yes]
//! ```

use huaweicloud_dbops::{ClientConfig, DdsClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [node_id, user, seconds, rest @ ..] = args.as_slice() else {
        return Err("usage: kill_long_mongo_ops <node_id> <user> <seconds> [--yes]".into());
    };
    let min_seconds: u64 = seconds.parse().map_err(|_| "seconds: a whole number")?;
    let yes = rest.iter().any(|a| a == "--yes");
    let mut config = ClientConfig::from_env()?;
    config = match std::env::var("HUAWEICLOUD_SDK_ENDPOINT") {
        Ok(endpoint) => config.allow_http(endpoint.starts_with("http://")).endpoint(endpoint),
        Err(_) => config.region(std::env::var("HUAWEICLOUD_SDK_REGION")?),
    };
    let dds = DdsClient::new(config)?;
    // `cost_time` is in microseconds: the service returns only sessions running longer.
    let sessions = dds
        .list_sessions()
        .node_id(node_id)
        .cost_time(min_seconds.saturating_mul(1_000_000))
        .limit(20)
        .collect_all(10_000)
        .await?;
    let victims: Vec<_> = sessions
        .iter()
        // `-`: every user. (`user` is reported from MongoDB 4.2 on; older nodes leave it out.)
        .filter(|s| {
            user == "-"
                || s.user
                    .as_deref()
                    .is_some_and(|u| u == user || u.starts_with(&format!("{user}@")))
        })
        .filter(|s| s.active != Some(false))
        .collect();
    println!(
        "{} active session(s) of `{user}` have run for {min_seconds} s or more:",
        victims.len()
    );
    for s in &victims {
        println!(
            "  id {:>10}  {:>12} µs  {:<8} {}",
            s.id.as_deref().unwrap_or("?"),
            s.cost_time.as_deref().unwrap_or("?"),
            s.operation
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(40)
                .collect::<String>(),
            s.namespace.as_deref().unwrap_or("")
        );
    }
    if victims.is_empty() {
        return Ok(());
    }
    if !yes {
        println!("not killed: run again with --yes to kill them");
        return Ok(());
    }
    let ids: Vec<String> = victims.iter().filter_map(|s| s.id.clone()).collect();
    dds.delete_session()
        .node_id(node_id)
        .sessions(ids.clone())
        .send()
        .await?;
    println!("killed {} session(s): {}", ids.len(), ids.join(", "));
    Ok(())
}
