//! Server-side signature checks: recompute the signature from the raw request as received, with the
//! server's copy of the secret, and compare it with the one in `Authorization`.

use std::time::{SystemTime, UNIX_EPOCH};

use dbops_core::time::UtcDateTime;
use sha2::{Digest, Sha256};

use crate::RawRequest;

/// Why a signature was refused.
pub type Refusal = String;

fn signed_headers<'a>(req: &'a RawRequest, names: &'a str) -> Result<Vec<(&'a str, &'a str)>, Refusal> {
    names
        .split(';')
        .map(|n| {
            req.header(n)
                .map(|v| (n, v))
                .ok_or_else(|| format!("signed header `{n}` was not sent"))
        })
        .collect()
}

fn hex_sha256(bytes: &[u8]) -> String {
    let mut s = String::new();
    dbops_core::encode::push_hex(&mut s, &Sha256::digest(bytes));
    s
}

/// Checks an SDK-HMAC-SHA256 request; returns the access key on success.
pub fn huawei(req: &RawRequest, secret_key: &str) -> Result<String, Refusal> {
    use huaweicloud_dbops::signer::{SignableRequest, sign};
    let auth = req.header("authorization").ok_or("no Authorization header")?;
    let rest = auth.strip_prefix("SDK-HMAC-SHA256 ").ok_or("not SDK-HMAC-SHA256")?;
    let mut parts = rest.split(", ");
    let access = parts
        .next()
        .and_then(|p| p.strip_prefix("Access="))
        .ok_or("no Access=")?;
    let names = parts
        .next()
        .and_then(|p| p.strip_prefix("SignedHeaders="))
        .ok_or("no SignedHeaders=")?;
    let given = parts
        .next()
        .and_then(|p| p.strip_prefix("Signature="))
        .ok_or("no Signature=")?;
    for required in ["host", "x-sdk-date"] {
        if !names.split(';').any(|n| n == required) {
            return Err(format!("`{required}` is not signed"));
        }
    }
    let date = req.header("x-sdk-date").ok_or("no X-Sdk-Date")?;
    check_skew(date, false)?;
    let headers = signed_headers(req, names)?;
    let query_owned = req.query();
    let query: Vec<(&str, &str)> = query_owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let signable = SignableRequest {
        method: &req.method,
        path: req.path(),
        query: &query,
        headers: &headers,
        body: &req.body,
    };
    let sig = sign(&signable, secret_key, date);
    if sig.signed_headers != names {
        return Err(format!("SignedHeaders `{names}` are not sorted lowercase names"));
    }
    if sig.signature != given {
        return Err("signature mismatch".into());
    }
    Ok(access.to_string())
}

/// Checks an ACS3-HMAC-SHA256 request; returns the AccessKey id on success.
pub fn alibaba(req: &RawRequest, secret: &str) -> Result<String, Refusal> {
    use alibabacloud_dbops::signer::{SignableRequest, sign};
    let auth = req.header("authorization").ok_or("no Authorization header")?;
    let rest = auth.strip_prefix("ACS3-HMAC-SHA256 ").ok_or("not ACS3-HMAC-SHA256")?;
    let mut parts = rest.split(',');
    let credential = parts
        .next()
        .and_then(|p| p.strip_prefix("Credential="))
        .ok_or("no Credential=")?;
    let names = parts
        .next()
        .and_then(|p| p.strip_prefix("SignedHeaders="))
        .ok_or("no SignedHeaders=")?;
    let given = parts
        .next()
        .and_then(|p| p.strip_prefix("Signature="))
        .ok_or("no Signature=")?;
    for required in [
        "host",
        "x-acs-action",
        "x-acs-version",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    ] {
        if !names.split(';').any(|n| n == required) {
            return Err(format!("`{required}` is not signed"));
        }
    }
    let hashed = hex_sha256(&req.body);
    if req.header("x-acs-content-sha256") != Some(hashed.as_str()) {
        return Err("x-acs-content-sha256 does not match the body".into());
    }
    check_skew(req.header("x-acs-date").ok_or("no x-acs-date")?, true)?;
    let headers = signed_headers(req, names)?;
    let query_owned = req.query();
    let query: Vec<(&str, &str)> = query_owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let signable = SignableRequest {
        method: &req.method,
        path: req.path(),
        query: alibabacloud_dbops::signer::Query::Pairs(&query),
        headers: &headers,
        hashed_payload: &hashed,
    };
    let sig = sign(&signable, secret);
    if sig.signed_headers != names {
        return Err(format!("SignedHeaders `{names}` are not sorted lowercase names"));
    }
    if sig.signature != given {
        return Err("signature mismatch".into());
    }
    Ok(credential.to_string())
}

