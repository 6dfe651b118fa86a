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

/// The services whose sessions `dbops` lists and kills.
pub const SERVICES: [&str; 4] = ["huawei-das", "huawei-dds", "alibaba-mysql", "alibaba-redis"];

/// Commands that are replication or the server's own work: never selected by a filter, only by id.
const SYSTEM_COMMANDS: [&str; 4] = ["Binlog Dump", "Binlog Dump GTID", "Daemon", "Register Slave"];
/// Users that are the server's own.
const SYSTEM_USERS: [&str; 3] = ["system user", "event_scheduler", "__system"];

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

/// One session, whatever the service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub user: Option<String>,
    pub host: Option<String>,
    pub database: Option<String>,
    pub command: Option<String>,
    pub state: Option<String>,
    /// How long it has run (MySQL `Time`, MongoDB operation time, Redis connection age), in seconds.
    pub seconds: Option<u64>,
    pub sql: Option<String>,
}

impl Session {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id, "user": self.user, "host": self.host, "database": self.database,
            "command": self.command, "state": self.state, "seconds": self.seconds, "sql": self.sql,
        })
    }

    /// Replication or the server's own work.
    fn is_system(&self) -> bool {
        self.command.as_deref().is_some_and(|c| SYSTEM_COMMANDS.contains(&c))
            || self.user.as_deref().is_some_and(|u| SYSTEM_USERS.contains(&u))
    }
}

/// The filters, as pt-kill has them.
#[derive(Debug, Default)]
pub struct Filter {
    user: Option<String>,
    host: Option<String>,
    database: Option<String>,
    command: Option<String>,
    state: Option<String>,
    min_seconds: Option<u64>,
    sql: Option<regress::Regex>,
    ids: Vec<String>,
}

impl Filter {
    fn from_matches(m: &ArgMatches) -> Result<Self, Error> {
        let text = |k: &str| m.get_one::<String>(k).cloned();
        let sql = match m.get_one::<String>("match-sql") {
            Some(p) => Some(
                regress::Regex::new(p)
                    .map_err(|e| Error::Config(format!("--match-sql: `{p}` is not a regular expression: {e}")))?,
            ),
            None => None,
        };
        Ok(Self {
            user: text("user"),
            host: text("host"),
            database: text("database"),
            command: text("command"),
            state: text("state"),
            min_seconds: m.get_one::<u64>("min-seconds").copied(),
            sql,
            // `--ids` is kill's only.
            ids: m
                .try_get_many::<String>("ids")
                .ok()
                .flatten()
                .map(|v| v.cloned().collect())
                .unwrap_or_default(),
        })
    }

    /// Whether `s` is selected: by id when ids are given (system sessions included), else by every
    /// filter given, system sessions never.
    pub fn selects(&self, s: &Session) -> bool {
        if !self.ids.is_empty() {
            return self.ids.contains(&s.id);
        }
        let eq = |want: &Option<String>, got: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| got.as_deref().is_some_and(|g| g.eq_ignore_ascii_case(w)))
        };
        // A host filter matches the host without its port, too.
        let host_ok = self.host.as_ref().is_none_or(|w| {
            s.host
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(w) || h.rsplit_once(':').is_some_and(|(a, _)| a == w))
        });
        !s.is_system()
            && eq(&self.user, &s.user)
            && host_ok
            && eq(&self.database, &s.database)
            && eq(&self.command, &s.command)
            && eq(&self.state, &s.state)
            && self.min_seconds.is_none_or(|min| s.seconds.is_some_and(|t| t >= min))
            && self
                .sql
                .as_ref()
                .is_none_or(|re| s.sql.as_deref().is_some_and(|q| re.find(q).is_some()))
    }
}

