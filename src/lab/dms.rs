//! The simulated DMS's control plane: the two tasks' state in `control.db`,
//! the `Replication` port over it (describe with real table statistics,
//! start, stop), and the checks AWS makes before a start or stop. The data
//! plane (full load, change apply) is in `engine.rs`.
//!
//! `StartRequest::cdc_start_time` is accepted and ignored: the lab's
//! backward task always starts from site B's current change position, which
//! is what a correctly chosen `CdcStartTime` achieves in AWS.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::SqliteExecutor;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};

use super::schema::{SCHEMA, TABLES};
use super::{clock, db_error};
use crate::backend::coalesce::Coalesce;
use crate::backend::{
    BackendError, BackendResult, PerDb, PerTask, ReloadOption, Replication, StartRequest,
    StartType, TableRef, TableStats, TableStatsMore, TaskProgress, TaskRole, TaskSnapshot,
    TaskStatus,
};

pub(crate) const FULL_LOAD_AND_CDC: &str = "full-load-and-cdc";
pub(crate) const CDC: &str = "cdc";
pub(crate) const TABLE_BEFORE_LOAD: &str = "Before load";
pub(crate) const TABLE_FULL_LOAD: &str = "Full load";
pub(crate) const TABLE_COMPLETED: &str = "Table completed";
pub(crate) const TABLE_ERROR: &str = "Table error";
pub(crate) const TABLE_RELOADING: &str = "Table is being reloaded";

pub(crate) fn task_id(role: TaskRole) -> &'static str {
    match role {
        TaskRole::Forward => "lab-forward",
        TaskRole::Backward => "lab-backward",
    }
}

fn migration_type(role: TaskRole) -> &'static str {
    // At most one task of a bidirectional pair may do a full load.
    match role {
        TaskRole::Forward => FULL_LOAD_AND_CDC,
        TaskRole::Backward => CDC,
    }
}

