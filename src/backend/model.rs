//! The data the ports exchange: plain values with no I/O attached, shared by
//! the app, the ui, the headless commands and every adapter.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One of the two DMS tasks of the two-way door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskRole {
    /// Database a (the old one) to database b (the new one).
    Forward,
    /// Database b back to database a.
    Backward,
}

impl TaskRole {
    pub const ALL: [TaskRole; 2] = [TaskRole::Forward, TaskRole::Backward];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskRole::Forward => "forward",
            TaskRole::Backward => "backward",
        }
    }

    /// The database the task reads from.
    pub fn source(self) -> DbSide {
        match self {
            TaskRole::Forward => DbSide::A,
            TaskRole::Backward => DbSide::B,
        }
    }

    pub fn target(self) -> DbSide {
        self.source().other()
    }
}

impl fmt::Display for TaskRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of the two configured databases: `a` is the forward task's source
/// (the old database), `b` its target (the new one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbSide {
    A,
    B,
}

impl DbSide {
    pub const ALL: [DbSide; 2] = [DbSide::A, DbSide::B];

    pub fn as_str(self) -> &'static str {
        match self {
            DbSide::A => "a",
            DbSide::B => "b",
        }
    }

    pub fn other(self) -> DbSide {
        match self {
            DbSide::A => DbSide::B,
            DbSide::B => DbSide::A,
        }
    }
}

impl fmt::Display for DbSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An application site: the writers that look themselves up in the appmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Site {
    #[serde(rename = "SITEA")]
    A,
    #[serde(rename = "SITEB")]
    B,
}

impl Site {
    pub const ALL: [Site; 2] = [Site::A, Site::B];

