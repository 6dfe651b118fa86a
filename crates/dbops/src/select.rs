//! Which sessions are selected: pt-kill's matching rules, then its choice of victims.

use clap::{Arg, ArgAction, ArgMatches, Command};
use dbops_core::Error;

use crate::session::Session;

/// How the selection's criteria combine, for `--help`.
pub const HOW_CRITERIA_COMBINE: &str = "\
Selection, as pt-kill's:
  A session is selected when it meets every criterion given: --user, --host, --database, --command,
  --state (exact, any case), --match-* (a regular expression found anywhere in the field; anchor it with
  ^ and $ to match all of it), --min-seconds, --busy-time and --idle-time. A session that any --ignore-*
  expression matches is never selected, whatever matches it. Replication and the server's own sessions
  (Binlog Dump, system user, ...) are never selected by criteria, only by --ids. A session lacking a
  field (no database, no SQL) does not match a criterion on it, and is not ignored by one.
  --victims then chooses among the matching sessions of each instance: all (the default), oldest (the
  one running longest, as pt-kill does by default) or all-but-oldest.";

/// A field a regular expression is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    User,
    Host,
    Database,
    Command,
    State,
    Sql,
}

impl Field {
    const ALL: [(Field, &'static str); 6] = [
        (Field::User, "user"),
        (Field::Host, "host"),
        (Field::Database, "database"),
        (Field::Command, "command"),
        (Field::State, "state"),
        (Field::Sql, "sql"),
    ];

    fn of(self, s: &Session) -> Option<&str> {
        match self {
            Field::User => s.user.as_deref(),
            Field::Host => s.host.as_deref(),
            Field::Database => s.database.as_deref(),
            Field::Command => s.command.as_deref(),
            Field::State => s.state.as_deref(),
            Field::Sql => s.sql.as_deref(),
        }
    }
}

/// Which of the matching sessions are chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Victims {
    #[default]
    All,
    Oldest,
    AllButOldest,
}

/// Commands of a session running a statement (MySQL `Query`, `Execute`).
const BUSY: [&str; 2] = ["Query", "Execute"];

/// The selection.
#[derive(Debug, Default)]
pub struct Selection {
    /// Exact (case-insensitive) criteria by field; `host` also matches without its port.
    exact: Vec<(Field, String)>,
    matches: Vec<(Field, regress::Regex)>,
    ignores: Vec<(Field, regress::Regex)>,
    min_seconds: Option<u64>,
    busy_time: Option<u64>,
    idle_time: Option<u64>,
    victims: Victims,
    /// `--ids` (kill only): exactly these sessions.
    ids: Vec<String>,
}

/// Adds the selection's flags to `cmd`.
pub fn args(cmd: Command) -> Command {
    let text = |name: &'static str, help: &'static str| Arg::new(name).long(name).value_name("TEXT").help(help);
    let seconds = |name: &'static str, help: &'static str| {
        Arg::new(name)
            .long(name)
            .value_name("N")
            .value_parser(clap::value_parser!(u64))
            .help(help)
    };
    let mut cmd = cmd
        .arg(text("user", "Only sessions of this user"))
        .arg(text("host", "Only sessions from this host (with or without its port)"))
        .arg(text("database", "Only sessions on this database"))
        .arg(text("command", "Only sessions running this command (Query, Sleep, …)"))
        .arg(text("state", "Only sessions in this state"))
        .arg(seconds("min-seconds", "Only sessions running for at least N seconds"))
        .arg(seconds(
            "busy-time",
            "Only sessions running a statement (Query, Execute) for at least N seconds",
        ))
        .arg(seconds(
            "idle-time",
            "Only sessions sleeping (Sleep) for at least N seconds",
        ))
        .arg(
            Arg::new("victims")
                .long("victims")
                .value_parser(["all", "oldest", "all-but-oldest"])
                .default_value("all")
                .help("Which of the matching sessions of an instance: all, the oldest, or all but the oldest"),
        );
    for (_, field) in Field::ALL {
        let (m, i): (&'static str, &'static str) = match field {
            "user" => ("match-user", "ignore-user"),
            "host" => ("match-host", "ignore-host"),
            "database" => ("match-database", "ignore-database"),
            "command" => ("match-command", "ignore-command"),
            "state" => ("match-state", "ignore-state"),
            _ => ("match-sql", "ignore-sql"),
        };
        cmd = cmd
            .arg(
                Arg::new(m)
                    .long(m)
                    .value_name("REGEX")
                    .action(ArgAction::Append)
                    .help(format!("Only sessions whose {field} this regular expression matches")),
            )
            .arg(
                Arg::new(i)
                    .long(i)
                    .value_name("REGEX")
                    .action(ArgAction::Append)
                    .help(format!("Never sessions whose {field} this regular expression matches")),
            );
    }
    cmd
}

