//! One request for callers that ask the same thing at the same time.
//!
//! The app asks for each task on its own (`FetchTask(forward)`,
//! `FetchTask(backward)`, each task's CloudWatch latency), and all of them
//! start in the same instant. Against DMS one `DescribeReplicationTasks`
//! can answer for both tasks, so the adapter sends one and every caller of
//! the same moment gets that answer instead of sending its own. The lab
//! does the same with reads that a task's status and its table panel both
//! make (its table statistics, whether it validates).
//!
//! Two rules for who may share:
//!
//! * [`Coalesce::same_moment`] (DMS, CloudWatch): while the request is in
//!   flight, or within [`SAME_MOMENT`] of it being sent. The second part
//!   is needed because the callers of one refresh are not started in a
//!   fixed order: on a busy machine the first request may be answered
//!   before the second caller has even asked. A quarter of a second is far
//!   below any refresh interval and below what a remote service's answer
//!   can promise anyway.
//! * [`Coalesce::in_flight`] (the lab): only while the request is in
//!   flight. The lab's table statistics are counted in the same
//!   transaction as the rows they count, and a reader who has just seen a
//!   row arrive must see it counted: an answer read before that must not
//!   be handed out.
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
    /// How long after sending an answer may be shared (zero: only while
    /// in flight).
    window: Duration,
}

impl<T: Clone + Send + Sync + 'static> Coalesce<T> {
    /// Shares a request while in flight and for [`SAME_MOMENT`] after it
    /// was sent.
    pub fn same_moment() -> Self {
        Coalesce {
            last: Mutex::new(None),
            window: SAME_MOMENT,
        }
    }

    /// Shares a request only while it is in flight.
    pub fn in_flight() -> Self {
        Coalesce {
            last: Mutex::new(None),
            window: Duration::ZERO,
        }
    }

    /// The answer of the request of this moment, or of a new one made by
    /// `start`.
    pub async fn run<F>(&self, start: impl FnOnce() -> F) -> T
    where
        F: Future<Output = T> + Send + 'static,
    {
        let flight = {
            let mut last = self.last.lock().expect("coalesce slot poisoned");
            match last.as_ref().filter(|sent| joinable(sent, self.window)) {
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

    /// [`Coalesce::forget`] when the returned guard is dropped: held across
    /// a change, it forgets once the change has answered, or has been
    /// given up on (a timeout drops the future holding it).
    pub fn forget_when_dropped(&self) -> ForgetOnDrop<'_, T> {
        ForgetOnDrop(self)
    }
}

/// See [`Coalesce::forget_when_dropped`].
pub struct ForgetOnDrop<'a, T: Clone + Send + Sync + 'static>(&'a Coalesce<T>);

impl<T: Clone + Send + Sync + 'static> Drop for ForgetOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.forget();
    }
}

fn joinable<T: Clone>(sent: &Sent<T>, window: Duration) -> bool {
    match sent.flight.strong_count() {
        // Answered: only within the moment it was asked.
        None => sent.at.elapsed() < window,
        // In flight: while someone waits for it (this slot holds one
        // reference); a request everyone gave up on is not revived.
        Some(n) => n > 1 || sent.at.elapsed() < window,
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

    /// A first caller asking in the background, so the test can ask while
    /// its request is out.
    fn spawn_caller(
        c: &Arc<Coalesce<usize>>,
        sent: &Arc<AtomicUsize>,
        delay: Duration,
    ) -> tokio::task::JoinHandle<usize> {
        let (c, f) = (c.clone(), counted(sent, delay));
        tokio::spawn(async move { c.run(f).await })
    }

    #[tokio::test(start_paused = true)]
    async fn callers_at_the_same_time_share_one_request() {
        let c = Coalesce::same_moment();
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
        let c = Coalesce::same_moment();
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
    async fn in_flight_only_never_hands_out_an_answer() {
        let c = Coalesce::in_flight();
        let sent = Arc::new(AtomicUsize::new(0));
        let d = Duration::from_millis(50);
        let (a, b) = tokio::join!(c.run(counted(&sent, d)), c.run(counted(&sent, d)));
        assert_eq!((a, b), (1, 1), "shared while in flight");
        assert_eq!(
            c.run(counted(&sent, d)).await,
            2,
            "answered: asked again at once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_request_is_joined_while_someone_waits_for_it() {
        let c = Arc::new(Coalesce::same_moment());
        let sent = Arc::new(AtomicUsize::new(0));
        let slow = Duration::from_secs(2);
        let first = spawn_caller(&c, &sent, slow);
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
        let c = Arc::new(Coalesce::same_moment());
        let sent = Arc::new(AtomicUsize::new(0));
        let d = Duration::from_millis(50);
        let first = spawn_caller(&c, &sent, d);
        tokio::time::sleep(Duration::from_millis(10)).await;
        // A change was made while the first request was out.
        c.forget();
        let second = c.run(counted(&sent, d)).await;
        assert_eq!(first.await.unwrap(), 1, "the first caller keeps its answer");
        assert_eq!(second, 2, "asked after the change: a request of its own");
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_given_up_on_still_forgets() {
        let c = Coalesce::same_moment();
        let sent = Arc::new(AtomicUsize::new(0));
        let d = Duration::from_millis(50);
        assert_eq!(c.run(counted(&sent, d)).await, 1);
        let change = async {
            let _fresh = c.forget_when_dropped();
            tokio::time::sleep(Duration::from_secs(60)).await;
        };
        // The change times out: its future (and the guard) is dropped.
        assert!(
            tokio::time::timeout(Duration::from_millis(10), change)
                .await
                .is_err()
        );
        assert_eq!(c.run(counted(&sent, d)).await, 2, "asked anew after it");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_everyone_gave_up_on_is_not_joined() {
        let c = Coalesce::same_moment();
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