    pub fn as_str(self) -> &'static str {
        match self {
            Site::A => "SITEA",
            Site::B => "SITEB",
        }
    }

    /// Parses `SITEA`/`SITEB` (any case); the error names what would be right.
    pub fn parse(s: &str) -> Result<Site, String> {
        match s.to_ascii_uppercase().as_str() {
            "SITEA" => Ok(Site::A),
            "SITEB" => Ok(Site::B),
            _ => Err(format!("unknown site `{s}`: expected SITEA or SITEB")),
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A database engine the cockpit can talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Oracle,
    Postgresql,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Oracle => "oracle",
            Engine::Postgresql => "postgresql",
        }
    }

    pub fn parse(s: &str) -> Result<Engine, String> {
        match s {
            "oracle" => Ok(Engine::Oracle),
            "postgresql" => Ok(Engine::Postgresql),
            _ => Err(format!(
                "unknown engine `{s}`: expected oracle or postgresql"
            )),
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a configured database lives, in the terms an appmap item uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseRef {
    pub side: DbSide,
    pub engine: Engine,
    pub endpoint: String,
    pub port: u16,
    pub dbname: String,
    pub username: String,
}

impl DatabaseRef {
    /// `endpoint:port/dbname`, as the panels and the status output show it.
    pub fn address(&self) -> String {
        format!("{}:{}/{}", self.endpoint, self.port, self.dbname)
    }
}

/// A DMS task status, as `DescribeReplicationTasks` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskStatus {
    Creating,
    Ready,
    Starting,
    Running,
    Stopping,
    Stopped,
    Failed,
    Modifying,
    Deleting,
    /// Any status this build does not know by name, kept verbatim.
    #[serde(untagged)]
    Other(String),
}

impl TaskStatus {
    pub fn parse(s: &str) -> TaskStatus {
        match s {
            "creating" => TaskStatus::Creating,
            "ready" => TaskStatus::Ready,
            "starting" => TaskStatus::Starting,
            "running" => TaskStatus::Running,
            "stopping" => TaskStatus::Stopping,
            "stopped" => TaskStatus::Stopped,
            "failed" => TaskStatus::Failed,
            "modifying" => TaskStatus::Modifying,
            "deleting" => TaskStatus::Deleting,
            other => TaskStatus::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TaskStatus::Creating => "creating",
            TaskStatus::Ready => "ready",
            TaskStatus::Starting => "starting",
            TaskStatus::Running => "running",
            TaskStatus::Stopping => "stopping",
            TaskStatus::Stopped => "stopped",
            TaskStatus::Failed => "failed",
            TaskStatus::Modifying => "modifying",
            TaskStatus::Deleting => "deleting",
            TaskStatus::Other(s) => s,
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ReplicationTaskStats`: how far the task got.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskProgress {
    pub full_load_percent: Option<i32>,
    pub tables_loaded: i32,
    pub tables_loading: i32,
    pub tables_queued: i32,
    pub tables_errored: i32,
    pub elapsed_ms: i64,
    pub fresh_start_date: Option<DateTime<Utc>>,
    pub start_date: Option<DateTime<Utc>>,
    pub stop_date: Option<DateTime<Utc>>,
    pub full_load_start_date: Option<DateTime<Utc>>,
    pub full_load_finish_date: Option<DateTime<Utc>>,
}

/// One row of `DescribeTableStatistics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableStats {
    pub schema: String,
    pub table: String,
    pub state: String,
    pub full_load_rows: i64,
    pub inserts: i64,
    pub updates: i64,
    pub deletes: i64,
    pub ddls: i64,
    /// Rows that failed during full load (`FullLoadErrorRows`).
    pub errors: i64,
    pub validation_state: String,
    pub last_update: Option<DateTime<Utc>>,
    /// Everything else `DescribeTableStatistics` reports, for the table
    /// detail view (flattened into the same JSON object).
    #[serde(flatten)]
    pub more: TableStatsMore,
}

/// The rest of a `TableStatistics` row: what the statistics table has no
/// column for but the table detail shows. Counters DMS may omit are
/// `Option`, so "not reported" never reads as zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableStatsMore {
    pub applied_inserts: Option<i64>,
    pub applied_updates: Option<i64>,
    pub applied_deletes: Option<i64>,
    pub applied_ddls: Option<i64>,
    /// `FullLoadCondtnlChkFailedRows`: rows skipped by a full-load filter
    /// condition check.
    pub full_load_condtnl_chk_failed_rows: i64,
    pub full_load_start: Option<DateTime<Utc>>,
    pub full_load_end: Option<DateTime<Utc>>,
    /// True when the table was reloaded, false when loaded by a full load.
    pub full_load_reloaded: Option<bool>,
    pub validation_pending_records: i64,
    pub validation_failed_records: i64,
    pub validation_suspended_records: i64,
    pub validation_state_details: Option<String>,
    pub resync_state: Option<String>,
    pub resync_rows_attempted: Option<i64>,
    pub resync_rows_succeeded: Option<i64>,
    pub resync_rows_failed: Option<i64>,
    pub resync_progress: Option<f64>,
    /// What the lab simulates for this table (absent on real DMS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulated: Option<String>,
}

/// A task's status and progress (`DescribeReplicationTasks`). Its table
/// statistics are a separate call ([`Replication::table_stats`](super::Replication::table_stats)),
/// so the status shows as soon as DMS answers, and a statistics failure
/// is its own error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSnapshot {
    pub role: TaskRole,
    /// The replication task identifier.
    pub id: String,
    pub arn: String,
    pub status: TaskStatus,
    /// `full-load`, `cdc` or `full-load-and-cdc`.
    pub migration_type: String,
    pub progress: TaskProgress,
    /// `StopReason`, e.g. `NORMAL`, `RECOVERABLE_ERROR`, `FATAL_ERROR`.
    pub stop_reason: Option<String>,
    pub last_failure: Option<String>,
    /// When the task was first started; `None` if it never ran, which is
    /// what tells `start-replication` from `resume-processing`.
    pub start_date: Option<DateTime<Utc>>,
    /// `RecoveryCheckpoint`: where CDC would resume; recorded in the audit
    /// log so a task can be restarted from an exact position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_checkpoint: Option<String>,
    /// `ControlTablesSettings.ControlSchema` of the task's settings: where
    /// DMS writes its control tables (the validation failures among them)
    /// on the target. `None` when the settings name none (the target
    /// engine's default applies) or the backend has no such setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_schema: Option<String>,
}

/// How a task is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartType {
    StartReplication,
    ResumeProcessing,
    ReloadTarget,
}

impl StartType {
    pub fn as_str(self) -> &'static str {
        match self {
            StartType::StartReplication => "start-replication",
            StartType::ResumeProcessing => "resume-processing",
            StartType::ReloadTarget => "reload-target",
        }
    }
}

impl fmt::Display for StartType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A start request: the type, and for a CDC task an optional start time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRequest {
    pub start_type: StartType,
    pub cdc_start_time: Option<DateTime<Utc>>,
}

/// The AWS account and principal the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}

/// One row of a heartbeat table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub site: String,
}

