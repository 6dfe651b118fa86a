//! `dbops sessions list|kill`: the sessions of one instance (or node) of one service, in one shape,
//! filtered as pt-kill filters them, and killed with a plan, a confirmation, a dry run, per-session
//! outcomes and an audit log.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};
use dbops_core::text::{clip_escaped, escaped};
use dbops_core::{Error, WaitPolicy};
use serde_json::{Value, json};

use crate::Context;
use crate::audit::AuditLog;
use crate::ended::Ended;
use crate::select::Selection;
use crate::session::Session;

/// The services whose sessions `dbops` lists and kills.
pub const SERVICES: [&str; 4] = ["huawei-das", "huawei-dds", "alibaba-mysql", "alibaba-redis"];

/// The client of the service whose sessions are handled, made once for every instance of a run.
pub enum Svc {
    HuaweiDas(huaweicloud_dbops::DasClient),
    HuaweiDds(huaweicloud_dbops::DdsClient),
    AlibabaMysql(alibabacloud_dbops::DasClient),
    AlibabaRedis(alibabacloud_dbops::DasClient),
}

impl Svc {
    fn new(service: &str, ctx: &Context) -> Result<Self, Error> {
        Ok(match service {
            "huawei-das" => Svc::HuaweiDas(huaweicloud_dbops::DasClient::new(ctx.huaweicloud()?)?),
            "huawei-dds" => Svc::HuaweiDds(huaweicloud_dbops::DdsClient::new(ctx.huaweicloud()?)?),
            "alibaba-mysql" => Svc::AlibabaMysql(alibabacloud_dbops::DasClient::new(ctx.alibabacloud()?)?),
            "alibaba-redis" => Svc::AlibabaRedis(alibabacloud_dbops::DasClient::new(ctx.alibabacloud()?)?),
            other => return Err(Error::Config(format!("unknown service `{other}`"))),
        })
    }
}

/// One instance (or node) to work on, with what its service needs besides.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub instance: String,
    /// huawei-das: the DAS connection; alibaba-mysql: the PolarDB node.
    pub extra: Option<String>,
}

fn filter_args(cmd: Command) -> Command {
    let text = |name: &'static str, help: &'static str| Arg::new(name).long(name).value_name("TEXT").help(help);
    let cmd = cmd
        .arg(
            Arg::new("service")
                .long("service")
                .required_unless_present("test-matching")
                .value_parser(SERVICES)
                .help("The service"),
        )
        .arg(
            Arg::new("instance")
                .long("instance")
                .value_name("ID")
                .required_unless_present_any(["instances", "test-matching"])
                .conflicts_with("instances")
                .help("The instance (for huawei-dds: the node)"),
        )
        .arg(
            Arg::new("test-matching")
                .long("test-matching")
                .value_name("FILE")
                .conflicts_with_all(["instance", "instances"])
                .help(
                    "Apply the selection to a saved process list (the JSON `sessions list` prints; `-` for standard \
                 input) and print what it selects: no credentials, nothing sent",
                ),
        )
        .arg(Arg::new("instances").long("instances").value_name("FILE").help(
            "A fleet: one instance a line (then its DAS connection or PolarDB node, if needed), `-` for \
                 standard input; one JSON result a line, and a failed instance fails the run",
        ))
        .arg(
            Arg::new("concurrency")
                .long("concurrency")
                .value_name("N")
                .default_value("8")
                .value_parser(clap::value_parser!(usize))
                .help("Instances worked on at once (with --instances)"),
        )
        .arg(
            Arg::new("rate")
                .long("rate")
                .value_name("PER_SECOND")
                .default_value("20")
                .value_parser(clap::value_parser!(u32))
                .help("Most requests a second to the service (with --instances); lower by itself when throttled"),
        )
        .arg(text(
            "db-user-id",
            "huawei-das: the DAS connection of the database account (from `dbops huawei das register-db-user`)",
        ))
        .arg(text(
            "node-id",
            "alibaba-mysql: the PolarDB node (default: the primary)",
        ));
    crate::select::args(cmd).after_help(crate::select::HOW_CRITERIA_COMBINE)
}

