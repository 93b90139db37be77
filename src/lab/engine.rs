//! The simulated DMS's data plane: a background tokio task that, every
//! `apply_interval`, moves each task through its status transitions and
//! makes running tasks do their work: a full load one table at a time, then
//! change data capture in log order.
//!
//! Exactly once: a task's position in its source's change log and its
//! per-table counters live in the *target* database (as DMS keeps its
//! `awsdms_*` control tables there) and are updated in the same
//! transaction as the rows they describe. SQLite in WAL mode does not make
//! a transaction across two files atomic, so keeping them in `control.db`
//! could apply a batch twice after a crash.
//!
//! Loopback prevention: every apply transaction first writes the task's id
//! into the target's `awsdms_loopback_prevention` row; the capture triggers
//! copy that into the change log's `origin`, and a task only ships changes
//! whose origin is `app`. Other connections never see the flag set, since
//! SQLite lets one writer at a time and the flag is cleared before commit.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{AssertSqlSafe, Row};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::dms::{Dms, TABLE_BEFORE_LOAD, TABLE_COMPLETED, TABLE_FULL_LOAD, TaskRow, task_id};
use super::schema::{SCHEMA, TABLES, TableSpec, table};
use super::{clock, db_error};
use crate::backend::logs::Severity;
use crate::backend::{BackendError, BackendResult, StartType, TaskRole, TaskStatus};

/// Changes applied per tick and task: bounds how long one tick holds the
/// target's write lock.
const BATCH: i64 = 500;

/// Applied changes kept in each site's change log: the newest ones stay
/// readable (for a person looking at the lab's files, and for tests that
/// check how changes were marked); older applied ones are pruned.
const RETAIN: i64 = 1_000;

/// How often the engine looks at tasks that have nothing to do (none
/// starting, running or stopping). A start, stop or reload made by this
/// process wakes it at once; one made by another process on the same data
/// directory is seen within this. Ticking every `apply_interval` with
/// nothing to do was half of an idle lab's CPU (benches/live.sh idle).
pub(crate) const IDLE_TICK: Duration = Duration::from_secs(1);

/// Runs the engine until `shutdown` turns true. A tick in progress always
/// finishes, so no transaction is cut off halfway.
pub(crate) fn spawn(
    dms: Arc<Dms>,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let busy = dms.tick(&shutdown).await;
            let pause = if busy {
                interval
            } else {
                IDLE_TICK.max(interval)
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = dms.wake.notified() => {}
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
        }
    })
}

impl Dms {
    /// One step of each task; true when a task has something to do (it is
    /// starting, running or stopping, or could not be read).
    async fn tick(&self, shutdown: &watch::Receiver<bool>) -> bool {
        let mut busy = false;
        // Both tasks' rows in one read: most ticks have nothing else to do.
        let tasks = super::dms::read_tasks(&self.control).await;
        for (role, task) in [
            (TaskRole::Forward, tasks.forward),
            (TaskRole::Backward, tasks.backward),
        ] {
            let e = match self.step(task).await {
                Ok(active) => {
                    busy |= active;
                    continue;
                }
                Err(e) => e,
            };
            busy = true;
            if *shutdown.borrow() {
                return busy;
            }
            match e {
                // Busy files or a closing pool: try again next tick.
                BackendError::Unavailable(msg) => {
                    tracing::warn!(task = task_id(role), "lab engine will retry: {msg}");
                    self.log(
                        role,
                        Severity::Warning,
                        "TASK_MANAGER",
                        &format!("Will retry: {msg}"),
                    )
                    .await;
                }
                other => {
                    tracing::error!(task = task_id(role), "lab task failed: {other}");
                    if let Err(e) = self.fail(role, &other.to_string()).await {
                        tracing::error!(task = task_id(role), "could not record the failure: {e}");
                    }
                }
            }
        }
        busy
    }

