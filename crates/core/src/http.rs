//! The send loop shared by the providers: sign each attempt afresh, send, classify the reply, back off,
//! retry within the policy. Also the client configuration and the reading of replies.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::error::{Error, ServiceError};
use crate::meta::Operation;
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::secret::SecretString;
use crate::wire::{Reply, within_item_limit};

/// Transport settings of a client. Set through [`crate::ClientConfig`]; fields may be added.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt, from sending to the end of the reply.
    pub attempt_timeout: Duration,
    /// Time allowed for a whole call, retries and backoff included.
    pub total_timeout: Duration,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Accept `http://` endpoints (local test servers). Off by default: credentials and signatures must
    /// not cross the network in clear.
    pub allow_http: bool,
    /// Largest reply body read, in bytes; a longer one fails the call with [`Error::ReplyTooLarge`]
    /// without being read further. Error replies are read up to [`MAX_ERROR_REPLY_BYTES`] at most.
    pub max_reply_bytes: usize,
    /// Most list items a success reply may hold, counted over all its lists, before it is decoded: a
    /// reply with more fails the call with [`Error::TooManyItems`] and is not decoded, so that what a
    /// reply decodes into stays bounded too (a small item decodes into a struct of a few hundred bytes).
    pub max_reply_items: usize,
    /// Requests of one client on the network at once; further calls wait their turn (within their
    /// total timeout). Each holds at most one connection, so this also bounds the client's sockets.
    pub max_in_flight: usize,
    /// Idle connections kept open for reuse; the rest are closed once their request is done.
    pub max_idle_connections: usize,
    /// Which proxy, if any, requests go through.
    pub proxy: Proxy,
    /// Certificate authorities trusted besides the system's (PEM bundles, as given): a private
    /// endpoint's, or an inspecting proxy's. Read when the client is built; a bundle without a
    /// certificate, or that is not PEM, is refused there.
    pub extra_roots_pem: Vec<Vec<u8>>,
}

/// Default of [`HttpConfig::max_reply_bytes`]: 32 MiB, room for the session list of a busy instance.
pub const DEFAULT_MAX_REPLY_BYTES: usize = 32 << 20;
/// Default of [`HttpConfig::max_reply_items`]: the session list of an instance at its most connections
/// (MySQL's `max_connections` tops out at 100,000).
pub const DEFAULT_MAX_REPLY_ITEMS: usize = 100_000;
/// Default of [`HttpConfig::max_in_flight`].
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;
/// Default of [`HttpConfig::max_idle_connections`]: as many as may be in flight, so that a client kept
/// busy at its in-flight limit reuses its connections instead of closing and reopening them (a TLS
/// handshake each) every time its requests finish together. Sockets stay bounded by the in-flight
/// limit: a connection is opened only when no idle one is free.
pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = DEFAULT_MAX_IN_FLIGHT;
/// Error replies carry a code and a message: anything past this many bytes is not read, and the error
/// keeps the status and the request id header only.
pub const MAX_ERROR_REPLY_BYTES: usize = 64 << 10;
/// How long an idle connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            allow_http: false,
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
            max_reply_items: DEFAULT_MAX_REPLY_ITEMS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_idle_connections: DEFAULT_MAX_IDLE_CONNECTIONS,
            proxy: Proxy::default(),
            extra_roots_pem: Vec::new(),
        }
    }
}

/// Which proxy requests go through.
#[derive(Debug, Clone, Default)]
pub enum Proxy {
    /// The standard environment variables, as curl reads them: `HTTPS_PROXY` for https endpoints,
    /// `ALL_PROXY` as the fallback, and `NO_PROXY` for exceptions. Never for a loopback endpoint, and
    /// never for a plain-`http` one (a proxy would see its whole query): those go direct.
    #[default]
    Environment,
    /// No proxy, whatever the environment says.
    Direct,
    /// Every request through this proxy URL (`http://host:port`, `https://…`; may carry the proxy's
    /// user and password, kept as a secret). With a plain-`http` endpoint the proxy sees each request
    /// in full, its query included.
    Url(SecretString),
}