/// `dbops sessions …`.
pub fn command() -> Command {
    let list = filter_args(Command::new("list").about("List the sessions of an instance, filtered"))
        .arg(
            Arg::new("output")
                .long("output")
                .value_parser(["table", "json", "jsonl", "tsv"])
                .help("table (default on a terminal), json (default otherwise), jsonl or tsv"),
        )
        .arg(
            Arg::new("query")
                .long("query")
                .value_name("JMESPATH")
                .help("Print what this JMESPath expression makes of the JSON list (as `aliyun --cli-query`)"),
        );
    let kill = filter_args(Command::new("kill").about(
        "Kill the sessions the filters (or --ids) select: shows the plan, asks, then reports each session's outcome",
    ))
    .arg(
        Arg::new("ids")
            .long("ids")
            .value_name("ID")
            .num_args(1..)
            .action(ArgAction::Append)
            .help("Exactly these sessions (system and replication sessions only this way)"),
    )
    .arg(
        Arg::new("all")
            .long("all")
            .action(ArgAction::SetTrue)
            .help("alibaba-redis: kill every session (the only kill DAS offers for Redis)"),
    )
    .arg(
        Arg::new("yes")
            .long("yes")
            .short('y')
            .action(ArgAction::SetTrue)
            .help("Do not ask for confirmation"),
    )
    .arg(
        Arg::new("wait-before-kill")
            .long("wait-before-kill")
            .value_name("DURATION")
            .value_parser(crate::watch::parse_duration)
            .help("List again after DURATION (30s, 2m, …) and kill only the sessions still running the same statement"),
    )
    .arg(
        Arg::new("interval")
            .long("interval")
            .value_name("DURATION")
            .value_parser(crate::watch::parse_duration)
            .conflicts_with_all(["instances", "test-matching"])
            .help(
                "Watch: list, select and kill every DURATION until --run-time or SIGINT/SIGTERM (which stop after \
                 the round under way); one JSON line per round and per kill",
            ),
    )
    .arg(
        Arg::new("run-time")
            .long("run-time")
            .value_name("DURATION")
            .value_parser(crate::watch::parse_duration)
            .requires("interval")
            .help("Watch: stop after DURATION"),
    )
    .arg(
        Arg::new("audit")
            .long("audit")
            .value_name("FILE")
            .help("Append what was killed (or would be, with --dry-run) to FILE as JSON lines"),
    );
    Command::new("sessions")
        .about("Find and kill sessions, pt-kill style")
        .subcommand_required(true)
        .subcommand(list)
        .subcommand(kill)
}

fn text_of(m: &ArgMatches, k: &str) -> Option<String> {
    m.get_one::<String>(k).cloned()
}

fn seconds_of(text: Option<&str>) -> Option<u64> {
    text.and_then(|t| t.trim().parse::<f64>().ok())
        .map(|s| s.max(0.0) as u64)
}

