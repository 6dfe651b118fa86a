//! What the generated code tells the runtime about each service and operation, and [`Violation`], the
//! error of a broken request rule.
//!
//! The tables are generated from the specs (`cargo xtask generate`); the checks themselves are
//! generated code over typed values (see [`crate::check`]).

use std::fmt;

/// One service: where its endpoints are and which API version it speaks.
#[derive(Debug)]
#[non_exhaustive]
pub struct Service {
    /// The provider, as named under `specs/` (`huaweicloud`).
    pub provider: &'static str,
    /// The service, as named under `specs/` (`das`).
    pub name: &'static str,
    /// The API version (`info.version`).
    pub api_version: &'static str,
    /// The endpoint used when neither a region nor an endpoint is chosen, if the service has one.
    pub default_endpoint: Option<&'static str>,
    /// Region → endpoint, sorted by region.
    pub regions: &'static [(&'static str, &'static str)],
}

impl Service {
    /// A service description (for generated code).
    pub const fn new(
        provider: &'static str,
        name: &'static str,
        api_version: &'static str,
        default_endpoint: Option<&'static str>,
        regions: &'static [(&'static str, &'static str)],
    ) -> Self {
        Self {
            provider,
            name,
            api_version,
            default_endpoint,
            regions,
        }
    }
}

/// One operation of a service.
#[derive(Debug)]
#[non_exhaustive]
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
    /// Request parameters that hold secrets (wire names), masked in dry runs.
    pub secrets: &'static [&'static str],
    /// The success statuses the spec declares.
    pub success: &'static [u16],
}

impl Operation {
    /// An operation description (for generated code).
    pub const fn new(
        name: &'static str,
        id: &'static str,
        method: &'static str,
        path: &'static str,
        rpc_action: Option<&'static str>,
        secrets: &'static [&'static str],
        success: &'static [u16],
    ) -> Self {
        Self {
            name,
            id,
            method,
            path,
            rpc_action,
            secrets,
            success,
        }
    }
}

/// A broken rule: which field, and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

    /// The field as the vendor names it.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The rule, in words.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: {}", self.field, self.rule)
    }
}

impl std::error::Error for Violation {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_violation_names_field_and_rule() {
        let v = Violation::new("process_ids[2]", "must be the decimal text of an integer from 0 to 5");
        assert_eq!(
            v.to_string(),
            "invalid `process_ids[2]`: must be the decimal text of an integer from 0 to 5"
        );
        assert_eq!(
            (v.field(), v.rule()),
            ("process_ids[2]", "must be the decimal text of an integer from 0 to 5")
        );
    }
}
