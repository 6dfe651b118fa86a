//! One session, whatever the service: the shape `sessions list` prints and `--test-matching` reads.

use serde_json::{Value, json};

/// Commands that are replication or the server's own work: never selected by a filter, only by id.
const SYSTEM_COMMANDS: [&str; 4] = ["Binlog Dump", "Binlog Dump GTID", "Daemon", "Register Slave"];
/// Users that are the server's own.
const SYSTEM_USERS: [&str; 3] = ["system user", "event_scheduler", "__system"];

/// One session.
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
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "user": self.user, "host": self.host, "database": self.database,
            "command": self.command, "state": self.state, "seconds": self.seconds, "sql": self.sql,
        })
    }

    /// A session as [`Session::to_json`] writes it: `None` for a value that is not an object with an
    /// `id`.
    pub fn from_json(v: &Value) -> Option<Self> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let id = match v.get("id")? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        Some(Self {
            id,
            user: text("user"),
            host: text("host"),
            database: text("database"),
            command: text("command"),
            state: text("state"),
            seconds: v.get("seconds").and_then(Value::as_u64),
            sql: text("sql"),
        })
    }

    /// Replication or the server's own work.
    pub fn is_system(&self) -> bool {
        self.command.as_deref().is_some_and(|c| SYSTEM_COMMANDS.contains(&c))
            || self.user.as_deref().is_some_and(|u| SYSTEM_USERS.contains(&u))
    }

    /// Whether `later` (listed after this one) is the same connection still running the same
    /// statement: same id, user, host (with its port, so a new connection given the id of an old one
    /// differs), database and SQL text, and a running time that has not gone back (a statement
    /// started again restarts its clock).
    pub fn same_statement(&self, later: &Session) -> bool {
        self.id == later.id
            && self.user == later.user
            && self.host == later.host
            && self.database == later.database
            && self.sql == later.sql
            && match (self.seconds, later.seconds) {
                (Some(before), Some(after)) => after >= before,
                _ => true,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: &str, host: &str, sql: &str, seconds: u64) -> Session {
        Session {
            id: id.into(),
            user: Some("app".into()),
            host: Some(host.into()),
            sql: Some(sql.into()),
            seconds: Some(seconds),
            ..Session::default()
        }
    }

    #[test]
    fn the_same_statement_is_the_same_connection_still_on_the_same_execution() {
        let before = s("7", "10.0.0.1:5000", "select sleep(60)", 30);
        assert!(before.same_statement(&s("7", "10.0.0.1:5000", "select sleep(60)", 35)));
        assert!(
            !before.same_statement(&s("7", "10.0.0.1:5001", "select sleep(60)", 35)),
            "a new connection"
        );
        assert!(
            !before.same_statement(&s("7", "10.0.0.1:5000", "select 1", 35)),
            "another statement"
        );
        assert!(
            !before.same_statement(&s("7", "10.0.0.1:5000", "select sleep(60)", 2)),
            "started again"
        );
        assert!(!before.same_statement(&s("8", "10.0.0.1:5000", "select sleep(60)", 35)));
    }

    #[test]
    fn a_session_reads_back_as_it_was_written() {
        let one = s("7", "h:1", "q", 3);
        assert_eq!(Session::from_json(&one.to_json()), Some(one));
        assert_eq!(Session::from_json(&json!({"id": 9})).map(|s| s.id), Some("9".into()));
        assert_eq!(Session::from_json(&json!({"user": "x"})), None);
    }
}