/// Every session of the instance, in one shape.
async fn fetch(svc: &Svc, target: &Target, filter: &Selection) -> Result<Vec<Session>, Error> {
    let instance = &target.instance;
    match svc {
        Svc::HuaweiDas(das) => {
            let db_user_id = target.extra.clone().ok_or_else(|| {
                Error::Config("huawei-das needs --db-user-id (see `dbops huawei das register-db-user`)".into())
            })?;
            let mut b = das
                .list_processes()
                .instance_id(instance)
                .db_user_id(db_user_id)
                .limit(100);
            if let Some(u) = filter.exact_user() {
                b = b.user(u);
            }
            if let Some(d) = filter.exact_database() {
                b = b.database(d);
            }
            Ok(b.collect_all(100_000)
                .await?
                .into_iter()
                .map(|p| Session {
                    id: p.id.unwrap_or_default(),
                    seconds: seconds_of(p.time.as_deref()),
                    user: p.user,
                    host: p.host,
                    database: p.database,
                    command: p.command,
                    state: p.state,
                    sql: p.sql,
                })
                .collect())
        }
        Svc::HuaweiDds(dds) => {
            let mut b = dds.list_sessions().node_id(instance).limit(20);
            if let Some(min) = filter.min_seconds() {
                // Microseconds: the service returns only sessions running longer.
                b = b.cost_time(min.saturating_mul(1_000_000).saturating_sub(1));
            }
            Ok(b.collect_all(100_000)
                .await?
                .into_iter()
                .map(|s| Session {
                    id: s.id.unwrap_or_default(),
                    seconds: s
                        .cost_time
                        .as_deref()
                        .and_then(|t| t.parse::<u64>().ok())
                        .map(|us| us / 1_000_000),
                    user: s.user,
                    host: s.client.or(s.host),
                    database: s.db.or(s.namespace),
                    command: s.type_,
                    state: s.active.map(|a| if a { "active" } else { "inactive" }.to_string()),
                    sql: s.operation,
                })
                .collect())
        }
        Svc::AlibabaMysql(das) => {
            let mut b = das.get_my_sql_all_session_async().instance_id(instance);
            if let Some(node) = &target.extra {
                b = b.node_id(node);
            }
            let reply = b.wait(WaitPolicy::default().timeout(Duration::from_secs(60))).await?;
            Ok(reply
                .data
                .and_then(|d| d.session_data)
                .map(|s| s.session_list)
                .unwrap_or_default()
                .into_iter()
                .map(|s| Session {
                    id: s.session_id.map(|i| i.to_string()).unwrap_or_default(),
                    seconds: s.time.and_then(|t| u64::try_from(t).ok()),
                    user: s.user,
                    host: s.client,
                    database: s.db_name,
                    command: s.command,
                    state: s.state,
                    sql: s.sql_text,
                })
                .collect())
        }
        Svc::AlibabaRedis(das) => {
            let reply = das.get_redis_all_session().instance_id(instance).send().await?;
            Ok(reply
                .data
                .map(|d| d.sessions)
                .unwrap_or_default()
                .into_iter()
                .map(|s| Session {
                    id: s.id.map(|i| i.to_string()).unwrap_or_default(),
                    seconds: seconds_of(s.age.as_deref()),
                    user: s.name,
                    host: s.addr,
                    database: s.db.map(|d| d.to_string()),
                    command: s.cmd,
                    state: s.flags,
                    sql: None,
                })
                .collect())
        }
    }
}

const TSV_COLUMNS: [&str; 8] = ["id", "user", "host", "database", "command", "state", "seconds", "sql"];

/// Writes `sessions` to standard output, or to standard error (a kill's plan, kept apart from its report).
fn print_sessions(sessions: &[&Session], format: &str, to_stderr: bool) {
    let out = |line: String| {
        if to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    match format {
        "jsonl" => {
            for s in sessions {
                out(s.to_json().to_string());
            }
        }
        "json" => out(Value::Array(sessions.iter().map(|s| s.to_json()).collect()).to_string()),
        "tsv" => {
            // One line a session; every field escaped, so that none holds a tab or a line break.
            out(TSV_COLUMNS.join("\t"));
            for s in sessions {
                let v = s.to_json();
                let cells: Vec<String> = TSV_COLUMNS
                    .iter()
                    .map(|c| match &v[*c] {
                        Value::String(t) => escaped(t),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .collect();
                out(cells.join("\t"));
            }
        }
        _ => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
            table.set_header(["id", "user", "host", "database", "command", "state", "seconds", "sql"]);
            // Every cell is the server's text: control characters escaped, as JSON output has them,
            // so that a session's SQL or user cannot drive the terminal.
            let cell = |text: &Option<String>| escaped(text.as_deref().unwrap_or(""));
            for s in sessions {
                let sql = clip_escaped(s.sql.as_deref().unwrap_or(""), 60);
                table.add_row([
                    escaped(&s.id),
                    cell(&s.user),
                    cell(&s.host),
                    cell(&s.database),
                    cell(&s.command),
                    cell(&s.state),
                    s.seconds.map(|t| t.to_string()).unwrap_or_default(),
                    sql,
                ]);
            }
            out(table.to_string());
        }
    }
}

/// `dbops sessions list`.
pub async fn list(m: &ArgMatches, ctx: &Context) -> Result<Ended, Error> {
    let service = text_of(m, "service").unwrap_or_default();
    let filter = Selection::from_matches(m)?;
    let query = m.get_one::<String>("query").map(|q| compile_query(q)).transpose()?;
    if let Some(path) = m.get_one::<String>("test-matching") {
        let sessions = saved_sessions(path)?;
        print_list(m, &filter.select(&sessions), query.as_ref())?;
        return Ok(Ended::Done);
    }
    let svc = Svc::new(&service, ctx)?;
    if let Some(path) = m.get_one::<String>("instances") {
        let (svc, filter) = (Arc::new(svc), Arc::new(filter));
        return crate::fleet::run(path, concurrency(m), rate(m), move |target| {
            let (svc, filter) = (svc.clone(), filter.clone());
            async move {
                let sessions = fetch(&svc, &target, &filter).await?;
                let chosen: Vec<Value> = filter.select(&sessions).into_iter().map(Session::to_json).collect();
                Ok((json!({"sessions": chosen}), Ended::Done))
            }
        })
        .await;
    }
    let sessions = fetch(&svc, &target_of(m), &filter).await?;
    print_list(m, &filter.select(&sessions), query.as_ref())?;
    Ok(Ended::Done)
}

/// `list`'s output: the sessions in the `--output` format, or what `--query` makes of their JSON.
fn print_list(m: &ArgMatches, chosen: &[&Session], query: Option<&jmespath::Expression<'static>>) -> Result<(), Error> {
    if let Some(query) = query {
        let data = Value::Array(chosen.iter().map(|s| s.to_json()).collect());
        let result = query.search(data).map_err(|e| Error::Config(format!("--query: {e}")))?;
        println!("{}", serde_json::to_string(&*result).unwrap_or_default());
        return Ok(());
    }
    let format = text_of(m, "output").unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            "table".into()
        } else {
            "json".into()
        }
    });
    print_sessions(chosen, &format, false);
    Ok(())
}

