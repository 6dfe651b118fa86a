//! The Alibaba Cloud runtime behind every generated action, transport only: the endpoint, the Action
//! and Version headers, ACS3-HMAC-SHA256 signing of each attempt with a fresh date and nonce, retries,
//! dry-run capture and error replies. The RPC query itself is written by the generated code.

use std::sync::Arc;
use std::time::SystemTime;

use dbops_core::encode::MAX_URL_BYTES;
use dbops_core::http::{
    Dialect, Endpoint, Transport, call_span, endpoint_host, header_str, host_header, read_reply, run_call, send,
};
use dbops_core::meta::{Operation, Service};
use dbops_core::time::UtcDateTime;
use dbops_core::wire::{Reply, WireRequest};
use dbops_core::{Error, PreparedRequest, SecretString, ServiceError, Violation};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::credentials::Credentials;
use crate::signer::{self, EMPTY_SHA256, Query, SignableRequest};
use dbops_core::signing::{SigningKey, with_signed_headers};

/// Settings of the DAS client: [`Credentials`], endpoint (default `das.cn-shanghai.aliyuncs.com`),
/// timeouts, retries.
pub type ClientConfig = dbops_core::ClientConfig<Credentials>;

/// The transport behind every generated action of one client: it adds the endpoint, the Action and
/// Version headers and the signature to the wire form the generated code writes (`POST /` with every
/// parameter in the canonical query), sends with retries within the client's limits, and reads the
/// reply. Clones share everything.
///
/// Support for generated code (this crate's and clients generated elsewhere from other specs), not an
/// interface of its own.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Runtime(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    service: &'static Service,
    client: reqwest::Client,
    /// The endpoint, parsed once.
    endpoint: Endpoint,
    /// The endpoint's host, for the call span.
    host: String,
    credentials: Credentials,
    /// Retries, total timeout, in-flight limit and reply cap, shared by every call of the client.
    transport: Transport,
}

impl Runtime {
    /// The runtime of a `service` client with these settings; unusable credentials, unknown regions and
    /// bad endpoints are refused here.
    pub fn new(config: ClientConfig, service: &'static Service) -> Result<Self, Error> {
        let base = config.resolve_endpoint(service.name, service.regions, service.default_endpoint)?;
        let (credentials, http) = config.into_parts();
        credentials.check()?;
        let client = http.build_client(&base)?;
        Ok(Self(Arc::new(Inner {
            service,
            client,
            host: endpoint_host(&base),
            endpoint: Endpoint::new(&base)?,
            credentials,
            transport: http.transport(),
        })))
    }

    /// Sends one action's request and reads its reply, in the call's span and within its total timeout;
    /// each attempt is signed afresh with a new date and nonce.
    pub async fn send<O: Reply>(&self, op: &'static Operation, wire: Result<WireRequest, Error>) -> Result<O, Error> {
        let inner = &*self.0;
        let span = call_span(inner.service.provider, inner.service.name, op.name, &inner.host);
        run_call(span, async move {
            let wire = wire?;
            let reply = send(
                &inner.client,
                &inner.transport,
                &AlibabaDialect,
                || self.request(op, &wire),
                |req| self.sign(req, SystemTime::now(), Nonce::new().as_str()),
            )
            .await?;
            read_reply(reply, op, &AlibabaDialect).await
        })
        .await
    }

    /// The request `send` would send, signed, with credentials and secret parameters masked.
    pub fn dry_run(&self, op: &'static Operation, wire: Result<WireRequest, Error>) -> Result<PreparedRequest, Error> {
        let mut request = self.request(op, &wire?)?;
        self.sign(&mut request, SystemTime::now(), &new_nonce());
        Ok(PreparedRequest::capture(&request, op.secrets, &SECRET_HEADERS))
    }

