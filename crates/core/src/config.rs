//! Client settings shared by every provider: credentials, region or endpoint, timeouts and retries.

use std::time::Duration;

use crate::error::Error;
use crate::http::{HttpConfig, Proxy};
use crate::retry::RetryPolicy;

/// Credentials that can be read from the provider's official environment variables.
pub trait EnvCredentials: Sized {
    /// Reads them; a missing variable is an [`Error::Config`] naming it.
    fn from_env() -> Result<Self, Error>;
}

/// A variable of the process environment: `None` when unset; a value that is not UTF-8 text is an
/// [`Error::Config`] saying so (not "not set"), naming the variable and never showing its value.
pub fn env_var(name: &str) -> Result<Option<String>, Error> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::Config(format!(
            "environment variable {name} is set but is not valid UTF-8 text"
        ))),
    }
}

/// Reads credential variables through a lookup: the process environment ([`env_var`]), or a test's map.
pub struct EnvLookup<F>(pub F);

impl<F: Fn(&str) -> Result<Option<String>, Error>> EnvLookup<F> {
    /// The variable's value; unset or blank is an [`Error::Config`] naming the variable.
    pub fn required(&self, name: &str) -> Result<String, Error> {
        self.optional(name)?
            .ok_or_else(|| Error::Config(format!("environment variable {name} is not set")))
    }

    /// The variable's value; blank counts as unset.
    pub fn optional(&self, name: &str) -> Result<Option<String>, Error> {
        Ok((self.0)(name)?.filter(|v| !v.trim().is_empty()))
    }
}

/// Settings of a client: credentials of type `C`, where to send, timeouts and retries.
#[derive(Debug, Clone)]
pub struct ClientConfig<C> {
    credentials: C,
    region: Option<String>,
    endpoint: Option<String>,
    http: HttpConfig,
}

impl<C: EnvCredentials> ClientConfig<C> {
    /// Settings with credentials from the environment.
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self::new(C::from_env()?))
    }
}

impl<C> ClientConfig<C> {
    /// Settings with these credentials, default timeouts and retries, no region and no endpoint.
    pub fn new(credentials: C) -> Self {
        Self {
            credentials,
            region: None,
            endpoint: None,
            http: HttpConfig::default(),
        }
    }