fn filter_args(cmd: Command) -> Command {
    let text = |name: &'static str, help: &'static str| Arg::new(name).long(name).value_name("TEXT").help(help);
    cmd.arg(
        Arg::new("service")
            .long("service")
            .required(true)
            .value_parser(SERVICES)
            .help("The service"),
    )
    .arg(
        Arg::new("instance")
            .long("instance")
            .value_name("ID")
            .required_unless_present("instances")
            .conflicts_with("instances")
            .help("The instance (for huawei-dds: the node)"),
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
    ))
    .arg(text("user", "Only sessions of this user"))
    .arg(text("host", "Only sessions from this host (with or without its port)"))
    .arg(text("database", "Only sessions on this database"))
    .arg(text("command", "Only sessions running this command (Query, Sleep, …)"))
    .arg(text("state", "Only sessions in this state"))
    .arg(
        Arg::new("min-seconds")
            .long("min-seconds")
            .value_name("N")
            .value_parser(clap::value_parser!(u64))
            .help("Only sessions running for at least N seconds"),
    )
    .arg(text(
        "match-sql",
        "Only sessions whose SQL text matches this regular expression",
    ))
}

/// `dbops sessions …`.
pub fn command() -> Command {
    let list = filter_args(Command::new("list").about("List the sessions of an instance, filtered")).arg(
        Arg::new("output")
            .long("output")
            .value_parser(["table", "json", "jsonl"])
            .help("table (default on a terminal), json (default otherwise) or jsonl"),
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
async fn fetch(svc: &Svc, target: &Target, filter: &Filter) -> Result<Vec<Session>, Error> {
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
            if let Some(u) = &filter.user {
                b = b.user(u);
            }
            if let Some(d) = &filter.database {
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
            if let Some(min) = filter.min_seconds {
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
    let filter = Filter::from_matches(m)?;
    let svc = Svc::new(&service, ctx)?;
    if let Some(path) = m.get_one::<String>("instances") {
        let (svc, filter) = (Arc::new(svc), Arc::new(filter));
        return crate::fleet::run(path, concurrency(m), rate(m), move |target| {
            let (svc, filter) = (svc.clone(), filter.clone());
            async move {
                let sessions = fetch(&svc, &target, &filter).await?;
                let chosen: Vec<Value> = sessions
                    .iter()
                    .filter(|s| filter.selects(s))
                    .map(Session::to_json)
                    .collect();
                Ok((json!({"sessions": chosen}), Ended::Done))
            }
        })
        .await;
    }
    let sessions = fetch(&svc, &target_of(m), &filter).await?;
    let chosen: Vec<&Session> = sessions.iter().filter(|s| filter.selects(s)).collect();
    let format = text_of(m, "output").unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            "table".into()
        } else {
            "json".into()
        }
    });
    print_sessions(&chosen, &format, false);
    Ok(Ended::Done)
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

fn now() -> String {
    dbops_core::time::UtcDateTime::from_system(std::time::SystemTime::now()).extended()
}

/// `dbops sessions kill`: how it ended (every selected session killed, or not, or its audit record
/// lost).
pub async fn kill(m: &ArgMatches, ctx: &Context) -> Result<Ended, Error> {
    let service = text_of(m, "service").unwrap_or_default();
    let instance = text_of(m, "instance").unwrap_or_default();
    let filter = Filter::from_matches(m)?;
    let all = m.get_flag("all");
    if service == "alibaba-redis" && !all {
        return Err(Error::Config(
            "alibaba-redis: DAS kills all sessions of a Redis instance or none; pass --all to kill them all".into(),
        ));
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
        return crate::fleet::run(path, concurrency(m), rate(m), move |target| {
            let shared = shared.clone();
            async move {
                let (svc, filter, ctx, log, service) = &*shared;
                kill_one(svc, filter, ctx, log.as_ref(), service, &target, all).await
            }
        })
        .await;
    }
    let log = m.get_one::<String>("audit").map(|p| AuditLog::open(p)).transpose()?;
    let target = target_of(m);
    let sessions = fetch(&svc, &target, &filter).await?;
    let chosen: Vec<&Session> = if all {
        sessions.iter().collect()
    } else {
        sessions.iter().filter(|s| filter.selects(s)).collect()
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

/// Kills what the filter selects on one instance of a fleet, audited; the value reports each session,
/// and the flag says whether every selected one was killed.
async fn kill_one(
    svc: &Svc,
    filter: &Filter,
    ctx: &Context,
    log: Option<&AuditLog>,
    service: &str,
    target: &Target,
    all: bool,
) -> Result<(Value, Ended), Error> {
    let sessions = fetch(svc, target, filter).await?;
    let ids: Vec<String> = sessions
        .iter()
        .filter(|s| all || filter.selects(s))
        .map(|s| s.id.clone())
        .collect();
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
