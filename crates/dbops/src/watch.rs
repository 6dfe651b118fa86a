//! Watch mode: list → select → kill every interval, until a run time or a signal.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dbops_core::Error;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::ended::Ended;

/// A duration as operators write it: `30s`, `2m`, `1h30m`, `500ms`; a plain number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = match text.trim().parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(text.trim())
            .map_err(|e| format!("`{text}` is not a duration (30s, 2m, 1h30m, 500ms): {e}"))?,
    };
    if d.is_zero() {
        return Err("a duration of zero".into());
    }
    Ok(d)
}

/// A duration for people: `30s`, `2m`.
pub fn show(d: Duration) -> String {
    humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
}

/// Set once SIGINT or SIGTERM arrives: the round under way finishes, no other starts.
struct Stop {
    asked: AtomicBool,
    notify: Notify,
}

fn listen_for_signals() -> Result<Arc<Stop>, Error> {
    use tokio::signal::unix::{SignalKind, signal};
    let stop = Arc::new(Stop {
        asked: AtomicBool::new(false),
        notify: Notify::new(),
    });
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Error::Config(format!("SIGINT: {e}")))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| Error::Config(format!("SIGTERM: {e}")))?;
    let s = stop.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        s.asked.store(true, Ordering::SeqCst);
        s.notify.notify_waiters();
    });
    Ok(stop)
}

/// Runs `round` every `interval` (from the start of one round to the start of the next) until
/// `run_time` has passed or a signal asks to stop; prints one JSON line per round and one per kill.
/// A throttled round is tried again after twice the pause (up to ten times the interval). How it
/// ended: the worst of the rounds.
pub async fn run<F, Fut>(interval: Duration, run_time: Option<Duration>, round: F) -> Ended
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<(Value, Ended), Error>>,
{
    let stop = match listen_for_signals() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ended::NothingSent;
        }
    };
    let started = Instant::now();
    let deadline = run_time.map(|d| started + d);
    let mut worst = Ended::Done;
    let mut pause = interval;
    let mut n = 0u64;
    loop {
        let at = Instant::now();
        // A signal that came during the pause: no other round.
        if stop.asked.load(Ordering::SeqCst) {
            break;
        }
        n += 1;
        let mut line = json!({"round": n, "time": crate::sessions::now()});
        match round(n).await {
            Ok((result, ended)) => {
                pause = interval;
                for o in result["outcomes"].as_array().into_iter().flatten() {
                    println!(
                        "{}",
                        json!({"round": n, "id": o["id"], "killed": o["killed"], "reason": o["reason"]})
                    );
                }
                line["result"] = result;
                line["ok"] = json!(ended == Ended::Done);
                worst = worst.max(ended);
            }
            Err(e) if e.is_throttling() => {
                pause = (pause * 2).min(interval * 10);
                line["ok"] = json!(false);
                line["error"] = json!(e.to_string());
                line["throttled"] = json!(true);
            }
            Err(e) => {
                line["ok"] = json!(false);
                line["error"] = json!(e.to_string());
                worst = worst.max(Ended::Failed);
            }
        }
        println!("{line}");
        // The next round starts a pause after this one started, or not at all.
        let next = at + pause;
        if deadline.is_some_and(|d| next >= d) || stop.asked.load(Ordering::SeqCst) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(next.into()) => {}
            () = stop.notify.notified() => {}
        }
    }
    eprintln!(
        "watch: {n} round(s) in {}{}",
        show(started.elapsed()),
        if stop.asked.load(Ordering::SeqCst) {
            ", stopped by a signal"
        } else {
            ""
        }
    );
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").unwrap_err().contains("`soon` is not a duration"));
    }

    #[test]
    fn durations_show_as_operators_write_them() {
        assert_eq!(show(Duration::from_secs(30)), "30s");
        assert_eq!(show(Duration::from_millis(2_500)), "2s 500ms");
        assert_eq!(show(Duration::from_micros(1_500)), "1ms", "to the millisecond");
    }
}