fn compile_query(q: &str) -> Result<jmespath::Expression<'static>, Error> {
    jmespath::compile(q).map_err(|e| Error::Config(format!("--query: `{q}` is not a JMESPath expression: {e}")))
}

/// Most bytes of a saved process list `--test-matching` reads.
const MAX_SAVED_LIST_BYTES: u64 = 256 << 20;

/// A process list as `sessions list` prints it (`--output json`, or `jsonl`), read from `path` (`-`:
/// standard input): the sessions `--test-matching` tries the selection on.
pub fn saved_sessions(path: &str) -> Result<Vec<Session>, Error> {
    use std::io::Read;
    let bad = |why: String| Error::Config(format!("--test-matching {path}: {why}"));
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().take(MAX_SAVED_LIST_BYTES).read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_SAVED_LIST_BYTES).read_to_string(&mut text))
    };
    read.map_err(|e| bad(e.to_string()))?;
    let values: Vec<Value> = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(list)) => list,
        Ok(one @ Value::Object(_)) => vec![one],
        _ => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| serde_json::from_str(l).map_err(|e| bad(format!("line {}: {e}", i + 1))))
            .collect::<Result<_, _>>()?,
    };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| Session::from_json(v).ok_or_else(|| bad(format!("session {}: no `id`", i + 1))))
        .collect()
}

fn concurrency(m: &ArgMatches) -> usize {
    m.get_one::<usize>("concurrency").copied().unwrap_or(8)
}

fn rate(m: &ArgMatches) -> Arc<crate::fleet::AdaptiveRate> {
    Arc::new(crate::fleet::AdaptiveRate::new(
        m.get_one::<u32>("rate").copied().unwrap_or(20),
    ))
}

/// The access key id of the service's credentials, masked for the audit log: its first four
/// characters only.
fn who(service: &str) -> String {
    let var = if service.starts_with("huawei") {
        huaweicloud_dbops::credentials::ENV_AK
    } else {
        alibabacloud_dbops::credentials::ENV_ACCESS_KEY_ID
    };
    match std::env::var(var) {
        Ok(ak) => format!("{}…", ak.chars().take(4).collect::<String>()),
        Err(_) => "(IAM token)".into(),
    }
}

/// Writes a kill's record to the audit log, if there is one: how the kill ended, made
/// [`Ended::AuditLost`] when the record could not be written (the error is returned to be shown
/// beside the kill's outcome).
fn audit(log: Option<&AuditLog>, entry: Value, ended: Ended) -> (Ended, Option<String>) {
    match log.map(|log| log.record(&entry)) {
        Some(Err(e)) => (Ended::AuditLost, Some(e)),
        _ => (ended, None),
    }
}

pub(crate) fn now() -> String {
    dbops_core::time::UtcDateTime::from_system(std::time::SystemTime::now()).extended()
}

