//! What the generated code tells the runtime about each operation, and the local checks that run on
//! every request before anything goes on the network.
//!
//! The tables are generated from the specs (`cargo xtask generate`); this module only interprets them.

use std::fmt;
use std::sync::OnceLock;

use percent_encoding::percent_decode_str;
use serde_json::Value;

/// One operation of a service.
#[derive(Debug)]
pub struct Operation {
    /// The vendor's name (`DeleteProcess`).
    pub name: &'static str,
    /// The Rust method name (`delete_process`).
    pub id: &'static str,
    /// The HTTP method on the wire.
    pub method: &'static str,
    /// The path template on the wire (`/` for RPC-style actions).
    pub path: &'static str,
    /// The RPC Action, for RPC-style services.
    pub rpc_action: Option<&'static str>,
    /// Local checks.
    pub rules: &'static [Rule],
    /// Request fields that hold secrets.
    pub secrets: &'static [&'static str],
}

/// Where a checked value sits in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// A path template parameter.
    Path(&'static str),
    /// A query parameter.
    Query(&'static str),
    /// A header.
    Header(&'static str),
    /// A top-level property of the JSON body; `""` is the body itself.
    Body(&'static str),
}

/// A regular expression from the spec, compiled on first use.
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<Option<regress::Regex>>,
}

impl Pattern {
    /// A pattern, compiled on first use.
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// The pattern as written in the spec.
    pub fn source(&self) -> &'static str {
        self.source
    }

    fn matches(&self, s: &str) -> bool {
        // A pattern that does not compile rejects everything rather than letting anything through.
        self.compiled
            .get_or_init(|| regress::Regex::new(self.source).ok())
            .as_ref()
            .is_some_and(|re| re.find(s).is_some())
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

/// One check.
#[derive(Debug)]
pub enum Check {
    /// The string matches the regular expression.
    Pattern(Pattern),
    /// The string has at least this many characters.
    MinLength(u64),
    /// The string has at most this many characters.
    MaxLength(u64),
    /// The array has at least this many items.
    MinItems(u64),
    /// The array has at most this many items.
    MaxItems(u64),
    /// The integer is at least this.
    Minimum(i64),
    /// The integer is at most this.
    Maximum(i64),
    /// The string is the decimal text of an integer in `min..=max`.
    IntegerText {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// At least one of these body properties is present and non-empty.
    AtLeastOneOf(&'static [&'static str]),
}

/// A check bound to a field.
#[derive(Debug)]
pub struct Rule {
    /// Where the checked value sits.
    pub loc: Loc,
    /// Applies to each item of an array.
    pub each: bool,
    /// What is checked.
    pub check: Check,
}

/// A broken rule: which field, and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field as the vendor names it (`process_ids[1]`, `instance_id`, `DbUser`).
    pub field: String,
    /// The rule, in words.
    pub rule: String,
}

impl Violation {
    /// A violation of `rule` by `field`.
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// Reads back the text made by `Display` (`field: rule`); the generated client carries violations
    /// through progenitor's `Error::InvalidRequest(String)`.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("invalid `")?;
        let (field, rule) = rest.split_once("`: ")?;
        Some(Self::new(field, rule))
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: {}", self.field, self.rule)
    }
}

impl std::error::Error for Violation {}

/// The parts of a request the rules look at.
pub struct RequestView<'a> {
    /// The URL path as sent (percent-encoded).
    pub path: &'a str,
    /// Decoded query pairs.
    pub query: &'a [(String, String)],
    /// The headers.
    pub headers: &'a reqwest::header::HeaderMap,
    /// The JSON body, if any.
    pub body: Option<&'a Value>,
}