pub(crate) async fn seed_tasks(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    for role in TaskRole::ALL {
        let id = task_id(role);
        sqlx::query(
            "INSERT INTO tasks (role, id, arn, migration_type, status, status_since)
             VALUES (?1, ?2, ?3, ?4, 'ready', ?5)",
        )
        .bind(role.as_str())
        .bind(id)
        .bind(format!("arn:aws:dms:lab:000000000000:task:{id}"))
        .bind(migration_type(role))
        .bind(clock::now_text())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What the lab does for one table of `role`'s task, in words, for the
/// table detail: the screen must never pass the lab off as DMS.
fn simulated(role: TaskRole, table: &str, validates: bool) -> String {
    let (from, to) = (role.source(), role.target());
    let validation = if validates {
        format!(
            "Validation compares every row of site {from} with site {to} by key once loaded, after \
             changes and on validate-only, and records differences in awsdms_validation_failures_v1 \
             of site {to}."
        )
    } else {
        format!("No data validation (turn it on with `dms-cockpit lab --validate {role}`).")
    };
    format!(
        "lab: the simulated DMS copies {SCHEMA}.{table} from SQLite site {from} to site {to}: \
         a full load from one consistent snapshot, then the change log captured by triggers, \
         applied in order, exactly once; the counters are kept in site {to} in the same \
         transaction as the rows they count. {validation} No DDL, no LOB handling."
    )
}

/// One row of `tasks`, parsed.
#[derive(Debug, Clone)]
pub(crate) struct TaskRow {
    pub role: TaskRole,
    pub id: String,
    pub arn: String,
    pub migration_type: String,
    pub status: TaskStatus,
    pub status_since: DateTime<Utc>,
    pub pending_start: Option<StartType>,
    pub stop_reason: Option<String>,
    pub last_failure: Option<String>,
    pub first_start: Option<DateTime<Utc>>,
    pub fresh_start: Option<DateTime<Utc>>,
    pub last_start: Option<DateTime<Utc>>,
    pub stop_date: Option<DateTime<Utc>>,
    pub full_load_start: Option<DateTime<Utc>>,
    pub run_ms_before: i64,
}

impl TaskRow {
    pub fn is_full_load(&self) -> bool {
        self.migration_type == FULL_LOAD_AND_CDC
    }

    fn parse(role: TaskRole, r: &SqliteRow) -> Result<TaskRow, String> {
        let pending: Option<String> = r.get("pending_start");
        let pending_start = match pending.as_deref() {
            None => None,
            Some("start-replication") => Some(StartType::StartReplication),
            Some("resume-processing") => Some(StartType::ResumeProcessing),
            Some("reload-target") => Some(StartType::ReloadTarget),
            Some(other) => return Err(format!("unknown pending start type `{other}`")),
        };
        Ok(TaskRow {
            role,
            id: r.get("id"),
            arn: r.get("arn"),
            migration_type: r.get("migration_type"),
            status: TaskStatus::parse(r.get::<&str, _>("status")),
            status_since: clock::parse(r.get::<&str, _>("status_since"))?,
            pending_start,
            stop_reason: r.get("stop_reason"),
            last_failure: r.get("last_failure"),
            first_start: clock::parse_opt(r.get("first_start"))?,
            fresh_start: clock::parse_opt(r.get("fresh_start"))?,
            last_start: clock::parse_opt(r.get("last_start"))?,
            stop_date: clock::parse_opt(r.get("stop_date"))?,
            full_load_start: clock::parse_opt(r.get("full_load_start"))?,
            run_ms_before: r.get("run_ms_before"),
        })
    }

    /// Milliseconds the task has been running, over all its runs.
    fn elapsed_ms(&self, now: DateTime<Utc>) -> i64 {
        let current = match (&self.status, self.last_start) {
            (TaskStatus::Running | TaskStatus::Stopping, Some(start)) => {
                (now - start).num_milliseconds().max(0)
            }
            _ => 0,
        };
        self.run_ms_before + current
    }
}

async fn read_task<'e>(exec: impl SqliteExecutor<'e>, role: TaskRole) -> BackendResult<TaskRow> {
    let row = sqlx::query("SELECT * FROM tasks WHERE role = ?1")
        .bind(role.as_str())
        .fetch_optional(exec)
        .await
        .map_err(|e| db_error(&format!("reading lab task {}", task_id(role)), e))?;
    task_row(role, row.as_ref())
}

/// Both tasks with one query (the engine's tick).
pub(crate) async fn read_tasks(control: &SqlitePool) -> PerTask<BackendResult<TaskRow>> {
    match sqlx::query("SELECT * FROM tasks").fetch_all(control).await {
        Ok(rows) => PerTask::new(|role| {
            let row = rows
                .iter()
                .find(|r| r.try_get::<String, _>("role").ok().as_deref() == Some(role.as_str()));
            task_row(role, row)
        }),
        Err(e) => {
            let e = db_error("reading the lab tasks", e);
            PerTask::new(|_| Err(e.clone()))
        }
    }
}

fn task_row(role: TaskRole, row: Option<&SqliteRow>) -> BackendResult<TaskRow> {
    let row = row.ok_or_else(|| {
        BackendError::NotFound(format!(
            "lab task {} is missing from control.db: the lab data directory was edited by hand; create a new one",
            task_id(role)
        ).into())
    })?;
    TaskRow::parse(role, row).map_err(|e| {
        BackendError::Malformed(format!("lab task {} in control.db: {e}", task_id(role)).into())
    })
}

/// The simulated DMS: where the tasks' state lives and which site database
/// each task reads from and writes to.
pub(crate) struct Dms {
    pub control: SqlitePool,
    pub sites: PerDb<SqlitePool>,
    pub transition_delay: Duration,
    /// Changes younger than this are left for a later tick.
    pub apply_delay: Duration,
    /// Wakes an idle engine at once when this process starts, stops or
    /// reloads a task (see `engine::IDLE_TICK`).
    pub wake: tokio::sync::Notify,
    /// A task's status and its table panel both read the table
    /// statistics: reads in flight together share one.
    pub stats_now: PerTask<Coalesce<BackendResult<Stats>>>,
    /// Whether a task validates: on for good once on, and read once a
    /// moment while off (see [`Dms::validates`]).
    pub validating: PerTask<AtomicBool>,
    pub validates_now: PerTask<Coalesce<BackendResult<bool>>>,
}

/// A task's table statistics and when its full load finished.
pub(crate) type Stats = (Vec<TableStats>, Option<DateTime<Utc>>);

impl Dms {
    pub(crate) async fn load_task(&self, role: TaskRole) -> BackendResult<TaskRow> {
        read_task(&self.control, role).await
    }

    /// Per-table statistics as the task's apply bookkeeping in the target
    /// database records them: the same transaction that applied the rows
    /// counted them, so the numbers are what actually happened.
    /// Also returns when the full load finished: the last table's load
    /// time once every table is loaded, read from the same rows so the
    /// percentage and the date never disagree.
    async fn table_stats(&self, role: TaskRole) -> BackendResult<Stats> {
        let rows = sqlx::query(
            "SELECT tbl, state, full_load_rows, inserts, updates, deletes, ddls, errors,
                    last_update, loaded_at, load_started, reloaded
             FROM awsdms_apply_tables WHERE task = ?1",
        )
        .bind(task_id(role))
        .fetch_all(&self.sites[role.target()])
        .await
        .map_err(|e| db_error(&format!("reading table statistics of {}", task_id(role)), e))?;
        let malformed = |e: String| {
            BackendError::Malformed(format!("table statistics of {}: {e}", task_id(role)).into())
        };
        let validates = self.validates(role).await?;
        let validation = if validates {
            self.validation_rows(role).await?
        } else {
            Default::default()
        };
        let mut stats = Vec::with_capacity(rows.len());
        let mut finished = None;
        let mut all_loaded = !rows.is_empty();
        for r in &rows {
            let loaded_at = clock::parse_opt(r.get("loaded_at")).map_err(malformed)?;
            match loaded_at {
                Some(at) => finished = finished.max(Some(at)),
                None => all_loaded = false,
            }
            let tbl: String = r.get("tbl");
            let (inserts, updates, deletes, ddls): (i64, i64, i64, i64) = (
                r.get("inserts"),
                r.get("updates"),
                r.get("deletes"),
                r.get("ddls"),
            );
            let reloaded: bool = r.get("reloaded");
            let state: String = r.get("state");
            // DMS's own word for a table loading again after ReloadTables.
            let state = if reloaded && (state == TABLE_BEFORE_LOAD || state == TABLE_FULL_LOAD) {
                TABLE_RELOADING.to_string()
            } else {
                state
            };
            let checked = validation.get(&tbl);
            stats.push(TableStats {
                schema: SCHEMA.to_string(),
                state,
                full_load_rows: r.get("full_load_rows"),
                inserts,
                updates,
                deletes,
                ddls,
                errors: r.get("errors"),
                validation_state: checked.map_or_else(
                    || super::validation::NOT_ENABLED.to_string(),
                    |v| v.state.clone(),
                ),
                last_update: clock::parse_opt(r.get("last_update")).map_err(malformed)?,
                more: TableStatsMore {
                    // The lab applies exactly what it captured, in the
                    // same transaction that counts it.
                    applied_inserts: Some(inserts),
                    applied_updates: Some(updates),
                    applied_deletes: Some(deletes),
                    applied_ddls: Some(ddls),
                    full_load_start: clock::parse_opt(r.get("load_started")).map_err(malformed)?,
                    full_load_end: loaded_at,
                    full_load_reloaded: loaded_at.map(|_| reloaded),
                    validation_pending_records: checked.map_or(0, |v| v.pending),
                    validation_failed_records: checked.map_or(0, |v| v.failed),
                    validation_state_details: checked.and_then(|v| v.details.clone()),
                    simulated: Some(simulated(role, &tbl, validates)),
                    ..TableStatsMore::default()
                },
                table: tbl,
            });
        }
        let rank = |t: &TableStats| TABLES.iter().position(|s| s.name == t.table);
        stats.sort_by_key(rank);
        Ok((stats, finished.filter(|_| all_loaded)))
    }

    /// The task's status and progress. Progress is counted from the same
    /// bookkeeping rows as the table statistics, read here on their own.
    async fn snapshot(&self, role: TaskRole, stats: Stats) -> BackendResult<TaskSnapshot> {
        let task = self.load_task(role).await?;
        let (tables, full_load_finish) = stats;
        // The lab's CDC position: the last change of the source applied.
        let position: Option<i64> =
            sqlx::query_scalar("SELECT last_seq FROM awsdms_apply_position WHERE task = ?1")
                .bind(task_id(role))
                .fetch_optional(&self.sites[role.target()])
                .await
                .map_err(|e| db_error(&format!("reading the position of {}", task_id(role)), e))?;
        let count = |state: &str| tables.iter().filter(|t| t.state == state).count() as i32;
        let reloading = count(TABLE_RELOADING);
        let loaded = count(TABLE_COMPLETED);
        let full_load_percent = (task.is_full_load() && task.first_start.is_some()).then(|| {
            if tables.is_empty() {
                0
            } else {
                loaded * 100 / tables.len() as i32
            }
        });
        let progress = TaskProgress {
            full_load_percent,
            tables_loaded: loaded,
            tables_loading: count(TABLE_FULL_LOAD) + reloading,
            tables_queued: count(TABLE_BEFORE_LOAD),
            tables_errored: count(TABLE_ERROR),
            elapsed_ms: task.elapsed_ms(Utc::now()),
            fresh_start_date: task.fresh_start,
            start_date: task.last_start,
            stop_date: task.stop_date,
            full_load_start_date: task.full_load_start,
            full_load_finish_date: full_load_finish,
        };
        Ok(TaskSnapshot {
            role,
            id: task.id,
            arn: task.arn,
            status: task.status,
            migration_type: task.migration_type,
            progress,
            stop_reason: task.stop_reason,
            last_failure: task.last_failure,
            start_date: task.first_start,
            recovery_checkpoint: position.map(|p| format!("lab:{}:seq:{p}", role.source())),
            control_schema: None,
        })
    }

    async fn request_start(&self, role: TaskRole, request: StartRequest) -> BackendResult<()> {
        let err = |e| db_error(&format!("starting lab task {}", task_id(role)), e);
        let mut tx = self
            .control
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(err)?;
        let task = read_task(&mut *tx, role).await?;
        match task.status {
            TaskStatus::Ready | TaskStatus::Stopped | TaskStatus::Failed => {}
            TaskStatus::Running => {
                return Err(BackendError::InvalidState(
                    format!(
                        "lab task {} is already running: stop it before starting it again",
                        task.id
                    )
                    .into(),
                ));
            }
            other => {
                return Err(BackendError::InvalidState(format!(
                    "lab task {} is {other}: wait until it is ready, stopped or failed, then start it",
                    task.id
                ).into()));
            }
        }
        match request.start_type {
            StartType::ResumeProcessing if task.first_start.is_none() => {
                return Err(BackendError::InvalidState(format!(
                    "lab task {} has never run, so there is nothing to resume: start it with start-replication",
                    task.id
                ).into()));
            }
            StartType::ReloadTarget if !task.is_full_load() => {
                return Err(BackendError::InvalidState(format!(
                    "lab task {} is a {} task: reload-target needs a full-load task; use start-replication or resume-processing",
                    task.id, task.migration_type
                ).into()));
            }
            _ => {}
        }
        if request.cdc_start_time.is_some() {
            tracing::info!(
                task = task.id,
                "the lab ignores CdcStartTime: a cdc task starts from its source's current change position"
            );
        }
        sqlx::query(
            "UPDATE tasks SET status = 'starting', status_since = ?2, pending_start = ?3,
             stop_reason = NULL, last_failure = NULL WHERE role = ?1",
        )
        .bind(role.as_str())
        .bind(clock::now_text())
        .bind(request.start_type.as_str())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn request_stop(&self, role: TaskRole) -> BackendResult<()> {
        let err = |e| db_error(&format!("stopping lab task {}", task_id(role)), e);
        let mut tx = self
            .control
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(err)?;
        let task = read_task(&mut *tx, role).await?;
        if task.status != TaskStatus::Running {
            return Err(BackendError::InvalidState(
                format!(
                    "lab task {} is {}, not running: there is nothing to stop",
                    task.id, task.status
                )
                .into(),
            ));
        }
        sqlx::query("UPDATE tasks SET status = 'stopping', status_since = ?2 WHERE role = ?1")
            .bind(role.as_str())
            .bind(clock::now_text())
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)
    }
}

/// [`Replication`] over the simulated DMS.
pub(crate) struct LabReplication {
    pub(crate) dms: std::sync::Arc<Dms>,
}

impl LabReplication {
    /// The task's table statistics, shared by reads in flight together.
    async fn stats(&self, role: TaskRole) -> BackendResult<Stats> {
        let dms = self.dms.clone();
        self.dms.stats_now[role]
            .run(move || async move { dms.table_stats(role).await })
            .await
    }

    /// After a change: wake the engine, and let nothing read before it
    /// answer a read made after it.
    fn changed(&self, role: TaskRole) {
        self.dms.stats_now[role].forget();
        self.dms.wake.notify_one();
    }
}

#[async_trait]
impl Replication for LabReplication {
    async fn describe(&self, role: TaskRole) -> BackendResult<TaskSnapshot> {
        let stats = self.stats(role).await?;
        self.dms.snapshot(role, stats).await
    }

    async fn table_stats(&self, role: TaskRole) -> BackendResult<Vec<TableStats>> {
        // The lab reads its statistics from the bookkeeping rows; the task
        // row is read first so an unknown task fails the same way here.
        // Both at once, so the read of the statistics is shared with the
        // status's (see `stats`).
        let (task, stats) = tokio::join!(self.dms.load_task(role), self.stats(role));
        task?;
        Ok(stats?.0)
    }

    async fn start(&self, role: TaskRole, request: StartRequest) -> BackendResult<()> {
        self.dms.request_start(role, request).await?;
        self.changed(role);
        Ok(())
    }

    async fn stop(&self, role: TaskRole) -> BackendResult<()> {
        self.dms.request_stop(role).await?;
        self.changed(role);
        Ok(())
    }

    async fn reload_tables(
        &self,
        role: TaskRole,
        tables: &[TableRef],
        option: ReloadOption,
    ) -> BackendResult<()> {
        self.dms.reload_tables(role, tables, option).await?;
        self.changed(role);
        Ok(())
    }
}
