//! The error type every client of this workspace returns.

use std::fmt;

use crate::meta::Violation;
use crate::text::clip_escaped;

/// An error reply from the service. Fields may be added.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// HTTP status of the reply.
    pub status: u16,
    /// The vendor's error code (`APIGW.0308`, `InvalidParams`, `Throttling.User`), when the body had one.
    pub code: Option<String>,
    /// The vendor's message, when the body had one.
    pub message: Option<String>,
    /// The request id the service assigned (`X-Request-Id` header or `RequestId` field).
    pub request_id: Option<String>,
    /// Alibaba Cloud `HostId`.
    pub host_id: Option<String>,
    /// Alibaba Cloud `Recommend` (a diagnosis link).
    pub recommend: Option<String>,
    /// Whether the reply says "too many requests", as the provider tells it (its throttling status
    /// and codes): see [`Error::is_throttling`].
    pub throttling: bool,
}

/// Longest vendor message kept in a [`ServiceError`], in characters; the rest is cut off.
pub const MAX_MESSAGE_CHARS: usize = 1024;
/// Longest code, request id, host id or diagnosis link kept in a [`ServiceError`], in characters.
pub const MAX_FIELD_CHARS: usize = 256;

impl ServiceError {
    /// An error reply with this HTTP status and nothing else known yet.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            code: None,
            message: None,
            request_id: None,
            host_id: None,
            recommend: None,
            throttling: false,
        }
    }

    /// The same error with every server-supplied text cut to [`MAX_MESSAGE_CHARS`] (message) or
    /// [`MAX_FIELD_CHARS`] (the others), marked with `…` where cut, and its control characters escaped
    /// ([`crate::text::clip_escaped`]): a hostile or broken server can neither make errors and logs
    /// arbitrarily large nor put terminal escapes into them.
    pub fn clipped(mut self) -> Self {
        clip(&mut self.message, MAX_MESSAGE_CHARS);
        for field in [
            &mut self.code,
            &mut self.request_id,
            &mut self.host_id,
            &mut self.recommend,
        ] {
            clip(field, MAX_FIELD_CHARS);
        }
        self
    }
}

fn clip(text: &mut Option<String>, max_chars: usize) {
    if let Some(s) = text {
        *s = clip_escaped(s, max_chars);
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "service error: HTTP {}", self.status)?;
        if let Some(c) = &self.code {
            write!(f, ", code {c}")?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(r) = &self.request_id {
            write!(f, " (request id {r})")?;
        }
        Ok(())
    }
}

/// Everything a call can fail with. No variant carries a secret or a URL.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A request field breaks a documented rule. Nothing was sent.
    InvalidRequest(Violation),
    /// The client is misconfigured (credentials, region, endpoint). Nothing was sent.
    Config(String),
    /// The service answered with an error (including a 200 reply that reports failure).
    Service(Box<ServiceError>),
    /// No complete reply within the configured timeout.
    Timeout,
    /// The connection failed: refused, reset, TLS, DNS. The error's URL has been removed.
    Transport(reqwest::Error),
    /// The reply's body is larger than the client's limit (`ClientConfig::max_reply_bytes`); it was
    /// not read past the limit.
    ReplyTooLarge {
        /// HTTP status of the reply.
        status: u16,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A wait ([`crate::wait::WaitPolicy`]) reached its deadline before the operation was done.
    NotDone {
        /// The operation waited on.
        operation: String,
        /// The state its last reply showed, if it showed one: at most [`MAX_FIELD_CHARS`] characters,
        /// control characters escaped.
        state: Option<String>,
        /// How long the wait lasted.
        waited: std::time::Duration,
    },
    /// A reply held more list items than the client decodes (`ClientConfig::max_reply_items`), or
    /// walking every page found more items than the caller's cap. The items were not decoded.
    TooManyItems {
        /// The cap.
        cap: usize,
    },
    /// A reply arrived but could not be read or decoded, or broke the protocol (a page longer than
    /// asked for, a page that repeats the one before).
    Decode {
        /// HTTP status of the reply, when known.
        status: Option<u16>,
        /// What was wrong with it: at most [`MAX_MESSAGE_CHARS`] characters, control characters
        /// escaped (it may quote the reply).
        message: String,
    },
}

impl Error {
    /// The HTTP status, for errors that come with a reply.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Decode { status, .. } => *status,
            Error::ReplyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The vendor error code, for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// The vendor request id, for service errors.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// [`Error::Decode`] with `message` (which may quote the reply) cut and escaped.
    pub fn decode(status: Option<u16>, message: &str) -> Self {
        Error::Decode {
            status,
            message: clip_escaped(message, MAX_MESSAGE_CHARS),
        }
    }

    /// Whether the service refused the call as one too many (throttling): worth trying again later,
    /// more slowly. Each provider decides it from its own status and codes; callers never match codes.
    pub fn is_throttling(&self) -> bool {
        matches!(self, Error::Service(e) if e.throttling)
    }

    /// A transport error, stripped of its URL (which may carry secrets in its query).
    pub fn transport(e: reqwest::Error) -> Self {
        let e = e.without_url();
        if e.is_timeout() {
            Error::Timeout
        } else {
            Error::Transport(e)
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRequest(v) => write!(f, "{v} (nothing was sent)"),
            Error::Config(m) => write!(f, "client configuration: {m}"),
            Error::Service(e) => e.fmt(f),
            Error::Timeout => f.write_str("timed out waiting for the service"),
            Error::Transport(e) => {
                write!(f, "transport error: {e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    write!(f, ": {s}")?;
                    source = s.source();
                }
                Ok(())
            }
            Error::ReplyTooLarge { status, limit } => write!(
                f,
                "the reply (HTTP {status}) is larger than this client's limit of {limit} bytes (max_reply_bytes)"
            ),
            Error::NotDone {
                operation,
                state,
                waited,
            } => {
                write!(f, "`{operation}` was not done after {:.1} s", waited.as_secs_f64())?;
                match state {
                    Some(s) => write!(f, " (last state: {s})"),
                    None => Ok(()),
                }
            }
            Error::TooManyItems { cap } => write!(f, "more than {cap} items: raise the cap or narrow the request"),
            Error::Decode {
                status: Some(s),
                message,
            } => write!(f, "unreadable reply (HTTP {s}): {message}"),
            Error::Decode { status: None, message } => write!(f, "unreadable reply: {message}"),
        }
    }
}

/// `Display` says everything (the violation, the transport error and its causes), so no error has a
/// `source()` that would repeat it in a report.
impl std::error::Error for Error {}

impl From<Violation> for Error {
    fn from(v: Violation) -> Self {
        Error::InvalidRequest(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_cuts_long_server_texts_on_character_boundaries() {
        let e = ServiceError {
            status: 500,
            code: Some("C".repeat(300)),
            message: Some("é".repeat(MAX_MESSAGE_CHARS + 1)),
            request_id: Some("r".repeat(MAX_FIELD_CHARS)),
            host_id: None,
            throttling: false,
            recommend: Some("x\u{1b}]0;title\u{7}".into()),
        }
        .clipped();
        assert_eq!(e.code.unwrap(), format!("{}…", "C".repeat(MAX_FIELD_CHARS)));
        assert_eq!(e.message.unwrap(), format!("{}…", "é".repeat(MAX_MESSAGE_CHARS)));
        // At the limit: kept whole.
        assert_eq!(e.request_id.unwrap(), "r".repeat(MAX_FIELD_CHARS));
        assert_eq!(e.recommend.as_deref(), Some("x\\u{1b}]0;title\\u{7}"));
        assert_eq!(e.host_id, None);
    }
}
