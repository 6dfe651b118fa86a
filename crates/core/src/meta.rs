//! What the generated code tells the runtime about each operation, and the local checks that run on
//! every request before anything goes on the network.
//!
//! The tables are generated from the specs (`cargo xtask generate`); this module only interprets them.

use std::fmt;
use std::sync::OnceLock;

use percent_encoding::percent_decode_str;

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
///
/// The spec's patterns are mostly anchored runs of character classes (`^[A-Za-z0-9]{32}$`, ids with
/// dashes); those are matched by a byte-class scanner. Any other pattern goes to a full ECMAScript
/// regular expression engine.
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<Matcher>,
}

enum Matcher {
    /// A sequence of character classes, each repeated a counted number of times.
    Runs(Vec<Run>),
    Regex(regress::Regex),
    /// A pattern that does not compile rejects everything rather than letting anything through.
    Invalid,
}

/// `[class]{min,max}` or a literal character.
struct Run {
    /// Bit `b` set: ASCII byte `b` is in the class.
    class: u128,
    min: usize,
    max: usize,
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

    /// Whether `s` matches (somewhere, as ECMAScript's `RegExp.test` would; anchors are the pattern's).
    pub fn matches(&self, s: &str) -> bool {
        match self.compiled.get_or_init(|| compile(self.source)) {
            Matcher::Runs(runs) => match_runs(runs, s.as_bytes()),
            Matcher::Regex(re) => re.find(s).is_some(),
            Matcher::Invalid => false,
        }
    }
}

fn compile(source: &str) -> Matcher {
    if let Some(runs) = parse_runs(source) {
        return Matcher::Runs(runs);
    }
    regress::Regex::new(source).map_or(Matcher::Invalid, Matcher::Regex)
}

/// Parses `^(atom quantifier?)*$` where an atom is `[...]` of plain ASCII characters and ranges, or a
/// plain ASCII character, and a quantifier is `{n}` or `{m,n}`. Only the last atom may vary in length,
/// so that matching left to right never needs to backtrack. `None`: not of this shape.
fn parse_runs(source: &str) -> Option<Vec<Run>> {
    let body = source.strip_prefix('^')?.strip_suffix('$')?.as_bytes();
    let plain = |b: u8| b.is_ascii_graphic() && !b"\\[](){}|?*+.^$".contains(&b);
    let mut runs: Vec<Run> = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let class = if body[i] == b'[' {
            let end = i + body[i..].iter().position(|&b| b == b']')?;
            let set = &body[i + 1..end];
            let mut class = 0u128;
            let mut j = 0;
            while j < set.len() {
                let lo = set[j];
                if !(plain(lo) || lo == b'-' && j > 0) {
                    return None;
                }
                if j + 2 < set.len() && set[j + 1] == b'-' {
                    let hi = set[j + 2];
                    if !plain(hi) || hi < lo {
                        return None;
                    }
                    (lo..=hi).for_each(|b| class |= 1 << b);
                    j += 3;
                } else {
                    class |= 1 << lo;
                    j += 1;
                }
            }
            i = end + 1;
            class
        } else if plain(body[i]) || body[i] == b'-' {
            i += 1;
            1u128 << body[i - 1]
        } else {
            return None;
        };
        let (min, max) = if body.get(i) == Some(&b'{') {
            let end = i + body[i..].iter().position(|&b| b == b'}')?;
            let inner = std::str::from_utf8(&body[i + 1..end]).ok()?;
            i = end + 1;
            match inner.split_once(',') {
                Some((m, n)) => (m.parse().ok()?, n.parse().ok()?),
                None => {
                    let n = inner.parse().ok()?;
                    (n, n)
                }
            }
        } else {
            (1, 1)
        };
        if min > max || runs.last().is_some_and(|r| r.min != r.max) {
            return None;
        }
        runs.push(Run { class, min, max });
    }
    Some(runs)
}

