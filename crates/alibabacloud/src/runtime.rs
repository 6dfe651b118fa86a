//! The Alibaba Cloud runtime behind every generated action: local validation, the RPC wire form
//! (`POST /`, parameters in the query, Action and Version in headers), ACS3-HMAC-SHA256 signing of
//! each attempt with a fresh date and nonce, retries, and error replies.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dbops_core::dryrun::{Capture, Halt, PreparedRequest};
use dbops_core::encode::{MAX_URL_BYTES, encode_into};
use dbops_core::http::{Dialect, Transport, header_str, host_header};
use dbops_core::meta::{Field, Fields, NoBody, Operation, RequestView, read_body};
use dbops_core::time::UtcDateTime;
use dbops_core::{Error, SecretString, ServiceError, Violation};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use crate::credentials::Credentials;
use crate::signer::{self, EMPTY_SHA256, Query, SignableRequest};
use dbops_core::signing::SigningKey;

/// Settings of the DAS client: [`Credentials`], endpoint (default `das.cn-shanghai.aliyuncs.com`),
/// timeouts, retries.
pub type ClientConfig = dbops_core::ClientConfig<Credentials>;

pub(crate) struct Built {
    pub baseurl: String,
    pub reqwest: reqwest::Client,
    pub runtime: Runtime,
    pub total_timeout: Duration,
}

pub(crate) fn build(
    config: ClientConfig,
    service: &'static str,
    api_version: &'static str,
    regions: &[(&str, &str)],
    default_endpoint: &str,
) -> Result<Built, Error> {
    let baseurl = config.resolve_endpoint(service, regions, Some(default_endpoint))?;
    let (credentials, http) = config.into_parts();
    credentials.check()?;
    let reqwest = http.build_client(&baseurl)?;
    let runtime = Runtime {
        credentials: Arc::new(credentials),
        api_version,
        transport: http.transport(),
        capture: None,
        query: None,
    };
    Ok(Built {
        baseurl,
        reqwest,
        runtime,
        total_timeout: http.total_timeout,
    })
}

/// The runtime the generated client calls through its hooks.
#[derive(Debug, Clone)]
pub struct Runtime {
    credentials: Arc<Credentials>,
    api_version: &'static str,
    /// Retries, total timeout, in-flight limit and reply cap, shared by every call of the client.
    transport: Transport,
    /// Set on dry-run clients: requests are signed and captured here instead of being sent.
    capture: Option<Capture>,
    /// Set on the client of one call whose body was checked and written out as the RPC query from its
    /// typed value (see [`Runtime::for_body`]): `pre` sends this query and does not read the body back.
    query: Option<String>,
}

/// Headers whose values are credentials, masked in dry-run output.
pub const SECRET_HEADERS: [&str; 1] = ["x-acs-security-token"];

static X_ACS_ACTION: HeaderName = HeaderName::from_static("x-acs-action");
static X_ACS_VERSION: HeaderName = HeaderName::from_static("x-acs-version");
static X_ACS_DATE: HeaderName = HeaderName::from_static("x-acs-date");
static X_ACS_NONCE: HeaderName = HeaderName::from_static("x-acs-signature-nonce");
static X_ACS_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-acs-content-sha256");
static X_ACS_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-acs-security-token");

impl Runtime {
    /// The same runtime, capturing requests instead of sending them.
    pub fn dry_run(&self, capture: Capture) -> Self {
        Self {
            capture: Some(capture),
            ..self.clone()
        }
    }

    /// The same runtime for a single call whose body `body` has just passed `op`'s body rules here and
    /// been written out as its RPC query, from the typed value: its `pre` checks the other rules and
    /// sends that query, without reading the body back.
    pub(crate) fn for_body(&self, op: &Operation, body: &dyn Fields) -> Result<Self, Violation> {
        op.validate_body(Some(body))?;
        Ok(Self {
            query: Some(rpc_query(body)),
            ..self.clone()
        })
    }

