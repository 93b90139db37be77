//! Backing off a throttled backend: when AWS says "too many requests"
//! (after the SDK's own retries), asking again on every refresh only keeps
//! the rate too high. Each AWS backend (DMS, the DynamoDB appmap) gets one
//! [`Backoff`]: a throttled answer skips that backend's polls for a delay
//! that starts at one refresh interval and doubles with each further
//! throttled answer, capped at [`MAX_DELAY`]; any other answer resets it.
//! Pure: the app asks [`Backoff::ready`] before polling, nothing sleeps.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest a throttled backend is left alone between polls.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// One backend's backoff state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backoff {
    /// The delay of the last throttled answer; `None` when not throttled.
    delay: Option<Duration>,
    /// No poll before this instant.
    until: Option<DateTime<Utc>>,
}

impl Backoff {
    /// Whether a poll may be sent at `now`.
    pub fn ready(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now >= until)
    }

    /// A throttled answer at `now`: the next poll waits `base` (the refresh
    /// interval) the first time, twice the previous delay after that, at
    /// most [`MAX_DELAY`]. Returns the delay chosen. An answer arriving
    /// while the backend is already left alone belongs to the same round of
    /// polls (two tasks asked at once): it does not double the delay again.
    pub fn throttled(&mut self, now: DateTime<Utc>, base: Duration) -> Duration {
        if let (Some(delay), false) = (self.delay, self.ready(now)) {
            return delay;
        }
        let delay = match self.delay {
            None => base,
            Some(previous) => previous.saturating_mul(2),
        }
        .min(MAX_DELAY);
        self.delay = Some(delay);
        self.until = Some(now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX));
        delay
    }

    /// Any answer that is not throttling: polls go at the normal pace.
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }
}

/// The backoff of each AWS backend the cockpit polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backoffs {
    /// DMS: both tasks' status and table statistics.
    pub dms: Backoff,
    /// DynamoDB: the appmap.
    pub dynamo: Backoff,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_refresh_interval_up_to_the_cap_and_resets() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let s = |n: i64| t0 + chrono::Duration::seconds(n);
        let mut b = Backoff::default();
        assert!(b.ready(t0));
        let base = Duration::from_secs(2);
        // Each throttled answer arrives once the previous delay is over.
        let mut at = t0;
        let mut delays = Vec::new();
        for _ in 0..6 {
            let d = b.throttled(at, base);
            delays.push(d.as_secs());
            at += chrono::Duration::from_std(d).unwrap();
        }
        assert_eq!(delays, [2, 4, 8, 16, 30, 30]);
        // A second answer of the same round does not double it again.
        let mut c = Backoff::default();
        assert_eq!(c.throttled(t0, base), base);
        assert_eq!(c.throttled(s(1), base), base);
        assert!(!c.ready(s(1)));
        assert!(c.ready(s(2)));
        b.reset();
        assert!(b.ready(t0));
        assert_eq!(b.throttled(t0, base), base);
    }
}
