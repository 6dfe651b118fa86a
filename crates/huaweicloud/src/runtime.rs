//! The Huawei Cloud runtime behind every generated operation: local validation before sending, the
//! `X-Project-Id` header, SDK-HMAC-SHA256 signing of each attempt, retries, endpoints and error replies.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dbops_core::dryrun::{Capture, Halt, PreparedRequest};
use dbops_core::http::{Dialect, Transport, header_str, host_header};
use dbops_core::meta::{Fields, Operation, RequestView, read_body};
use dbops_core::signing::SigningKey;
use dbops_core::time::UtcDateTime;
use dbops_core::{Error, SecretString, ServiceError, Violation};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use crate::credentials::{Auth, Credentials};
use crate::signer::{self, SignableRequest};

/// Settings of a DAS or DDS client: [`Credentials`], region or endpoint, timeouts, retries.
pub type ClientConfig = dbops_core::ClientConfig<Credentials>;

impl dbops_core::EnvCredentials for Credentials {
    fn from_env() -> Result<Self, Error> {
        Credentials::from_env()
    }
}

pub(crate) fn build(config: ClientConfig, service: &'static str, regions: &[(&str, &str)]) -> Result<Built, Error> {
    let baseurl = config.resolve_endpoint(service, regions, None)?;
    let (credentials, http) = config.into_parts();
    credentials.check()?;
    let reqwest = http.build_client(&baseurl)?;
    let project_header = HeaderValue::from_str(&credentials.project_id)
        .map_err(|_| Error::Config("credential project id cannot be sent in an HTTP header".into()))?;
    let runtime = Runtime {
        credentials: Arc::new(credentials),
        project_header,
        transport: http.transport(),
        capture: None,
        body_checked: false,
    };
    Ok(Built {
        baseurl,
        reqwest,
        runtime,
        total_timeout: http.total_timeout,
    })
}

pub(crate) struct Built {
    pub baseurl: String,
    pub reqwest: reqwest::Client,
    pub runtime: Runtime,
    pub total_timeout: Duration,
}

/// The runtime the generated clients call through their hooks.
#[derive(Debug, Clone)]
pub struct Runtime {
    credentials: Arc<Credentials>,
    /// The project id as the `X-Project-Id` value, made once (the client is not built when the project
    /// id cannot be one).
    project_header: HeaderValue,
    /// Retries, total timeout, in-flight limit and reply cap, shared by every call of the client.
    transport: Transport,
    /// Set on dry-run clients: requests are signed and captured here instead of being sent.
    capture: Option<Capture>,
    /// Set on the client of one call whose body was checked from its typed value before it was
    /// serialized (see [`Runtime::for_checked_body`]): `pre` does not read the body back.
    body_checked: bool,
}

/// Headers whose values are credentials, masked in dry-run output.
pub const SECRET_HEADERS: [&str; 2] = ["x-security-token", "x-auth-token"];

static X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");
static X_SDK_DATE: HeaderName = HeaderName::from_static("x-sdk-date");
static X_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-security-token");
static X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");

impl Runtime {
    /// The credentials' project id.
    pub fn project_id(&self) -> &str {
        &self.credentials.project_id
    }

    /// The same runtime, capturing requests instead of sending them.
    pub fn dry_run(&self, capture: Capture) -> Self {
        Self {
            capture: Some(capture),
            ..self.clone()
        }
    }

    /// The same runtime for a single call whose body `body` has just passed `op`'s body rules here,
    /// from the typed value: its `pre` checks the other rules and does not read the body back.
    pub(crate) fn for_checked_body(&self, op: &Operation, body: &dyn Fields) -> Result<Self, Violation> {
        op.validate_body(Some(body))?;
        Ok(Self {
            body_checked: true,
            ..self.clone()
        })
    }