fn regex(flag: &str, pattern: &str) -> Result<regress::Regex, Error> {
    regress::Regex::new(pattern)
        .map_err(|e| Error::Config(format!("--{flag}: `{pattern}` is not a regular expression: {e}")))
}

impl Selection {
    pub fn from_matches(m: &ArgMatches) -> Result<Self, Error> {
        let mut s = Selection::default();
        for (field, name) in Field::ALL {
            let exact = if name == "sql" { None } else { m.get_one::<String>(name) };
            if let Some(v) = exact {
                s.exact.push((field, v.clone()));
            }
            for (prefix, into) in [("match", &mut s.matches), ("ignore", &mut s.ignores)] {
                let flag = format!("{prefix}-{name}");
                for p in m.get_many::<String>(&flag).into_iter().flatten() {
                    into.push((field, regex(&flag, p)?));
                }
            }
        }
        s.min_seconds = m.get_one::<u64>("min-seconds").copied();
        s.busy_time = m.get_one::<u64>("busy-time").copied();
        s.idle_time = m.get_one::<u64>("idle-time").copied();
        s.victims = match m.get_one::<String>("victims").map(String::as_str) {
            Some("oldest") => Victims::Oldest,
            Some("all-but-oldest") => Victims::AllButOldest,
            _ => Victims::All,
        };
        // `--ids` is kill's only.
        s.ids = m
            .try_get_many::<String>("ids")
            .ok()
            .flatten()
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        Ok(s)
    }

    /// The exact user and database asked for, which a service can filter on itself.
    pub fn exact_user(&self) -> Option<&str> {
        self.exact_of(Field::User)
    }

    pub fn exact_database(&self) -> Option<&str> {
        self.exact_of(Field::Database)
    }