/// The one account a test gateway serves, and how it checks every request: an IAM token alone, or an
/// AK/SK signature (with the security token issued with the key, if any) and never both.
#[derive(Debug, Clone, Copy)]
pub struct HuaweiAccount {
    pub access_key: &'static str,
    pub secret_key: &'static str,
    /// The security token issued with the access key: a request that carries a token must carry this
    /// one, signed.
    pub security_token: Option<&'static str>,
    /// The IAM token this account accepts.
    pub iam_token: Option<&'static str>,
}

impl HuaweiAccount {
    /// Checks a request as the API gateway would. Any AK/SK header (`Authorization`, `X-Sdk-Date`,
    /// `X-Security-Token`) makes it a signed request, whose signature, access key and token are all
    /// checked; an IAM token together with any of them is refused.
    pub fn check(&self, req: &RawRequest) -> Result<(), Refusal> {
        let signed = ["authorization", "x-sdk-date", "x-security-token"]
            .iter()
            .any(|h| req.header(h).is_some());
        match (req.header("x-auth-token"), signed) {
            (Some(_), true) => Err("an IAM token and an AK/SK signature in one request".into()),
            (Some(token), false) if Some(token) == self.iam_token => Ok(()),
            (Some(_), false) => Err("unknown IAM token".into()),
            (None, _) => {
                let access = huawei(req, self.secret_key)?;
                if access != self.access_key {
                    return Err(format!("unknown access key `{access}`"));
                }
                check_token(req, "x-security-token", self.security_token)
            }
        }
    }
}

/// The one account a test gateway serves: an AccessKey pair, and the STS token issued with it, if any.
#[derive(Debug, Clone, Copy)]
pub struct AlibabaAccount {
    pub access_key_id: &'static str,
    pub secret: &'static str,
    /// A request that carries a security token must carry this one, signed.
    pub security_token: Option<&'static str>,
}

impl AlibabaAccount {
    /// Checks a request as the API gateway would: signature, AccessKey id and token.
    pub fn check(&self, req: &RawRequest) -> Result<(), Refusal> {
        let id = alibaba(req, self.secret)?;
        if id != self.access_key_id {
            return Err(format!("unknown AccessKey id `{id}`"));
        }
        check_token(req, "x-acs-security-token", self.security_token)
    }
}

/// A security token, when sent, must be the one issued and must be signed.
fn check_token(req: &RawRequest, header: &str, issued: Option<&str>) -> Result<(), Refusal> {
    match (req.header(header), issued) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(format!("`{header}` sent for credentials that have none")),
        (Some(t), Some(want)) if t != want => Err(format!("`{header}` is not the token issued")),
        (Some(_), Some(_)) => {
            let auth = req.header("authorization").unwrap_or_default();
            let signed = auth
                .split("SignedHeaders=")
                .nth(1)
                .and_then(|rest| rest.split([',', ' ']).next())
                .unwrap_or_default();
            if signed.split(';').any(|n| n == header) {
                Ok(())
            } else {
                Err(format!("`{header}` is not signed"))
            }
        }
    }
}

/// Refuses a date not in the layout (basic `YYYYMMDDTHHMMSSZ` or extended `YYYY-MM-DDTHH:MM:SSZ`) or
/// more than 15 minutes away from now.
fn check_skew(date: &str, extended: bool) -> Result<(), Refusal> {
    let digits: String = date.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 14 {
        return Err(format!("date `{date}` is malformed"));
    }
    let n = |a: usize, b: usize| digits[a..b].parse::<i64>().unwrap_or(0);
    let (y, m, d) = (n(0, 4), n(4, 6), n(6, 8));
    // Days from civil (Hinnant), the inverse of UtcDateTime::from_unix.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + n(8, 10) * 3600 + n(10, 12) * 60 + n(12, 14);
    let t = UtcDateTime::from_unix(secs);
    let canonical = if extended { t.extended() } else { t.basic() };
    if canonical != date {
        return Err(format!("date `{date}` is not in the expected layout"));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    if (secs - now).abs() > 15 * 60 {
        return Err(format!("date `{date}` is more than 15 minutes off"));
    }
    Ok(())
}
