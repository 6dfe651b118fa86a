//! The Alibaba Cloud runtime behind every generated action: local validation, the RPC wire form
//! (`POST /`, parameters in the query, Action and Version in headers), ACS3-HMAC-SHA256 signing of
//! each attempt with a fresh date and nonce, retries, and error replies.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dbops_core::dryrun::{Capture, Halt, PreparedRequest};
use dbops_core::http::{Dialect, header_str, host_header};
use dbops_core::meta::{Operation, RequestView};
use dbops_core::time::UtcDateTime;
use dbops_core::{Error, RetryPolicy, SecretString, ServiceError, Violation};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

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
    let reqwest = http.build_client()?;
    let runtime = Runtime {
        credentials: Arc::new(credentials),
        api_version,
        retry: http.retry.clone(),
        capture: None,
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
    retry: RetryPolicy,
    /// Set on dry-run clients: requests are signed and captured here instead of being sent.
    capture: Option<Capture>,
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

    /// Runs before anything is sent: checks the documented rules, then rewrites the generated request
    /// into the RPC wire form: `POST /` with every parameter in the query (booleans as `true`/`false`,
    /// lists as JSON-array text), an empty body, and `x-acs-action` / `x-acs-version` headers. A dry-run
    /// runtime then signs and captures the request and stops it.
    pub fn pre(&self, request: &mut reqwest::Request, op: Option<&'static Operation>) -> Result<(), Halt> {
        let op = op.ok_or_else(|| Violation::new("operation", "is not known to this client"))?;
        let action = op
            .rpc_action
            .ok_or_else(|| Violation::new("operation", "has no RPC action"))?;
        let body: Value = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Object(Default::default()));
        op.validate(&RequestView {
            path: request.url().path(),
            query: &[],
            headers: request.headers(),
            body: Some(&body),
        })?;

        let params = rpc_parameters(&body);
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut query = String::with_capacity(256);
        signer::canonical_query_into(&mut query, &pairs);
        let url = request.url_mut();
        // The pseudo path `/{Action}` only kept the operations apart for the generator.
        let base = url
            .path()
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or_default();
        url.set_path(&format!("{base}/"));
        url.set_query((!query.is_empty()).then_some(query.as_str()));

        *request.method_mut() = reqwest::Method::POST;
        *request.body_mut() = None;
        let headers = request.headers_mut();
        headers.remove("api-version");
        headers.remove(reqwest::header::CONTENT_TYPE);
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
        dbops_core::http::send(client, request, &self.retry, &AlibabaDialect, |req| {
            self.sign(req, SystemTime::now(), &new_nonce())
        })
        .await
    }

    /// Adds `x-acs-date`, `x-acs-signature-nonce`, `x-acs-security-token` (STS) and `Authorization`.
    pub fn sign(&self, request: &mut reqwest::Request, now: SystemTime, nonce: &str) {
        let date = UtcDateTime::from_system(now).extended();
        let creds = &self.credentials;
        let headers = request.headers_mut();
        headers.insert(X_ACS_DATE.clone(), HeaderValue::from_str(&date).expect("ASCII date"));
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

/// The RPC parameters a request body stands for: strings as they are, booleans and numbers as text,
/// arrays and objects as JSON text; absent and null values are left out.
pub fn rpc_parameters(body: &Value) -> Vec<(String, String)> {
    let Some(map) = body.as_object() else { return Vec::new() };
    map.iter()
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Array(_) | Value::Object(_) => v.to_string(),
            };
            Some((k.clone(), text))
        })
        .collect()
}

/// The `Authorization` value for a request already carrying its `x-acs-*` headers. Signs `host`,
/// `content-type` when present, and every `x-acs-*` header.
pub fn authorization(request: &reqwest::Request, access_key_id: &str, key: &SigningKey) -> String {
    let url = request.url();
    let host = host_header(url);
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(8);
    headers.push(("host", &host));
    for (name, value) in request.headers() {
        let n = name.as_str();
        if (n.starts_with("x-acs-") || name == reqwest::header::CONTENT_TYPE)
            && let Ok(v) = value.to_str()
        {
            headers.push((n, v));
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

/// A fresh 128-bit nonce, as 32 hex digits.
pub fn new_nonce() -> String {
    format!("{:032x}", fastrand::u128(..))
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
