//! Show the client connections of an ApsaraDB for Redis instance that have been open for at least N
//! seconds, and, if there are any, terminate all sessions of the instance (the one kill DAS offers for
//! Redis) and report it: `GetRedisAllSession`, `KillInstanceAllSession`.
//!
//! ```text
//! export ALIBABA_CLOUD_ACCESS_KEY_ID=… ALIBABA_CLOUD_ACCESS_KEY_SECRET=…
//! export ALIBABA_CLOUD_DAS_ENDPOINT=http://127.0.0.1:8080   # optional (default das.cn-shanghai.aliyuncs.com)
//! cargo run -p alibabacloud-dbops --example kill_idle_redis_clients -- <instance_id> <client-name> <seconds> [--yes]
//! ```
//! `<client-name>`: the connection name (`CLIENT SETNAME`), or `-` for every client.

use alibabacloud_dbops::{ClientConfig, DasClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [instance_id, name, seconds, rest @ ..] = args.as_slice() else {
        return Err("usage: kill_idle_redis_clients <instance_id> <client-name|-> <seconds> [--yes]".into());
    };
    let min_seconds: u64 = seconds.parse().map_err(|_| "seconds: a whole number")?;
    let yes = rest.iter().any(|a| a == "--yes");
    let mut config = ClientConfig::from_env()?;
    if let Ok(endpoint) = std::env::var("ALIBABA_CLOUD_DAS_ENDPOINT") {
        config = config.allow_http(endpoint.starts_with("http://")).endpoint(endpoint);
    }
    let das = DasClient::new(config)?;
    let sessions = das
        .get_redis_all_session()
        .instance_id(instance_id)
        .send()
        .await?
        .data
        .map(|d| d.sessions)
        .unwrap_or_default();
    let old: Vec<_> = sessions
        .iter()
        .filter(|s| name == "-" || s.name.as_deref() == Some(name.as_str()))
        .filter(|s| {
            s.age
                .as_deref()
                .and_then(|a| a.parse::<u64>().ok())
                .is_some_and(|a| a >= min_seconds)
        })
        .collect();
    println!(
        "{} of {} client(s) have been connected for {min_seconds} s or more:",
        old.len(),
        sessions.len()
    );
    for s in &old {
        println!(
            "  id {:>8}  {:<22} age {:>6} s  idle {:>6} s  {}",
            s.id.unwrap_or_default(),
            s.addr.as_deref().unwrap_or(""),
            s.age.as_deref().unwrap_or("?"),
            s.idle.unwrap_or_default(),
            s.cmd.as_deref().unwrap_or("")
        );
    }
    if old.is_empty() {
        return Ok(());
    }
    if !yes {
        println!("not killed: run again with --yes to terminate ALL sessions of {instance_id}");
        return Ok(());
    }
    let reply = das.kill_instance_all_session().instance_id(instance_id).send().await?;
    println!(
        "all {} session(s) of {instance_id} terminated (request id {})",
        sessions.len(),
        reply.request_id.unwrap_or_default()
    );
    Ok(())
}