    /// Runs before anything is sent: checks the documented rules, then rewrites the generated request
    /// into the RPC wire form: `POST /` with every parameter in the query (booleans as `true`/`false`,
    /// lists as JSON-array text), an empty body, and `x-acs-action` / `x-acs-version` headers. The body
    /// is read back as its generated type `B`, unless a facade method made this runtime for the one call
    /// whose typed body it already checked and encoded. A dry-run runtime then signs and captures the
    /// request and stops it.
    pub fn pre<B>(&self, request: &mut reqwest::Request, op: Option<&'static Operation>) -> Result<(), Halt>
    where
        B: Fields + DeserializeOwned,
    {
        let op = op.ok_or_else(|| Violation::new("operation", "is not known to this client"))?;
        let action = op
            .rpc_action
            .ok_or_else(|| Violation::new("operation", "has no RPC action"))?;
        let mut view = RequestView {
            path: request.url().path(),
            query: &[],
            headers: request.headers(),
            body: None,
        };
        let read_back;
        let query = match &self.query {
            Some(query) => {
                op.validate_request(&view)?;
                query
            }
            None => {
                let body = read_body::<B>(request)?;
                let body: &dyn Fields = match &body {
                    Some(b) => b,
                    None => &NoBody {},
                };
                view.body = Some(body);
                op.validate(&view)?;
                read_back = rpc_query(body);
                &read_back
            }
        };
        let url = request.url_mut();
        // The pseudo path `/{Action}` only kept the operations apart for the generator.
        let base_len = url.path().rfind('/').unwrap_or(0);
        check_url_length(url[..url::Position::BeforePath].len() + base_len + 2, query)?;
        let mut path = String::with_capacity(base_len + 1);
        path.push_str(&url.path()[..base_len]);
        path.push('/');
        url.set_path(&path);
        url.set_query((!query.is_empty()).then_some(query.as_str()));

        *request.method_mut() = reqwest::Method::POST;
        *request.body_mut() = None;
        let headers = request.headers_mut();
        headers.remove("api-version");
        headers.remove(reqwest::header::CONTENT_TYPE);
        // Room for the wire form's headers and the signature's, so that the map grows once.
        headers.reserve(8);
        headers.insert(X_ACS_ACTION.clone(), HeaderValue::from_static(action));
        headers.insert(X_ACS_VERSION.clone(), HeaderValue::from_static(self.api_version));
        headers.insert(X_ACS_CONTENT_SHA256.clone(), HeaderValue::from_static(EMPTY_SHA256));
        if let Some(capture) = &self.capture {
            self.sign(request, SystemTime::now(), &new_nonce());
            capture.put(PreparedRequest::capture(request, op, &SECRET_HEADERS));
            return Err(Halt::DryRun);
        }
        Ok(())
    }

    /// Sends the request, signing each attempt with a fresh date and nonce, retrying as allowed.
    pub async fn exec(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        _op: Option<&'static Operation>,
    ) -> reqwest::Result<reqwest::Response> {
        dbops_core::http::send(client, request, &self.transport, &AlibabaDialect, |req| {
            self.sign(req, SystemTime::now(), Nonce::new().as_str())
        })
        .await
    }

    /// Adds `x-acs-date`, `x-acs-signature-nonce`, `x-acs-security-token` (STS) and `Authorization`.
    pub fn sign(&self, request: &mut reqwest::Request, now: SystemTime, nonce: &str) {
        let date = UtcDateTime::from_system(now).extended_stamp().header_value();
        let creds = &self.credentials;
        let headers = request.headers_mut();
        headers.insert(X_ACS_DATE.clone(), date);
        if let Ok(v) = HeaderValue::from_str(nonce) {
            headers.insert(X_ACS_NONCE.clone(), v);
        }
        if let Some(token) = creds.security_token.as_ref().and_then(SecretString::header_value) {
            headers.insert(X_ACS_SECURITY_TOKEN.clone(), token);
        }
        let authorization = authorization(request, creds.access_key_id.expose(), &creds.signing_key);
        if let Ok(mut v) = HeaderValue::try_from(authorization) {
            v.set_sensitive(true);
            request.headers_mut().insert(reqwest::header::AUTHORIZATION, v);
        }
    }
}

/// Refuses a query that would make the URL longer than the HTTP stack can send (`prefix_len`: the
/// bytes before it, `?` included), naming the longest parameter.
fn check_url_length(prefix_len: usize, query: &str) -> Result<(), Violation> {
    let total = prefix_len + query.len();
    if total <= MAX_URL_BYTES {
        return Ok(());
    }
    let (name, len) = query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name, value.len())
        })
        .max_by_key(|&(_, len)| len)
        .unwrap_or_default();
    Err(Violation::new(
        name,
        format!(
            "is {len} bytes once percent-encoded: the request URL, which carries every parameter, \
             would be {total} bytes, over the limit of {MAX_URL_BYTES}"
        ),
    ))
}

/// The RPC query a request body stands for, as [`rpc_query_into`] writes it.
fn rpc_query(body: &dyn Fields) -> String {
    let mut query = String::with_capacity(512);
    rpc_query_into(&mut query, body);
    query
}

/// Appends the RPC query a request body stands for, in canonical form (the form it is sent and signed
/// in): parameters sorted by name, `name=value` percent-encoded (RFC 3986), joined by `&`. Strings go
/// as they are, integers and booleans as text, lists as JSON-array text; absent fields are left out.
pub fn rpc_query_into(out: &mut String, body: &dyn Fields) {
    let mut text = String::with_capacity(128);
    for name in body.names() {
        let Some(value) = body.field(name) else { continue };
        if !out.is_empty() {
            out.push('&');
        }
        encode_into(out, name);
        out.push('=');
        text.clear();
        encode_into(out, parameter_text(&mut text, value));
    }
}

