//! Retry policy: what is retried, how often, and how long to wait in between.

use std::time::Duration;

/// When and how a call is retried. Each attempt is signed afresh.
///
/// By default a call is retried, up to 3 attempts in all, when the service throttles it or when the
/// connection failed before the request was sent. Server errors (5xx) and failures after the request
/// may have reached the service are retried only when opted in: killing sessions twice is harmless,
/// but the caller decides.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// Backoff before the first retry; doubled for each further one.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff.
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this ends the retries instead of waiting.
    pub max_retry_after: Duration,
    /// Also retry 5xx replies.
    pub retry_server_errors: bool,
    /// Also retry when the connection broke or timed out after the request was sent.
    pub retry_after_send_failures: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            retry_server_errors: false,
            retry_after_send_failures: false,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets [`RetryPolicy::max_attempts`].
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// Sets [`RetryPolicy::initial_backoff`].
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets [`RetryPolicy::max_backoff`].
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Sets [`RetryPolicy::max_retry_after`].
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Sets [`RetryPolicy::retry_server_errors`].
    pub fn retry_server_errors(mut self, yes: bool) -> Self {
        self.retry_server_errors = yes;
        self
    }

    /// Sets [`RetryPolicy::retry_after_send_failures`].
    pub fn retry_after_send_failures(mut self, yes: bool) -> Self {
        self.retry_after_send_failures = yes;
        self
    }

    /// The wait before attempt `next` (2 for the first retry): exponential backoff with "equal jitter"
    /// (half fixed, half random), never shorter than the server's `Retry-After`.
    pub fn delay(&self, next: u32, retry_after: Option<Duration>) -> Duration {
        let exp = next.saturating_sub(2).min(20);
        let base = self.initial_backoff.saturating_mul(1 << exp).min(self.max_backoff);
        let half = base / 2;
        let jitter = half.mul_f64(fastrand::f64());
        (half + jitter).max(retry_after.unwrap_or_default())
    }
}

/// Parses a `Retry-After` value given in seconds. (The HTTP-date form is not used by these gateways.)
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_bounds_and_is_capped() {
        let p = RetryPolicy::default();
        for _ in 0..200 {
            let d2 = p.delay(2, None);
            assert!(
                d2 >= Duration::from_millis(100) && d2 <= Duration::from_millis(200),
                "{d2:?}"
            );
            let d3 = p.delay(3, None);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let d30 = p.delay(30, None);
            assert!(
                d30 >= Duration::from_millis(2500) && d30 <= Duration::from_secs(5),
                "{d30:?}"
            );
        }
    }

    #[test]
    fn retry_after_sets_the_floor() {
        let p = RetryPolicy::default();
        assert!(p.delay(2, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }

    #[test]
    fn parses_retry_after_seconds_only() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