/// `dbops sessions kill`: how it ended (every selected session killed, or not, or its audit record
/// lost).
pub async fn kill(m: &ArgMatches, ctx: &Context) -> Result<Ended, Error> {
    let service = text_of(m, "service").unwrap_or_default();
    let instance = text_of(m, "instance").unwrap_or_default();
    let filter = Selection::from_matches(m)?;
    let all = m.get_flag("all");
    if service == "alibaba-redis" && !all {
        return Err(Error::Config(
            "alibaba-redis: DAS kills all sessions of a Redis instance or none; pass --all to kill them all".into(),
        ));
    }
    if let Some(path) = m.get_one::<String>("test-matching") {
        let sessions = saved_sessions(path)?;
        let chosen = if all {
            sessions.iter().collect()
        } else {
            filter.select(&sessions)
        };
        eprintln!(
            "plan: would kill {} of {} session(s) of {path} (test matching: nothing is sent)",
            chosen.len(),
            sessions.len()
        );
        print_sessions(&chosen, "jsonl", false);
        return Ok(Ended::Done);
    }
    let svc = Svc::new(&service, ctx)?;
    if let Some(path) = m.get_one::<String>("instances") {
        if !ctx.dry_run && !m.get_flag("yes") {
            return Err(Error::Config(
                "a fleet is killed without asking per instance: pass --yes (or --dry-run to see the plan)".into(),
            ));
        }
        // Before anything is sent: a log that cannot be appended to stops the run here.
        let log = m.get_one::<String>("audit").map(|p| AuditLog::open(p)).transpose()?;
        let shared = Arc::new((svc, filter, ctx.clone(), log, service.clone()));
        let wait = wait_before_kill(m);
        return crate::fleet::run(path, concurrency(m), rate(m), move |target| {
            let shared = shared.clone();
            async move {
                let (svc, filter, ctx, log, service) = &*shared;
                kill_one(svc, filter, ctx, log.as_ref(), service, &target, all, wait).await
            }
        })
        .await;
    }
    let log = m.get_one::<String>("audit").map(|p| AuditLog::open(p)).transpose()?;
    let target = target_of(m);
    if let Some(interval) = m.try_get_one::<Duration>("interval").ok().flatten().copied() {
        if !ctx.dry_run && !m.get_flag("yes") {
            return Err(Error::Config(
                "a watch kills without asking each round: pass --yes (or --dry-run to see the plan)".into(),
            ));
        }
        let run_time = m.try_get_one::<Duration>("run-time").ok().flatten().copied();
        let wait = wait_before_kill(m);
        let round = |_: u64| kill_one(&svc, &filter, ctx, log.as_ref(), &service, &target, all, wait);
        return Ok(crate::watch::run(interval, run_time, round).await);
    }
    let sessions = fetch(&svc, &target, &filter).await?;
    let chosen: Vec<&Session> = if all {
        sessions.iter().collect()
    } else {
        filter.select(&sessions)
    };
    eprintln!(
        "plan: kill {} of {} session(s) on {service} {instance}{}",
        chosen.len(),
        sessions.len(),
        if ctx.dry_run { " (dry run: nothing is sent)" } else { "" }
    );
    print_sessions(
        &chosen,
        if std::io::stderr().is_terminal() {
            "table"
        } else {
            "jsonl"
        },
        true,
    );
    if chosen.is_empty() {
        return Ok(Ended::Done);
    }
    if !ctx.dry_run && !m.get_flag("yes") {
        if !std::io::stdin().is_terminal() {
            return Err(Error::Config(
                "refusing to kill without confirmation: no terminal to ask on; pass --yes".into(),
            ));
        }
        let go = dialoguer::Confirm::new()
            .with_prompt(format!("kill these {} session(s)?", chosen.len()))
            .default(false)
            .interact()
            .map_err(|e| Error::Config(format!("confirmation: {e}")))?;
        if !go {
            eprintln!("nothing killed");
            return Ok(Ended::Done);
        }
    }
    let chosen = recheck(&svc, &target, &filter, chosen, wait_before_kill(m), all).await?;
    if chosen.is_empty() {
        return Ok(Ended::Done);
    }
    let ids: Vec<String> = chosen.iter().map(|s| s.id.clone()).collect();
    let (outcomes, request_ids, requests) = send_kill(&svc, &target, ctx, &ids).await?;
    let killed = outcomes.iter().all(|(_, ok, _)| *ok);
    for (id, ok, reason) in &outcomes {
        println!("{}", json!({"id": id, "killed": ok, "reason": reason}));
    }
    for r in &requests {
        println!("{r}");
    }
    let (ended, lost) = audit(
        log.as_ref(),
        json!({
            "time": now(), "who": who(&service), "service": service, "instance": instance,
            "sessions": ids, "dry_run": ctx.dry_run, "request_ids": request_ids,
            "outcomes": outcomes.iter().map(|(id, ok, reason)| json!({"id": id, "killed": ok, "reason": reason})).collect::<Vec<_>>(),
        }),
        if killed { Ended::Done } else { Ended::Failed },
    );
    if let Some(e) = lost {
        eprintln!("error: {e}; the kill was sent, and its outcome is above");
    }
    Ok(ended)
}

