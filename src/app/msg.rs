//! Messages into `update` from the runtime and backends, and the commands
//! `update` asks the runtime to run.

use chrono::{DateTime, Utc};

use super::Action;
use crate::backend::logs::{LogBatch, LogQuery};
use crate::backend::ops::{Mutation, Reread};
use crate::backend::validation::FailuresOf;
use crate::backend::{
    AppMapItem, BackendError, CallerIdentity, DbSide, HeartbeatRow, ReloadOption, Site,
    StartRequest, TableRef, TableStats, TaskRole, TaskSnapshot,
};

/// A result or a clock tick, carrying its data: the app never reads state a
/// background task mutates.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The refresh clock: polls whatever is due and not in flight.
    Tick,
    Task(TaskRole, Result<TaskSnapshot, BackendError>),
    Tables(TaskRole, Result<Vec<TableStats>, BackendError>),
    /// The task's validation failures, read on its target database.
    Validation(
        TaskRole,
        Result<crate::backend::validation::ValidationSummary, BackendError>,
    ),
    Heartbeats(DbSide, Result<Vec<HeartbeatRow>, BackendError>),
    /// What `db.other()` holds of the ids asked for (those shown for `db`).
    Replicas(DbSide, Vec<i64>, Result<Vec<HeartbeatRow>, BackendError>),
    AppMap(Result<Vec<AppMapItem>, BackendError>),
    Identity(Result<CallerIdentity, BackendError>),
    /// The door check's findings (`Command::FetchDoor`).
    Door(Result<Vec<crate::doctor::Finding>, BackendError>),
    Started(TaskRole, StartRequest, Result<(), BackendError>),
    Stopped(TaskRole, Result<(), BackendError>),
    HeartbeatInserted(Site, Result<(DbSide, HeartbeatRow), BackendError>),
    Flipped(Site, Result<(AppMapItem, DbSide), BackendError>),
    /// An audit line was written, or why not.
    Audited(Result<(), String>),
    /// DMS's own latency of a task (CloudWatch).
    Latency(TaskRole, Result<crate::backend::CdcLatency, BackendError>),
    /// The lag meter's clock (every `[lag] poll`).
    LagTick,
    /// An automatic heartbeat as `Site` went into a database; the time is
    /// when its insert returned, on the cockpit's clock.
    LagWritten(
        Site,
        Result<(DbSide, HeartbeatRow, DateTime<Utc>), BackendError>,
    ),
    /// Rows of the given ids read from a database, and when the read
    /// returned.
    LagSeen(
        DbSide,
        Result<(Vec<HeartbeatRow>, DateTime<Utc>), BackendError>,
    ),
    TablesReloaded(
        TaskRole,
        Vec<TableRef>,
        ReloadOption,
        Result<(), BackendError>,
    ),
    /// A copy was written to the terminal (the event log already says so).
    Copied,
    /// Log lines read for the query that asked for them.
    Logs(TaskRole, LogQuery, Result<LogBatch, BackendError>),
    /// The appmap re-read before a confirmed flip whose data was old.
    FlipReread(Site, Result<Vec<AppMapItem>, BackendError>),
    /// What reading back a change with an unknown outcome found.
    Reread(Mutation, Result<Reread, BackendError>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Action(Action),
    /// Boxed: a task snapshot is large and actions are tiny.
    Msg(Box<Msg>),
}

impl From<Action> for Input {
    fn from(a: Action) -> Self {
        Input::Action(a)
    }
}

impl From<Msg> for Input {
    fn from(m: Msg) -> Self {
        Input::Msg(Box::new(m))
    }
}

/// Work for the runtime: each becomes one spawned backend call whose
/// result comes back as a [`Msg`].
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    FetchTask(TaskRole),
    FetchTables(TaskRole),
    /// Read the validation failures of a task on its target database, in
    /// the control schema its settings name (asked once the task is
    /// described).
    FetchValidation(TaskRole, FailuresOf),
    FetchHeartbeats(DbSide),
    /// Ask the other database of `DbSide` for exactly these ids (the rows
    /// shown for `DbSide`), to tell which are replicated.
    FetchReplicas(DbSide, Vec<i64>),
    FetchAppMap,
    FetchIdentity,
    /// Read the pair and run the door check (once, and again on `r`).
    FetchDoor,
    StartTask(TaskRole, StartRequest),
    StopTask(TaskRole),
    InsertHeartbeat(Site),
    /// Flip `site`, conditional on the item the operator confirmed.
    Flip(Site, AppMapItem),
    /// Read DMS's own latency of a task (CloudWatch).
    FetchLatency(TaskRole),
    /// Append a line to the audit log.
    Audit(Box<super::audit::AuditRecord>),
    /// An automatic heartbeat as a site, wherever the appmap routes it.
    LagWrite(Site),
    /// Look for these heartbeat ids in a database.
    LagLook(DbSide, Vec<i64>),
    ReloadTables(TaskRole, Vec<TableRef>, ReloadOption),
    FetchLogs(TaskRole, LogQuery),
    /// Put this text on the clipboard: the runtime writes it to the
    /// terminal as OSC 52 (no backend involved).
    Copy(String),
    /// Read the appmap afresh before flipping `site`: the confirmed item
    /// was older than one refresh interval.
    RereadForFlip(Site),
    /// Read back what a change whose outcome is unknown is about.
    Reread(Mutation),
}

/// When a message or action was handled; `update` stamps data with it.
pub type Now = DateTime<Utc>;
