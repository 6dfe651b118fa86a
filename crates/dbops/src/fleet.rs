//! Many instances in one run (`--instances FILE`): at most `--concurrency` at once, within a request
//! rate that starts at `--rate` and slows down by itself when the service throttles (halved at most once
//! a second, then raised again step by step), one JSON result line per instance, a progress bar on a
//! terminal only, and a failed instance failing the run.

use std::io::IsTerminal;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dbops_core::Error;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::sessions::Target;

/// A request rate that adapts to throttling: multiplicative decrease, additive increase.
pub struct AdaptiveRate {
    state: Mutex<RateState>,
    max: u32,
}

struct RateState {
    rate: u32,
    limiter: Arc<DefaultDirectRateLimiter>,
    last_cut: Option<Instant>,
    successes: u32,
}

fn limiter(rate: u32) -> Arc<DefaultDirectRateLimiter> {
    let rate = NonZeroU32::new(rate.max(1)).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(
        Quota::per_second(rate).allow_burst(NonZeroU32::MIN),
    ))
}

impl AdaptiveRate {
    /// Starting at, and never above, `max` requests a second.
    pub fn new(max: u32) -> Self {
        Self {
            state: Mutex::new(RateState {
                rate: max.max(1),
                limiter: limiter(max),
                last_cut: None,
                successes: 0,
            }),
            max: max.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the next request's turn.
    pub async fn ready(&self) {
        let limiter = self.lock().limiter.clone();
        limiter.until_ready().await;
    }

    /// The service throttled: halve the rate, at most once a second (throttled replies of requests
    /// already under way say nothing new).
    pub fn throttled(&self) {
        let mut s = self.lock();
        if s.last_cut.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return;
        }
        s.rate = (s.rate / 2).max(1);
        s.limiter = limiter(s.rate);
        s.last_cut = Some(Instant::now());
        s.successes = 0;
    }

    /// A request went through: after a second's worth of them, raise the rate by a tenth.
    pub fn succeeded(&self) {
        let mut s = self.lock();
        s.successes += 1;
        if s.successes >= s.rate && s.rate < self.max {
            s.rate = (s.rate + (s.rate / 10).max(1)).min(self.max);
            s.limiter = limiter(s.rate);
            s.successes = 0;
        }
    }

    /// The current rate.
    #[cfg(test)]
    pub fn rate(&self) -> u32 {
        self.lock().rate
    }
}

/// Whether `e` is the service saying "too many requests".
pub fn is_throttling(e: &Error) -> bool {
    match e {
        Error::Service(s) => {
            s.status == 429
                || s.code.as_deref().is_some_and(|c| {
                    c == "Throttling" || c.starts_with("Throttling.") || c == "APIGW.0308" || c == "APIG.0308"
                })
        }
        _ => false,
    }
}

/// Reads `--instances`: a file, or `-` for standard input; one instance a line, optionally followed by
/// its DAS connection (huawei-das) or node (alibaba-mysql); `#` starts a comment.
pub fn read_targets(path: &str) -> Result<Vec<Target>, Error> {
    let text = if path == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| Error::Config(format!("--instances -: {e}")))?
    } else {
        std::fs::read_to_string(path).map_err(|e| Error::Config(format!("--instances {path}: {e}")))?
    };
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.split_whitespace();
            Target {
                instance: parts.next().unwrap_or_default().to_string(),
                extra: parts.next().map(str::to_string),
            }
        })
        .collect())
}

/// Runs `work` for every target (its value, and whether it did all it should), `concurrency` at once, each attempt within `rate`; a throttled attempt
/// slows the rate and is tried again (up to `max_tries` times). Prints one JSON line per target as it
/// ends and returns whether all succeeded.
pub async fn run<F, Fut>(targets: Vec<Target>, concurrency: usize, rate: Arc<AdaptiveRate>, work: F) -> bool
where
    F: Fn(Target) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(serde_json::Value, bool), Error>> + Send + 'static,
{
    const MAX_TRIES: u32 = 20;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(targets.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let work = Arc::new(work);
    let places = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(targets.len());
    for target in targets {
        let (work, places, rate, bar) = (work.clone(), places.clone(), rate.clone(), bar.clone());
        tasks.push(tokio::spawn(async move {
            let _place = places.acquire_owned().await;
            let mut tries = 0;
            let result = loop {
                tries += 1;
                rate.ready().await;
                match work(target.clone()).await {
                    Err(e) if is_throttling(&e) && tries < MAX_TRIES => rate.throttled(),
                    other => {
                        if other.is_ok() {
                            rate.succeeded();
                        }
                        break other;
                    }
                }
            };
            let (line, ok) = match &result {
                Ok((v, ok)) => (
                    serde_json::json!({"instance": target.instance, "ok": ok, "result": v, "tries": tries}),
                    *ok,
                ),
                Err(e) => (
                    serde_json::json!({"instance": target.instance, "ok": false, "error": e.to_string(), "tries": tries}),
                    false,
                ),
            };
            bar.suspend(|| println!("{line}"));
            bar.inc(1);
            ok
        }));
    }
    let mut all_ok = true;
    for t in tasks {
        all_ok &= t.await.unwrap_or(false);
    }
    bar.finish_and_clear();
    all_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_halves_at_most_once_a_second_and_climbs_back_by_tenths() {
        let r = AdaptiveRate::new(100);
        r.throttled();
        assert_eq!(r.rate(), 50);
        r.throttled();
        assert_eq!(r.rate(), 50, "a second cut within a second is ignored");
        for _ in 0..50 {
            r.succeeded();
        }
        assert_eq!(r.rate(), 55);
        let floor = AdaptiveRate::new(1);
        floor.throttled();
        assert_eq!(floor.rate(), 1);
    }
}