impl HttpConfig {
    /// The reqwest client these settings describe, for `endpoint` (checked by [`HttpConfig::endpoint`]).
    ///
    /// Redirects are never followed and no `Referer` is sent: a request, and the credentials it carries,
    /// go to the endpoint only. Idle connections are capped at [`HttpConfig::max_idle_connections`].
    /// Certificates are checked against the system's roots and [`HttpConfig::extra_roots_pem`].
    pub fn build_client(&self, endpoint: &str) -> Result<reqwest::Client, Error> {
        if self.max_in_flight == 0 {
            return Err(Error::Config("max_in_flight must be at least 1".into()));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.attempt_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .pool_max_idle_per_host(self.max_idle_connections)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT);
        if !self.extra_roots_pem.is_empty() {
            builder = builder.tls_certs_merge(self.extra_roots()?);
        }
        builder = match &self.proxy {
            Proxy::Environment if goes_direct(endpoint) => builder.no_proxy(),
            Proxy::Environment => builder,
            Proxy::Direct => builder.no_proxy(),
            Proxy::Url(url) => builder.proxy(
                reqwest::Proxy::all(url.expose())
                    .map_err(|_| Error::Config("the proxy is not a valid proxy URL".into()))?,
            ),
        };
        builder
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {}", e.without_url())))
    }

    /// The certificates of [`HttpConfig::extra_roots_pem`]; each bundle must hold at least one.
    fn extra_roots(&self) -> Result<Vec<reqwest::Certificate>, Error> {
        let mut roots = Vec::new();
        for (n, pem) in self.extra_roots_pem.iter().enumerate() {
            let bad = |why: &str| Error::Config(format!("extra root certificates, bundle {}: {why}", n + 1));
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|_| bad("not a PEM certificate bundle"))?;
            if certs.is_empty() {
                return Err(bad("holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)"));
            }
            roots.extend(certs);
        }
        Ok(roots)
    }

    /// The limits every call of a client shares: retries, total timeout, in-flight requests, reply size.
    pub fn transport(&self) -> Transport {
        Transport {
            retry: self.retry.clone(),
            attempt_timeout: self.attempt_timeout,
            total_timeout: self.total_timeout,
            in_flight: Arc::new(Semaphore::new(self.max_in_flight.max(1))),
            max_reply_bytes: self.max_reply_bytes,
            max_reply_items: self.max_reply_items,
        }
    }

    /// Checks an endpoint: an absolute `https` URL (or `http` when allowed), no credentials, query or
    /// fragment. Returns it without a trailing `/`.
    pub fn endpoint(&self, endpoint: &str) -> Result<String, Error> {
        let url =
            Url::parse(endpoint).map_err(|e| Error::Config(format!("endpoint `{endpoint}` is not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => {
                return Err(Error::Config(format!(
                    "endpoint `{endpoint}` uses plain http; use https, or allow http explicitly for a test endpoint"
                )));
            }
            other => {
                return Err(Error::Config(format!(
                    "endpoint `{endpoint}` has scheme `{other}`; https is required"
                )));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::Config(format!("endpoint `{endpoint}` has no host")));
        }
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
            return Err(Error::Config(
                "an endpoint may not carry user info, a query or a fragment".into(),
            ));
        }
        Ok(url.as_str().trim_end_matches('/').to_string())
    }
}

/// A checked endpoint ([`HttpConfig::endpoint`]), parsed once: each request's URL is the endpoint with
/// the wire form's path and query set on a copy, so the endpoint's scheme and host are not parsed again
/// for every request.
#[derive(Debug, Clone)]
pub struct Endpoint {
    url: Url,
    /// The endpoint's own path without a trailing `/` (usually empty): the wire path goes after it.
    path: String,
    /// The endpoint's length as written, without a trailing `/`.
    len: usize,
    /// The `Host` header its requests are sent with.
    host_header: String,
}

impl Endpoint {
    /// The endpoint `base`, as [`HttpConfig::endpoint`] returns it.
    pub fn new(base: &str) -> Result<Self, Error> {
        let url = Url::parse(base).map_err(|e| Error::Config(format!("endpoint `{base}` is not a URL: {e}")))?;
        Ok(Self {
            path: url.path().trim_end_matches('/').to_string(),
            len: base.trim_end_matches('/').len(),
            host_header: host_header(&url),
            url,
        })
    }

