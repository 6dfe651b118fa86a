//! The Huawei Cloud runtime behind every generated operation, transport only: the endpoint, the
//! `X-Project-Id` header, SDK-HMAC-SHA256 signing of each attempt, retries, dry-run capture and error
//! replies. What a request holds, and whether it may be sent, is the generated code's.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use dbops_core::encode::MAX_URL_BYTES;
use dbops_core::http::{
    Dialect, Endpoint, Transport, call_span, endpoint_host, header_str, host_header, read_reply, run_call, send,
};
use dbops_core::meta::{Operation, Service};
use dbops_core::signing::{SigningKey, with_signed_headers};
use dbops_core::time::UtcDateTime;
use dbops_core::wire::{Reply, WireRequest};
use dbops_core::{Error, PreparedRequest, SecretString, ServiceError, Violation};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::credentials::{Auth, Credentials};
use crate::signer::{self, SignableRequest};

/// Settings of a DAS or DDS client: [`Credentials`], region or endpoint, timeouts, retries.
pub type ClientConfig = dbops_core::ClientConfig<Credentials>;

impl dbops_core::EnvCredentials for Credentials {
    fn from_env() -> Result<Self, Error> {
        Credentials::from_env()
    }
}

/// The transport behind every generated operation of one client: it adds the endpoint, `X-Project-Id`
/// and the signature to the wire form the generated code writes, sends with retries within the
/// client's limits, and reads the reply. Clones share everything.
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
    /// The project id as the `X-Project-Id` value, made once (the client is not built when the project
    /// id cannot be one).
    project_header: HeaderValue,
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
        let project_header = HeaderValue::from_str(&credentials.project_id)
            .map_err(|_| Error::Config("credential project id cannot be sent in an HTTP header".into()))?;
        Ok(Self(Arc::new(Inner {
            service,
            client,
            host: endpoint_host(&base),
            endpoint: Endpoint::new(&base)?,
            credentials,
            project_header,
            transport: http.transport(),
        })))
    }

    /// A value the generated code fills from the credentials (`x-from-credentials`).
    pub fn credential(&self, name: &str) -> Result<&str, Error> {
        match name {
            "project_id" => Ok(&self.0.credentials.project_id),
            _ => Err(Error::Config(format!("Huawei Cloud credentials hold no `{name}`"))),
        }
    }

    /// Sends one operation's request and reads its reply, in the call's span and within its total
    /// timeout; each attempt is signed afresh.
    pub async fn send<O: Reply>(&self, op: &'static Operation, wire: Result<WireRequest, Error>) -> Result<O, Error> {
        let inner = &*self.0;
        let span = call_span(inner.service.provider, inner.service.name, op.name, &inner.host);
        run_call(span, async move {
            let mut wire = wire?;
            // The body is shared by every attempt's request, never copied.
            let body = wire.body.take().map(Bytes::from);
            let reply = send(
                &inner.client,
                &inner.transport,
                &HuaweiDialect,
                || self.request(op, &wire, body.as_ref()),
                |req| self.sign(req, SystemTime::now()),
            )
            .await?;
            read_reply(reply, op, &HuaweiDialect).await
        })
        .await
    }

    /// The request `send` would send, signed, with credentials and secret parameters masked.
    pub fn dry_run(&self, op: &'static Operation, wire: Result<WireRequest, Error>) -> Result<PreparedRequest, Error> {
        let mut wire = wire?;
        let body = wire.body.take().map(Bytes::from);
        let mut request = self.request(op, &wire, body.as_ref())?;
        self.sign(&mut request, SystemTime::now());
        Ok(PreparedRequest::capture(&request, op.secrets, &SECRET_HEADERS))
    }

    /// The unsigned request: the endpoint joined with the wire path and query, the operation's headers,
    /// `Content-Type` for a JSON body, `X-Project-Id` and `Accept`.
    fn request(&self, op: &Operation, wire: &WireRequest, body: Option<&Bytes>) -> Result<reqwest::Request, Error> {
        let inner = &*self.0;
        let len = inner.endpoint.url_len(&wire.path, &wire.query);
        if len > MAX_URL_BYTES {
            return Err(Violation::new(
                "request",
                format!("would need a URL of {len} bytes, over the limit of {MAX_URL_BYTES}"),
            )
            .into());
        }
        let url = inner.endpoint.join(&wire.path, &wire.query);
        let method = reqwest::Method::from_bytes(op.method.as_bytes())
            .map_err(|_| Error::Config(format!("`{}` is not an HTTP method", op.method)))?;
        let mut request = reqwest::Request::new(method, url);
        let headers = request.headers_mut();
        // Room for the headers added here and by the signature (six at most: Content-Type, X-Project-Id,
        // Accept, X-Sdk-Date, X-Security-Token, Authorization), so that the map is allocated once, and
        // no larger than they need (room for seven would double its table).
        headers.reserve(wire.headers.len() + 6);
        for &(name, ref value) in &wire.headers {
            let bad = || Violation::new(name, "must be a valid HTTP header value");
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
            let value = HeaderValue::from_str(value).map_err(|_| bad())?;
            headers.insert(name, value);
        }
        if body.is_some() {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        headers.insert(X_PROJECT_ID.clone(), inner.project_header.clone());
        // Said explicitly (and so signed) rather than left to the HTTP stack's `*/*`.
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static("application/json"));
        *request.body_mut() = body.cloned().map(reqwest::Body::from);
        Ok(request)
    }
}

