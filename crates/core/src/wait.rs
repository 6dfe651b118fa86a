//! Waiting for an asynchronous operation: the generated `wait` calls an operation again, with backoff,
//! until its reply says it is done, within an overall deadline.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, MAX_FIELD_CHARS};
use crate::text::clip_escaped;

/// How long and how often a generated `wait` calls again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitPolicy {
    /// The overall deadline, from the first call. When it passes, the wait ends with
    /// [`Error::NotDone`] and the last state seen.
    pub timeout: Duration,
    /// The pause before the second call; doubled after each call. At least [`MIN_INTERVAL`].
    pub initial_interval: Duration,
    /// The longest pause. At least [`MIN_INTERVAL`].
    pub max_interval: Duration,
}

/// The shortest pause between two calls of a wait, whatever the policy says: a policy of zero
/// intervals must not turn a wait into a busy loop against the service (and its request quota).
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
        }
    }
}

impl WaitPolicy {
    /// Sets [`WaitPolicy::timeout`].
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Sets [`WaitPolicy::initial_interval`].
    pub fn initial_interval(mut self, d: Duration) -> Self {
        self.initial_interval = d;
        self
    }

    /// Sets [`WaitPolicy::max_interval`].
    pub fn max_interval(mut self, d: Duration) -> Self {
        self.max_interval = d;
        self
    }
}

/// The pauses of one wait (for generated code).
#[derive(Debug)]
pub struct Waiter {
    started: Instant,
    deadline: Instant,
    next: Duration,
    max: Duration,
}

impl Waiter {
    /// A wait starting now.
    pub fn new(policy: &WaitPolicy) -> Self {
        let started = Instant::now();
        Self {
            started,
            deadline: started + policy.timeout,
            next: policy.initial_interval.max(MIN_INTERVAL),
            max: policy.max_interval.max(policy.initial_interval).max(MIN_INTERVAL),
        }
    }

    /// Pauses before the next call, never past the deadline (the last call is made at it); once the
    /// deadline has passed, [`Error::NotDone`] with `state`, the state the last reply showed.
    pub async fn pause(&mut self, operation: &str, state: Option<String>) -> Result<(), Error> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(Error::NotDone {
                operation: operation.to_string(),
                state: state.map(|s| clip_escaped(&s, MAX_FIELD_CHARS)),
                waited: now - self.started,
            });
        }
        tokio::time::sleep(self.next.min(self.deadline - now)).await;
        self.next = (self.next * 2).min(self.max);
        Ok(())
    }

    /// After a call the service throttled (its retries spent): pauses as after any reply, so that the
    /// call is made again within the deadline; once the deadline has passed, gives back `throttled`.
    pub async fn pause_throttled(&mut self, operation: &str, throttled: Error) -> Result<(), Error> {
        self.pause(operation, None).await.map_err(|_| throttled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pauses_double_up_to_the_cap_and_end_at_the_deadline_with_the_last_state() {
        let policy = WaitPolicy::default()
            .timeout(Duration::from_secs(10))
            .initial_interval(Duration::from_secs(1))
            .max_interval(Duration::from_secs(3));
        let mut w = Waiter::new(&policy);
        let start = Instant::now();
        let mut at = Vec::new();
        while w.pause("Op", Some("RUNNING".into())).await.is_ok() {
            at.push((Instant::now() - start).as_secs());
        }
        // 1, 2, 3, 3 (capped), then the last pause stops at the deadline (10 s).
        assert_eq!(at, [1, 3, 6, 9, 10]);
        let e = w.pause("Op", Some("RUNNING".into())).await.unwrap_err();
        assert!(
            matches!(&e, Error::NotDone { state: Some(s), .. } if s == "RUNNING"),
            "{e}"
        );
        assert_eq!(e.to_string(), "`Op` was not done after 10.0 s (last state: RUNNING)");
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_call_is_paused_after_and_its_error_given_back_at_the_deadline() {
        let policy = WaitPolicy::default()
            .timeout(Duration::from_secs(2))
            .initial_interval(Duration::from_secs(1));
        let mut w = Waiter::new(&policy);
        let start = Instant::now();
        let throttled = || Error::Config("throttled".into());
        assert!(w.pause_throttled("Op", throttled()).await.is_ok());
        assert_eq!((Instant::now() - start).as_secs(), 1);
        assert!(
            w.pause_throttled("Op", throttled()).await.is_ok(),
            "the last pause stops at the deadline"
        );
        let e = w.pause_throttled("Op", throttled()).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            throttled().to_string(),
            "the throttling error, not NotDone"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn zero_intervals_pause_at_least_the_floor() {
        let policy = WaitPolicy::default()
            .timeout(Duration::from_secs(1))
            .initial_interval(Duration::ZERO)
            .max_interval(Duration::ZERO);
        let mut w = Waiter::new(&policy);
        let mut pauses = 0;
        while w.pause("Op", None).await.is_ok() {
            pauses += 1;
        }
        // 100 ms each: ten pauses fill the second.
        assert_eq!(pauses, 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_state_of_the_server_is_cut_and_escaped_in_the_error() {
        let policy = WaitPolicy::default().timeout(Duration::ZERO);
        let mut w = Waiter::new(&policy);
        let state = format!("\u{1b}[2J{}", "s".repeat(100_000));
        let e = w.pause("Op", Some(state)).await.unwrap_err();
        let Error::NotDone { state: Some(s), .. } = &e else {
            panic!("{e}")
        };
        assert!(s.starts_with("\\u{1b}[2Jsss"), "{s}");
        // The ESC counts as one character of the original and is written as six; then the `…`.
        assert_eq!(s.chars().count(), MAX_FIELD_CHARS - 1 + 6 + 1);
        assert!(e.to_string().len() < 400, "{}", e.to_string().len());
    }
}