    /// The `Host` header value of every request [`Endpoint::join`] makes, as [`host_header`] writes it.
    pub fn host_header(&self) -> &str {
        &self.host_header
    }

    /// The length of the URL [`Endpoint::join`] makes, before making it.
    pub fn url_len(&self, path: &str, query: &str) -> usize {
        self.len + path.len() + if query.is_empty() { 0 } else { 1 + query.len() }
    }

    /// The endpoint followed by `path` (starting with `/`, each parameter already encoded as one
    /// segment) and `query` (percent-encoded, without `?`; empty for none): the URL
    /// `Url::parse(endpoint + path + "?" + query)` gives.
    pub fn join(&self, path: &str, query: &str) -> Url {
        let mut url = self.url.clone();
        if self.path.is_empty() {
            url.set_path(path);
        } else {
            url.set_path(&format!("{}{path}", self.path));
        }
        url.set_query((!query.is_empty()).then_some(query));
        url
    }
}

/// Whether an endpoint bypasses the environment's proxies: plain `http`, or a loopback host.
fn goes_direct(endpoint: &str) -> bool {
    Url::parse(endpoint).map_or(true, |url| {
        url.scheme() != "https" || url.host().is_none_or(|h| is_loopback(&h))
    })
}

/// Whether an endpoint's host is this machine: a loopback address, `localhost` or a name under
/// `.localhost`. (A name that merely starts with `127.0.0.1` is not.)
pub fn is_loopback_endpoint(endpoint: &str) -> bool {
    Url::parse(endpoint).is_ok_and(|url| url.host().is_some_and(|h| is_loopback(&h)))
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.');
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
    }
}

/// What every call of one client shares: the retry policy, the total timeout, the in-flight limit and
/// the reply cap. Cloning shares the in-flight limit.
#[derive(Debug, Clone)]
pub struct Transport {
    retry: RetryPolicy,
    attempt_timeout: Duration,
    total_timeout: Duration,
    in_flight: Arc<Semaphore>,
    max_reply_bytes: usize,
    max_reply_items: usize,
}

/// How a provider reads its replies.
pub trait Dialect: Sync {
    /// Whether a non-success reply means "throttled".
    fn is_throttling(&self, status: StatusCode, body: &[u8]) -> bool;
    /// The service error a non-success reply carries.
    fn service_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ServiceError;
}

