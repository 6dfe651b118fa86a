//! The whole workflow against real databases: sessions that really run on MariaDB and Redis, found and
//! killed through the DAS emulator by the libraries and by `dbops`, and checked on the servers
//! themselves afterwards.
//!
//! Run by `cargo xtask test-real`, which starts a sandbox and passes its `export` lines in the
//! environment; one test at a time, since they share the servers.

use std::collections::BTreeSet;
use std::process::Output;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use serde_json::Value;
use tokio::task::JoinHandle;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run this suite with `cargo xtask test-real`"))
}

fn endpoint() -> String {
    var("DBOPS_SANDBOX_ENDPOINT")
}

fn huawei_instance() -> String {
    var("DBOPS_SANDBOX_HUAWEI_INSTANCE")
}

fn mysql_instance() -> String {
    var("DBOPS_SANDBOX_MYSQL_INSTANCE")
}

const PASSWORD: &str = "sandbox-user-pw";

async fn admin() -> mysql_async::Conn {
    let opts = mysql_async::Opts::from_url(&var("DBOPS_SANDBOX_MYSQL")).expect("DBOPS_SANDBOX_MYSQL is a mysql:// URL");
    mysql_async::Conn::new(opts)
        .await
        .expect("the sandbox's MariaDB answers")
}

