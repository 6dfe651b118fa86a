//! The rules the generated `check` functions apply to typed request values, before any wire form is
//! built. Each rule returns the broken rule in words; [`field`] and [`item`] name the field.
//!
//! Generated code reads like the spec: `check::field("db_user_id", check::pattern(v, &DB_USER_ID))?`.

use std::sync::OnceLock;

use crate::meta::Violation;

/// A regular expression from the spec (ECMAScript syntax, as OpenAPI defines `pattern`), compiled once
/// on first use.
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

    /// Whether `s` matches (somewhere, as ECMAScript's `RegExp.test` would; anchors are the pattern's).
    /// A pattern that does not compile matches nothing rather than letting anything through (the
    /// generator refuses such specs, so this is a second line only).
    pub fn matches(&self, s: &str) -> bool {
        self.compiled
            .get_or_init(|| regress::Regex::new(self.source).ok())
            .as_ref()
            .is_some_and(|re| re.find(s).is_some())
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

/// A broken rule, in words (`must be at least 2 characters long`).
pub type Rule = Result<(), String>;

/// Names the field of a broken rule.
pub fn field(name: &str, rule: Rule) -> Result<(), Violation> {
    rule.map_err(|r| Violation::new(name, r))
}

/// Names item `i` of list `name` (`process_ids[1]`) for a broken rule.
pub fn item(name: &str, i: usize, rule: Rule) -> Result<(), Violation> {
    rule.map_err(|r| Violation::new(format!("{name}[{i}]"), r))
}

/// A required parameter left unset.
pub fn required(name: &str) -> Violation {
    Violation::new(name, "is required")
}

/// The string matches `p`.
pub fn pattern(s: &str, p: &Pattern) -> Rule {
    if p.matches(s) {
        Ok(())
    } else {
        Err(format!("must match the pattern `{}`", p.source()))
    }
}

/// The string has at least `n` characters (counted only as far as the bound needs).
pub fn min_length(s: &str, n: usize) -> Rule {
    if s.chars().take(n).count() < n {
        Err(format!("must be at least {n} character{} long", plural(n)))
    } else {
        Ok(())
    }
}

/// The string has at most `n` characters (a character is at least one byte: short strings need no count).
pub fn max_length(s: &str, n: usize) -> Rule {
    if s.len() > n && s.chars().count() > n {
        Err(format!("must be at most {n} character{} long", plural(n)))
    } else {
        Ok(())
    }
}

/// The list has at least `n` items.
pub fn min_items(len: usize, n: usize) -> Rule {
    if len < n {
        Err(format!("must hold at least {n} item{}", plural(n)))
    } else {
        Ok(())
    }
}

/// The list has at most `n` items.
pub fn max_items(len: usize, n: usize) -> Rule {
    if len > n {
        Err(format!("must hold at most {n} item{}", plural(n)))
    } else {
        Ok(())
    }
}

/// The integer is at least `n`.
pub fn minimum<T: PartialOrd + std::fmt::Display>(x: T, n: T) -> Rule {
    if x < n {
        Err(format!("must be at least {n}"))
    } else {
        Ok(())
    }
}

/// The integer is at most `n`.
pub fn maximum<T: PartialOrd + std::fmt::Display>(x: T, n: T) -> Rule {
    if x > n {
        Err(format!("must be at most {n}"))
    } else {
        Ok(())
    }
}

/// The string is the plain decimal text of an integer in `min..=max` (digits and an optional `-`; no
/// `+`, spaces or exponent).
pub fn integer_text(s: &str, min: i64, max: i64) -> Rule {
    let ok = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && s.parse::<i64>().is_ok_and(|x| (min..=max).contains(&x));
    if ok {
        Ok(())
    } else {
        Err(format!("must be the decimal text of an integer from {min} to {max}"))
    }
}

/// The string is one of `choices`.
pub fn one_of(s: &str, choices: &[&str]) -> Rule {
    if choices.contains(&s) {
        Ok(())
    } else {
        let list: Vec<String> = choices.iter().map(|c| format!("`{c}`")).collect();
        Err(format!("must be one of {}", list.join(", ")))
    }
}

/// At least one of the fields `names` is given and non-empty (`given`: whether each one is).
pub fn at_least_one_of(names: &[&str], given: &[bool]) -> Result<(), Violation> {
    if given.iter().any(|g| *g) {
        return Ok(());
    }
    let list = names.join(", ");
    Err(Violation::new(
        list.clone(),
        format!("at least one of {list} must be given and non-empty"),
    ))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_the_bound_and_count_characters() {
        assert_eq!(min_length("é", 2), Err("must be at least 2 characters long".into()));
        assert_eq!(min_length("éé", 2), Ok(()));
        assert_eq!(max_length("ééé", 3), Ok(()));
        assert_eq!(max_length("éééé", 3), Err("must be at most 3 characters long".into()));
        assert_eq!(min_length("", 1), Err("must be at least 1 character long".into()));
        assert_eq!(min_items(1, 2), Err("must hold at least 2 items".into()));
        assert_eq!(max_items(3, 2), Err("must hold at most 2 items".into()));
        assert_eq!(max_items(2, 2), Ok(()));
        assert_eq!(minimum(0i64, 1), Err("must be at least 1".into()));
        assert_eq!(maximum(10u64, 9), Err("must be at most 9".into()));
        assert_eq!(maximum(9u64, 9), Ok(()));
        assert_eq!(
            one_of("fr", &["zh-cn", "en-us"]),
            Err("must be one of `zh-cn`, `en-us`".into())
        );
        assert_eq!(one_of("en-us", &["zh-cn", "en-us"]), Ok(()));
    }

    #[test]
    fn integer_text_is_plain_decimal_within_range() {
        for good in ["0", "9", "5"] {
            assert_eq!(integer_text(good, 0, 9), Ok(()), "{good}");
        }
        for bad in ["+5", " 5", "5 ", "10", "-1", "", "0x1", "1e3"] {
            assert_eq!(
                integer_text(bad, 0, 9),
                Err("must be the decimal text of an integer from 0 to 9".into()),
                "{bad:?}"
            );
        }
        assert_eq!(integer_text("2147483647", 0, 2_147_483_647), Ok(()));
        assert!(integer_text("2147483648", 0, 2_147_483_647).is_err());
    }

    #[test]
    fn fields_and_items_are_named() {
        assert_eq!(
            item("ids", 1, Err("must be at least 0".into())),
            Err(Violation::new("ids[1]", "must be at least 0"))
        );
        assert_eq!(field("user", Ok(())), Ok(()));
        assert_eq!(
            at_least_one_of(&["ids", "user"], &[false, false]),
            Err(Violation::new(
                "ids, user",
                "at least one of ids, user must be given and non-empty"
            ))
        );
        assert_eq!(at_least_one_of(&["ids", "user"], &[false, true]), Ok(()));
        assert_eq!(required("DbUser"), Violation::new("DbUser", "is required"));
    }

    #[test]
    fn patterns_follow_the_ecmascript_engine() {
        let id = Pattern::new("^[A-Za-z0-9]{32,36}$");
        assert!(id.matches("da304cd5bbb944de828759bc7be3d3fein01"));
        assert!(!id.matches("da304cd5bbb944de828759bc7be3d3fein012"));
        assert!(!id.matches("054e292c9880d4992f02c0196d3ea46é"));
        assert!(Pattern::new("^\\d{3}$").matches("123"));
        assert!(!Pattern::new("^\\d{3}$").matches("12a"));
        // Unanchored: matches somewhere, as RegExp.test does.
        assert!(Pattern::new("[a-z]{2}").matches("1ab2"));
        // Does not compile: matches nothing.
        assert!(!Pattern::new("^(a$").matches("a"));
        assert_eq!(format!("{:?}", Pattern::new("^a$")), "Pattern(\"^a$\")");
        assert_eq!(
            pattern("AB", &Pattern::new("^[a-z]+$")),
            Err("must match the pattern `^[a-z]+$`".into())
        );
    }
}