impl Operation {
    /// Checks every rule; the first broken one is returned.
    pub fn validate(&self, req: &RequestView<'_>) -> Result<(), Violation> {
        for rule in self.rules {
            match rule.loc {
                Loc::Body("") => check_body(rule, req.body)?,
                Loc::Body(name) => {
                    if let Some(v) = req.body.and_then(|b| b.get(name)) {
                        check_value(rule, name, v)?;
                    }
                }
                Loc::Path(name) => {
                    if let Some(v) = path_param(self.path, req.path, name) {
                        check_value(rule, name, &Value::String(v))?;
                    }
                }
                Loc::Query(name) => {
                    for (_, v) in req.query.iter().filter(|(k, _)| k == name) {
                        check_value(rule, name, &Value::String(v.clone()))?;
                    }
                }
                Loc::Header(name) => {
                    if let Some(v) = req.headers.get(name).and_then(|v| v.to_str().ok()) {
                        check_value(rule, name, &Value::String(v.to_string()))?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_body(rule: &Rule, body: Option<&Value>) -> Result<(), Violation> {
    if let Check::AtLeastOneOf(names) = rule.check {
        let given = |n: &&str| match body.and_then(|b| b.get(*n)) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        };
        if !names.iter().any(given) {
            return Err(Violation::new(
                names.join(", "),
                format!("at least one of {} must be given and non-empty", names.join(", ")),
            ));
        }
    }
    Ok(())
}

fn check_value(rule: &Rule, name: &str, v: &Value) -> Result<(), Violation> {
    if rule.each {
        if let Value::Array(items) = v {
            for (i, item) in items.iter().enumerate() {
                check_one(&rule.check, item).map_err(|r| Violation::new(format!("{name}[{i}]"), r))?;
            }
        }
        return Ok(());
    }
    check_one(&rule.check, v).map_err(|r| Violation::new(name, r))
}

fn check_one(check: &Check, v: &Value) -> Result<(), String> {
    match (check, v) {
        (Check::Pattern(p), Value::String(s)) if !p.matches(s) => {
            Err(format!("must match the pattern `{}`", p.source()))
        }
        (Check::MinLength(n), Value::String(s)) if (s.chars().count() as u64) < *n => {
            Err(format!("must be at least {n} character{} long", plural(*n)))
        }
        (Check::MaxLength(n), Value::String(s)) if (s.chars().count() as u64) > *n => {
            Err(format!("must be at most {n} character{} long", plural(*n)))
        }
        (Check::MinItems(n), Value::Array(a)) if (a.len() as u64) < *n => {
            Err(format!("must hold at least {n} item{}", plural(*n)))
        }
        (Check::MaxItems(n), Value::Array(a)) if (a.len() as u64) > *n => {
            Err(format!("must hold at most {n} item{}", plural(*n)))
        }
        (Check::Minimum(n), Value::Number(x)) if x.as_i64().is_some_and(|x| x < *n) => {
            Err(format!("must be at least {n}"))
        }
        (Check::Maximum(n), Value::Number(x))
            if x.as_i64().is_some_and(|x| x > *n) || x.as_u64().is_some_and(|x| x > *n as u64) =>
        {
            Err(format!("must be at most {n}"))
        }
        (Check::IntegerText { min, max }, Value::String(s)) => {
            let ok = !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                && s.parse::<i64>().is_ok_and(|x| (*min..=*max).contains(&x));
            if ok {
                Ok(())
            } else {
                Err(format!("must be the decimal text of an integer from {min} to {max}"))
            }
        }
        _ => Ok(()),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The decoded value of `{name}` in `template`, matched against the tail of `path` (the base URL may
/// add a path prefix).
fn path_param(template: &str, path: &str, name: &str) -> Option<String> {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let offset = p.len().checked_sub(t.len())?;
    let want = format!("{{{name}}}");
    let i = t.iter().position(|s| *s == want)?;
    Some(percent_decode_str(p[offset + i]).decode_utf8_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static RULES: [Rule; 5] = [
        Rule {
            loc: Loc::Body(""),
            each: false,
            check: Check::AtLeastOneOf(&["ids", "user"]),
        },
        Rule {
            loc: Loc::Path("id"),
            each: false,
            check: Check::Pattern(Pattern::new("^[a-z0-9]{4}$")),
        },
        Rule {
            loc: Loc::Body("ids"),
            each: true,
            check: Check::IntegerText {
                min: 0,
                max: 2_147_483_647,
            },
        },
        Rule {
            loc: Loc::Body("ids"),
            each: false,
            check: Check::MaxItems(3),
        },
        Rule {
            loc: Loc::Body("user"),
            each: false,
            check: Check::MinLength(2),
        },
    ];
    static OP: Operation = Operation {
        name: "Op",
        id: "op",
        method: "POST",
        path: "/v1/{id}/things",
        rpc_action: None,
        rules: &RULES,
        secrets: &[],
    };

    fn run(path: &str, body: Value) -> Result<(), Violation> {
        let headers = reqwest::header::HeaderMap::new();
        OP.validate(&RequestView {
            path,
            query: &[],
            headers: &headers,
            body: Some(&body),
        })
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, Value, Option<(&str, &str)>)> = vec![
            ("/v1/ab12/things", json!({"ids": ["0", "2147483647"]}), None),
            ("/prefix/v1/ab12/things", json!({"user": "bob"}), None),
            (
                "/v1/ab12/things",
                json!({}),
                Some(("ids, user", "at least one of ids, user must be given and non-empty")),
            ),
            (
                "/v1/ab12/things",
                json!({"ids": [], "user": ""}),
                Some(("ids, user", "at least one of ids, user must be given and non-empty")),
            ),
            (
                "/v1/AB12/things",
                json!({"user": "bob"}),
                Some(("id", "must match the pattern `^[a-z0-9]{4}$`")),
            ),
            (
                "/v1/ab%2F2/things",
                json!({"user": "bob"}),
                Some(("id", "must match the pattern `^[a-z0-9]{4}$`")),
            ),
            (
                "/v1/ab12/things",
                json!({"ids": ["1", "2147483648"]}),
                Some(("ids[1]", "must be the decimal text of an integer from 0 to 2147483647")),
            ),
            (
                "/v1/ab12/things",
                json!({"ids": ["-1"]}),
                Some(("ids[0]", "must be the decimal text of an integer from 0 to 2147483647")),
            ),
            (
                "/v1/ab12/things",
                json!({"ids": ["1e3"]}),
                Some(("ids[0]", "must be the decimal text of an integer from 0 to 2147483647")),
            ),
            (
                "/v1/ab12/things",
                json!({"ids": ["1", "2", "3", "4"]}),
                Some(("ids", "must hold at most 3 items")),
            ),
            (
                "/v1/ab12/things",
                json!({"user": "é"}),
                Some(("user", "must be at least 2 characters long")),
            ),
        ];
        for (path, body, want) in cases {
            let got = run(path, body.clone());
            let want = want.map(|(f, r)| Violation::new(f, r));
            assert_eq!(got.err(), want, "{path} {body}");
        }
    }

    #[test]
    fn violation_text_round_trips() {
        let v = Violation::new("process_ids[2]", "must be the decimal text of an integer from 0 to 5");
        assert_eq!(
            v.to_string(),
            "invalid `process_ids[2]`: must be the decimal text of an integer from 0 to 5"
        );
        assert_eq!(Violation::parse(&v.to_string()), Some(v));
        assert_eq!(Violation::parse("something else"), None);
    }
}