/// Headers whose values are credentials, masked in dry-run output.
pub const SECRET_HEADERS: [&str; 2] = ["x-security-token", "x-auth-token"];

static X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");
static X_SDK_DATE: HeaderName = HeaderName::from_static("x-sdk-date");
static X_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-security-token");
static X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");

impl Runtime {
    /// Adds the authentication headers for time `now`: `X-Sdk-Date`, `X-Security-Token` and
    /// `Authorization` for AK/SK, `X-Auth-Token` for an IAM token.
    pub(crate) fn sign(&self, request: &mut reqwest::Request, now: SystemTime) {
        let credentials = &self.0.credentials;
        match &credentials.auth {
            Auth::Token(token) => {
                if let Some(v) = token.header_value() {
                    request.headers_mut().insert(X_AUTH_TOKEN.clone(), v);
                }
            }
            Auth::AkSk {
                access_key,
                security_token,
                ..
            } => {
                let date = UtcDateTime::from_system(now).basic_stamp();
                let headers = request.headers_mut();
                headers.insert(X_SDK_DATE.clone(), date.header_value());
                if let Some(token) = security_token.as_ref().and_then(SecretString::header_value) {
                    headers.insert(X_SECURITY_TOKEN.clone(), token);
                }
                let key = credentials
                    .signing_key
                    .as_ref()
                    .expect("AK/SK credentials carry a signing key");
                let authorization = authorization_for(
                    request,
                    self.0.endpoint.host_header(),
                    access_key.expose(),
                    key,
                    date.as_str(),
                );
                if let Ok(mut v) = HeaderValue::try_from(authorization) {
                    v.set_sensitive(true);
                    request.headers_mut().insert(reqwest::header::AUTHORIZATION, v);
                }
            }
        }
    }
}

/// The `Authorization` value for a request whose headers already hold `X-Sdk-Date`. Signs every header
/// present (except names with `_`, as the official SDKs do) and `host`.
pub fn authorization(request: &reqwest::Request, access_key: &str, key: &SigningKey, sdk_date: &str) -> String {
    authorization_for(request, &host_header(request.url()), access_key, key, sdk_date)
}

/// [`authorization`] with the `Host` value the request is sent with (the client's, made once).
fn authorization_for(
    request: &reqwest::Request,
    host: &str,
    access_key: &str,
    key: &SigningKey,
    sdk_date: &str,
) -> String {
    let url = request.url();
    let query_pairs: Vec<_> = url.query_pairs().collect();
    let query: Vec<(&str, &str)> = query_pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    let body = request.body().and_then(reqwest::Body::as_bytes).unwrap_or_default();
    with_signed_headers(host, request.headers(), signs_header, |headers| {
        let req = SignableRequest {
            method: request.method().as_str(),
            path: url.path(),
            query: &query,
            headers,
            body,
        };
        signer::sign_with(&req, key, sdk_date).authorization(access_key)
    })
}

/// Whether a header (lowercase name) is signed: every header but `Authorization` and names with `_`,
/// which the official SDKs leave unsigned (some proxies drop such headers).
pub fn signs_header(name: &str) -> bool {
    name != "authorization" && !name.contains('_')
}

/// Reads Huawei Cloud error replies.
#[derive(Debug, Clone, Copy)]
pub struct HuaweiDialect;

/// Throttling codes of the API gateway (both spellings occur).
pub const THROTTLING_CODES: [&str; 2] = ["APIGW.0308", "APIG.0308"];

impl Dialect for HuaweiDialect {
    fn is_throttling(&self, status: StatusCode, body: &[u8]) -> bool {
        status == StatusCode::TOO_MANY_REQUESTS
            || parse_error(body).is_some_and(|(code, _)| code.is_some_and(|c| THROTTLING_CODES.contains(&c.as_str())))
    }

    fn service_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ServiceError {
        let (code, message) = parse_error(body).unwrap_or_default();
        let mut e = ServiceError::new(status.as_u16());
        e.code = code;
        e.message = message;
        e.request_id = header_str(headers, "x-request-id").map(str::to_string);
        e
    }
}

/// `error_code`/`error_msg`, falling back to `code`/`message`.
fn parse_error(body: &[u8]) -> Option<(Option<String>, Option<String>)> {
    let e: crate::generated::das::types::HuaweiError = serde_json::from_slice(body).ok()?;
    Some((e.error_code.or(e.code), e.error_msg.or(e.message)))
}
