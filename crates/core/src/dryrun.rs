//! Dry runs: build and sign a request exactly as it would be sent, and hand it back instead of sending
//! it, with every secret masked, for review or audit logs.

use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::encode::encode_into;
use crate::meta::{Operation, Violation};
use crate::secret::MASK;

/// Why the pre-send hook stopped a request.
#[derive(Debug)]
pub enum Halt {
    /// A documented rule is broken.
    Invalid(Violation),
    /// A dry run: the signed request was captured instead of being sent.
    DryRun,
}

const DRY_RUN: &str = "dry run: the request was captured and not sent";

impl Halt {
    /// The progenitor error the generated hook returns.
    pub fn into_progenitor<E>(self) -> progenitor_client::Error<E> {
        match self {
            Halt::Invalid(v) => progenitor_client::Error::InvalidRequest(v.to_string()),
            Halt::DryRun => progenitor_client::Error::Custom(DRY_RUN.into()),
        }
    }
}

impl From<Violation> for Halt {
    fn from(v: Violation) -> Self {
        Halt::Invalid(v)
    }
}

/// A signed request as it would go on the wire, secrets masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    /// `DELETE`, `POST`, …
    pub method: String,
    /// The full URL; secret query parameters show `***`.
    pub url: String,
    /// Headers in the order they would be sent; credentials and tokens show `***`.
    pub headers: Vec<(String, String)>,
    /// The body as text, secret fields showing `***`; `None` when there is no body.
    pub body: Option<String>,
}

impl PreparedRequest {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Captures `request`, masking the headers in `secret_headers`, the access key in `Authorization`
    /// and the operation's secret parameters in the query and the JSON body.
    pub fn capture(request: &reqwest::Request, op: &Operation, secret_headers: &[&str]) -> Self {
        let mut url = request.url().clone();
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let mut query = String::new();
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    query.push('&');
                }
                encode_into(&mut query, k);
                query.push('=');
                if op.secrets.contains(&k.as_str()) {
                    query.push_str(MASK);
                } else {
                    encode_into(&mut query, v);
                }
            }
            url.set_query(Some(&query));
        }
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = value.to_str().unwrap_or("<binary>");
                let shown = if name == reqwest::header::AUTHORIZATION {
                    mask_access_key(value)
                } else if secret_headers.contains(&name.as_str()) {
                    MASK.to_string()
                } else {
                    value.to_string()
                };
                (name.as_str().to_string(), shown)
            })
            .collect();
        let body = request.body().and_then(reqwest::Body::as_bytes).map(|bytes| {
            match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(mut map)) if op.secrets.iter().any(|s| map.contains_key(*s)) => {
                    for s in op.secrets {
                        if let Some(v) = map.get_mut(*s) {
                            *v = Value::String(MASK.into());
                        }
                    }
                    Value::Object(map).to_string()
                }
                _ => String::from_utf8_lossy(bytes).into_owned(),
            }
        });
        Self {
            method: request.method().as_str().to_string(),
            url: url.to_string(),
            headers,
            body,
        }
    }
}

/// `… Access=AK, …` / `… Credential=AK,…` with the key masked.
fn mask_access_key(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, part) in value.split(',').enumerate() {
        if i > 0 {
            out.push(',');
        }
        let trimmed = part.trim_start();
        let lead = &part[..part.len() - trimmed.len()];
        let (scheme, field) = trimmed.split_once(' ').map_or(("", trimmed), |(s, f)| (s, f));
        match field.split_once('=') {
            Some((k @ ("Access" | "Credential"), _)) => {
                out.push_str(lead);
                if !scheme.is_empty() {
                    out.push_str(scheme);
                    out.push(' ');
                }
                out.push_str(k);
                out.push('=');
                out.push_str(MASK);
            }
            _ => out.push_str(part),
        }
    }
    out
}

impl fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {v}")?;
        }
        if let Some(body) = &self.body {
            writeln!(f)?;
            f.write_str(body)?;
        }
        Ok(())
    }
}

/// Where a dry-run client leaves the request it captured.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<Option<PreparedRequest>>>);

impl Capture {
    /// Stores a captured request.
    pub fn put(&self, request: PreparedRequest) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(request);
    }

    /// The outcome of a dry-run call: the captured request, or the error that stopped the call first.
    pub fn finish<T, E>(
        &self,
        result: Result<T, progenitor_client::Error<E>>,
    ) -> Result<PreparedRequest, crate::Error> {
        if let Some(request) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Ok(request);
        }
        match result {
            Err(progenitor_client::Error::InvalidRequest(text)) => Err(crate::Error::InvalidRequest(
                Violation::parse(&text).unwrap_or_else(|| Violation::new("request", text)),
            )),
            _ => Err(crate::Error::Config(
                "the dry run did not reach the signing step".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_the_access_key_in_both_authorization_layouts() {
        let cases = [
            (
                "SDK-HMAC-SHA256 Access=AKID, SignedHeaders=host;x-sdk-date, Signature=abc",
                "SDK-HMAC-SHA256 Access=***, SignedHeaders=host;x-sdk-date, Signature=abc",
            ),
            (
                "ACS3-HMAC-SHA256 Credential=LTAI,SignedHeaders=host;x-acs-date,Signature=abc",
                "ACS3-HMAC-SHA256 Credential=***,SignedHeaders=host;x-acs-date,Signature=abc",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(super::mask_access_key(input), want);
        }
    }
}
