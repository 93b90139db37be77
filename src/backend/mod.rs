//! The ports: the three small async traits every backend implements (AWS,
//! PostgreSQL, Oracle, the lab), and the values they exchange. The app, the
//! ui and the headless commands only ever see these, never an SDK.

pub mod aws;
pub mod coalesce;
pub mod heartbeat_sql;
pub mod live;
pub mod logs;
pub mod model;
pub mod ops;
pub mod oracle;
pub mod pair;
pub mod postgres;
pub mod reason;
pub mod reload;
pub mod routing;
pub mod validation;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use model::*;
pub use pair::{PerDb, PerTask};
pub use reason::Reason;
pub use reload::{ReloadOption, TableRef};

/// What went wrong in a backend call, already phrased for a person: the
/// message says what failed and, where it can, what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The peer could not be reached or refused the connection.
    #[error("{0}")]
    Unavailable(#[source] Reason),
    /// A change (start, stop, flip, heartbeat insert) was sent and no answer
    /// came in time: it may or may not have been applied. Never reported
    /// as a failure; the cockpit reads back what is now true.
    #[error("{0}")]
    OutcomeUnknown(#[source] Reason),
    /// The service refused the call for its request rate (DMS
    /// `ThrottlingException`, DynamoDB
    /// `ProvisionedThroughputExceededException`, …) after the SDK's own
    /// retries: the cockpit polls that backend less often until it answers
    /// (see [`crate::app::backoff`]).
    #[error("{0}")]
    Throttled(#[source] Reason),
    /// The call did not answer within the configured timeout.
    #[error("no answer within {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    /// The thing asked for does not exist (task, table, item).
    #[error("{0}")]
    NotFound(#[source] Reason),
    /// The peer refused the call in its current state (e.g. starting a
    /// running task).
    #[error("{0}")]
    InvalidState(#[source] Reason),
    /// A conditional write lost: someone changed the data underneath.
    #[error("{0}")]
    Conflict(#[source] Reason),
    /// Permissions, credentials or configuration do not allow the call.
    #[error("{0}")]
    Denied(#[source] Reason),
    /// The endpoint does not implement the call at all (an emulator such as
    /// moto lacks it). Not retried by the SDK and not re-asked on every
    /// refresh: asking again cannot change the answer.
    #[error("{0}")]
    Unsupported(#[source] Reason),
    /// Data came back in a shape the cockpit does not accept.
    #[error("{0}")]
    Malformed(#[source] Reason),
    #[error("{0}")]
    Other(#[source] Reason),
}

impl BackendError {
    /// The same error with `cause` (the SDK, sqlx, SQLite or Oracle error
    /// it was phrased from) kept as the source of its reason, so the log
    /// file can show it ([`reason::chain`]). A [`BackendError::Timeout`]
    /// has no reason to hold one and stays as it is.
    pub fn caused_by<E>(self, cause: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let cause: reason::Cause = Arc::new(cause);
        self.map_reason(|r| r.with_cause(cause))
    }

    fn map_reason(self, f: impl FnOnce(Reason) -> Reason) -> Self {
        use BackendError::*;
        match self {
            Unavailable(r) => Unavailable(f(r)),
            OutcomeUnknown(r) => OutcomeUnknown(f(r)),
            Throttled(r) => Throttled(f(r)),
            NotFound(r) => NotFound(f(r)),
            InvalidState(r) => InvalidState(f(r)),
            Conflict(r) => Conflict(f(r)),
            Denied(r) => Denied(f(r)),
            Unsupported(r) => Unsupported(f(r)),
            Malformed(r) => Malformed(f(r)),
            Other(r) => Other(f(r)),
            Timeout(d) => Timeout(d),
        }
    }
}

pub type BackendResult<T> = Result<T, BackendError>;

/// The two DMS tasks: describe, start, stop.
#[async_trait]
pub trait Replication: Send + Sync {
    /// Status and progress of one task (`DescribeReplicationTasks`).
    async fn describe(&self, role: TaskRole) -> BackendResult<TaskSnapshot>;
    /// Every page of one task's table statistics
    /// (`DescribeTableStatistics`): a call of its own, so a slow or failing
    /// one never holds back or hides the task's status.
    async fn table_stats(&self, role: TaskRole) -> BackendResult<Vec<TableStats>>;
    async fn start(&self, role: TaskRole, request: StartRequest) -> BackendResult<()>;
    async fn stop(&self, role: TaskRole) -> BackendResult<()>;
    /// `ReloadTables`: loads `tables` of a running task again from its
    /// source, or only validates them again.
    async fn reload_tables(
        &self,
        role: TaskRole,
        tables: &[TableRef],
        option: ReloadOption,
    ) -> BackendResult<()>;
}

/// The appmap: which database each application site writes to.
#[async_trait]
pub trait AppMapStore: Send + Sync {
    /// Every item, sorted by site.
    async fn read_all(&self) -> BackendResult<Vec<AppMapItem>>;
    /// Points `expected.site` at `to`, atomically and only if the stored
    /// item still equals `expected` in its routing attributes; otherwise
    /// changes nothing and returns [`BackendError::Conflict`]. Records who
    /// flipped and when as extra attributes. Returns the new item.
    async fn flip(
        &self,
        expected: &AppMapItem,
        to: &DatabaseRef,
        who: &str,
    ) -> BackendResult<AppMapItem>;
}

/// The heartbeat table of one database.
#[async_trait]
pub trait HeartbeatStore: Send + Sync {
    /// The latest `n` rows, newest first.
    async fn latest(&self, n: usize) -> BackendResult<Vec<HeartbeatRow>>;
    /// Inserts `(nextval, now, site)` and returns the new row.
    async fn insert(&self, site: Site) -> BackendResult<HeartbeatRow>;
    /// Exactly the rows with these ids, in no particular order (ids it
    /// does not hold are simply absent). One query, whatever the number of
    /// ids: this is how "replicated" asks the other database about the rows
    /// on screen, instead of scanning its latest rows.
    async fn by_ids(&self, ids: &[i64]) -> BackendResult<Vec<HeartbeatRow>>;
    /// DMS's validation failures recorded on this database (as a task's
    /// target) for the task `of` names (its resource id, in the control
    /// schema its settings name): counts per table and type and the newest
    /// `latest` rows. A database where no task ever validated gives an
    /// empty summary, not an error.
    async fn validation_failures(
        &self,
        of: &validation::FailuresOf,
        latest: usize,
    ) -> BackendResult<validation::ValidationSummary>;
}

/// DMS's own latency of a task (CloudWatch `AWS/DMS` `CDCLatencySource`
/// and `CDCLatencyTarget`, seconds), as of its newest data point.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CdcLatency {
    pub source_s: Option<f64>,
    pub target_s: Option<f64>,
    /// When the newest data point was taken.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where DMS's own latency comes from (CloudWatch for real backends).
#[async_trait]
pub trait Latency: Send + Sync {
    /// The latest `CDCLatencySource` / `CDCLatencyTarget` of `role`'s task.
    async fn cdc_latency(&self, role: TaskRole) -> BackendResult<CdcLatency>;
}

/// What the door check reads: the pair's task settings and endpoints
/// (DMS for real backends, the lab's own pair in the lab).
#[async_trait]
pub trait PairReader: Send + Sync {
    async fn pair(&self) -> BackendResult<crate::doctor::PairSetup>;
}

/// Who the AWS credentials belong to (STS `GetCallerIdentity`).
#[async_trait]
pub trait Identity: Send + Sync {
    async fn caller(&self) -> BackendResult<CallerIdentity>;
}

/// What the screen says about where it is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeInfo {
    /// `LAB` or `LIVE`.
    pub name: String,
    /// What stands in for what, or which account/region.
    pub description: String,
    /// True when mutating actions must be refused.
    pub read_only: bool,
}

/// One complete set of adapters: what the runtime and the headless
/// commands run against.
#[derive(Clone)]
pub struct Backends {
    pub mode: ModeInfo,
    pub replication: Arc<dyn Replication>,
    pub appmap: Arc<dyn AppMapStore>,
    pub heartbeats: PerDb<Arc<dyn HeartbeatStore>>,
    /// Both tasks' logs.
    pub logs: Arc<dyn logs::TaskLogs>,
    /// The two configured databases, to match appmap items against.
    pub databases: PerDb<DatabaseRef>,
    /// Each call's time limit.
    pub timeout: Duration,
    /// DMS's own latency metrics, where there are any (not in the lab).
    pub latency: Option<Arc<dyn Latency>>,
    /// The AWS caller identity; `None` where there is no AWS (the lab).
    pub identity: Option<Arc<dyn Identity>>,
    /// The pair as the door check sees it (the TUI's door badge).
    pub door: Arc<dyn PairReader>,
}