/// `--wait-before-kill`.
fn wait_before_kill(m: &ArgMatches) -> Option<Duration> {
    m.try_get_one::<Duration>("wait-before-kill").ok().flatten().copied()
}

/// With `wait`: waits, lists the sessions again, and keeps of `chosen` only those still running the
/// same statement (a connection given the id of an ended one, or a statement started again, is
/// dropped), saying on standard error how many are left. Without: `chosen`.
async fn recheck(
    svc: &Svc,
    target: &Target,
    filter: &Selection,
    chosen: Vec<&Session>,
    wait: Option<Duration>,
    all: bool,
) -> Result<Vec<Session>, Error> {
    let chosen: Vec<Session> = chosen.into_iter().cloned().collect();
    let Some(wait) = wait.filter(|_| !all) else {
        return Ok(chosen);
    };
    tokio::time::sleep(wait).await;
    let again = fetch(svc, target, filter).await?;
    let kept: Vec<Session> = chosen
        .iter()
        .filter(|s| again.iter().any(|a| s.same_statement(a)))
        .cloned()
        .collect();
    eprintln!(
        "recheck after {}: {} of {} still running the same statement",
        crate::watch::show(wait),
        kept.len(),
        chosen.len()
    );
    Ok(kept)
}

/// Kills what the filter selects on one instance of a fleet (or in one round of a watch), audited; the
/// value reports each session, and the flag says whether every selected one was killed.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn kill_one(
    svc: &Svc,
    filter: &Selection,
    ctx: &Context,
    log: Option<&AuditLog>,
    service: &str,
    target: &Target,
    all: bool,
    wait: Option<Duration>,
) -> Result<(Value, Ended), Error> {
    let sessions = fetch(svc, target, filter).await?;
    let chosen: Vec<&Session> = if all {
        sessions.iter().collect()
    } else {
        filter.select(&sessions)
    };
    let chosen = if chosen.is_empty() {
        Vec::new()
    } else {
        recheck(svc, target, filter, chosen, wait, all).await?
    };
    let ids: Vec<String> = chosen.iter().map(|s| s.id.clone()).collect();
    if ids.is_empty() {
        return Ok((json!({"selected": 0}), Ended::Done));
    }
    let (outcomes, request_ids, requests) = send_kill(svc, target, ctx, &ids).await?;
    let outcomes: Vec<Value> = outcomes
        .iter()
        .map(|(id, ok, reason)| json!({"id": id, "killed": ok, "reason": reason}))
        .collect();
    let all_killed = ctx.dry_run || outcomes.iter().all(|o| o["killed"] == true);
    let (ended, lost) = audit(
        log,
        json!({
            "time": now(), "who": who(service), "service": service, "instance": target.instance,
            "sessions": ids, "dry_run": ctx.dry_run, "request_ids": request_ids, "outcomes": outcomes,
        }),
        if all_killed { Ended::Done } else { Ended::Failed },
    );
    let mut result = json!({"selected": ids.len(), "outcomes": outcomes, "dry_run_requests": requests});
    if let Some(e) = lost {
        result["audit_error"] = json!(e);
    }
    Ok((result, ended))
}

type KillReport = (Vec<(String, bool, Option<String>)>, Vec<String>, Vec<String>);