    /// The unsigned request: `POST` to the endpoint's `/` with the wire query, and the `x-acs-action`,
    /// `x-acs-version` and `x-acs-content-sha256` headers.
    fn request(&self, op: &Operation, wire: &WireRequest) -> Result<reqwest::Request, Error> {
        let inner = &*self.0;
        let action = op
            .rpc_action
            .ok_or_else(|| Error::Config(format!("`{}` has no RPC action", op.name)))?;
        check_url_length(inner.endpoint.url_len(&wire.path, "") + 1, &wire.query)?;
        let url = inner.endpoint.join(&wire.path, &wire.query);
        let mut request = reqwest::Request::new(reqwest::Method::POST, url);
        let headers = request.headers_mut();
        // Room for the wire form's headers and the signature's, so that the map grows once.
        headers.reserve(wire.headers.len() + 8);
        for &(name, ref value) in &wire.headers {
            let bad = || Violation::new(name, "must be a valid HTTP header value");
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
            let value = HeaderValue::from_str(value).map_err(|_| bad())?;
            headers.insert(name, value);
        }
        // Said explicitly rather than left to the HTTP stack's `*/*`: the replies are JSON.
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(X_ACS_ACTION.clone(), HeaderValue::from_static(action));
        headers.insert(
            X_ACS_VERSION.clone(),
            HeaderValue::from_static(inner.service.api_version),
        );
        headers.insert(X_ACS_CONTENT_SHA256.clone(), HeaderValue::from_static(EMPTY_SHA256));
        Ok(request)
    }
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
    /// Adds `x-acs-date`, `x-acs-signature-nonce`, `x-acs-security-token` (STS) and `Authorization`.
    pub(crate) fn sign(&self, request: &mut reqwest::Request, now: SystemTime, nonce: &str) {
        let date = UtcDateTime::from_system(now).extended_stamp().header_value();
        let creds = &self.0.credentials;
        let headers = request.headers_mut();
        headers.insert(X_ACS_DATE.clone(), date);
        if let Ok(v) = HeaderValue::from_str(nonce) {
            headers.insert(X_ACS_NONCE.clone(), v);
        }
        if let Some(token) = creds.security_token.as_ref().and_then(SecretString::header_value) {
            headers.insert(X_ACS_SECURITY_TOKEN.clone(), token);
        }
        let authorization = authorization_for(
            request,
            self.0.endpoint.host_header(),
            creds.access_key_id.expose(),
            &creds.signing_key,
        );
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

/// Whether a header (lowercase name) is signed: `host`, `content-type` and every `x-acs-*` header.
pub fn signs_header(name: &str) -> bool {
    name == "host" || name == "content-type" || name.starts_with("x-acs-")
}

/// The `Authorization` value for a request already carrying its `x-acs-*` headers. Signs `host`,
/// `content-type` when present, and every `x-acs-*` header.
pub fn authorization(request: &reqwest::Request, access_key_id: &str, key: &SigningKey) -> String {
    authorization_for(request, &host_header(request.url()), access_key_id, key)
}

/// [`authorization`] with the `Host` value the request is sent with (the client's, made once).
fn authorization_for(request: &reqwest::Request, host: &str, access_key_id: &str, key: &SigningKey) -> String {
    let url = request.url();
    let hashed = request
        .headers()
        .get(&X_ACS_CONTENT_SHA256)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(EMPTY_SHA256);
    with_signed_headers(host, request.headers(), signs_header, |headers| {
        let req = SignableRequest {
            method: request.method().as_str(),
            path: url.path(),
            // `request` put the query on the URL in canonical form already.
            query: Query::Canonical(url.query().unwrap_or_default()),
            headers,
            hashed_payload: hashed,
        };
        signer::sign_with(&req, key).authorization(access_key_id)
    })
}

#[cfg(test)]
mod tests {
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
        let mut out = ServiceError::new(status.as_u16());
        out.code = e.code;
        out.message = e.message;
        out.request_id = e
            .request_id
            .or_else(|| header_str(headers, "x-acs-request-id").map(str::to_string));
        out.host_id = e.host_id;
        out.recommend = e.recommend;
        out
    }
}

/// `Throttling`, `Throttling.User`, `Throttling.Api`, …
pub fn is_throttling_code(code: &str) -> bool {
    code == "Throttling" || code.starts_with("Throttling.")
}

fn parse_error(body: &[u8]) -> Option<crate::generated::das::types::AlibabaError> {
    serde_json::from_slice(body).ok()
}