/// The RPC parameters a request body stands for, as (name, text) pairs in canonical order: what
/// [`rpc_query_into`] encodes.
pub fn rpc_parameters(body: &dyn Fields) -> Vec<(String, String)> {
    let mut text = String::new();
    body.names()
        .iter()
        .filter_map(|name| {
            let value = body.field(name)?;
            text.clear();
            Some((name.to_string(), parameter_text(&mut text, value).to_string()))
        })
        .collect()
}

/// The text of one parameter value; `buf` holds it when it is not borrowed from the value.
fn parameter_text<'a>(buf: &'a mut String, value: Field<'a>) -> &'a str {
    match value {
        Field::Str(s) => s,
        Field::Bool(true) => "true",
        Field::Bool(false) => "false",
        Field::Int(n) => {
            buf.push_str(itoa::Buffer::new().format(n));
            buf
        }
        Field::Strs(items) => {
            buf.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                push_json_string(buf, item);
            }
            buf.push(']');
            buf
        }
        Field::Ints(items) => {
            buf.push('[');
            let mut digits = itoa::Buffer::new();
            for (i, n) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                buf.push_str(digits.format(*n));
            }
            buf.push(']');
            buf
        }
    }
}

/// Appends `s` as a JSON string literal, escaped as `serde_json` writes it.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(u32::from(c) >> 4) as usize]));
                out.push(char::from(HEX[(u32::from(c) & 15) as usize]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether a header (lowercase name) is signed: `host`, `content-type` and every `x-acs-*` header.
pub fn signs_header(name: &str) -> bool {
    name == "host" || name == "content-type" || name.starts_with("x-acs-")
}

/// The `Authorization` value for a request already carrying its `x-acs-*` headers. Signs `host`,
/// `content-type` when present, and every `x-acs-*` header.
pub fn authorization(request: &reqwest::Request, access_key_id: &str, key: &SigningKey) -> String {
    let url = request.url();
    let host = host_header(url);
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(8);
    headers.push(("host", &host));
    for (name, value) in request.headers() {
        // `host` is signed as the URL names it (above), which is what the HTTP stack sends.
        if name != reqwest::header::HOST
            && signs_header(name.as_str())
            && let Ok(v) = value.to_str()
        {
            headers.push((name.as_str(), v));
        }
    }
    let hashed = header_str(request.headers(), "x-acs-content-sha256").unwrap_or(EMPTY_SHA256);
    // `pre` put the query on the URL in canonical form already.
    let query = Query::Canonical(url.query().unwrap_or_default());
    let req = SignableRequest {
        method: request.method().as_str(),
        path: url.path(),
        query,
        headers: &headers,
        hashed_payload: hashed,
    };
    signer::sign_with(&req, key).authorization(access_key_id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_strings_are_escaped_as_serde_json_escapes_them() {
        for s in [
            "plain",
            "quo\"te",
            "back\\slash",
            "new\nline\ttab\r",
            "\u{1}\u{1f}\u{8}\u{c}",
            "é一/*",
            "",
        ] {
            let mut out = String::new();
            super::push_json_string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn nonces_are_32_lowercase_hex_digits_and_fresh() {
        let (a, b) = (super::new_nonce(), super::new_nonce());
        for n in [&a, &b] {
            assert_eq!(n.len(), 32, "{n}");
            assert!(
                n.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
                "{n}"
            );
        }
        assert_ne!(a, b);
    }
}

/// A fresh 128-bit nonce, as 32 hex digits.
pub fn new_nonce() -> String {
    Nonce::new().as_str().to_string()
}

/// A fresh 128-bit nonce as 32 hex digits, held on the stack.
struct Nonce([u8; 32]);

impl Nonce {
    fn new() -> Self {
        let mut out = [0u8; 32];
        dbops_core::encode::hex_into(&mut out, &fastrand::u128(..).to_be_bytes());
        Self(out)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

/// Reads Alibaba Cloud error replies.
#[derive(Debug, Clone, Copy)]
pub struct AlibabaDialect;

impl Dialect for AlibabaDialect {
    fn is_throttling(&self, _status: StatusCode, body: &[u8]) -> bool {
        parse_error(body)
            .and_then(|e| e.code)
            .is_some_and(|c| is_throttling_code(&c))
    }

    fn service_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ServiceError {
        let e = parse_error(body).unwrap_or_default();
        ServiceError {
            status: status.as_u16(),
            code: e.code,
            message: e.message,
            request_id: e
                .request_id
                .or_else(|| header_str(headers, "x-acs-request-id").map(str::to_string)),
            host_id: e.host_id,
            recommend: e.recommend,
        }
    }
}

/// `Throttling`, `Throttling.User`, `Throttling.Api`, …
pub fn is_throttling_code(code: &str) -> bool {
    code == "Throttling" || code.starts_with("Throttling.")
}

fn parse_error(body: &[u8]) -> Option<crate::generated::das::types::AlibabaError> {
    serde_json::from_slice(body).ok()
}