    /// The region; its endpoint comes from the service's region table.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit endpoint, overriding the region table: private endpoints, proxies, test servers.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Accept a plain-`http` endpoint. For local test servers only.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.http.allow_http = allow;
        self
    }

    /// Retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.http.retry = policy;
        self
    }

    /// Connection timeout (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.connect_timeout = timeout;
        self
    }

    /// Timeout of one attempt, from sending to the end of the reply (default 30 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.http.attempt_timeout = timeout;
        self
    }

    /// Timeout of a whole call, retries and backoff included (default 60 s).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.http.total_timeout = timeout;
        self
    }

    /// Largest reply body read, in bytes (default 32 MiB): a longer reply fails the call with
    /// [`Error::ReplyTooLarge`] and is not read further.
    pub fn max_reply_bytes(mut self, limit: usize) -> Self {
        self.http.max_reply_bytes = limit;
        self
    }

    /// Most list items a reply may hold (default 100,000, counted over all its lists): a reply with
    /// more fails the call with [`Error::TooManyItems`] before it is decoded, which bounds what a reply
    /// decodes into as [`Self::max_reply_bytes`] bounds what is read.
    pub fn max_reply_items(mut self, limit: usize) -> Self {
        self.http.max_reply_items = limit;
        self
    }

    /// Requests this client has on the network at once (default 64, at least 1). Further calls wait
    /// for a place, within their total timeout, rather than opening more connections.
    pub fn max_in_flight(mut self, limit: usize) -> Self {
        self.http.max_in_flight = limit;
        self
    }

    /// Idle connections kept open for reuse (default 64, as many as [`Self::max_in_flight`]'s default;
    /// with fewer, a client busy at its in-flight limit closes and reopens connections).
    pub fn max_idle_connections(mut self, limit: usize) -> Self {
        self.http.max_idle_connections = limit;
        self
    }

    /// Trusts the certificate authorities of this PEM bundle besides the system's: a private endpoint's,
    /// or an inspecting proxy's. May be called more than once. The bundle is read when the client is
    /// built, and refused there ([`Error::Config`]) if it holds no PEM certificate.
    pub fn add_root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.http.extra_roots_pem.push(pem.into());
        self
    }

    /// Which proxy requests go through (default [`Proxy::Environment`]).
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.http.proxy = proxy;
        self
    }

    /// The credentials.
    pub fn credentials(&self) -> &C {
        &self.credentials
    }

    /// The transport settings.
    pub fn http(&self) -> &HttpConfig {
        &self.http
    }

    /// The endpoint: the explicit one if set, else the region's from `regions`, else `default` if
    /// the service has one. Checked for scheme and shape.
    pub fn resolve_endpoint(
        &self,
        service: &str,
        regions: &[(&str, &str)],
        default: Option<&str>,
    ) -> Result<String, Error> {
        if let Some(endpoint) = &self.endpoint {
            return self.http.endpoint(endpoint);
        }
        match (&self.region, default) {
            (Some(region), _) => match regions.iter().find(|(r, _)| r == region) {
                Some((_, url)) => self.http.endpoint(url),
                None if regions.is_empty() => Err(Error::Config(format!(
                    "{service} has no regional endpoints; leave the region unset or set an endpoint"
                ))),
                None => {
                    let known: Vec<&str> = regions.iter().map(|(r, _)| *r).collect();
                    Err(Error::Config(format!(
                        "unknown {service} region `{region}`; known regions: {}",
                        known.join(", ")
                    )))
                }
            },
            (None, Some(url)) => self.http.endpoint(url),
            (None, None) => Err(Error::Config(format!("choose a region or an endpoint for {service}"))),
        }
    }

    /// The credentials and transport settings, once the endpoint is resolved.
    pub fn into_parts(self) -> (C, HttpConfig) {
        (self.credentials, self.http)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGIONS: [(&str, &str); 2] = [
        ("r-1", "https://svc.r-1.example.com"),
        ("r-2", "https://svc.other.example.com"),
    ];

    #[test]
    fn endpoint_resolution_table() {
        let c = || ClientConfig::new(());
        let cases: Vec<(ClientConfig<()>, Option<&str>, Result<&str, &str>)> = vec![
            (c().region("r-1"), None, Ok("https://svc.r-1.example.com")),
            (c().region("r-2"), None, Ok("https://svc.other.example.com")),
            (
                c().region("r-9"),
                None,
                Err("client configuration: unknown svc region `r-9`; known regions: r-1, r-2"),
            ),
            (
                c(),
                None,
                Err("client configuration: choose a region or an endpoint for svc"),
            ),
            (
                c(),
                Some("https://default.example.com"),
                Ok("https://default.example.com"),
            ),
            (
                c().region("r-9").endpoint("https://private.example.com/"),
                None,
                Ok("https://private.example.com"),
            ),
            (
                c().endpoint("http://127.0.0.1:8080"),
                None,
                Err(
                    "client configuration: endpoint `http://127.0.0.1:8080` uses plain http; use https, or allow http explicitly for a test endpoint",
                ),
            ),
            (
                c().endpoint("http://127.0.0.1:8080").allow_http(true),
                None,
                Ok("http://127.0.0.1:8080"),
            ),
            (
                c().endpoint("ftp://x"),
                None,
                Err("client configuration: endpoint `ftp://x` has scheme `ftp`; https is required"),
            ),
            (
                c().endpoint("https://h/?a=1"),
                None,
                Err("client configuration: an endpoint may not carry user info, a query or a fragment"),
            ),
        ];
        for (config, default, want) in cases {
            let got = config
                .resolve_endpoint("svc", &REGIONS, default)
                .map_err(|e| e.to_string());
            assert_eq!(got.as_deref().map_err(String::as_str), want);
        }
    }
}
