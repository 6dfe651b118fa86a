//! The send loop shared by the providers: sign each attempt afresh, send, classify the reply, back off,
//! retry within the policy. Also the client configuration and the mapping of progenitor's errors.

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use url::Url;

use crate::error::{Error, ServiceError};
use crate::meta::Violation;
use crate::retry::{RetryPolicy, parse_retry_after};

/// Transport settings of a client.
#[derive(Debug, Clone)]
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
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            allow_http: false,
        }
    }
}

impl HttpConfig {
    /// The reqwest client these settings describe.
    pub fn build_client(&self) -> Result<reqwest::Client, Error> {
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.attempt_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {}", e.without_url())))
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

/// How a provider reads its replies.
pub trait Dialect: Sync {
    /// Whether a non-success reply means "throttled".
    fn is_throttling(&self, status: StatusCode, body: &[u8]) -> bool;
    /// The service error a non-success reply carries.
    fn service_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ServiceError;
}

/// Sends `request`, signing every attempt afresh with `sign`, and retries as `policy` allows.
///
/// Non-success replies come back buffered and without their URL; transport errors come back without
/// their URL, so neither can leak a secret carried in the query.
pub async fn send<S>(
    client: &reqwest::Client,
    request: reqwest::Request,
    policy: &RetryPolicy,
    dialect: &dyn Dialect,
    mut sign: S,
) -> reqwest::Result<reqwest::Response>
where
    S: FnMut(&mut reqwest::Request),
{
    let mut original = Some(request);
    let mut attempt = 1u32;
    loop {
        let copy = if attempt >= policy.max_attempts {
            None
        } else {
            original.as_ref().and_then(copy_request)
        };
        // A copy is sent while another attempt may follow. The last attempt sends the original, and so
        // does the first when the body cannot be copied (a stream), which makes it the last: a policy
        // without retries never copies, and nothing that cannot be sent twice is.
        let (mut req, last) = match copy {
            Some(r) => (r, false),
            None => (
                original.take().expect("the original is kept until the last attempt"),
                true,
            ),
        };
        sign(&mut req);
        let span = tracing::Span::current();
        span.record("attempt", attempt);
        match client.execute(req).await {
            Err(e) => {
                let before_send = e.is_connect();
                let retry = !last && (before_send || policy.retry_after_send_failures);
                tracing::debug!(attempt, before_send, retry, error = %describe(&e), "attempt failed");
                if !retry {
                    return Err(e.without_url());
                }
                tokio::time::sleep(policy.delay(attempt + 1, None)).await;
            }
            Ok(resp) if resp.status().is_success() => {
                record_reply(&span, resp.status(), resp.headers());
                return Ok(resp);
            }
            Ok(resp) => {
                let status = resp.status();
                record_reply(&span, status, resp.headers());
                let headers = resp.headers().clone();
                let body = resp.bytes().await.map_err(reqwest::Error::without_url)?;
                let throttled = dialect.is_throttling(status, &body);
                let retry_after = headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                let wait_ok = retry_after.is_none_or(|d| d <= policy.max_retry_after);
                let retry = !last && wait_ok && (throttled || (policy.retry_server_errors && status.is_server_error()));
                tracing::debug!(attempt, status = status.as_u16(), throttled, retry, "error reply");
                if !retry {
                    return Ok(rebuild(status, headers, body));
                }
                tokio::time::sleep(policy.delay(attempt + 1, retry_after)).await;
            }
        }
        attempt += 1;
    }
}

/// A copy of `request` for one attempt, keeping the original for the next; `None` when its body is a
/// stream, which cannot be sent twice.
///
/// `reqwest::Request::try_clone` would do, but it always allocates an extensions map to copy the
/// per-request timeout into, even when there is none; that map is only copied here when it holds one.
fn copy_request(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.timeout().is_some() {
        return request.try_clone();
    }
    let body = match request.body() {
        Some(body) => Some(reqwest::Body::from(Bytes::copy_from_slice(body.as_bytes()?))),
        None => None,
    };
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    *copy.body_mut() = body;
    Some(copy)
}

/// Records a reply's status and request id header on the call span.
fn record_reply(span: &tracing::Span, status: StatusCode, headers: &HeaderMap) {
    span.record("status", status.as_u16());
    if let Some(id) = header_str(headers, "x-request-id").or_else(|| header_str(headers, "x-acs-request-id")) {
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

fn rebuild(status: StatusCode, headers: HeaderMap, body: Bytes) -> reqwest::Response {
    let mut resp = http::Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    reqwest::Response::from(resp)
}

/// Turns what a generated method returned into this crate's result, reading error replies with the
/// provider's dialect.
pub async fn finish<T, E>(
    result: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
    dialect: &dyn Dialect,
) -> Result<progenitor_client::ResponseValue<T>, Error> {
    use progenitor_client::Error as P;
    match result {
        Ok(v) => Ok(v),
        Err(P::InvalidRequest(text)) => Err(Error::InvalidRequest(
            Violation::parse(&text).unwrap_or_else(|| Violation::new("request", text)),
        )),
        Err(P::CommunicationError(e) | P::InvalidUpgrade(e)) => Err(Error::transport(e)),
        Err(P::ResponseBodyError(e)) => {
            let e = e.without_url();
            if e.is_timeout() {
                Err(Error::Timeout)
            } else {
                Err(Error::Decode {
                    status: e.status().map(|s| s.as_u16()),
                    message: format!("cannot read the body: {e}"),
                })
            }
        }
        Err(P::InvalidResponsePayload(bytes, e)) => Err(Error::Decode {
            status: None,
            message: if bytes.is_empty() {
                "empty body where JSON was expected".into()
            } else {
                format!("malformed JSON: {e}")
            },
        }),
        Err(P::ErrorResponse(v)) => Err(Error::Decode {
            status: Some(v.status().as_u16()),
            message: "unexpected error reply".into(),
        }),
        Err(P::UnexpectedResponse(resp)) => {
            let status = resp.status();
            let headers = resp.headers().clone();
            match resp.bytes().await {
                Ok(body) if !status.is_success() => {
                    Err(Error::Service(Box::new(dialect.service_error(status, &headers, &body))))
                }
                Ok(_) => Err(Error::Decode {
                    status: Some(status.as_u16()),
                    message: "success status not declared by the spec".into(),
                }),
                Err(e) => Err(Error::transport(e)),
            }
        }
        Err(P::Custom(text)) => Err(Error::Config(text)),
    }
}

/// Runs a call in its span and under the total timeout, and logs its outcome (at `info`, never a secret).
///
/// The call's future is moved to the heap once, here: the generated request futures are several
/// kilobytes, and every layer wrapped around them by value would otherwise be copied on each move.
pub fn run_call<T>(
    span: tracing::Span,
    limit: Duration,
    call: impl Future<Output = Result<T, Error>>,
) -> impl Future<Output = Result<T, Error>> {
    use tracing::Instrument;
    let call = Box::pin(call);
    async move {
        let result = tokio::time::timeout(limit, call).await.unwrap_or(Err(Error::Timeout));
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

/// The header value as text, if it is text.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The span every call runs in. `attempt`, `status` and `request_id` are filled in as the call goes;
/// no field ever holds a secret (the endpoint is reduced to its host, see [`endpoint_host`]).
pub fn call_span(provider: &str, service: &str, operation: &str, host: &str) -> tracing::Span {
    tracing::info_span!(
        "dbops.call",
        provider,
        service,
        operation,
        host = %host,
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
        request_id = tracing::field::Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_carries_method_url_headers_version_body_and_timeout() {
        let mut r = reqwest::Request::new(reqwest::Method::POST, "http://h:8/p?q=1".parse().unwrap());
        r.headers_mut().insert("x-a", "1".parse().unwrap());
        r.headers_mut().append("x-a", "2".parse().unwrap());
        *r.version_mut() = http::Version::HTTP_10;
        *r.body_mut() = Some(reqwest::Body::from("payload"));
        let c = copy_request(&r).unwrap();
        assert_eq!(
            (c.method(), c.url(), c.headers(), c.version()),
            (r.method(), r.url(), r.headers(), r.version())
        );
        assert_eq!(c.body().and_then(reqwest::Body::as_bytes), Some(&b"payload"[..]));
        assert_eq!(c.timeout(), None);

        *r.timeout_mut() = Some(Duration::from_secs(3));
        let c = copy_request(&r).unwrap();
        assert_eq!(c.timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(c.body().and_then(reqwest::Body::as_bytes), Some(&b"payload"[..]));

        *r.timeout_mut() = None;
        *r.body_mut() = None;
        assert!(copy_request(&r).unwrap().body().is_none());
        // A streamed body cannot be sent twice: no copy, so the caller sends the original once.
        *r.body_mut() = Some(reqwest::Body::wrap(String::from("streamed")));
        assert!(copy_request(&r).is_none());
    }
}