    /// Runs before anything is sent: checks the operation's documented rules (reading the body back as
    /// its generated type `B`, unless a facade method made this runtime for the one call whose typed
    /// body it already checked), drops progenitor's
    /// `api-version` header and adds `X-Project-Id`. A dry-run runtime then signs and captures the
    /// request and stops it.
    pub fn pre<B>(&self, request: &mut reqwest::Request, op: Option<&'static Operation>) -> Result<(), Halt>
    where
        B: Fields + DeserializeOwned,
    {
        let op = op.ok_or_else(|| Violation::new("operation", "is not known to this client"))?;
        request.headers_mut().remove("api-version");
        let query_pairs: Vec<_> = request.url().query_pairs().collect();
        let query: Vec<(&str, &str)> = query_pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        let mut view = RequestView {
            path: request.url().path(),
            query: &query,
            headers: request.headers(),
            body: None,
        };
        if self.body_checked {
            op.validate_request(&view)?;
        } else {
            let body = read_body::<B>(request)?;
            view.body = body.as_ref().map(|b| b as &dyn Fields);
            op.validate(&view)?;
        }
        let project = self.project_header.clone();
        // Room for the headers added here and by the signature, so that the map grows once.
        request.headers_mut().reserve(5);
        request.headers_mut().insert(X_PROJECT_ID.clone(), project);
        // Said explicitly (and so signed) rather than left to the HTTP stack's `*/*`.
        request
            .headers_mut()
            .entry(reqwest::header::ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        if let Some(capture) = &self.capture {
            self.sign(request, SystemTime::now());
            capture.put(PreparedRequest::capture(request, op, &SECRET_HEADERS));
            return Err(Halt::DryRun);
        }
        Ok(())
    }

    /// Sends the request, signing each attempt afresh, retrying as the policy allows.
    pub async fn exec(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        _op: Option<&'static Operation>,
    ) -> reqwest::Result<reqwest::Response> {
        dbops_core::http::send(client, request, &self.transport, &HuaweiDialect, |req| {
            self.sign(req, SystemTime::now())
        })
        .await
    }

    /// Adds the authentication headers for time `now`: `X-Sdk-Date`, `X-Security-Token` and
    /// `Authorization` for AK/SK, `X-Auth-Token` for an IAM token.
    pub fn sign(&self, request: &mut reqwest::Request, now: SystemTime) {
        match &self.credentials.auth {
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
                let key = self
                    .credentials
                    .signing_key
                    .as_ref()
                    .expect("AK/SK credentials carry a signing key");
                let authorization = authorization(request, access_key.expose(), key, date.as_str());
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
    let url = request.url();
    let host = host_header(url);
    let query_pairs: Vec<_> = url.query_pairs().collect();
    let query: Vec<(&str, &str)> = query_pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(request.headers().len() + 1);
    headers.push(("host", &host));
    for (name, value) in request.headers() {
        if signs_header(name.as_str())
            && let Ok(v) = value.to_str()
        {
            headers.push((name.as_str(), v));
        }
    }
    let body = request.body().and_then(reqwest::Body::as_bytes).unwrap_or_default();
    let req = SignableRequest {
        method: request.method().as_str(),
        path: url.path(),
        query: &query,
        headers: &headers,
        body,
    };
    signer::sign_with(&req, key, sdk_date).authorization(access_key)
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
        ServiceError {
            status: status.as_u16(),
            code,
            message,
            request_id: header_str(headers, "x-request-id").map(str::to_string),
            host_id: None,
            recommend: None,
        }
    }
}

/// `error_code`/`error_msg`, falling back to `code`/`message`.
fn parse_error(body: &[u8]) -> Option<(Option<String>, Option<String>)> {
    let e: crate::generated::das::types::HuaweiError = serde_json::from_slice(body).ok()?;
    Some((e.error_code.or(e.code), e.error_msg.or(e.message)))
}

/// The parts every service client shares: the struct, its constructors, the generated client behind it,
/// and a dry-run twin of the generated client.
macro_rules! service_client {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            raw: raw::Client,
            total_timeout: std::time::Duration,
            /// The endpoint's host, for the call span.
            host: String,
        }

        impl $name {
            /// A client with these settings; fails on unknown regions, bad endpoints and plain http
            /// unless allowed.
            pub fn new(config: crate::ClientConfig) -> Result<Self, dbops_core::Error> {
                let b = crate::runtime::build(config, meta::SERVICE, &meta::REGIONS)?;
                let host = dbops_core::http::endpoint_host(&b.baseurl);
                let raw = raw::Client::new_with_client(&b.baseurl, b.reqwest, b.runtime);
                Ok(Self { raw, total_timeout: b.total_timeout, host })
            }

            /// A client for `region` with credentials from the `HUAWEICLOUD_SDK_*` environment variables.
            pub fn from_env(region: &str) -> Result<Self, dbops_core::Error> {
                Self::new(crate::ClientConfig::from_env()?.region(region))
            }

            /// The generated client, for the full builder interface. Its calls are validated, signed
            /// and retried too, but return progenitor's error type.
            pub fn raw(&self) -> &raw::Client {
                &self.raw
            }

            /// A copy of the generated client for one call of `op` with body `body`, which is checked
            /// here against the body's rules, from the typed value. With a capture, the copy signs and
            /// captures its request instead of sending it.
            fn call_client(
                &self,
                op: &dbops_core::meta::Operation,
                body: &dyn dbops_core::meta::Fields,
                capture: Option<&dbops_core::dryrun::Capture>,
            ) -> Result<raw::Client, dbops_core::Error> {
                use progenitor_client::ClientInfo;
                let mut runtime = self.raw.inner().for_checked_body(op, body)?;
                if let Some(capture) = capture {
                    runtime = runtime.dry_run(capture.clone());
                }
                Ok(raw::Client::new_with_client(self.raw.baseurl(), self.raw.client().clone(), runtime))
            }
        }
    };
}
pub(crate) use service_client;