fn match_runs(runs: &[Run], s: &[u8]) -> bool {
    let mut at = 0;
    for run in runs {
        let taken = s[at..]
            .iter()
            .take(run.max)
            .take_while(|&&b| b < 128 && run.class & (1 << b) != 0)
            .count();
        if taken < run.min {
            return false;
        }
        at += taken;
    }
    at == s.len()
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

/// A request-body value as the rules and the RPC encoding see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    /// A string (secrets included: checked, never shown).
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A list of strings.
    Strs(&'a [String]),
    /// A list of integers.
    Ints(&'a [i64]),
}

/// A request body read field by field, straight from the typed value; the generated body types
/// implement it.
pub trait Fields {
    /// The wire names of the body's fields, sorted bytewise.
    fn names(&self) -> &'static [&'static str];
    /// The field as it is sent: `None` when absent or left out of the serialized body.
    fn field(&self, name: &str) -> Option<Field<'_>>;
}

/// The body of an operation that sends none.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub struct NoBody {}

impl Fields for NoBody {
    fn names(&self) -> &'static [&'static str] {
        &[]
    }
    fn field(&self, _: &str) -> Option<Field<'_>> {
        None
    }
}

/// The request's JSON body read back as the operation's body type `B` (`None` without a body). The
/// generated client serialized it from a `B` a moment ago, so failing to read it back is a bug in the
/// request, reported as a violation rather than sent.
pub fn read_body<B: serde::de::DeserializeOwned>(request: &reqwest::Request) -> Result<Option<B>, Violation> {
    match request.body().map(reqwest::Body::as_bytes) {
        None => Ok(None),
        Some(Some(bytes)) => serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| Violation::new("body", format!("does not read back as the operation's body type: {e}"))),
        Some(None) => Err(Violation::new("body", "is a stream; a JSON body was expected")),
    }
}

/// The parts of a request the rules look at.
pub struct RequestView<'a> {
    /// The URL path as sent (percent-encoded).
    pub path: &'a str,
    /// Decoded query pairs.
    pub query: &'a [(&'a str, &'a str)],
    /// The headers.
    pub headers: &'a reqwest::header::HeaderMap,
    /// The body, if any.
    pub body: Option<&'a dyn Fields>,
}

impl Operation {
    /// Checks every rule; the first broken one is returned.
    pub fn validate(&self, req: &RequestView<'_>) -> Result<(), Violation> {
        self.rules.iter().try_for_each(|rule| self.check(rule, req))
    }

    /// Checks the rules on the body alone, straight from the typed value (before it is serialized).
    pub fn validate_body(&self, body: Option<&dyn Fields>) -> Result<(), Violation> {
        self.rules.iter().try_for_each(|rule| match rule.loc {
            Loc::Body(name) => check_in_body(rule, name, body),
            Loc::Path(_) | Loc::Query(_) | Loc::Header(_) => Ok(()),
        })
    }

    /// Checks the rules on the path, query and headers, leaving out those on the body: together with
    /// [`Operation::validate_body`] the same checks as [`Operation::validate`], the body's first.
    pub fn validate_request(&self, req: &RequestView<'_>) -> Result<(), Violation> {
        self.rules
            .iter()
            .filter(|rule| !matches!(rule.loc, Loc::Body(_)))
            .try_for_each(|rule| self.check(rule, req))
    }

    fn check(&self, rule: &Rule, req: &RequestView<'_>) -> Result<(), Violation> {
        match rule.loc {
            Loc::Body(name) => check_in_body(rule, name, req.body),
            Loc::Path(name) => match path_param(self.path, req.path, name) {
                Some(v) if v.contains('%') => {
                    check_value(rule, name, Field::Str(&percent_decode_str(v).decode_utf8_lossy()))
                }
                Some(v) => check_value(rule, name, Field::Str(v)),
                None => Ok(()),
            },
            Loc::Query(name) => req
                .query
                .iter()
                .filter(|(k, _)| *k == name)
                .try_for_each(|(_, v)| check_value(rule, name, Field::Str(v))),
            Loc::Header(name) => match req.headers.get(name).and_then(|v| v.to_str().ok()) {
                Some(v) => check_value(rule, name, Field::Str(v)),
                None => Ok(()),
            },
        }
    }
}