/// The test's accounts and databases exist, and no session of theirs is left from a test before.
async fn reset() {
    let mut conn = admin().await;
    for sql in [
        "CREATE DATABASE IF NOT EXISTS sales",
        "CREATE DATABASE IF NOT EXISTS crm",
        &format!("CREATE OR REPLACE USER 'batch'@'%' IDENTIFIED BY '{PASSWORD}'"),
        &format!("CREATE OR REPLACE USER 'app'@'%' IDENTIFIED BY '{PASSWORD}'"),
        "GRANT ALL ON sales.* TO 'batch'@'%', 'app'@'%'",
        "GRANT ALL ON crm.* TO 'batch'@'%', 'app'@'%'",
    ] {
        conn.query_drop(sql).await.unwrap();
    }
    let left: Vec<u64> = conn
        .query("SELECT ID FROM information_schema.PROCESSLIST WHERE USER IN ('batch', 'app')")
        .await
        .unwrap();
    for id in left {
        let _ = conn.query_drop(format!("KILL {id}")).await;
    }
    // A killed connection leaves the list within moments.
    for _ in 0..50 {
        let n: Option<u64> = conn
            .query_first("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER IN ('batch', 'app')")
            .await
            .unwrap();
        if n == Some(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ids of every session on the server now (but the one asking).
async fn running() -> BTreeSet<u64> {
    let ids: Vec<u64> = admin()
        .await
        .query("SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()")
        .await
        .unwrap();
    ids.into_iter().collect()
}

/// The sessions of the emulator itself (its own account and the accounts it keeps connections for).
async fn emulator_sessions() -> BTreeSet<u64> {
    let ids: Vec<u64> = admin()
        .await
        .query("SELECT ID FROM information_schema.PROCESSLIST WHERE USER IN ('das_admin', 'dbops_kill') AND ID <> CONNECTION_ID()")
        .await
        .unwrap();
    ids.into_iter().collect()
}

/// A real session of `user`, on `db`, running `sql` (or idle when `sql` is `None`).
struct Session {
    id: u64,
    /// `address:port` as the server sees it.
    host: String,
    /// The statement's end: an error when the connection was killed.
    running: JoinHandle<Result<(), mysql_async::Error>>,
}

async fn session(user: &str, db: Option<&str>, sql: Option<&str>) -> Session {
    let base = mysql_async::Opts::from_url(&var("DBOPS_SANDBOX_MYSQL")).unwrap();
    let opts = mysql_async::OptsBuilder::from_opts(base)
        .user(Some(user))
        .pass(Some(PASSWORD))
        .db_name(db)
        // Over TCP, as a remote client connects (not through the server's socket file).
        .prefer_socket(false);
    let mut conn = mysql_async::Conn::new(opts).await.expect("the test account logs in");
    let id: u64 = conn.query_first("SELECT CONNECTION_ID()").await.unwrap().unwrap();
    let host: String = admin()
        .await
        .query_first(format!(
            "SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = {id}"
        ))
        .await
        .unwrap()
        .unwrap();
    let sql = sql.map(str::to_string);
    let running = tokio::spawn(async move {
        match sql {
            Some(sql) => conn.query_drop(sql).await,
            // Idle: the connection stays open, sending nothing (a ping would reset its idle time),
            // until the test ends.
            None => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                drop(conn);
                Ok(())
            }
        }
    });
    // The statement has reached the server.
    tokio::time::sleep(Duration::from_millis(300)).await;
    Session { id, host, running }
}

impl Session {
    /// Whether the connection saw the kill within 10 s.
    async fn saw_the_kill(self) -> bool {
        match tokio::time::timeout(Duration::from_secs(10), self.running).await {
            Ok(Ok(result)) => result.is_err(),
            Ok(Err(_)) | Err(_) => false,
        }
    }

    /// Whether its statement is still running (an idle session: whether the test still holds it; the
    /// server's process list says whether it is still open).
    fn still_running(&self) -> bool {
        !self.running.is_finished()
    }
}

fn sleep(seconds: u32) -> Option<String> {
    Some(format!("SELECT SLEEP({seconds})"))
}

// ---- clients ----

fn huawei_das() -> huaweicloud_dbops::DasClient {
    huawei_das_as(&var("HUAWEICLOUD_SDK_SK"), dbops_core::RetryPolicy::default())
}

/// A Huawei client of the sandbox signing with `secret_key`, retrying as `retry` says.
fn huawei_das_as(secret_key: &str, retry: dbops_core::RetryPolicy) -> huaweicloud_dbops::DasClient {
    let credentials =
        huaweicloud_dbops::Credentials::new(var("HUAWEICLOUD_SDK_AK"), secret_key, var("HUAWEICLOUD_SDK_PROJECT_ID"));
    huaweicloud_dbops::DasClient::new(
        huaweicloud_dbops::ClientConfig::new(credentials)
            .endpoint(endpoint())
            .allow_http(true)
            .retry(retry),
    )
    .unwrap()
}

fn alibaba_das() -> alibabacloud_dbops::DasClient {
    alibaba_das_as(
        &var("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        dbops_core::RetryPolicy::default(),
    )
}

/// An Alibaba client of the sandbox signing with `secret`, retrying as `retry` says.
fn alibaba_das_as(secret: &str, retry: dbops_core::RetryPolicy) -> alibabacloud_dbops::DasClient {
    let credentials = alibabacloud_dbops::Credentials::new(var("ALIBABA_CLOUD_ACCESS_KEY_ID"), secret);
    alibabacloud_dbops::DasClient::new(
        alibabacloud_dbops::ClientConfig::new(credentials)
            .endpoint(endpoint())
            .allow_http(true)
            .retry(retry),
    )
    .unwrap()
}

/// The DAS connection of the kill account on `instance`: registered once, found after.
async fn db_user_id(instance: &str) -> String {
    let das = huawei_das();
    let user = var("DBOPS_DB_USER");
    let found = das
        .list_db_users()
        .instance_id(instance)
        .db_username(&user)
        .send()
        .await
        .unwrap();
    if let Some(id) = found.db_users.first().and_then(|u| u.db_user_id.clone()) {
        return id;
    }
    das.register_db_user()
        .instance_id(instance)
        .db_username(&user)
        .db_user_password(var("DBOPS_DB_USER_PASSWORD"))
        .datastore_type("MySQL")
        .send()
        .await
        .unwrap()
        .db_user_id
        .expect("RegisterDbUser gives an id")
}

// ---- the command line ----

fn dbops_bin() -> std::path::PathBuf {
    std::env::var_os("DBOPS_BIN").map_or_else(
        || {
            // target/debug/deps/real-… → target/debug/dbops
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("dbops")
        },
        Into::into,
    )
}

/// Runs `dbops` with the sandbox's credentials and nothing else of this environment.
async fn dbops(args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(dbops_bin());
    cmd.args(args).env_clear();
    for name in [
        "PATH",
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_PROJECT_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "DBOPS_DB_USER",
        "DBOPS_DB_USER_PASSWORD",
    ] {
        cmd.env(name, var(name));
    }
    cmd.env("HOME", std::env::temp_dir());
    cmd.output()
        .await
        .expect("the dbops binary runs (cargo xtask test-real builds it)")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON lines of standard output.
fn lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// `dbops sessions <verb> --service huawei-das` on the main instance, with `rest`.
async fn huawei_cli(verb: &str, rest: &[&str]) -> Output {
    let (instance, id, endpoint) = (huawei_instance(), db_user_id(&huawei_instance()).await, endpoint());
    let mut args = vec![
        "sessions",
        verb,
        "--service",
        "huawei-das",
        "--instance",
        &instance,
        "--db-user-id",
        &id,
        "--endpoint",
        &endpoint,
    ];
    args.extend_from_slice(rest);
    dbops(&args).await
}

async fn alibaba_cli(verb: &str, rest: &[&str]) -> Output {
    let (instance, endpoint) = (mysql_instance(), endpoint());
    let mut args = vec![
        "sessions",
        verb,
        "--service",
        "alibaba-mysql",
        "--instance",
        &instance,
        "--endpoint",
        &endpoint,
    ];
    args.extend_from_slice(rest);
    dbops(&args).await
}

/// The ids of a `sessions list --output json`.
fn listed(out: &Output) -> Vec<Value> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

fn ids_of(rows: &[Value]) -> BTreeSet<u64> {
    rows.iter()
        .filter_map(|r| r["id"].as_str().and_then(|i| i.parse().ok()))
        .collect()
}

/// The kill's per-session outcome lines: id -> (killed, reason).
fn outcomes(out: &Output) -> Vec<(u64, bool, String)> {
    lines(out)
        .iter()
        .filter(|l| l.get("killed").is_some())
        .map(|l| {
            (
                l["id"].as_str().and_then(|i| i.parse().ok()).unwrap_or_default(),
                l["killed"] == true,
                l["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Sessions of other users and the emulator's own survive a kill of `batch`'s.
async fn others_survive(others: &[&Session], emulator: &BTreeSet<u64>) {
    let now = running().await;
    for s in others {
        assert!(s.still_running(), "session {} of another user was killed", s.id);
        assert!(now.contains(&s.id), "session {} is gone", s.id);
    }
    assert!(
        emulator.is_subset(&now),
        "the emulator's sessions {emulator:?} survive: {now:?}"
    );
}

// ---- the gateways' checks ----

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn a_request_signed_with_another_secret_is_refused_and_kills_nothing() {
    reset().await;
    let batch = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let das = huawei_das_as("not-the-secret-key", dbops_core::RetryPolicy::default());
    let e = das
        .delete_process()
        .instance_id(huawei_instance())
        .db_user_id(db_user_id(&huawei_instance()).await)
        .user("batch")
        .send()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("APIGW.0301"), "{e}");
    let das = alibaba_das_as("not-the-secret", dbops_core::RetryPolicy::default());
    let input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
        .instance_id(mysql_instance())
        .db_user(var("DBOPS_DB_USER"))
        .db_user_password(var("DBOPS_DB_USER_PASSWORD"))
        .kill_all_sessions(false)
        .session_ids([batch.id]);
    let e = das
        .create_kill_instance_session_task()
        .input(input)
        .send()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("SignatureDoesNotMatch"), "{e}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(batch.still_running(), "a refused request kills nothing");
}

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn over_its_rate_limit_the_sandbox_answers_with_each_vendors_throttling_error() {
    let rate = format!("{}/_sandbox/rate", endpoint());
    control::Control.set_rate(&rate, 1).await;
    let huawei = huawei_das_as(&var("HUAWEICLOUD_SDK_SK"), dbops_core::RetryPolicy::none());
    let alibaba = alibaba_das_as(&var("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), dbops_core::RetryPolicy::none());
    // One request a second: of three at once, at least two are throttled.
    let mut errors = Vec::new();
    for _ in 0..3 {
        if let Err(e) = huawei.list_db_users().instance_id(huawei_instance()).send().await {
            errors.push(e);
        }
    }
    for _ in 0..3 {
        if let Err(e) = alibaba
            .get_redis_all_session()
            .instance_id(var("DBOPS_SANDBOX_REDIS_INSTANCE"))
            .send()
            .await
        {
            errors.push(e);
        }
    }
    control::Control.set_rate(&rate, 0).await;
    let codes: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(errors.iter().all(dbops_core::Error::is_throttling), "{codes:?}");
    assert!(
        codes.iter().filter(|c| c.contains("APIG.0308")).count() >= 2,
        "{codes:?}"
    );
    assert!(
        codes.iter().filter(|c| c.contains("Throttling.User")).count() >= 2,
        "{codes:?}"
    );
}

// ---- one session killed through each MySQL path ----

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn huawei_das_library_kills_the_batch_query_and_nothing_else() {
    reset().await;
    let instance = huawei_instance();
    let id = db_user_id(&instance).await;
    let batch = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let app = session("app", Some("sales"), sleep(600).as_deref()).await;
    let idle = session("app", None, None).await;
    let das = huawei_das();
    let listed = das
        .list_processes()
        .instance_id(&instance)
        .db_user_id(&id)
        .limit(100)
        .collect_all(10_000)
        .await
        .unwrap();
    let row = listed
        .iter()
        .find(|p| p.id.as_deref() == Some(&batch.id.to_string()))
        .expect("the batch session is listed");
    assert_eq!(row.user.as_deref(), Some("batch"));
    assert_eq!(row.database.as_deref(), Some("sales"));
    assert_eq!(row.sql.as_deref(), Some("SELECT SLEEP(600)"));
    assert_eq!(row.host.as_deref(), Some(batch.host.as_str()));
    let emulator = emulator_sessions().await;
    assert!(!emulator.is_empty(), "the emulator keeps connections");

    das.delete_process()
        .instance_id(&instance)
        .db_user_id(&id)
        .process_ids([batch.id.to_string()])
        .send()
        .await
        .unwrap();
    assert!(batch.saw_the_kill().await, "the batch query's connection sees the kill");
    others_survive(&[&app, &idle], &emulator).await;
}

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn huawei_das_cli_kills_the_batch_query_and_audits_it() {
    reset().await;
    let batch = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let app = session("app", Some("sales"), sleep(600).as_deref()).await;
    let emulator = emulator_sessions().await;
    let audit = std::env::temp_dir().join(format!("dbops-real-audit-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&audit);
    let out = huawei_cli(
        "kill",
        &["--user", "batch", "--yes", "--audit", audit.to_str().unwrap()],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(outcomes(&out), [(batch.id, true, "SESSION_KILLED".to_string())]);
    let record: Value = serde_json::from_str(std::fs::read_to_string(&audit).unwrap().trim()).unwrap();
    assert_eq!(record["sessions"], serde_json::json!([batch.id.to_string()]));
    assert!(batch.saw_the_kill().await);
    others_survive(&[&app], &emulator).await;
}

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn alibaba_kill_sessions_kills_the_batch_query_and_reports_the_real_outcome() {
    reset().await;
    let batch = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let app = session("app", Some("crm"), sleep(600).as_deref()).await;
    let emulator = emulator_sessions().await;
    let das = alibaba_das();
    let listed = das
        .get_my_sql_all_session_async()
        .instance_id(mysql_instance())
        .wait(alibabacloud_dbops::WaitPolicy::default().timeout(Duration::from_secs(30)))
        .await
        .unwrap();
    let sessions = listed.data.and_then(|d| d.session_data).unwrap().session_list;
    let row = sessions
        .iter()
        .find(|s| s.session_id == Some(batch.id as i64))
        .expect("the batch session is listed");
    assert_eq!(row.user.as_deref(), Some("batch"));
    assert_eq!(row.sql_text.as_deref(), Some("SELECT SLEEP(600)"));

    let input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
        .instance_id(mysql_instance())
        .db_user(var("DBOPS_DB_USER"))
        .db_user_password(var("DBOPS_DB_USER_PASSWORD"))
        .kill_all_sessions(false)
        .session_ids([batch.id]);
    let outcomes = das
        .kill_sessions(
            input,
            alibabacloud_dbops::WaitPolicy::default().timeout(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].state(), Some("SUCCESS"));
    let reported: Vec<(Option<i64>, Option<&str>)> = outcomes[0]
        .sessions()
        .iter()
        .map(|s| (s.id, s.reason.as_deref()))
        .collect();
    assert_eq!(reported, [(Some(batch.id as i64), Some("SESSION_KILLED"))]);
    assert!(batch.saw_the_kill().await);
    others_survive(&[&app], &emulator).await;
}

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn alibaba_cli_kills_the_session_it_selected_and_reports_it_killed() {
    reset().await;
    let batch = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let app = session("app", Some("sales"), sleep(600).as_deref()).await;
    let emulator = emulator_sessions().await;
    let out = alibaba_cli("kill", &["--user", "batch", "--yes"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(outcomes(&out), [(batch.id, true, "SESSION_KILLED".to_string())]);
    assert!(batch.saw_the_kill().await);
    others_survive(&[&app], &emulator).await;
}

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn killing_every_session_spares_ignored_users_and_the_services_own() {
    reset().await;
    let batch = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let app = session("app", Some("crm"), sleep(600).as_deref()).await;
    let emulator = emulator_sessions().await;
    let input = alibabacloud_dbops::das::CreateKillInstanceSessionTaskInput::default()
        .instance_id(mysql_instance())
        .db_user(var("DBOPS_DB_USER"))
        .db_user_password(var("DBOPS_DB_USER_PASSWORD"))
        .kill_all_sessions(true)
        .ignored_users(["app", "dbops_kill"]);
    let outcomes = alibaba_das()
        .kill_sessions(
            input,
            alibabacloud_dbops::WaitPolicy::default().timeout(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    let reason = |id: u64| {
        outcomes[0]
            .sessions()
            .iter()
            .find(|s| s.id == Some(id as i64))
            .and_then(|s| s.reason.clone())
    };
    assert_eq!(reason(batch.id).as_deref(), Some("SESSION_KILLED"));
    assert_eq!(reason(app.id).as_deref(), Some("SESSION_IGNORED_USER"));
    // The service's own account is internal; the kill account's other connections (the one the
    // emulator keeps for Huawei DAS) are an ignored user's.
    let mut ignored = 1;
    for own in &emulator {
        let user: String = admin()
            .await
            .query_first(format!(
                "SELECT USER FROM information_schema.PROCESSLIST WHERE ID = {own}"
            ))
            .await
            .unwrap()
            .unwrap();
        let want = if user == "das_admin" {
            "SESSION_INTERNAL_USER_OR_COMMAND"
        } else {
            ignored += 1;
            "SESSION_IGNORED_USER"
        };
        assert_eq!(reason(*own).as_deref(), Some(want), "session {own} of {user}");
    }
    assert_eq!(outcomes[0].result.ignored_user_session_count, Some(ignored));
    assert!(batch.saw_the_kill().await);
    others_survive(&[&app], &emulator).await;
}

// ---- the filters on a real process list ----

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn each_filter_selects_exactly_the_expected_sessions() {
    reset().await;
    // old: batch on sales, running for 3 s and more; idle: app on crm, idle as long;
    // report: app on sales, fresh; adhoc: batch on no database, fresh.
    let old = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let idle = session("app", Some("crm"), None).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let report = session("app", Some("sales"), Some("SELECT SLEEP(601) /* report */")).await;
    let adhoc = session("batch", None, sleep(599).as_deref()).await;
    let ours: BTreeSet<u64> = [old.id, idle.id, report.id, adhoc.id].into();
    let set = |s: &[&Session]| s.iter().map(|s| s.id).collect::<BTreeSet<u64>>();
    let host_filter = old.host.clone();
    // The filter's flags, the test's sessions it must select, and what every row it selects must hold.
    type Case<'a> = (Vec<&'a str>, BTreeSet<u64>, fn(&Value) -> bool);
    let cases: Vec<Case> = vec![
        (vec!["--min-seconds", "3"], set(&[&old, &idle]), |r| {
            r["seconds"].as_u64() >= Some(3)
        }),
        (vec!["--database", "sales"], set(&[&old, &report]), |r| {
            r["database"] == "sales"
        }),
        (vec!["--command", "Sleep"], set(&[&idle]), |r| r["command"] == "Sleep"),
        (vec!["--match-sql", r"SLEEP\(60\d\)"], set(&[&old, &report]), |r| {
            r["sql"].as_str().is_some_and(|q| q.contains("SLEEP(60"))
        }),
        (vec!["--match-sql", "report"], set(&[&report]), |r| {
            r["sql"].as_str().is_some_and(|q| q.contains("report"))
        }),
        (vec!["--user", "batch", "--min-seconds", "3"], set(&[&old]), |r| {
            r["user"] == "batch"
        }),
        (vec!["--host", &host_filter], set(&[&old]), |_| true),
        (vec!["--host", "10.9.8.7"], set(&[]), |_| false),
    ];
    for (filter, expected, holds) in &cases {
        let mut args = filter.clone();
        args.extend(["--output", "json"]);
        let rows = listed(&huawei_cli("list", &args).await);
        let got: BTreeSet<u64> = ids_of(&rows).intersection(&ours).copied().collect();
        assert_eq!(&got, expected, "huawei-das {filter:?}: {rows:?}");
        for row in &rows {
            assert!(holds(row), "{filter:?} selected {row}");
        }
    }
    // The host filter names one connection exactly (address and port): nothing else is selected.
    let rows = listed(&huawei_cli("list", &["--host", &host_filter, "--output", "json"]).await);
    assert_eq!(ids_of(&rows), set(&[&old]));
    // The Alibaba path reads the same list.
    let rows = listed(&alibaba_cli("list", &["--match-sql", r"SLEEP\(60\d\)", "--output", "json"]).await);
    let got: BTreeSet<u64> = ids_of(&rows).intersection(&ours).copied().collect();
    assert_eq!(got, set(&[&old, &report]), "alibaba-mysql --match-sql");
    for s in [&old, &idle, &report, &adhoc] {
        assert!(s.still_running(), "listing kills nothing");
    }
}

// ---- what must leave the process list as it was ----

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn a_dry_run_and_a_refused_confirmation_kill_nothing() {
    reset().await;
    let batch = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let before = running().await;

    let out = alibaba_cli("kill", &["--user", "batch", "--dry-run"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("dry run"), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("CreateKillInstanceSessionTask"),
        "the signed request is shown"
    );
    let out = huawei_cli("kill", &["--user", "batch", "--dry-run"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    // On a terminal, answered "n".
    let (instance, id, endpoint) = (huawei_instance(), db_user_id(&huawei_instance()).await, endpoint());
    let line = format!(
        "'{}' sessions kill --service huawei-das --instance {instance} --db-user-id {id} --endpoint {endpoint} --user batch",
        dbops_bin().display()
    );
    let refused = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("util-linux `script` runs dbops on a terminal");
        let mut stdin = child.stdin.take().unwrap();
        std::thread::sleep(Duration::from_millis(2_000));
        stdin.write_all(b"n").unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        text(&refused.stdout).contains("kill these 1 session(s)?"),
        "{}",
        text(&refused.stdout)
    );
    assert!(
        text(&refused.stdout).contains("nothing killed"),
        "{}",
        text(&refused.stdout)
    );

    assert!(batch.still_running());
    assert!(running().await.is_superset(&before), "the process list lost a session");
}

// ---- Redis ----

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn a_blocked_redis_client_is_killed() {
    let client = redis::Client::open(var("DBOPS_SANDBOX_REDIS")).unwrap();
    // No client-side reply timeout (the crate's default is 500 ms): the BLPOP waits until the kill.
    let unbounded = redis::AsyncConnectionConfig::new().set_response_timeout(None);
    let mut blocked = client
        .get_multiplexed_async_connection_with_config(&unbounded)
        .await
        .unwrap();
    let id: u64 = redis::cmd("CLIENT").arg("ID").query_async(&mut blocked).await.unwrap();
    let waiting = tokio::spawn(async move {
        redis::cmd("BLPOP")
            .arg("sandbox:queue")
            .arg(600)
            .query_async::<Option<(String, String)>>(&mut blocked)
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (instance, endpoint) = (var("DBOPS_SANDBOX_REDIS_INSTANCE"), endpoint());
    let base = [
        "--service",
        "alibaba-redis",
        "--instance",
        &instance,
        "--endpoint",
        &endpoint,
    ];
    let list = dbops(&[&["sessions", "list"], &base[..], &["--output", "json"]].concat()).await;
    let rows = listed(&list);
    let row = rows
        .iter()
        .find(|r| r["id"].as_str() == Some(id.to_string().as_str()))
        .unwrap_or_else(|| panic!("client {id} is listed: {rows:?}"));
    assert_eq!(row["command"], "blpop");

    assert!(!waiting.is_finished(), "the client is still blocked before the kill");
    let out = dbops(&[&["sessions", "kill"], &base[..], &["--all", "--yes"]].concat()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ended = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the blocked client sees the kill")
        .unwrap();
    assert!(
        ended.is_err(),
        "BLPOP ends with the connection, not with a value: {ended:?}"
    );
    // Gone from the server, and the service's own connection still works: it lists again.
    let mut check = client.get_multiplexed_async_connection().await.unwrap();
    let clients: String = redis::cmd("CLIENT").arg("LIST").query_async(&mut check).await.unwrap();
    assert!(
        !clients.lines().any(|l| l.starts_with(&format!("id={id} "))),
        "{clients}"
    );
    let again = listed(&dbops(&[&["sessions", "list"], &base[..], &["--output", "json"]].concat()).await);
    assert!(!again.is_empty(), "the emulator's own connection survived its kill-all");
}

// ---- a fleet under throttling ----

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn a_fleet_of_50_under_throttling_kills_exactly_the_batch_sessions_and_audits_them() {
    reset().await;
    let fleet: usize = var("DBOPS_SANDBOX_FLEET").parse().unwrap();
    assert_eq!(fleet, 50);
    let mut batch = Vec::new();
    for n in 0..100 {
        batch.push(session("batch", Some(["sales", "crm"][n % 2]), sleep(600).as_deref()).await);
    }
    let mut app = Vec::new();
    for _ in 0..10 {
        app.push(session("app", Some("sales"), sleep(600).as_deref()).await);
    }
    let emulator = emulator_sessions().await;
    let rate = format!("{}/_sandbox/rate", endpoint());
    let http = control::Control;
    let before = http.throttled(&rate).await;
    http.set_rate(&rate, 15).await;

    let dir = std::env::temp_dir().join(format!("dbops-real-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("instances.txt");
    let audit = dir.join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let ids: Vec<String> = (0..fleet).map(dbops_sandbox::ids::alibaba_mysql_fleet).collect();
    std::fs::write(&file, ids.join("\n") + "\n").unwrap();
    let endpoint = endpoint();
    let out = dbops(&[
        "sessions",
        "kill",
        "--service",
        "alibaba-mysql",
        "--instances",
        file.to_str().unwrap(),
        "--endpoint",
        &endpoint,
        "--user",
        "batch",
        "--yes",
        "--concurrency",
        "8",
        "--rate",
        "40",
        "--audit",
        audit.to_str().unwrap(),
    ])
    .await;
    http.set_rate(&rate, 0).await;
    let throttled = http.throttled(&rate).await - before;
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert!(throttled > 0, "the emulator throttled the run");
    eprintln!("fleet: {throttled} requests throttled");
    let results = lines(&out);
    assert_eq!(results.len(), fleet, "one result line per instance");
    assert!(results.iter().all(|r| r.get("error").is_none()), "{results:?}");

    // The audit log names exactly the sessions that were really killed.
    let mut audited = BTreeSet::new();
    for line in std::fs::read_to_string(&audit).unwrap().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        for o in record["outcomes"].as_array().unwrap() {
            assert_eq!(o["killed"], true, "{record}");
            assert!(
                audited.insert(o["id"].as_str().unwrap().parse::<u64>().unwrap()),
                "killed twice: {o}"
            );
        }
    }
    let wanted: BTreeSet<u64> = batch.iter().map(|s| s.id).collect();
    assert_eq!(audited, wanted);
    let now = running().await;
    assert!(now.is_disjoint(&wanted), "no batch session is left");
    for s in batch {
        assert!(s.saw_the_kill().await);
    }
    others_survive(&app.iter().collect::<Vec<_>>(), &emulator).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The sandbox's control endpoint, over a plain HTTP/1.1 exchange.
mod control {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    pub struct Control;

    impl Control {
        async fn call(&self, url: &str, method: &str, body: &str) -> serde_json::Value {
            let rest = url.strip_prefix("http://").unwrap();
            let (authority, path) = rest.split_once('/').unwrap();
            let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
            let request = format!(
                "{method} /{path} HTTP/1.1\r\nhost: {authority}\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            // The reply's head, then as many bytes as it declares (the connection stays open).
            let mut reply = Vec::new();
            let mut chunk = [0u8; 4096];
            let json = loop {
                let n = stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "the control endpoint closed the connection");
                reply.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&reply).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let declared: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if body.len() >= declared {
                        break body.to_string();
                    }
                }
            };
            serde_json::from_str(&json).unwrap()
        }

        pub async fn set_rate(&self, url: &str, per_second: u32) {
            let set = self.call(url, "PUT", &per_second.to_string()).await;
            assert_eq!(set["rate"], per_second);
        }

        pub async fn throttled(&self, url: &str) -> u64 {
            self.call(url, "GET", "").await["throttled"].as_u64().unwrap()
        }
    }
}

// ---- pt-kill's selection and the watch, on real sessions ----

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn pt_kill_selection_and_victims_on_a_real_process_list() {
    reset().await;
    let old = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let idle = session("app", Some("crm"), None).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let fresh = session("batch", Some("sales"), sleep(601).as_deref()).await;
    let report = session("app", Some("sales"), sleep(602).as_deref()).await;
    let ours: BTreeSet<u64> = [old.id, idle.id, fresh.id, report.id].into();
    let set = |s: &[&Session]| s.iter().map(|s| s.id).collect::<BTreeSet<u64>>();
    let cases: Vec<(Vec<&str>, BTreeSet<u64>)> = vec![
        (vec!["--match-user", "^ba"], set(&[&old, &fresh])),
        (vec!["--match-user", "^ba", "--ignore-sql", r"\(601\)"], set(&[&old])),
        (
            vec!["--match-database", "^sal", "--ignore-user", "^app$"],
            set(&[&old, &fresh]),
        ),
        (vec!["--busy-time", "3"], set(&[&old])),
        (vec!["--idle-time", "3"], set(&[&idle])),
        (vec!["--user", "batch", "--victims", "oldest"], set(&[&old])),
        (vec!["--user", "batch", "--victims", "all-but-oldest"], set(&[&fresh])),
        (vec!["--match-sql", "SLEEP", "--ignore-command", "Query"], set(&[])),
    ];
    for (rule, want) in &cases {
        let mut args = rule.clone();
        args.extend(["--output", "json"]);
        let rows = listed(&huawei_cli("list", &args).await);
        let got: BTreeSet<u64> = ids_of(&rows).intersection(&ours).copied().collect();
        assert_eq!(&got, want, "{rule:?}: {rows:?}");
    }
    // The same rules, tried offline on the list as it was saved: the same selection.
    let saved = huawei_cli("list", &["--output", "json"]).await;
    let file = std::env::temp_dir().join(format!("dbops-real-saved-{}.json", std::process::id()));
    std::fs::write(&file, &saved.stdout).unwrap();
    for (rule, want) in &cases {
        let mut args = vec![
            "sessions",
            "list",
            "--test-matching",
            file.to_str().unwrap(),
            "--output",
            "json",
        ];
        args.extend(rule.iter().copied());
        let out = dbops(&args).await;
        let got: BTreeSet<u64> = ids_of(&listed(&out)).intersection(&ours).copied().collect();
        assert_eq!(&got, want, "--test-matching {rule:?}");
    }
    let _ = std::fs::remove_file(&file);
    for s in [&old, &idle, &fresh, &report] {
        assert!(s.still_running(), "selecting kills nothing");
    }
}

/// `dbops sessions kill … --service huawei-das` on the main instance, started and left running.
async fn huawei_kill_child(rest: &[&str]) -> tokio::process::Child {
    let (instance, id, endpoint) = (huawei_instance(), db_user_id(&huawei_instance()).await, endpoint());
    let mut cmd = tokio::process::Command::new(dbops_bin());
    cmd.args([
        "sessions",
        "kill",
        "--service",
        "huawei-das",
        "--instance",
        &instance,
        "--db-user-id",
        &id,
        "--endpoint",
        &endpoint,
    ])
    .args(rest)
    .env_clear()
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    for name in [
        "PATH",
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_PROJECT_ID",
    ] {
        cmd.env(name, var(name));
    }
    cmd.spawn().unwrap()
}

/// Reads standard output lines of `child` until one holds `round: n`.
async fn until_round(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    seen: &mut Vec<Value>,
    n: u64,
) {
    loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the watch goes on")
            .unwrap()
            .expect("the watch prints its rounds");
        let v: Value = serde_json::from_str(&line).unwrap();
        let done = v.get("ok").is_some() && v["round"] == n;
        seen.push(v);
        if done {
            return;
        }
    }
}

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn a_watch_kills_a_query_that_starts_between_rounds_and_spares_one_that_finished() {
    use tokio::io::AsyncBufReadExt;
    reset().await;
    let mut child = huawei_kill_child(&["--user", "batch", "--yes", "--interval", "2s", "--run-time", "9s"]).await;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    until_round(&mut lines, &mut seen, 1).await;
    // Between rounds 1 and 2: a query that is over before round 2 lists.
    let short = session("batch", Some("sales"), sleep(1).as_deref()).await;
    until_round(&mut lines, &mut seen, 2).await;
    // Between rounds 2 and 3: one that runs on.
    let long = session("batch", Some("sales"), sleep(600).as_deref()).await;
    while let Ok(Some(line)) = lines.next_line().await {
        seen.push(serde_json::from_str(&line).unwrap());
    }
    let status = child.wait().await.unwrap();
    assert!(status.success());
    let killed: Vec<(u64, String)> = seen
        .iter()
        .filter(|v| v.get("killed").is_some())
        .map(|v| (v["round"].as_u64().unwrap(), v["id"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(killed, [(3, long.id.to_string())], "{seen:?}");
    let rounds = seen.iter().filter(|v| v.get("ok").is_some()).count();
    assert_eq!(rounds, 5, "rounds at 0, 2, 4, 6 and 8 s of a 9 s run: {seen:?}");
    assert!(
        matches!(short.running.await, Ok(Ok(()))),
        "the short query finished on its own"
    );
    assert!(long.saw_the_kill().await);
}

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn wait_before_kill_spares_a_session_whose_statement_changed() {
    reset().await;
    // `changing` runs a short statement, then (on the same connection) another.
    let base = mysql_async::Opts::from_url(&var("DBOPS_SANDBOX_MYSQL")).unwrap();
    let opts = mysql_async::OptsBuilder::from_opts(base)
        .user(Some("batch"))
        .pass(Some(PASSWORD))
        .prefer_socket(false);
    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    let changing_id: u64 = conn.query_first("SELECT CONNECTION_ID()").await.unwrap().unwrap();
    let changing = tokio::spawn(async move {
        conn.query_drop("SELECT SLEEP(2)").await?;
        conn.query_drop("SELECT SLEEP(600) /* next */").await
    });
    let steady = session("batch", Some("sales"), sleep(600).as_deref()).await;
    let out = huawei_cli("kill", &["--user", "batch", "--yes", "--wait-before-kill", "3s"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("recheck after 3s: 1 of 2 still running the same statement"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(outcomes(&out), [(steady.id, true, "SESSION_KILLED".to_string())]);
    assert!(steady.saw_the_kill().await);
    assert!(!changing.is_finished(), "the changed session runs on");
    assert!(running().await.contains(&changing_id));
}

#[tokio::test]
#[ignore = "needs real MariaDB and Redis: cargo xtask test-real"]
async fn sigterm_during_a_watch_round_finishes_the_round_and_leaves_a_consistent_audit_log() {
    reset().await;
    let mut batch = Vec::new();
    for _ in 0..3 {
        batch.push(session("batch", Some("sales"), sleep(600).as_deref()).await);
    }
    let audit = std::env::temp_dir().join(format!("dbops-real-watch-audit-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&audit);
    // Each round lists, waits 2 s, lists again, then kills: the signal lands inside round 1.
    let child = huawei_kill_child(&[
        "--user",
        "batch",
        "--yes",
        "--interval",
        "1s",
        "--wait-before-kill",
        "2s",
        "--audit",
        audit.to_str().unwrap(),
    ])
    .await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the watch stops after the round")
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 round(s)"), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("stopped by a signal"),
        "{}",
        text(&out.stderr)
    );
    let printed: BTreeSet<u64> = lines(&out)
        .iter()
        .filter(|v| v["killed"] == true)
        .map(|v| v["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let records: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every audit line is whole"))
        .collect();
    assert_eq!(records.len(), 1, "one round, one record");
    let audited: BTreeSet<u64> = records[0]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().parse().unwrap())
        .collect();
    let wanted: BTreeSet<u64> = batch.iter().map(|s| s.id).collect();
    assert_eq!(audited, wanted, "the round that was under way killed what it selected");
    assert_eq!(printed, wanted);
    assert!(running().await.is_disjoint(&wanted));
    let _ = std::fs::remove_file(&audit);
}