impl HeartbeatRow {
    /// Whether `other` is the same heartbeat: same id, same site and the
    /// same `last_update_dt` at the precision both engines keep. That is
    /// what "replicated" means (the other database holds a row that is
    /// `same_as` this one), and what every lag measurement pairs rows by.
    ///
    /// The precision is whole microseconds, truncated: PostgreSQL's
    /// `timestamp` keeps microseconds, the Oracle table is `TIMESTAMP(6)`
    /// (see `sql/oracle/02_heartbeat.sql`), the lab stores microseconds,
    /// and DMS copies a timestamp between them without rounding it further.
    /// A driver handing back nanoseconds (Oracle's `Timestamp` can) must
    /// not make a copy look different, so both sides are truncated, never
    /// rounded: rounding could carry one side into the next microsecond.
    /// The site is compared without trailing blanks (a `CHAR` column pads).
    pub fn same_as(&self, other: &HeartbeatRow) -> bool {
        self.id == other.id
            && self.site.trim_end() == other.site.trim_end()
            && micros(self.at) == micros(other.at)
    }
}

/// Microseconds since the epoch, truncated toward the past.
fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp()
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(at.timestamp_subsec_micros()))
}

/// One appmap item, with the original attribute names. All values are
/// strings, as the original scripts wrote them; anything else the item
/// carries is kept in `extra` so a flip can preserve it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppMapItem {
    pub site: String,
    pub dbengine: String,
    pub endpoint: String,
    pub port: String,
    pub dbname: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    /// What is wrong with the item as stored (an attribute missing or not
    /// a string, a site other than SITEA/SITEB, a second item for its
    /// site), when it is malformed. Such an item is shown, with this, and
    /// never routes a heartbeat or a flip (see [`super::routing`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl AppMapItem {
    /// A new item routing `site` to `db`, with no extra attributes: what
    /// the original scripts loaded.
    pub fn new(site: &str, db: &DatabaseRef) -> AppMapItem {
        AppMapItem {
            site: site.to_string(),
            dbengine: db.engine.as_str().to_string(),
            endpoint: db.endpoint.clone(),
            port: db.port.to_string(),
            dbname: db.dbname.clone(),
            username: db.username.clone(),
            extra: BTreeMap::new(),
            problem: None,
        }
    }

    /// The item as it should look when it points at `db`, extras kept.
    pub fn pointing_at(&self, db: &DatabaseRef) -> AppMapItem {
        AppMapItem {
            extra: self.extra.clone(),
            ..AppMapItem::new(&self.site, db)
        }
    }

    /// Which configured database the item names, matched on engine,
    /// endpoint, port and dbname (the username may differ per site).
    pub fn matches(&self, db: &DatabaseRef) -> bool {
        self.problem.is_none()
            && self.dbengine == db.engine.as_str()
            && self.endpoint == db.endpoint
            && self.port == db.port.to_string()
            && self.dbname == db.dbname
    }

    /// `engine endpoint:port/dbname`, for messages about unmatched items.
    pub fn describe(&self) -> String {
        format!(
            "{} {}:{}/{}",
            self.dbengine, self.endpoint, self.port, self.dbname
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, site: &str, at: &str) -> HeartbeatRow {
        HeartbeatRow {
            id,
            at: DateTime::parse_from_rfc3339(at).unwrap().to_utc(),
            site: site.into(),
        }
    }

    #[test]
    fn same_as_needs_id_site_and_time() {
        let a = row(7, "SITEA", "2026-11-27T10:00:03.123456Z");
        assert!(a.same_as(&a.clone()));
        assert!(!a.same_as(&row(8, "SITEA", "2026-11-27T10:00:03.123456Z")));
        assert!(!a.same_as(&row(7, "SITEB", "2026-11-27T10:00:03.123456Z")));
        assert!(!a.same_as(&row(7, "SITEA", "2026-11-27T10:00:03.123457Z")));
        assert!(!a.same_as(&row(7, "SITEA", "2026-11-27T10:00:04.123456Z")));
    }

    #[test]
    fn same_as_compares_whole_microseconds_truncated() {
        // Nanoseconds beyond the microsecond (a driver may hand them back)
        // do not matter; truncation never carries into the next microsecond.
        let micros = row(7, "SITEA", "2026-11-27T10:00:03.123456Z");
        assert!(micros.same_as(&row(7, "SITEA", "2026-11-27T10:00:03.123456999Z")));
        assert!(!micros.same_as(&row(7, "SITEA", "2026-11-27T10:00:03.123455999Z")));
        // A CHAR column pads the site with blanks.
        assert!(micros.same_as(&row(7, "SITEA   ", "2026-11-27T10:00:03.123456Z")));
        // Before the epoch the truncation still goes one way.
        let old = row(1, "SITEA", "1969-12-31T23:59:59.500000Z");
        assert!(old.same_as(&row(1, "SITEA", "1969-12-31T23:59:59.500000900Z")));
    }
}