/// Sends the request `build` makes, building and signing every attempt afresh (`sign`), and retries as
/// the transport's policy allows, within its total timeout: each attempt's own timeout is cut to the
/// time left, and a wait that would not end before the deadline is not started (the last reply or
/// error is returned at once instead). The whole call therefore ends by the deadline with one timer per
/// attempt. The first attempt sends the first request built; nothing is copied in case of a retry.
///
/// Each attempt first takes one of the client's in-flight places, waiting (until the deadline) while all
/// are taken; a success reply keeps its place until its body is read or dropped, and its body is cut off
/// past the reply cap ([`Error::ReplyTooLarge`], see [`HttpReply`]). Non-success replies come back
/// buffered (at most [`MAX_ERROR_REPLY_BYTES`]); transport errors come back without their URL, so that
/// they cannot leak a secret carried in the query.
pub async fn send<B, S>(
    client: &reqwest::Client,
    transport: &Transport,
    dialect: &dyn Dialect,
    mut build: B,
    mut sign: S,
) -> Result<HttpReply, Error>
where
    B: FnMut() -> Result<reqwest::Request, Error>,
    S: FnMut(&mut reqwest::Request),
{
    let policy = &transport.retry;
    let deadline = Instant::now() + transport.total_timeout;
    let mut attempt = 1u32;
    loop {
        let last = attempt >= policy.max_attempts;
        let mut req = build()?;
        // A free place is taken at once; otherwise the wait for one ends at the deadline. (The semaphore
        // is never closed.)
        let permit = match transport.in_flight.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => match tokio::time::timeout_at(deadline, transport.in_flight.clone().acquire_owned()).await {
                Ok(p) => p.ok(),
                Err(_) => return Err(Error::Timeout),
            },
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout);
        }
        if left < transport.attempt_timeout {
            *req.timeout_mut() = Some(left);
        }
        sign(&mut req);
        let span = tracing::Span::current();
        span.record("attempt", attempt);
        if attempt == 1 {
            // The path only: the query may carry a secret parameter.
            span.record("method", req.method().as_str());
            span.record("path", req.url().path());
        }
        match client.execute(req).await {
            Err(e) => {
                drop(permit);
                let before_send = e.is_connect();
                let wait = policy.delay(attempt + 1, None);
                let retry = !last && (before_send || policy.retry_after_send_failures) && fits(deadline, wait);
                tracing::debug!(attempt, before_send, retry, error = %describe(&e), "attempt failed");
                if !retry {
                    return Err(Error::transport(e));
                }
                tokio::time::sleep(wait).await;
            }
            Ok(resp) if resp.status().is_success() => {
                record_reply(&span, resp.status(), resp.headers());
                return Ok(HttpReply::streaming(resp, transport, permit));
            }
            Ok(mut resp) => {
                let status = resp.status();
                record_reply(&span, status, resp.headers());
                let headers = std::mem::take(resp.headers_mut());
                let body = read_error_body(resp).await.map_err(Error::transport)?;
                drop(permit);
                let throttled = dialect.is_throttling(status, &body);
                let retry_after = headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                let wait = policy.delay(attempt + 1, retry_after);
                let wait_ok = retry_after.is_none_or(|d| d <= policy.max_retry_after) && fits(deadline, wait);
                let retry = !last && wait_ok && (throttled || (policy.retry_server_errors && status.is_server_error()));
                tracing::debug!(attempt, status = status.as_u16(), throttled, retry, "error reply");
                if !retry {
                    return Ok(HttpReply::buffered(status, headers, body));
                }
                tokio::time::sleep(wait).await;
            }
        }
        attempt += 1;
    }
}

/// Whether a wait of `wait` ends before `deadline`.
fn fits(deadline: Instant, wait: Duration) -> bool {
    Instant::now() + wait < deadline
}

/// A reply as [`send`] returns it: its status and headers, and its body still to be read.
///
/// A success reply's body is read at most the client's reply cap far: a declared length past the cap
/// fails before anything is read, a longer body as soon as it passes the cap, both with
/// [`Error::ReplyTooLarge`]. The reply holds its call's in-flight place until its body ends (or fails)
/// or the reply is dropped. An error reply comes already read (at most [`MAX_ERROR_REPLY_BYTES`]).
#[derive(Debug)]
pub struct HttpReply {
    status: StatusCode,
    headers: HeaderMap,
    body: ReplyBody,
    permit: Option<OwnedSemaphorePermit>,
    /// Bytes that may still be read.
    left: usize,
    limit: usize,
    /// Most list items the body may hold to be decoded.
    max_items: usize,
}

#[derive(Debug)]
enum ReplyBody {
    Streaming(reqwest::Response),
    Buffered(Bytes),
    Done,
}

impl HttpReply {
    fn streaming(mut resp: reqwest::Response, transport: &Transport, permit: Option<OwnedSemaphorePermit>) -> Self {
        Self {
            status: resp.status(),
            headers: std::mem::take(resp.headers_mut()),
            body: ReplyBody::Streaming(resp),
            permit,
            left: transport.max_reply_bytes,
            limit: transport.max_reply_bytes,
            max_items: transport.max_reply_items,
        }
    }

    fn buffered(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Self {
            status,
            headers,
            left: body.len(),
            limit: body.len(),
            body: ReplyBody::Buffered(body),
            permit: None,
            max_items: DEFAULT_MAX_REPLY_ITEMS,
        }
    }

