//! The lab's task logs: the simulated DMS writes lines about what it does
//! (task start, each table's full load, reloads, retries, errors, stop) in
//! DMS's own format into `control.db`, and [`LabTaskLogs`] reads them
//! through the same [`TaskLogs`] port as CloudWatch Logs, so the logs view
//! and `dms-cockpit logs` work with no AWS.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;
use sqlx::sqlite::SqlitePool;

use super::dms::{Dms, task_id};
use super::{clock, db_error};
use crate::backend::logs::{LogBatch, LogLine, LogQuery, Severity, TaskLogs};
use crate::backend::{BackendError, BackendResult, TaskRole};

impl Dms {
    /// Writes one log line for `role`'s task, as DMS formats it:
    /// `2026-11-27T10:00:00 [TASK_MANAGER    ]I:  message`. A line that
    /// cannot be written is reported in the cockpit's own log file and does
    /// not stop the task: DMS does not stop for its log either.
    pub(crate) async fn log(
        &self,
        role: TaskRole,
        severity: Severity,
        component: &str,
        message: &str,
    ) {
        let now = Utc::now();
        let text = format!(
            "{} [{component:<16}]{}  {message}",
            now.format("%Y-%m-%dT%H:%M:%S"),
            severity.symbol()
        );
        let result =
            sqlx::query("INSERT INTO task_log (task, at, severity, text) VALUES (?1, ?2, ?3, ?4)")
                .bind(task_id(role))
                .bind(clock::to_text(now))
                .bind(severity.as_str())
                .bind(text)
                .execute(&self.control)
                .await;
        if let Err(e) = result {
            tracing::warn!(
                task = task_id(role),
                "could not write a lab task log line: {e}"
            );
        }
    }
}

/// [`TaskLogs`] over the lab's `task_log` table.
pub(crate) struct LabTaskLogs {
    pub(crate) control: SqlitePool,
}

#[async_trait]
impl TaskLogs for LabTaskLogs {
    async fn read(
        &self,
        role: TaskRole,
        query: &LogQuery,
        limit: usize,
    ) -> BackendResult<LogBatch> {
        let rows = sqlx::query(
            "SELECT seq, at, severity, text FROM task_log
             WHERE task = ?1 AND at >= ?2 ORDER BY at, seq LIMIT ?3",
        )
        .bind(task_id(role))
        .bind(clock::to_text(query.since))
        .bind(i64::try_from(limit + query.seen_at_since.len()).unwrap_or(i64::MAX))
        .fetch_all(&self.control)
        .await
        .map_err(|e| db_error(&format!("reading the log of lab task {}", task_id(role)), e))?;
        let mut lines = Vec::with_capacity(rows.len());
        for r in &rows {
            let seq: i64 = r.get("seq");
            let at = clock::parse(r.get::<&str, _>("at")).map_err(|e| {
                BackendError::Malformed(format!("lab task log line {seq}: {e}").into())
            })?;
            let text: String = r.get("text");
            let line = LogLine {
                id: seq.to_string(),
                at,
                severity: Severity::of_message(&text),
                text,
            };
            if query.wants(&line) {
                lines.push(line);
            }
        }
        lines.truncate(limit);
        Ok(LogBatch {
            source: format!("lab control.db task_log ({})", task_id(role)),
            lines,
        })
    }
}