/// Sends the kill (or, in a dry run, prints it): per session, whether it was killed and why not;
/// the request ids; the dry-run requests.
async fn send_kill(svc: &Svc, target: &Target, ctx: &Context, ids: &[String]) -> Result<KillReport, Error> {
    let done = |reason: &str| {
        ids.iter()
            .map(|id| (id.clone(), true, Some(reason.to_string())))
            .collect()
    };
    let instance = target.instance.as_str();
    match svc {
        Svc::HuaweiDas(das) => {
            let b = das
                .delete_process()
                .instance_id(instance)
                .db_user_id(target.extra.clone().unwrap_or_default())
                .process_ids(ids.iter().cloned());
            if ctx.dry_run {
                return Ok((Vec::new(), Vec::new(), vec![b.dry_run().await?.to_string()]));
            }
            let reply = b.send().await?;
            Ok((
                done("SESSION_KILLED"),
                reply.request_id.into_iter().collect(),
                Vec::new(),
            ))
        }
        Svc::HuaweiDds(dds) => {
            let b = dds.delete_session().node_id(instance).sessions(ids.iter().cloned());
            if ctx.dry_run {
                return Ok((Vec::new(), Vec::new(), vec![b.dry_run().await?.to_string()]));
            }
            let reply = b.send().await?;
            Ok((
                done("SESSION_KILLED"),
                reply.request_id.into_iter().collect(),
                Vec::new(),
            ))
        }
        Svc::AlibabaMysql(das) => {
            let session_ids: Vec<u64> = ids.iter().filter_map(|i| i.parse().ok()).collect();
            let mut input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
                .instance_id(instance)
                .kill_all_sessions(false)
                .session_ids(session_ids);
            if let Some(node) = &target.extra {
                input = input.node_id(node);
            }
            if let Some(user) = ctx.secret("DBOPS_DB_USER")? {
                input = input.db_user(user);
            }
            if let Some(password) = ctx.secret("DBOPS_DB_USER_PASSWORD")? {
                input = input.db_user_password(password);
            }
            if ctx.dry_run {
                let dry = das.create_kill_instance_session_task().input(input).dry_run().await?;
                return Ok((Vec::new(), Vec::new(), vec![dry.to_string()]));
            }
            // An error before the task exists: nothing was killed. After it: the kill was sent, and
            // an outcome that cannot be learned is reported (and audited) as unknown, never retried.
            let tasks = das.start_kill_sessions(input).await?;
            let outcomes = match das
                .kill_outcomes(&tasks, WaitPolicy::default().timeout(Duration::from_secs(120)))
                .await
            {
                Ok(outcomes) => outcomes,
                Err(e) => {
                    let reason = format!("OUTCOME_UNKNOWN ({})", clip_escaped(&e.to_string(), 200));
                    let report = ids.iter().map(|id| (id.clone(), false, Some(reason.clone()))).collect();
                    return Ok((report, tasks.task_ids, Vec::new()));
                }
            };
            let mut report = Vec::new();
            for o in &outcomes {
                for s in o.sessions() {
                    let reason = s.reason.clone();
                    let ok = reason.as_deref() == Some("SESSION_KILLED");
                    report.push((s.id.map(|i| i.to_string()).unwrap_or_default(), ok, reason));
                }
            }
            // Sessions the task does not report on are not known to be killed.
            for id in ids {
                if !report.iter().any(|(r, _, _)| r == id) {
                    report.push((id.clone(), false, Some("NOT_REPORTED".into())));
                }
            }
            let tasks = outcomes.iter().map(|o| o.task_id.clone()).collect();
            Ok((report, tasks, Vec::new()))
        }
        // Whole or not at all: `kill` refuses alibaba-redis without --all before anything is listed.
        Svc::AlibabaRedis(das) => {
            let b = das.kill_instance_all_session().instance_id(instance);
            if ctx.dry_run {
                return Ok((Vec::new(), Vec::new(), vec![b.dry_run().await?.to_string()]));
            }
            let reply = b.send().await?;
            Ok((
                done("SESSION_KILLED"),
                reply.request_id.into_iter().collect(),
                Vec::new(),
            ))
        }
    }
}

/// The one instance of a run without `--instances`.
fn target_of(m: &ArgMatches) -> Target {
    Target {
        instance: text_of(m, "instance").unwrap_or_default(),
        extra: text_of(m, "db-user-id").or_else(|| text_of(m, "node-id")),
    }
}