    /// The reply's HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reply's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The next piece of the body; `None` at its end, which frees the reply's in-flight place (as does
    /// an error). A body past the reply cap is [`Error::ReplyTooLarge`], a timeout [`Error::Timeout`],
    /// any other failure to read it [`Error::Decode`].
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let status = self.status.as_u16();
        let too_large = Error::ReplyTooLarge {
            status,
            limit: self.limit,
        };
        let result = match &mut self.body {
            ReplyBody::Done => Ok(None),
            ReplyBody::Buffered(bytes) => Ok(Some(std::mem::take(bytes))),
            ReplyBody::Streaming(resp) if resp.content_length().is_some_and(|n| n > self.left as u64) => Err(too_large),
            ReplyBody::Streaming(resp) => match resp.chunk().await {
                Ok(Some(chunk)) if chunk.len() > self.left => Err(too_large),
                Ok(Some(chunk)) => {
                    self.left -= chunk.len();
                    return Ok(Some(chunk));
                }
                Ok(None) => Ok(None),
                Err(e) if e.is_timeout() => Err(Error::Timeout),
                Err(e) => Err(Error::Decode {
                    status: Some(status),
                    message: format!("cannot read the body: {}", e.without_url()),
                }),
            },
        };
        self.body = ReplyBody::Done;
        self.permit = None;
        result
    }

    /// The whole body (see [`HttpReply::chunk`]); a body that arrives in one piece is not copied.
    pub async fn body(&mut self) -> Result<Bytes, Error> {
        let Some(first) = self.chunk().await? else {
            return Ok(Bytes::new());
        };
        let Some(second) = self.chunk().await? else {
            return Ok(first);
        };
        // The pieces are kept as they arrive and joined once at the end, so that a body growing past
        // the cap never costs more than the cap (a growing buffer would reserve up to twice as much).
        let mut pieces = vec![first, second];
        while let Some(chunk) = self.chunk().await? {
            pieces.push(chunk);
        }
        Ok(Bytes::from(pieces.concat()))
    }
}