/// A rule on the body (`name` empty) or on one of its fields (absent fields pass).
fn check_in_body(rule: &Rule, name: &str, body: Option<&dyn Fields>) -> Result<(), Violation> {
    if name.is_empty() {
        return check_body(rule, body);
    }
    match body.and_then(|b| b.field(name)) {
        Some(v) => check_value(rule, name, v),
        None => Ok(()),
    }
}

fn check_body(rule: &Rule, body: Option<&dyn Fields>) -> Result<(), Violation> {
    if let Check::AtLeastOneOf(names) = rule.check {
        let given = |n: &&str| match body.and_then(|b| b.field(n)) {
            None => false,
            Some(Field::Str(s)) => !s.is_empty(),
            Some(Field::Strs(a)) => !a.is_empty(),
            Some(Field::Ints(a)) => !a.is_empty(),
            Some(Field::Int(_) | Field::Bool(_)) => true,
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

fn check_value(rule: &Rule, name: &str, v: Field<'_>) -> Result<(), Violation> {
    if rule.each {
        let item = |i: usize, r: String| Violation::new(format!("{name}[{i}]"), r);
        match v {
            Field::Strs(items) => {
                for (i, s) in items.iter().enumerate() {
                    check_one(&rule.check, Field::Str(s)).map_err(|r| item(i, r))?;
                }
            }
            Field::Ints(items) => {
                for (i, n) in items.iter().enumerate() {
                    check_one(&rule.check, Field::Int(*n)).map_err(|r| item(i, r))?;
                }
            }
            _ => {}
        }
        return Ok(());
    }
    check_one(&rule.check, v).map_err(|r| Violation::new(name, r))
}

fn check_one(check: &Check, v: Field<'_>) -> Result<(), String> {
    let items = match v {
        Field::Strs(a) => Some(a.len()),
        Field::Ints(a) => Some(a.len()),
        _ => None,
    };
    match (check, v) {
        (Check::Pattern(p), Field::Str(s)) if !p.matches(s) => Err(format!("must match the pattern `{}`", p.source())),
        // Characters are counted only as far as the bound needs (a character is at least one byte).
        (Check::MinLength(n), Field::Str(s))
            if (s.chars().take(usize::try_from(*n).unwrap_or(usize::MAX)).count() as u64) < *n =>
        {
            Err(format!("must be at least {n} character{} long", plural(*n)))
        }
        (Check::MaxLength(n), Field::Str(s)) if s.len() as u64 > *n && (s.chars().count() as u64) > *n => {
            Err(format!("must be at most {n} character{} long", plural(*n)))
        }
        (Check::MinItems(n), _) if items.is_some_and(|len| (len as u64) < *n) => {
            Err(format!("must hold at least {n} item{}", plural(*n)))
        }
        (Check::MaxItems(n), _) if items.is_some_and(|len| (len as u64) > *n) => {
            Err(format!("must hold at most {n} item{}", plural(*n)))
        }
        (Check::Minimum(n), Field::Int(x)) if x < *n => Err(format!("must be at least {n}")),
        (Check::Maximum(n), Field::Int(x)) if x > *n => Err(format!("must be at most {n}")),
        (Check::IntegerText { min, max }, Field::Str(s)) => {
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

/// The raw (still percent-encoded) segment of `path` where `template` has `{name}`, matched against
/// the tail of `path` (the base URL may add a path prefix).
fn path_param<'p>(template: &str, path: &'p str, name: &str) -> Option<&'p str> {
    // Segments counted from the end, so a base-URL prefix does not shift them: template and path are
    // walked back together, one segment at a time (as `rsplit('/')` would split them).
    let mut t = Some(template.trim_end_matches('/'));
    let mut p = Some(path.trim_end_matches('/'));
    loop {
        let (t_rest, t_seg) = last_segment(t?);
        let (p_rest, p_seg) = last_segment(p?);
        if t_seg.len() == name.len() + 2
            && t_seg.starts_with('{')
            && t_seg.ends_with('}')
            && &t_seg[1..t_seg.len() - 1] == name
        {
            return Some(p_seg);
        }
        (t, p) = (t_rest, p_rest);
    }
}

/// `s` split before its last `/`: what is left (`None` when there is no `/`) and the last segment.
fn last_segment(s: &str) -> (Option<&str>, &str) {
    match s.bytes().rposition(|b| b == b'/') {
        Some(i) => (Some(&s[..i]), &s[i + 1..]),
        None => (None, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// A body with a list and an optional string, as the generated types implement [`Fields`].
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        ids: Vec<String>,
        user: Option<String>,
    }

    impl Fields for Body {
        fn names(&self) -> &'static [&'static str] {
            &["ids", "user"]
        }
        fn field(&self, name: &str) -> Option<Field<'_>> {
            match name {
                "ids" => Some(Field::Strs(&self.ids)).filter(|_| !self.ids.is_empty()),
                "user" => self.user.as_deref().map(Field::Str),
                _ => None,
            }
        }
    }

    static RULES: [Rule; 6] = [
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
        Rule {
            loc: Loc::Body("user"),
            each: false,
            check: Check::MaxLength(3),
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
        let body: Body = serde_json::from_value(body).unwrap();
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
            // Lengths count characters, not bytes: three two-byte characters pass, four do not.
            ("/v1/ab12/things", json!({"user": "ééé"}), None),
            (
                "/v1/ab12/things",
                json!({"user": "éééé"}),
                Some(("user", "must be at most 3 characters long")),
            ),
            (
                "/v1/ab12/things",
                json!({"user": "abcd"}),
                Some(("user", "must be at most 3 characters long")),
            ),
        ];
        for (path, body, want) in cases {
            let got = run(path, body.clone());
            let want = want.map(|(f, r)| Violation::new(f, r));
            assert_eq!(got.err(), want, "{path} {body}");
            // Split in two (the body from its typed value, then the rest), the same verdict.
            let headers = reqwest::header::HeaderMap::new();
            let typed: Body = serde_json::from_value(body.clone()).unwrap();
            let view = RequestView {
                path,
                query: &[],
                headers: &headers,
                body: None,
            };
            let split = OP.validate_body(Some(&typed)).and_then(|()| OP.validate_request(&view));
            assert_eq!(split.err(), want, "split: {path} {body}");
        }
    }

    /// Integers and integer lists, as the RPC bodies hold them.
    struct Numbers {
        n: Option<i64>,
        ns: Vec<i64>,
        text: Option<String>,
    }

    impl Fields for Numbers {
        fn names(&self) -> &'static [&'static str] {
            &["n", "ns", "text"]
        }
        fn field(&self, name: &str) -> Option<Field<'_>> {
            match name {
                "n" => self.n.map(Field::Int),
                "ns" => Some(Field::Ints(&self.ns)),
                "text" => self.text.as_deref().map(Field::Str),
                _ => None,
            }
        }
    }

    static NUMBER_RULES: [Rule; 9] = [
        Rule {
            loc: Loc::Body(""),
            each: false,
            check: Check::AtLeastOneOf(&["ns"]),
        },
        Rule {
            loc: Loc::Body("n"),
            each: false,
            check: Check::Minimum(1),
        },
        Rule {
            loc: Loc::Body("n"),
            each: false,
            check: Check::Maximum(9),
        },
        Rule {
            loc: Loc::Body("ns"),
            each: true,
            check: Check::Minimum(0),
        },
        Rule {
            loc: Loc::Body("ns"),
            each: true,
            check: Check::Maximum(99),
        },
        Rule {
            loc: Loc::Body("ns"),
            each: false,
            check: Check::MinItems(1),
        },
        Rule {
            loc: Loc::Body("ns"),
            each: false,
            check: Check::MaxItems(2),
        },
        Rule {
            loc: Loc::Body("text"),
            each: false,
            check: Check::IntegerText { min: 0, max: 9 },
        },
        Rule {
            loc: Loc::Query("q"),
            each: false,
            check: Check::MaxLength(2),
        },
    ];
    static NUMBERS: Operation = Operation {
        name: "Numbers",
        id: "numbers",
        method: "POST",
        path: "/",
        rpc_action: Some("Numbers"),
        rules: &NUMBER_RULES,
        secrets: &[],
    };

    #[test]
    fn integer_rules_item_counts_and_query_rules() {
        let headers = reqwest::header::HeaderMap::new();
        let run = |n: Option<i64>, ns: &[i64], text: Option<&str>, query: &[(&str, &str)]| {
            let body = Numbers {
                n,
                ns: ns.to_vec(),
                text: text.map(str::to_string),
            };
            NUMBERS
                .validate(&RequestView {
                    path: "/",
                    query,
                    headers: &headers,
                    body: Some(&body),
                })
                .err()
                .map(|v| (v.field, v.rule))
        };
        let v = |f: &str, r: &str| Some((f.to_string(), r.to_string()));
        assert_eq!(
            run(Some(1), &[0, 99], Some("9"), &[("q", "ab"), ("other", "long value")]),
            None
        );
        assert_eq!(run(Some(9), &[5], Some("0"), &[]), None);
        assert_eq!(
            run(None, &[], None, &[]),
            v("ns", "at least one of ns must be given and non-empty")
        );
        assert_eq!(run(Some(0), &[1], None, &[]), v("n", "must be at least 1"));
        assert_eq!(run(Some(10), &[1], None, &[]), v("n", "must be at most 9"));
        assert_eq!(run(None, &[1, -1], None, &[]), v("ns[1]", "must be at least 0"));
        assert_eq!(run(None, &[100], None, &[]), v("ns[0]", "must be at most 99"));
        assert_eq!(run(None, &[1, 2, 3], None, &[]), v("ns", "must hold at most 2 items"));
        for bad in ["+5", " 5", "5 ", "10", "-1", "", "0x1"] {
            assert_eq!(
                run(None, &[1], Some(bad), &[]),
                v("text", "must be the decimal text of an integer from 0 to 9"),
                "{bad:?}"
            );
        }
        assert_eq!(
            run(None, &[1], None, &[("q", "abc")]),
            v("q", "must be at most 2 characters long")
        );
    }

    #[test]
    fn min_items_counts_string_and_integer_lists() {
        static RULES: [Rule; 1] = [Rule {
            loc: Loc::Body("ns"),
            each: false,
            check: Check::MinItems(2),
        }];
        let op = Operation {
            rules: &RULES,
            ..NUMBERS
        };
        let headers = reqwest::header::HeaderMap::new();
        for (ns, ok) in [(vec![1], false), (vec![1, 2], true)] {
            let body = Numbers {
                n: None,
                ns,
                text: None,
            };
            let got = op.validate(&RequestView {
                path: "/",
                query: &[],
                headers: &headers,
                body: Some(&body),
            });
            assert_eq!(got.is_ok(), ok);
        }
        assert_eq!(format!("{:?}", Pattern::new("^a$")), "Pattern(\"^a$\")");
    }

    #[test]
    fn path_values_are_checked_decoded() {
        static RULES: [Rule; 1] = [Rule {
            loc: Loc::Path("id"),
            each: false,
            check: Check::MaxLength(2),
        }];
        let op = Operation {
            rules: &RULES,
            path: "/v1/{id}/things",
            ..NUMBERS
        };
        let headers = reqwest::header::HeaderMap::new();
        let check = |path| {
            op.validate(&RequestView {
                path,
                query: &[],
                headers: &headers,
                body: None,
            })
        };
        // Two characters, twelve bytes once encoded.
        assert_eq!(check("/v1/%C3%A9%C3%A9/things"), Ok(()));
        assert_eq!(
            check("/v1/abc/things"),
            Err(Violation::new("id", "must be at most 2 characters long"))
        );
    }

    #[test]
    fn path_parameters_are_found_from_the_end() {
        let t = "/v3/{project_id}/instances/{instance_id}/process";
        assert_eq!(
            path_param(t, "/v3/p1/instances/i%2F1/process", "instance_id"),
            Some("i%2F1")
        );
        assert_eq!(
            path_param(t, "/base/v3/p1/instances/i1/process/", "project_id"),
            Some("p1")
        );
        assert_eq!(path_param(t, "/v3/p1/instances/i1/process", "node_id"), None);
        assert_eq!(path_param(t, "/process", "project_id"), None);
        assert_eq!(path_param(t, "/v3/p1/instances//process", "instance_id"), Some(""));
        // Split as `rsplit('/')` splits: the empty segment before the leading `/` counts.
        assert_eq!(path_param("/{id}/x", "/x", "id"), Some(""));
    }

    #[test]
    fn class_run_patterns_match_like_the_regex_engine() {
        let patterns = [
            "^[A-Za-z0-9]{32}$",
            "^[A-Za-z0-9]{32,36}$",
            "^[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}$",
            "^[a-z-]{2}$",
            "^ab[0-9]{1,3}$",
        ];
        let inputs = [
            "",
            "054e292c9880d4992f02c0196d3ea468",
            "054e292c9880d4992f02c0196d3ea46",
            "da304cd5bbb944de828759bc7be3d3fein01",
            "da304cd5bbb944de828759bc7be3d3fein012",
            "054e292c9880d4992f02c0196d3ea46é",
            "2c250598-1e3c-4d31-bc19-be1d866247e6",
            "2c250598-1e3c-4d31-bc19-be1d866247e",
            "2c250598_1e3c-4d31-bc19-be1d866247e6",
            "a-",
            "-z",
            "a_",
            "ab1",
            "ab1234",
            "ab",
        ];
        for p in patterns {
            let fast = Pattern::new(p);
            assert!(parse_runs(p).is_some(), "{p} takes the fast path");
            let re = regress::Regex::new(p).unwrap();
            for s in inputs {
                assert_eq!(fast.matches(s), re.find(s).is_some(), "{p} on {s:?}");
            }
        }
    }

    #[test]
    fn classes_with_dashes_escapes_and_reversed_ranges_match_as_the_regex_engine_does() {
        // Whichever path a pattern takes, it matches what the ECMAScript engine matches; a pattern the
        // engine refuses matches nothing.
        let patterns = [
            "^[a\\d]{2}$",
            "^[-a]{2}$",
            "^[a-]{2}$",
            "^[a-c-]{2}$",
            "^[z-a]{0,1}$",
            "^[a-a]{1,2}$",
            "^[!-#]{1}$",
        ];
        let inputs = [
            "", "a", "aa", "a1", "1a", "-a", "a-", "--", "b-", "d", "ad", "\\d", "!", "\"", "#", "$",
        ];
        for p in patterns {
            let engine = regress::Regex::new(p).ok();
            for s in inputs {
                let want = engine.as_ref().is_some_and(|re| re.find(s).is_some());
                assert_eq!(Pattern::new(p).matches(s), want, "{p} on {s:?}");
            }
        }
    }

    #[test]
    fn other_patterns_go_to_the_regex_engine() {
        for p in ["^a|b$", "[a-z]{2}", "^[a-z]{1,2}[a-z]$", "^\\d{3}$", "^[^a]$", "^a+$"] {
            assert!(parse_runs(p).is_none(), "{p}");
        }
        assert!(Pattern::new("^\\d{3}$").matches("123"));
        assert!(!Pattern::new("^\\d{3}$").matches("12a"));
        assert!(Pattern::new("^[a-z]{1,2}[a-z]$").matches("ab"));
        // Does not compile: rejects everything.
        assert!(!Pattern::new("^(a$").matches("a"));
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
