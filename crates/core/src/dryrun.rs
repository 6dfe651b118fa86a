//! Dry runs: build and sign a request exactly as it would be sent, and hand it back instead of sending
//! it, with every secret masked, for review or audit logs.

use std::fmt;

use serde_json::Value;

use crate::encode::encode_into;
use crate::secret::MASK;

/// A signed request as it would go on the wire, secrets masked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// and the parameters named in `secrets` in the query and the JSON body.
    pub fn capture(request: &reqwest::Request, secrets: &[&str], secret_headers: &[&str]) -> Self {
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
                if secrets.contains(&k.as_str()) {
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
                Ok(Value::Object(mut map)) if secrets.iter().any(|s| map.contains_key(*s)) => {
                    for s in secrets {
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
