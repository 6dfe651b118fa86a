//! Many instances in one run (`--instances FILE`): at most `--concurrency` at once, within a request
//! rate that starts at `--rate` and slows down by itself when the service throttles (halved at most once
//! a second, then raised again step by step), one JSON result line per instance, a progress bar on a
//! terminal only, and a failed instance failing the run.

use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dbops_core::Error;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::ended::Ended;
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

/// Longest line of `--instances`, in bytes: an instance id and its connection or node take far less.
pub const MAX_LINE_BYTES: usize = 1024;

/// The lines of `--instances`, read one at a time: a file, or `-` for standard input; one instance a
/// line, optionally followed by its DAS connection (huawei-das) or node (alibaba-mysql); `#` starts a
/// comment. A bad line (too long, not UTF-8, more than two fields) is an error naming its number; its
/// text is never echoed.
pub struct Targets {
    reader: Box<dyn BufRead + Send>,
    source: String,
    line: usize,
    buf: Vec<u8>,
}

impl Targets {
    /// Opens `path` (`-`: standard input).
    pub fn open(path: &str) -> Result<Self, Error> {
        let reader: Box<dyn BufRead + Send> = if path == "-" {
            Box::new(BufReader::new(std::io::stdin()))
        } else {
            let file = std::fs::File::open(path).map_err(|e| Error::Config(format!("--instances {path}: {e}")))?;
            Box::new(BufReader::new(file))
        };
        Ok(Self {
            reader,
            source: path.to_string(),
            line: 0,
            buf: Vec::with_capacity(MAX_LINE_BYTES + 1),
        })
    }

    fn bad(&self, why: &str) -> Error {
        Error::Config(format!("--instances {}, line {}: {why}", self.source, self.line))
    }

    /// The next target, `None` at the end.
    pub fn next_target(&mut self) -> Result<Option<Target>, Error> {
        loop {
            self.buf.clear();
            self.line += 1;
            let n = (&mut self.reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| self.bad(&e.to_string()))?;
            if n == 0 {
                return Ok(None);
            }
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
            } else if self.buf.len() > MAX_LINE_BYTES {
                return Err(self.bad(&format!("longer than {MAX_LINE_BYTES} bytes")));
            }
            let text = std::str::from_utf8(&self.buf).map_err(|_| self.bad("not UTF-8 text"))?;
            let text = text.split('#').next().unwrap_or("");
            let mut parts = text.split_whitespace();
            let Some(instance) = parts.next() else { continue };
            let target = Target {
                instance: instance.to_string(),
                extra: parts.next().map(str::to_string),
            };
            if parts.next().is_some() {
                return Err(self.bad("more than two fields (an instance, then its connection or node)"));
            }
            return Ok(Some(target));
        }
    }
}

/// Runs `work` for every target of `--instances path` (its value, and how it ended), `concurrency` at
/// once, each attempt within `rate`; a throttled attempt slows the rate and is tried again (up to 20
/// times). Prints one JSON line per target as it ends and returns how the run ended: as its worst
/// instance.
///
/// Memory stays bounded whatever the file's size: lines are read as work is taken, through a queue of
/// twice `concurrency` targets. A file is read through once first, so that a bad line stops the run
/// before anything is sent; standard input cannot be, so a bad line there ends the run after the
/// instances before it (and fails it).
pub async fn run<F, Fut>(path: &str, concurrency: usize, rate: Arc<AdaptiveRate>, work: F) -> Result<Ended, Error>
where
    F: Fn(Target) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(serde_json::Value, Ended), Error>> + Send + 'static,
{
    let concurrency = concurrency.max(1);
    let total = if path == "-" {
        None
    } else {
        let mut targets = Targets::open(path)?;
        let mut n = 0u64;
        while targets.next_target()?.is_some() {
            n += 1;
        }
        Some(n)
    };
    let mut targets = Targets::open(path)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(2 * concurrency);
    // The reader: a target (or the error of a bad line, which ends it) at a time, waiting while the
    // queue is full; it stops when the run stops taking work.
    std::thread::spawn(move || {
        while let Some(next) = targets.next_target().transpose() {
            let bad = next.is_err();
            if tx.blocking_send(next).is_err() || bad {
                return;
            }
        }
    });
    let bar = match total {
        _ if !std::io::stderr().is_terminal() => indicatif::ProgressBar::hidden(),
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::no_length(),
    };
    let work = Arc::new(work);
    let mut running = tokio::task::JoinSet::new();
    let mut ended = Ended::Done;
    while let Some(next) = rx.recv().await {
        let target = match next {
            Ok(target) => target,
            Err(e) => {
                bar.suspend(|| eprintln!("error: {e}; the instances after it were not worked on"));
                ended = ended.max(Ended::Failed);
                break;
            }
        };
        while running.len() >= concurrency {
            if let Some(done) = running.join_next().await {
                ended = ended.max(done.unwrap_or(Ended::Failed));
            }
        }
        let (work, rate, bar) = (work.clone(), rate.clone(), bar.clone());
        running.spawn(async move {
            let (line, end) = one(&*work, &rate, target).await;
            bar.suspend(|| println!("{line}"));
            bar.inc(1);
            end
        });
    }
    drop(rx);
    while let Some(done) = running.join_next().await {
        ended = ended.max(done.unwrap_or(Ended::Failed));
    }
    bar.finish_and_clear();
    Ok(ended)
}

/// One target's work, tried again while throttled: its result line and how it ended.
async fn one<F, Fut>(work: &F, rate: &AdaptiveRate, target: Target) -> (serde_json::Value, Ended)
where
    F: Fn(Target) -> Fut,
    Fut: std::future::Future<Output = Result<(serde_json::Value, Ended), Error>>,
{
    const MAX_TRIES: u32 = 20;
    let mut tries = 0;
    loop {
        tries += 1;
        rate.ready().await;
        match work(target.clone()).await {
            Err(e) if e.is_throttling() && tries < MAX_TRIES => rate.throttled(),
            Ok((v, end)) => {
                rate.succeeded();
                let ok = end == Ended::Done;
                return (
                    serde_json::json!({"instance": target.instance, "ok": ok, "result": v, "tries": tries}),
                    end,
                );
            }
            Err(e) => {
                return (
                    serde_json::json!({"instance": target.instance, "ok": false, "error": e.to_string(), "tries": tries}),
                    Ended::Failed,
                );
            }
        }
    }
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

    #[tokio::test]
    async fn a_throttled_instance_is_tried_twenty_times_then_fails() {
        let calls = std::sync::atomic::AtomicU32::new(0);
        let throttled = || {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut e = dbops_core::ServiceError::new(429);
            e.throttling = true;
            std::future::ready(Err(Error::Service(Box::new(e))))
        };
        let rate = AdaptiveRate::new(1_000_000);
        let (line, end) = one(&|_| throttled(), &rate, Target::default()).await;
        assert_eq!(end, Ended::Failed);
        assert_eq!(line["tries"], 20);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 20);
    }
}