    fn exact_of(&self, field: Field) -> Option<&str> {
        self.exact.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())
    }

    /// `--min-seconds`, which a service can filter on itself.
    pub fn min_seconds(&self) -> Option<u64> {
        self.min_seconds
    }

    /// Whether `s` meets the criteria: by id when ids are given (system sessions included), else
    /// every criterion given and no ignore expression, system sessions never.
    pub fn matches(&self, s: &Session) -> bool {
        if !self.ids.is_empty() {
            return self.ids.contains(&s.id);
        }
        let exact_ok = self.exact.iter().all(|(field, want)| {
            field.of(s).is_some_and(|got| {
                got.eq_ignore_ascii_case(want)
                    || (*field == Field::Host && got.rsplit_once(':').is_some_and(|(addr, _)| addr == want))
            })
        });
        let at_least = |min: Option<u64>| min.is_none_or(|min| s.seconds.is_some_and(|t| t >= min));
        let command = s.command.as_deref().unwrap_or_default();
        !s.is_system()
            && exact_ok
            && self
                .matches
                .iter()
                .all(|(field, re)| field.of(s).is_some_and(|v| re.find(v).is_some()))
            && !self
                .ignores
                .iter()
                .any(|(field, re)| field.of(s).is_some_and(|v| re.find(v).is_some()))
            && at_least(self.min_seconds)
            && (self.busy_time.is_none() || (BUSY.contains(&command) && at_least(self.busy_time)))
            && (self.idle_time.is_none() || (command == "Sleep" && at_least(self.idle_time)))
    }

    /// The sessions of one instance that are selected: those that match, then the victims among them.
    pub fn select<'a>(&self, sessions: &'a [Session]) -> Vec<&'a Session> {
        let matching: Vec<&Session> = sessions.iter().filter(|s| self.matches(s)).collect();
        // The oldest: the longest running; of equals, the first listed.
        let oldest = matching
            .iter()
            .enumerate()
            .max_by_key(|(i, s)| (s.seconds.unwrap_or(0), std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        match (self.victims, oldest) {
            (Victims::All, _) | (_, None) => matching,
            (Victims::Oldest, Some(o)) => vec![matching[o]],
            (Victims::AllButOldest, Some(o)) => matching
                .into_iter()
                .enumerate()
                .filter(|(i, _)| *i != o)
                .map(|(_, s)| s)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Selection {
        let cmd = args_cmd();
        let m = cmd
            .try_get_matches_from(std::iter::once("t").chain(args.iter().copied()))
            .unwrap();
        Selection::from_matches(&m).unwrap()
    }

    fn args_cmd() -> Command {
        args(Command::new("t")).arg(Arg::new("ids").long("ids").num_args(1..))
    }

    fn s(id: &str, user: &str, command: &str, seconds: u64, sql: Option<&str>) -> Session {
        Session {
            id: id.into(),
            user: Some(user.into()),
            host: Some("10.0.0.1:5000".into()),
            command: Some(command.into()),
            seconds: Some(seconds),
            sql: sql.map(str::to_string),
            ..Session::default()
        }
    }

    fn ids(sel: &Selection, list: &[Session]) -> Vec<String> {
        sel.select(list).iter().map(|s| s.id.clone()).collect()
    }

    #[test]
    fn matches_combine_and_an_ignore_wins() {
        let list = [
            s("1", "batch", "Query", 100, Some("select * from orders")),
            s("2", "batch_ro", "Query", 100, Some("select * from orders")),
            s("3", "app", "Query", 100, Some("update orders set x = 1")),
            s("4", "app", "Sleep", 100, None),
        ];
        assert_eq!(ids(&parse(&["--match-user", "^batch"]), &list), ["1", "2"]);
        assert_eq!(
            ids(&parse(&["--match-user", "^batch", "--ignore-user", "_ro$"]), &list),
            ["1"]
        );
        assert_eq!(
            ids(&parse(&["--match-sql", "orders", "--ignore-sql", "^update"]), &list),
            ["1", "2"]
        );
        assert_eq!(
            ids(&parse(&["--match-user", "app", "--match-command", "Sleep"]), &list),
            ["4"]
        );
        assert_eq!(
            ids(&parse(&["--ignore-sql", "."]), &list),
            ["4"],
            "no SQL: not ignored by a SQL rule"
        );
        assert_eq!(
            ids(&parse(&["--match-sql", "."]), &list),
            ["1", "2", "3"],
            "no SQL: no match"
        );
    }

    #[test]
    fn busy_and_idle_time_are_statements_and_sleeps_of_at_least_n_seconds() {
        let list = [
            s("1", "a", "Query", 10, Some("q")),
            s("2", "a", "Query", 9, Some("q")),
            s("3", "a", "Sleep", 10, None),
            s("4", "a", "Execute", 30, Some("q")),
        ];
        assert_eq!(ids(&parse(&["--busy-time", "10"]), &list), ["1", "4"]);
        assert_eq!(ids(&parse(&["--idle-time", "10"]), &list), ["3"]);
        assert_eq!(ids(&parse(&["--idle-time", "11"]), &list), Vec::<String>::new());
    }

    #[test]
    fn victims_choose_among_the_matching_sessions() {
        let list = [
            s("1", "a", "Query", 10, Some("q")),
            s("2", "a", "Query", 50, Some("q")),
            s("3", "a", "Query", 50, Some("q")),
            s("4", "b", "Query", 90, Some("q")),
        ];
        let with = |v: &str| parse(&["--user", "a", "--victims", v]);
        assert_eq!(ids(&with("all"), &list), ["1", "2", "3"]);
        assert_eq!(
            ids(&with("oldest"), &list),
            ["2"],
            "the longest running; of equals the first"
        );
        assert_eq!(ids(&with("all-but-oldest"), &list), ["1", "3"]);
        assert_eq!(
            ids(&parse(&["--user", "c", "--victims", "oldest"]), &list),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_broken_expression_names_its_flag() {
        let m = args_cmd().try_get_matches_from(["t", "--ignore-host", "("]).unwrap();
        let e = Selection::from_matches(&m).unwrap_err();
        assert!(
            e.to_string().contains("--ignore-host: `(` is not a regular expression"),
            "{e}"
        );
    }
}
