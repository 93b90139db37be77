//! One request for callers that ask the same thing at the same time.
//!
//! The app asks for each task on its own (`FetchTask(forward)`,
//! `FetchTask(backward)`, each task's CloudWatch latency), and all of them
//! start in the same instant. Against DMS one `DescribeReplicationTasks`
//! can answer for both tasks, so the adapter sends one and every caller of
//! the same moment gets that answer instead of sending its own.
//!
//! "The same moment" is: while the request is in flight, or within
//! [`SAME_MOMENT`] of it being sent. The second part is needed because
//! the callers of one refresh are not started in a fixed order: on a busy
//! machine the first request may be answered before the second caller
//! has even asked. A quarter of a second is far below any refresh
//! interval, so this never shows an older answer than the refresh it
//! belongs to.
//!
//! Freshness after a change: [`Coalesce::forget`] makes the next caller
//! send a new request, so a task start or stop is never followed by an
//! answer sent before it. A request whose callers all gave up (their
//! timeout) is never joined later.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::time::Instant;

/// How long after a request was sent its answer serves other callers.
pub const SAME_MOMENT: Duration = Duration::from_millis(250);

type Flight<T> = Shared<BoxFuture<'static, T>>;

struct Sent<T> {
    flight: Flight<T>,
    at: Instant,
}

pub struct Coalesce<T: Clone> {
    last: Mutex<Option<Sent<T>>>,
}

impl<T: Clone + Send + Sync + 'static> Default for Coalesce<T> {
    fn default() -> Self {
        Coalesce {
            last: Mutex::new(None),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Coalesce<T> {
    /// The answer of the request of this moment, or of a new one made by
    /// `start`.
    pub async fn run<F>(&self, start: impl FnOnce() -> F) -> T
    where
        F: Future<Output = T> + Send + 'static,
    {
        let flight = {
            let mut last = self.last.lock().expect("coalesce slot poisoned");
            match last.as_ref().filter(|sent| joinable(sent)) {
                Some(sent) => sent.flight.clone(),
                None => {
                    let flight = start().boxed().shared();
                    *last = Some(Sent {
                        flight: flight.clone(),
                        at: Instant::now(),
                    });
                    flight
                }
            }
        };
        flight.await
    }

    /// Makes the next caller send a new request (the one out still
    /// answers those already waiting for it).
    pub fn forget(&self) {
        *self.last.lock().expect("coalesce slot poisoned") = None;
    }
}

fn joinable<T: Clone>(sent: &Sent<T>) -> bool {
    match sent.flight.strong_count() {
        // Answered: only within the moment it was asked.
        None => sent.at.elapsed() < SAME_MOMENT,
        // In flight: while someone waits for it (this slot holds one
        // reference); a request everyone gave up on is not revived.
        Some(n) => n > 1 || sent.at.elapsed() < SAME_MOMENT,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A request that counts how often it was sent and answers that count
    /// after `delay`.
    fn counted(
        sent: &Arc<AtomicUsize>,
        delay: Duration,
    ) -> impl FnOnce() -> BoxFuture<'static, usize> + use<> {
        let sent = sent.clone();
        move || {
            let n = sent.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                tokio::time::sleep(delay).await;
                n
            }
            .boxed()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn callers_at_the_same_time_share_one_request() {
        let c = Coalesce::default();
        let sent = Arc::new(AtomicUsize::new(0));
        let d = Duration::from_millis(50);
        let (a, b, x) = tokio::join!(
            c.run(counted(&sent, d)),
            c.run(counted(&sent, d)),
            c.run(counted(&sent, d))
        );
        assert_eq!((a, b, x), (1, 1, 1));
        assert_eq!(sent.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_serves_its_moment_and_no_longer() {
        let c = Coalesce::default();
        let sent = Arc::new(AtomicUsize::new(0));
        let d = Duration::from_millis(50);
        assert_eq!(c.run(counted(&sent, d)).await, 1);
        // Answered, but a caller of the same moment (one that was slower
        // to ask) still gets it.
        assert_eq!(c.run(counted(&sent, d)).await, 1);
        tokio::time::sleep(SAME_MOMENT).await;
        assert_eq!(
            c.run(counted(&sent, d)).await,
            2,
            "a later moment asks again"
        );
        assert_eq!(sent.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_request_is_joined_while_someone_waits_for_it() {
        let c = Arc::new(Coalesce::default());
        let sent = Arc::new(AtomicUsize::new(0));
        let slow = Duration::from_secs(2);
        let first = tokio::spawn({
            let (c, f) = (c.clone(), counted(&sent, slow));
            async move { c.run(f).await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            c.run(counted(&sent, slow)).await,
            1,
            "joined, still in flight"
        );
        assert_eq!(first.await.unwrap(), 1);
        assert_eq!(sent.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn after_forget_a_caller_does_not_join_the_older_request() {
        let c = Arc::new(Coalesce::default());
        let sent = Arc::new(AtomicUsize::new(0));
        let d = Duration::from_millis(50);
        let first = tokio::spawn({
            let (c, f) = (c.clone(), counted(&sent, d));
            async move { c.run(f).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        // A change was made while the first request was out.
        c.forget();
        let second = c.run(counted(&sent, d)).await;
        assert_eq!(first.await.unwrap(), 1, "the first caller keeps its answer");
        assert_eq!(second, 2, "asked after the change: a request of its own");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_everyone_gave_up_on_is_not_joined() {
        let c = Coalesce::default();
        let sent = Arc::new(AtomicUsize::new(0));
        let slow = tokio::time::timeout(
            Duration::from_millis(10),
            c.run(counted(&sent, Duration::from_secs(60))),
        )
        .await;
        assert!(slow.is_err(), "the caller timed out");
        tokio::time::sleep(SAME_MOMENT).await;
        let next = c.run(counted(&sent, Duration::from_millis(5))).await;
        assert_eq!(next, 2, "a new request, not the abandoned one");
    }
}