/// An error reply's body, at most [`MAX_ERROR_REPLY_BYTES`]; empty when it is longer (it is then not
/// read further, and the error keeps its status and headers only).
async fn read_error_body(mut resp: reqwest::Response) -> reqwest::Result<Bytes> {
    if resp.content_length().is_some_and(|n| n > MAX_ERROR_REPLY_BYTES as u64) {
        return Ok(Bytes::new());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_ERROR_REPLY_BYTES {
            return Ok(Bytes::new());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// Records a reply's status and request id header on the call span.
fn record_reply(span: &tracing::Span, status: StatusCode, headers: &HeaderMap) {
    span.record("status", status.as_u16());
    if let Some(id) = request_id_header(headers) {
        span.record("request_id", id);
    }
}

/// The error's text with its URL left out (reqwest prints the URL only when one is attached).
fn describe(e: &reqwest::Error) -> String {
    let mut s = String::from(if e.is_connect() {
        "connection failed"
    } else if e.is_timeout() {
        "timed out"
    } else {
        "request failed"
    });
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// Reads a reply into the operation's typed output `O`, or the error it stands for: an error reply
/// read with the provider's dialect, a redirect (never followed), a success status the spec does not
/// declare, a body past the reply cap, a malformed body, or a success reply whose body reports failure.
pub async fn read_reply<O: Reply>(mut reply: HttpReply, op: &Operation, dialect: &dyn Dialect) -> Result<O, Error> {
    let status = reply.status();
    if !status.is_success() {
        let body = reply.body().await?;
        let mut e = dialect.service_error(status, reply.headers(), &body);
        e.throttling = dialect.is_throttling(status, &body);
        if status.is_redirection() {
            e.code = None;
            e.message = Some(redirect_message(reply.headers()));
        }
        return Err(Error::Service(Box::new(e.clipped())));
    }
    if !op.success.contains(&status.as_u16()) {
        return Err(Error::Decode {
            status: Some(status.as_u16()),
            message: "success status not declared by the spec".into(),
        });
    }
    let body = reply.body().await?;
    if !within_item_limit(&body, reply.max_items) {
        return Err(Error::TooManyItems { cap: reply.max_items });
    }
    let out = O::decode(&body)
        .map_err(|e| {
            let status = Some(status.as_u16());
            if body.is_empty() {
                Error::decode(status, "empty body where JSON was expected")
            } else {
                Error::decode(status, &format!("malformed JSON: {e}"))
            }
        })?
        .with_header_request_id(request_id_header(reply.headers()));
    if let Some(id) = out.request_id() {
        tracing::Span::current().record("request_id", id);
    }
    if let Some(mut failure) = out.failure() {
        failure.status = status.as_u16();
        failure.throttling = dialect.is_throttling(status, &body);
        return Err(Error::Service(Box::new(failure.clipped())));
    }
    Ok(out)
}

/// Where a redirect pointed, named by its host and port only (its path and query may carry anything).
fn redirect_message(headers: &HeaderMap) -> String {
    let target = match header_str(headers, "location").map(Url::parse) {
        None => "nowhere (no Location)".to_string(),
        Some(Ok(url)) => match (url.host_str(), url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("`{host}:{port}`"),
            (Some(host), None) => format!("`{host}`"),
            (None, _) => "a URL without a host".to_string(),
        },
        Some(Err(_)) => "a path of the endpoint".to_string(),
    };
    format!("redirect to {target} not followed: requests and their credentials go to the configured endpoint only")
}

/// Runs a call in its span and logs its outcome (at `info`, never a secret). The call's total timeout is
/// [`send`]'s: it bounds every attempt, wait and body read by the call's deadline.
///
/// The call's future is moved to the heap once, here: the generated request futures are several
/// kilobytes, and every layer wrapped around them by value would otherwise be copied on each move.
pub fn run_call<T>(
    span: tracing::Span,
    call: impl Future<Output = Result<T, Error>>,
) -> impl Future<Output = Result<T, Error>> {
    use tracing::Instrument;
    let call = Box::pin(call);
    async move {
        let result = call.await;
        match &result {
            Ok(_) => tracing::info!("call succeeded"),
            Err(e) => {
                if let Some(id) = e.request_id() {
                    tracing::Span::current().record("request_id", id);
                }
                if let Some(status) = e.status() {
                    tracing::Span::current().record("status", status);
                }
                tracing::info!(error = %e, "call failed");
            }
        }
        result
    }
    .instrument(span)
}

/// The host of an endpoint, for logs: computed once per client rather than parsed on every call.
pub fn endpoint_host(endpoint: &str) -> String {
    Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// The `Host` header hyper sends for this URL: the host, and the port when it is not the scheme's default.
pub fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let mut out = String::with_capacity(host.len() + 6);
    out.push_str(host);
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(itoa::Buffer::new().format(port));
    }
    out
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static X_ACS_REQUEST_ID: HeaderName = HeaderName::from_static("x-acs-request-id");

/// The request id a reply's headers carry: Huawei's `X-Request-Id` or Alibaba's `x-acs-request-id`.
fn request_id_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(&X_REQUEST_ID)
        .or_else(|| headers.get(&X_ACS_REQUEST_ID))
        .and_then(|v| v.to_str().ok())
}

/// The header value as text, if it is text.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The span every call runs in. `method`, `path` (never the query), `attempt`, `status` and
/// `request_id` are filled in as the call goes; no field ever holds a secret (the endpoint is reduced
/// to its host, see [`endpoint_host`]).
pub fn call_span(provider: &str, service: &str, operation: &str, host: &str) -> tracing::Span {
    tracing::info_span!(
        "dbops.call",
        provider,
        service,
        operation,
        host = %host,
        method = tracing::field::Empty,
        path = tracing::field::Empty,
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
        request_id = tracing::field::Empty,
    )
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;

    #[test]
    fn an_endpoint_joined_with_a_path_and_query_is_the_url_parsing_them_together_gives() {
        let paths = [
            "/",
            "/v3/054e/instances/da30in01/process",
            "/v3/p/nodes/a%2Fb%3F%23/session",
            "/v3/p/x/%2E%2E/y",
            "/a/./b/../c",
            "/caf%C3%A9/é",
        ];
        let queries = ["", "Action=X&Ids=%5B1%2C2%5D", "a=%20b&c=d%26e", "q=é&r=a b"];
        for base in [
            "http://127.0.0.1:8080",
            "https://das.cn-shanghai.aliyuncs.com/",
            "https://h.example/prefix",
        ] {
            let endpoint = Endpoint::new(base).unwrap();
            let trimmed = base.trim_end_matches('/');
            for path in paths {
                for query in queries {
                    let whole = if query.is_empty() {
                        format!("{trimmed}{path}")
                    } else {
                        format!("{trimmed}{path}?{query}")
                    };
                    let joined = endpoint.join(path, query);
                    assert_eq!(joined.as_str(), Url::parse(&whole).unwrap().as_str(), "{whole}");
                    assert_eq!(endpoint.host_header(), host_header(&joined), "{whole}");
                    assert_eq!(endpoint.url_len(path, query), whole.len(), "{whole}");
                }
            }
        }
    }

    /// A body in two pieces without a declared length, as a chunked reply arrives.
    struct Pieces(Vec<Bytes>);

    impl http_body::Body for Pieces {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop().map(|b| Ok(http_body::Frame::data(b))))
        }
    }

    /// A success reply of `body` (its length declared or not) under a cap of `limit`, holding the one
    /// place of the returned semaphore.
    fn reply(body: &'static [u8], declared: bool, limit: usize) -> (HttpReply, Arc<Semaphore>) {
        let body = if declared {
            reqwest::Body::from(body)
        } else {
            let (a, b) = body.split_at(body.len() / 2);
            reqwest::Body::wrap(Pieces(vec![Bytes::from_static(b), Bytes::from_static(a)]))
        };
        let places = Arc::new(Semaphore::new(1));
        let permit = places.clone().try_acquire_owned().unwrap();
        let resp = reqwest::Response::from(http::Response::new(body));
        let config = HttpConfig {
            max_reply_bytes: limit,
            ..HttpConfig::default()
        };
        (HttpReply::streaming(resp, &config.transport(), Some(permit)), places)
    }

    #[tokio::test]
    async fn a_reply_body_is_read_whole_within_its_cap_and_frees_its_place_at_its_end() {
        for declared in [true, false] {
            let (mut r, places) = reply(b"abcdef", declared, 6);
            assert_eq!(places.available_permits(), 0);
            let first = r.chunk().await.unwrap().unwrap();
            assert_eq!(places.available_permits(), 0, "the place is held until the body ends");
            let rest = if declared {
                Bytes::new()
            } else {
                r.chunk().await.unwrap().unwrap()
            };
            assert_eq!([&first[..], &rest[..]].concat(), b"abcdef");
            assert!(r.chunk().await.unwrap().is_none());
            assert_eq!(places.available_permits(), 1, "declared: {declared}");
            assert!(r.chunk().await.unwrap().is_none());

            let (mut r, places) = reply(b"abcdef", declared, 6);
            assert_eq!(&r.body().await.unwrap()[..], b"abcdef");
            assert_eq!(places.available_permits(), 1);
        }
    }

    #[tokio::test]
    async fn a_reply_body_past_its_cap_fails_and_frees_its_place() {
        // Declared: refused before anything is read. Not declared: as soon as a piece passes the cap.
        for declared in [true, false] {
            let (mut r, places) = reply(b"abcdef", declared, 5);
            let e = r.body().await.unwrap_err();
            assert!(matches!(e, Error::ReplyTooLarge { status: 200, limit: 5 }), "{e:?}");
            assert_eq!(places.available_permits(), 1);
            assert!(r.chunk().await.unwrap().is_none());
        }
        // Two pieces of 3 under a cap of 4: the first is handed out, the second fails.
        let (mut r, _) = reply(b"abcdef", false, 4);
        assert_eq!(&r.chunk().await.unwrap().unwrap()[..], b"abc");
        assert!(matches!(r.chunk().await, Err(Error::ReplyTooLarge { .. })));
    }

    #[tokio::test]
    async fn an_error_reply_comes_read() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", "r-1".parse().unwrap());
        let mut r = HttpReply::buffered(StatusCode::BAD_REQUEST, headers, Bytes::from_static(b"{}"));
        assert_eq!(
            (r.status(), request_id_header(r.headers())),
            (StatusCode::BAD_REQUEST, Some("r-1"))
        );
        assert_eq!(&r.body().await.unwrap()[..], b"{}");
        assert!(r.chunk().await.unwrap().is_none());
    }
}
