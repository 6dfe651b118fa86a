//! The MySQL side: the real process list, and `KILL`.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

/// One row of `information_schema.PROCESSLIST`, with its transaction if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub id: u64,
    pub user: String,
    /// `address:port` (empty for the server's own threads).
    pub host: String,
    pub db: Option<String>,
    pub command: String,
    /// Seconds in the current state.
    pub time: u64,
    pub state: Option<String>,
    pub info: Option<String>,
    pub trx_id: Option<String>,
    pub trx_seconds: Option<u64>,
}

/// Users and commands that are the server's own work or replication.
pub const INTERNAL_USERS: [&str; 3] = ["system user", "event_scheduler", "unauthenticated user"];
pub const INTERNAL_COMMANDS: [&str; 5] = ["Binlog Dump", "Binlog Dump GTID", "Daemon", "Register Slave", "Killed"];

impl Process {
    /// The client's address without its port.
    pub fn client(&self) -> &str {
        self.host.rsplit_once(':').map_or(self.host.as_str(), |(a, _)| a)
    }

    /// Not sleeping.
    pub fn active(&self) -> bool {
        self.command != "Sleep"
    }

    /// Replication or the server's own work.
    pub fn internal(&self) -> bool {
        INTERNAL_USERS.contains(&self.user.as_str()) || INTERNAL_COMMANDS.contains(&self.command.as_str())
    }
}

fn text(row: &Row, i: usize) -> Option<String> {
    row.get_opt::<Option<Vec<u8>>, _>(i)
        .and_then(Result::ok)
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn number(row: &Row, i: usize) -> Option<u64> {
    row.get_opt::<Option<i64>, _>(i)
        .and_then(Result::ok)
        .flatten()
        .and_then(|n| u64::try_from(n).ok())
}

/// The process list as the account of `conn` sees it (all of it with the PROCESS privilege).
pub async fn processes(conn: &mut Conn) -> Result<Vec<Process>, mysql_async::Error> {
    let rows: Vec<Row> = conn
        .query(
            "SELECT p.ID, p.USER, p.HOST, p.DB, p.COMMAND, p.TIME, p.STATE, p.INFO, t.trx_id, \
                    TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) \
             FROM information_schema.PROCESSLIST p \
             LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID \
             ORDER BY p.ID",
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Process {
            id: number(r, 0).unwrap_or_default(),
            user: text(r, 1).unwrap_or_default(),
            host: text(r, 2).unwrap_or_default(),
            db: text(r, 3),
            command: text(r, 4).unwrap_or_default(),
            time: number(r, 5).unwrap_or_default(),
            state: text(r, 6).filter(|s| !s.is_empty()),
            info: text(r, 7),
            trx_id: text(r, 8),
            trx_seconds: number(r, 9),
        })
        .collect())
}

/// How a `KILL` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Killed {
    Yes,
    /// No such thread (it ended already): MySQL error 1094.
    Gone,
    /// The account may not kill it: MySQL error 1095.
    NotPermitted(String),
    Failed(String),
}

/// `KILL id` (the connection, as DAS kills a session) through `conn`.
pub async fn kill(conn: &mut Conn, id: u64) -> Killed {
    match conn.query_drop(format!("KILL {id}")).await {
        Ok(()) => Killed::Yes,
        Err(mysql_async::Error::Server(e)) if e.code == 1094 => Killed::Gone,
        Err(mysql_async::Error::Server(e)) if e.code == 1095 => Killed::NotPermitted(e.message),
        Err(e) => Killed::Failed(e.to_string()),
    }
}

/// The connection's own thread id.
pub async fn own_id(conn: &mut Conn) -> Result<u64, mysql_async::Error> {
    Ok(conn
        .query_first::<u64, _>("SELECT CONNECTION_ID()")
        .await?
        .unwrap_or_default())
}

/// Connection options for `user` on the server.
pub fn opts(host: &str, port: u16, user: &str, password: &str) -> mysql_async::Opts {
    mysql_async::OptsBuilder::default()
        .ip_or_hostname(host.to_string())
        .tcp_port(port)
        .user(Some(user.to_string()))
        .pass(Some(password.to_string()))
        .prefer_socket(false)
        .into()
}