    /// Moves the task on; true when it is starting, running or stopping.
    async fn step(&self, task: BackendResult<TaskRow>) -> BackendResult<bool> {
        let task = task?;
        let settled = (Utc::now() - task.status_since)
            .to_std()
            .is_ok_and(|age| age >= self.transition_delay);
        match task.status {
            TaskStatus::Starting if settled => self.begin_run(&task).await?,
            TaskStatus::Stopping if settled => self.finish_stop(&task).await?,
            TaskStatus::Running => self.work(&task).await?,
            TaskStatus::Starting | TaskStatus::Stopping => {}
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `starting` -> `running`: a fresh start (or reload) resets the
    /// target-side bookkeeping; a resume keeps it, so the backlog is applied
    /// from where the task stopped.
    async fn begin_run(&self, task: &TaskRow) -> BackendResult<()> {
        let start = task.pending_start.unwrap_or(StartType::StartReplication);
        let fresh = start != StartType::ResumeProcessing;
        if fresh {
            self.reset_target(task).await?;
        }
        let now = clock::now_text();
        let full_load_restarts = fresh && task.is_full_load();
        sqlx::query(
            "UPDATE tasks SET status = 'running', status_since = ?2, pending_start = NULL,
               last_start = ?2, first_start = COALESCE(first_start, ?2), stop_date = NULL,
               fresh_start = CASE WHEN ?3 THEN ?2 ELSE fresh_start END,
               run_ms_before = CASE WHEN ?3 THEN 0 ELSE run_ms_before END,
               full_load_start = CASE WHEN ?4 THEN ?2 ELSE full_load_start END
             WHERE role = ?1 AND status = 'starting'",
        )
        .bind(task.role.as_str())
        .bind(now)
        .bind(fresh)
        .bind(full_load_restarts)
        .execute(&self.control)
        .await
        .map_err(|e| db_error(&format!("starting {}", task.id), e))?;
        self.log(
            task.role,
            Severity::Info,
            "TASK_MANAGER",
            &format!(
                "Task '{}' running ({start}, {})",
                task.id, task.migration_type
            ),
        )
        .await;
        Ok(())
    }

    /// Starts the task's position at its source's current end of log and
    /// queues every table for a full load (or, for a cdc task, marks it
    /// completed: there is nothing to load).
    async fn reset_target(&self, task: &TaskRow) -> BackendResult<()> {
        let err = |e| db_error(&format!("preparing the target of {}", task.id), e);
        let source_end = log_end(&self.sites[task.role.source()])
            .await
            .map_err(err)?;
        let mut tx = self.sites[task.role.target()]
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(err)?;
        sqlx::query("DELETE FROM awsdms_apply_tables WHERE task = ?1")
            .bind(&task.id)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        let state = if task.is_full_load() {
            TABLE_BEFORE_LOAD
        } else {
            TABLE_COMPLETED
        };
        for t in &TABLES {
            sqlx::query("INSERT INTO awsdms_apply_tables (task, tbl, state) VALUES (?1, ?2, ?3)")
                .bind(&task.id)
                .bind(t.name)
                .bind(state)
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        }
        sqlx::query(
            "INSERT INTO awsdms_apply_position (task, last_seq) VALUES (?1, ?2)
             ON CONFLICT(task) DO UPDATE SET last_seq = excluded.last_seq",
        )
        .bind(&task.id)
        .bind(source_end)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn finish_stop(&self, task: &TaskRow) -> BackendResult<()> {
        let now = Utc::now();
        let ran = task
            .last_start
            .map_or(0, |s| (now - s).num_milliseconds().max(0));
        sqlx::query(
            "UPDATE tasks SET status = 'stopped', status_since = ?2, stop_date = ?2,
               stop_reason = 'NORMAL', run_ms_before = run_ms_before + ?3
             WHERE role = ?1 AND status = 'stopping'",
        )
        .bind(task.role.as_str())
        .bind(clock::to_text(now))
        .bind(ran)
        .execute(&self.control)
        .await
        .map_err(|e| db_error(&format!("stopping {}", task.id), e))?;
        self.log(
            task.role,
            Severity::Info,
            "TASK_MANAGER",
            &format!("Task '{}' stopped (stop reason NORMAL)", task.id),
        )
        .await;
        Ok(())
    }

    pub(crate) async fn fail(&self, role: TaskRole, message: &str) -> BackendResult<()> {
        sqlx::query(
            "UPDATE tasks SET status = 'failed', status_since = ?2, stop_date = ?2,
               stop_reason = 'FATAL_ERROR', last_failure = ?3
             WHERE role = ?1",
        )
        .bind(role.as_str())
        .bind(clock::now_text())
        .bind(message)
        .execute(&self.control)
        .await
        .map_err(|e| db_error(&format!("recording the failure of {}", task_id(role)), e))?;
        self.log(
            role,
            Severity::Error,
            "TASK_MANAGER",
            &format!("Task '{}' failed: {message}", task_id(role)),
        )
        .await;
        Ok(())
    }

    /// One tick of a running task: the next step of the full load if one
    /// is pending, else a batch of captured changes.
    async fn work(&self, task: &TaskRow) -> BackendResult<()> {
        let target = &self.sites[task.role.target()];
        let pending = sqlx::query(
            "SELECT tbl, state FROM awsdms_apply_tables WHERE task = ?1 AND state IN (?2, ?3)",
        )
        .bind(&task.id)
        .bind(TABLE_BEFORE_LOAD)
        .bind(TABLE_FULL_LOAD)
        .fetch_all(target)
        .await
        .map_err(|e| db_error(&format!("reading the load state of {}", task.id), e))?;
        let next = TABLES.iter().find_map(|spec| {
            pending
                .iter()
                .find(|r| r.get::<&str, _>("tbl") == spec.name)
                .map(|r| (spec, r.get::<String, _>("state")))
        });
        match next {
            // Two ticks per table, so the screen can show it loading.
            Some((spec, state)) if state == TABLE_BEFORE_LOAD => {
                self.set_table_state(task, spec, TABLE_BEFORE_LOAD, TABLE_FULL_LOAD)
                    .await?;
                self.log(
                    task.role,
                    Severity::Info,
                    "SOURCE_UNLOAD",
                    &format!("Unload of table '{SCHEMA}'.'{}' started", spec.name),
                )
                .await;
                Ok(())
            }
            Some((spec, _)) => self.load_table(task, spec).await,
            None => {
                self.apply_changes(task).await?;
                self.validate_due(task).await
            }
        }
    }

    async fn set_table_state(
        &self,
        task: &TaskRow,
        spec: &TableSpec,
        from: &str,
        to: &str,
    ) -> BackendResult<()> {
        sqlx::query(
            "UPDATE awsdms_apply_tables SET state = ?4, last_update = ?5,
               load_started = CASE WHEN ?4 = 'Full load' THEN ?5 ELSE load_started END
             WHERE task = ?1 AND tbl = ?2 AND state = ?3",
        )
        .bind(&task.id)
        .bind(spec.name)
        .bind(from)
        .bind(to)
        .bind(clock::now_text())
        .execute(&self.sites[task.role.target()])
        .await
        .map_err(|e| db_error(&format!("updating the load state of {}", task.id), e))?;
        Ok(())
    }

    /// Copies one table from a consistent snapshot of the source and
    /// remembers the log position of that snapshot, so the change apply
    /// that follows skips exactly the changes the copy already contains.
    async fn load_table(&self, task: &TaskRow, spec: &TableSpec) -> BackendResult<()> {
        let err = |e| db_error(&format!("full load of {} by {}", spec.name, task.id), e);
        let mut tx = self.sites[task.role.target()]
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(err)?;
        let state: Option<String> = sqlx::query_scalar(
            "SELECT state FROM awsdms_apply_tables WHERE task = ?1 AND tbl = ?2",
        )
        .bind(&task.id)
        .bind(spec.name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(err)?;
        if state.as_deref() != Some(TABLE_FULL_LOAD) {
            // Another engine on the same directory got there first.
            return Ok(());
        }
        let (snapshot_end, rows) = snapshot(&self.sites[task.role.source()], spec)
            .await
            .map_err(err)?;
        set_loopback(&mut tx, Some(&task.id)).await.map_err(err)?;
        sqlx::raw_sql(AssertSqlSafe(format!("DELETE FROM {}", spec.name)))
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        let upsert = spec.upsert_sql();
        for row in &rows {
            sqlx::query(AssertSqlSafe(upsert.as_str()))
                .bind(row)
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        }
        sqlx::query(
            "UPDATE awsdms_apply_tables SET state = ?3, loaded_seq = ?4, full_load_rows = ?5,
               last_update = ?6, loaded_at = ?6 WHERE task = ?1 AND tbl = ?2",
        )
        .bind(&task.id)
        .bind(spec.name)
        .bind(TABLE_COMPLETED)
        .bind(snapshot_end)
        .bind(rows.len() as i64)
        .bind(clock::now_text())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        set_loopback(&mut tx, None).await.map_err(err)?;
        tx.commit().await.map_err(err)?;
        self.log(
            task.role,
            Severity::Info,
            "TARGET_LOAD",
            &format!(
                "Load finished for table '{SCHEMA}'.'{}'. {} rows received",
                spec.name,
                rows.len()
            ),
        )
        .await;
        Ok(())
    }

    /// Applies the next batch of the source's change log, in order, in one
    /// target transaction that also advances the position and the counters.
    async fn apply_changes(&self, task: &TaskRow) -> BackendResult<()> {
        let err = |e| db_error(&format!("applying changes by {}", task.id), e);
        let mut tx = self.sites[task.role.target()]
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(err)?;
        let position: Option<i64> =
            sqlx::query_scalar("SELECT last_seq FROM awsdms_apply_position WHERE task = ?1")
                .bind(&task.id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(err)?;
        let Some(position) = position else {
            return Err(BackendError::Malformed(format!(
                "{} is running but has no position in its target: start it again with start-replication",
                task.id
            ).into()));
        };
        let changes = sqlx::query(
            "SELECT seq, tbl, op, pk, row_json, origin, captured_at FROM dms_changes
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )
        .bind(position)
        .bind(BATCH)
        .fetch_all(&self.sites[task.role.source()])
        .await
        .map_err(err)?;
        // `--apply-delay`: stop at the first change that is not due yet, so
        // the order of the log is kept.
        let due = Utc::now() - chrono::TimeDelta::from_std(self.apply_delay).unwrap_or_default();
        let due_count = changes
            .iter()
            .take_while(|c| {
                clock::parse(c.get::<&str, _>("captured_at")).map_or(true, |at| at <= due)
            })
            .count();
        let changes = &changes[..due_count];
        let Some(last) = changes.last().map(|c| c.get::<i64, _>("seq")) else {
            return Ok(());
        };
        let loaded: BTreeMap<String, i64> =
            sqlx::query("SELECT tbl, loaded_seq FROM awsdms_apply_tables WHERE task = ?1")
                .bind(&task.id)
                .fetch_all(&mut *tx)
                .await
                .map_err(err)?
                .iter()
                .map(|r| (r.get("tbl"), r.get("loaded_seq")))
                .collect();
        set_loopback(&mut tx, Some(&task.id)).await.map_err(err)?;
        // (inserts, updates, deletes) per table.
        let mut counts: BTreeMap<&'static str, [i64; 3]> = BTreeMap::new();
        for c in changes {
            let seq: i64 = c.get("seq");
            let origin: &str = c.get("origin");
            let tbl: &str = c.get("tbl");
            if origin != "app" {
                // Applied by a task: sending it back would be an echo.
                continue;
            }
            let spec = table(tbl).ok_or_else(|| {
                BackendError::Malformed(
                    format!(
                        "change {seq} in the source log of {} names unknown table `{tbl}`",
                        task.id
                    )
                    .into(),
                )
            })?;
            if loaded.get(tbl).is_some_and(|&snap| seq <= snap) {
                continue; // already in this table's full-load snapshot
            }
            let op: &str = c.get("op");
            let slot = match op {
                "I" | "U" => {
                    let row: Option<String> = c.get("row_json");
                    sqlx::query(AssertSqlSafe(spec.upsert_sql()))
                        .bind(row)
                        .execute(&mut *tx)
                        .await
                        .map_err(err)?;
                    usize::from(op == "U")
                }
                _ => {
                    sqlx::query(AssertSqlSafe(spec.delete_sql()))
                        .bind(c.get::<i64, _>("pk"))
                        .execute(&mut *tx)
                        .await
                        .map_err(err)?;
                    2
                }
            };
            counts.entry(spec.name).or_default()[slot] += 1;
        }
        let now = clock::now_text();
        for (tbl, [ins, upd, del]) in counts {
            sqlx::query(
                "UPDATE awsdms_apply_tables SET inserts = inserts + ?3, updates = updates + ?4,
                   deletes = deletes + ?5, last_update = ?6 WHERE task = ?1 AND tbl = ?2",
            )
            .bind(&task.id)
            .bind(tbl)
            .bind(ins)
            .bind(upd)
            .bind(del)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        }
        sqlx::query("UPDATE awsdms_apply_position SET last_seq = ?2 WHERE task = ?1")
            .bind(&task.id)
            .bind(last)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        set_loopback(&mut tx, None).await.map_err(err)?;
        tx.commit().await.map_err(err)?;
        self.prune(task).await
    }

    /// Deletes the changes of the task's source log that it has applied
    /// (at or below its committed position), so the log stays bounded
    /// however long the lab runs with traffic: at most [`RETAIN`] rows plus
    /// what is not applied yet. Kept: the newest [`RETAIN`] changes (which
    /// also keeps `MAX(seq)`, where a new start's snapshot begins), and
    /// changes the task's table validation still counts as pending (above
    /// the lowest `validated_seq`). Each site's
    /// log is read by one task only (the one whose source it is), and a
    /// resume continues after the position, a new start after the end of
    /// the log: an applied change is never read again.
    async fn prune(&self, task: &TaskRow) -> BackendResult<()> {
        let err = |e| db_error(&format!("pruning the change log read by {}", task.id), e);
        let target = &self.sites[task.role.target()];
        let position: Option<i64> =
            sqlx::query_scalar("SELECT last_seq FROM awsdms_apply_position WHERE task = ?1")
                .bind(&task.id)
                .fetch_optional(target)
                .await
                .map_err(err)?;
        let Some(mut floor) = position else {
            return Ok(());
        };
        let validation: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'awsdms_validation_tables'",
        )
        .fetch_one(target)
        .await
        .map_err(err)?;
        if validation > 0 {
            let validated: Option<i64> = sqlx::query_scalar(
                "SELECT MIN(validated_seq) FROM awsdms_validation_tables WHERE task = ?1",
            )
            .bind(&task.id)
            .fetch_one(target)
            .await
            .map_err(err)?;
            floor = floor.min(validated.unwrap_or(floor));
        }
        sqlx::query(
            "DELETE FROM dms_changes WHERE seq <= ?1
               AND seq <= (SELECT MAX(seq) FROM dms_changes) - ?2",
        )
        .bind(floor)
        .bind(RETAIN)
        .execute(&self.sites[task.role.source()])
        .await
        .map_err(err)?;
        Ok(())
    }
}

async fn set_loopback(conn: &mut SqliteConnection, task: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("UPDATE awsdms_loopback_prevention SET applying_task = ?1 WHERE id = 1")
        .bind(task)
        .execute(conn)
        .await
        .map(drop)
}

/// The last sequence number in a site's change log (0 when empty).
pub(crate) async fn log_end(pool: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM dms_changes")
        .fetch_one(pool)
        .await
}

/// Every row of `spec` as JSON plus the log position they correspond to,
/// read in one transaction so both come from the same snapshot.
async fn snapshot(pool: &SqlitePool, spec: &TableSpec) -> sqlx::Result<(i64, Vec<String>)> {
    let mut tx = pool.begin().await?;
    let end: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM dms_changes")
        .fetch_one(&mut *tx)
        .await?;
    let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT {} FROM {} ORDER BY {}",
        spec.json_object(""),
        spec.name,
        spec.pk
    )))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((end, rows))
}
