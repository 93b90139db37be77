//! Data validation in the simulated DMS, for real: a task whose validation
//! is turned on (`dms-cockpit lab --validate forward`, the lab's stand-in
//! for the task setting `ValidationSettings.EnableValidation`) compares
//! every row of each loaded table in its source with the row of the same
//! key in its target, and records what differs the way DMS does: in
//! `awsdms_validation_failures_v1` on the target (`RECORD_DIFF`,
//! `MISSING_SOURCE`, `MISSING_TARGET`, with DMS's upper-case columns), and
//! in the table statistics (validation state, pending and failed records).
//!
//! When: as DMS does, a table is validated once its full load is done,
//! then again whenever captured changes of it arrive, and when a
//! `validate-only` reload asks. A comparison only runs while the task has
//! applied exactly what the source's change log holds (its position equals
//! the end of the log read in the same snapshot as the source rows), so a
//! change still in flight is never reported as a difference. A row changed
//! directly in the target is, like in DMS, found by the next validation
//! of its table (a `validate-only` reload forces one).
//!
//! Which tasks validate is kept in `control.db` (`lab_validation`), so it
//! stays on for the directory, as a task setting stays with the task. The
//! tables are created when missing when a lab is opened, so directories
//! made before this existed gain them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use sqlx::sqlite::SqlitePool;
use sqlx::{AssertSqlSafe, Row};

use super::dms::{Dms, TABLE_COMPLETED, TaskRow, task_id};
use super::schema::{SCHEMA, TABLES, TableSpec};
use super::{clock, db_error};
use crate::backend::logs::Severity;
use crate::backend::validation::{FAILURES_TABLE, ValidationFailure, ValidationSummary};
use crate::backend::{BackendError, BackendResult, PerDb, TableRef, TaskRole};

pub(crate) const NOT_ENABLED: &str = "Not enabled";
const PENDING_VALIDATION: &str = "Pending validation";
const PENDING_RECORDS: &str = "Pending records";
const PENDING_REVALIDATION: &str = "Pending revalidation";
const VALIDATED: &str = "Validated";
const MISMATCHED: &str = "Mismatched records";

const CONTROL_DDL: &str = "CREATE TABLE IF NOT EXISTS lab_validation (role TEXT PRIMARY KEY)";

/// DMS's failures table (its columns, as DMS names them) and the lab's
/// per-table validation bookkeeping, in a site database as a task's target.
const SITE_DDL: &str = r#"
CREATE TABLE IF NOT EXISTS awsdms_validation_failures_v1 (
    "TASK_NAME" TEXT NOT NULL,
    "TABLE_OWNER" TEXT NOT NULL,
    "TABLE_NAME" TEXT NOT NULL,
    "FAILURE_TIME" TEXT NOT NULL,
    "KEY_TYPE" TEXT NOT NULL,
    "KEY" TEXT NOT NULL,
    "FAILURE_TYPE" TEXT NOT NULL,
    "DETAILS" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS awsdms_validation_tables (
    task TEXT NOT NULL,
    tbl TEXT NOT NULL,
    validated_seq INTEGER,
    validated_at TEXT,
    forced INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'Pending validation',
    details TEXT,
    PRIMARY KEY (task, tbl)
);
"#;

/// Creates the validation tables where they are missing.
pub(crate) async fn ensure_tables(
    control: &SqlitePool,
    sites: &PerDb<SqlitePool>,
) -> sqlx::Result<()> {
    sqlx::raw_sql(CONTROL_DDL).execute(control).await?;
    for side in crate::backend::DbSide::ALL {
        sqlx::raw_sql(SITE_DDL).execute(&sites[side]).await?;
    }
    Ok(())
}

/// One table's validation, as its statistics show it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableValidation {
    pub state: String,
    pub pending: i64,
    pub failed: i64,
    pub details: Option<String>,
    /// A comparison is owed (loaded, changed or asked for since the last).
    pub due: bool,
}

/// A difference between source and target: key, failure type, details.
type Difference = (String, &'static str, String);

impl Dms {
    /// Whether `role`'s task validates. Validation is on for good once on
    /// (nothing turns it off), so a yes is kept; a no is read again by the
    /// next caller not already waiting for a read, since another process
    /// on the same data directory may turn it on.
    pub(crate) async fn validates(&self, role: TaskRole) -> BackendResult<bool> {
        if self.validating[role].load(Ordering::Relaxed) {
            return Ok(true);
        }
        let control = self.control.clone();
        let on = self.validates_now[role]
            .run(move || async move {
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM lab_validation WHERE role = ?1)")
                    .bind(role.as_str())
                    .fetch_one(&control)
                    .await
                    .map_err(|e| db_error(&format!("reading the settings of {}", task_id(role)), e))
            })
            .await?;
        if on {
            self.validating[role].store(true, Ordering::Relaxed);
        }
        Ok(on)
    }

    /// Turns validation on for `role`'s task, for good.
    pub(crate) async fn enable_validation(&self, role: TaskRole) -> BackendResult<()> {
        sqlx::query("INSERT OR IGNORE INTO lab_validation (role) VALUES (?1)")
            .bind(role.as_str())
            .execute(&self.control)
            .await
            .map_err(|e| db_error(&format!("turning validation on for {}", task_id(role)), e))?;
        self.validating[role].store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Each table's validation of `role`'s task (empty when it does not
    /// validate): the stored result of the last comparison, or what is
    /// pending since.
    pub(crate) async fn validation_view(
        &self,
        role: TaskRole,
    ) -> BackendResult<BTreeMap<String, TableValidation>> {
        if !self.validates(role).await? {
            return Ok(BTreeMap::new());
        }
        self.validation_rows(role).await
    }

    /// [`Dms::validation_view`] of a task known to validate.
    pub(crate) async fn validation_rows(
        &self,
        role: TaskRole,
    ) -> BackendResult<BTreeMap<String, TableValidation>> {
        let err = |e| db_error(&format!("reading the validation of {}", task_id(role)), e);
        let rows = sqlx::query(
            "SELECT a.tbl, a.state AS load_state, a.loaded_at, a.full_load_rows,
                    v.validated_seq, v.validated_at, v.forced, v.failed, v.state, v.details
             FROM awsdms_apply_tables a
             LEFT JOIN awsdms_validation_tables v ON v.task = a.task AND v.tbl = a.tbl
             WHERE a.task = ?1",
        )
        .bind(task_id(role))
        .fetch_all(&self.sites[role.target()])
        .await
        .map_err(err)?;
        let mut view = BTreeMap::new();
        for r in &rows {
            let tbl: String = r.get("tbl");
            let loaded_at: Option<String> = r.get("loaded_at");
            let validated_at: Option<String> = r.get("validated_at");
            let failed: Option<i64> = r.get("failed");
            let failed = failed.unwrap_or(0);
            let full_load_rows: i64 = r.get("full_load_rows");
            let load_state: String = r.get("load_state");
            let forced: Option<bool> = r.get("forced");
            let never = validated_at.is_none() || loaded_at > validated_at;
            let changes: i64 = match r.get::<Option<i64>, _>("validated_seq") {
                Some(seq) if !never => sqlx::query_scalar(
                    "SELECT COUNT(*) FROM dms_changes WHERE tbl = ?1 AND origin = 'app' AND seq > ?2",
                )
                .bind(&tbl)
                .bind(seq)
                .fetch_one(&self.sites[role.source()])
                .await
                .map_err(err)?,
                _ => 0,
            };
            let pending = |state: &str, n: i64| TableValidation {
                state: state.to_string(),
                pending: n,
                failed,
                details: None,
                due: load_state == TABLE_COMPLETED,
            };
            let shown = if load_state != TABLE_COMPLETED || never {
                pending(PENDING_VALIDATION, full_load_rows)
            } else if forced == Some(true) {
                pending(PENDING_REVALIDATION, full_load_rows)
            } else if changes > 0 {
                pending(PENDING_RECORDS, changes)
            } else {
                TableValidation {
                    state: r.get("state"),
                    pending: 0,
                    failed,
                    details: r.get("details"),
                    due: false,
                }
            };
            view.insert(tbl, shown);
        }
        Ok(view)
    }

    /// One engine tick's validation of a running task: compares the tables
    /// that are due, when the target has applied exactly what the source's
    /// log holds; otherwise waits for a later tick.
    pub(crate) async fn validate_due(&self, task: &TaskRow) -> BackendResult<()> {
        let view = self.validation_view(task.role).await?;
        let due: Vec<&TableSpec> = TABLES
            .iter()
            .filter(|t| view.get(t.name).is_some_and(|v| v.due))
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let err = |e| db_error(&format!("validating tables of {}", task.id), e);
        let (end, source) = rows_of(&self.sites[task.role.source()], &due, None)
            .await
            .map_err(err)?;
        let (position, target) = rows_of(&self.sites[task.role.target()], &due, Some(&task.id))
            .await
            .map_err(err)?;
        if position != end {
            return Ok(()); // changes in flight: compare once they are applied
        }
        let now = clock::now_text();
        let mut found = Vec::new();
        let mut tx = self.sites[task.role.target()]
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(err)?;
        for (spec, (src, tgt)) in due.iter().zip(source.iter().zip(&target)) {
            let differences = compare(spec, src, tgt);
            let recorded: BTreeSet<(String, String)> = sqlx::query(
                r#"SELECT "KEY", "FAILURE_TYPE" FROM awsdms_validation_failures_v1
                   WHERE "TASK_NAME" = ?1 AND "TABLE_NAME" = ?2"#,
            )
            .bind(&task.id)
            .bind(spec.name)
            .fetch_all(&mut *tx)
            .await
            .map_err(err)?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
            for (key, kind, details) in &differences {
                if recorded.contains(&(key.clone(), kind.to_string())) {
                    continue; // DMS records a failing key once
                }
                sqlx::query(
                    r#"INSERT INTO awsdms_validation_failures_v1
                       ("TASK_NAME", "TABLE_OWNER", "TABLE_NAME", "FAILURE_TIME", "KEY_TYPE",
                        "KEY", "FAILURE_TYPE", "DETAILS")
                       VALUES (?1, ?2, ?3, ?4, 'Row', ?5, ?6, ?7)"#,
                )
                .bind(&task.id)
                .bind(SCHEMA)
                .bind(spec.name)
                .bind(&now)
                .bind(key)
                .bind(kind)
                .bind(details)
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            }
            let (state, details) = if differences.is_empty() {
                (VALIDATED, None)
            } else {
                (MISMATCHED, Some(summary(&differences)))
            };
            sqlx::query(
                "INSERT INTO awsdms_validation_tables
                   (task, tbl, validated_seq, validated_at, forced, failed, state, details)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7)
                 ON CONFLICT(task, tbl) DO UPDATE SET validated_seq = excluded.validated_seq,
                   validated_at = excluded.validated_at, forced = 0, failed = excluded.failed,
                   state = excluded.state, details = excluded.details",
            )
            .bind(&task.id)
            .bind(spec.name)
            .bind(end)
            .bind(&now)
            .bind(differences.len() as i64)
            .bind(state)
            .bind(&details)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
            found.push((spec.name, src.len(), details));
        }
        tx.commit().await.map_err(err)?;
        for (table, rows, details) in found {
            let (severity, text) = match details {
                None => (
                    Severity::Info,
                    format!(
                        "Table '{SCHEMA}'.'{table}' validated: {rows} source rows match the target"
                    ),
                ),
                Some(d) => (
                    Severity::Warning,
                    format!("Table '{SCHEMA}'.'{table}' validation found mismatched records: {d}"),
                ),
            };
            self.log(task.role, severity, "VALIDATOR", &text).await;
        }
        Ok(())
    }

    /// `validate-only`: the tables are compared again from scratch (their
    /// recorded failures cleared), at the engine's next tick. DMS only
    /// allows it when the task validates.
    pub(crate) async fn revalidate(
        &self,
        role: TaskRole,
        tables: &[TableRef],
    ) -> BackendResult<()> {
        if !self.validates(role).await? {
            return Err(BackendError::InvalidState(format!(
                "validation is not enabled for lab task {}: validate-only applies only to a task that validates (start the lab with --validate {role})",
                task_id(role)
            ).into()));
        }
        let err = |e| {
            db_error(
                &format!("queueing the revalidation of {}", task_id(role)),
                e,
            )
        };
        let mut tx = self.sites[role.target()]
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(err)?;
        for t in tables {
            clear_failures(&mut tx, role, &t.table).await.map_err(err)?;
            sqlx::query(
                "INSERT INTO awsdms_validation_tables (task, tbl, forced) VALUES (?1, ?2, 1)
                 ON CONFLICT(task, tbl) DO UPDATE SET forced = 1",
            )
            .bind(task_id(role))
            .bind(&t.table)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        for t in tables {
            self.log(
                role,
                Severity::Info,
                "TASK_MANAGER",
                &format!(
                    "Table '{}'.'{}' queued for revalidation (validate-only)",
                    t.schema, t.table
                ),
            )
            .await;
        }
        Ok(())
    }
}

/// Removes the recorded failures of one table of `role`'s task: its
/// validation starts afresh (a reload of it).
pub(crate) async fn clear_failures(
    conn: &mut sqlx::SqliteConnection,
    role: TaskRole,
    table: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        r#"DELETE FROM awsdms_validation_failures_v1 WHERE "TASK_NAME" = ?1 AND "TABLE_NAME" = ?2"#,
    )
    .bind(task_id(role))
    .bind(table)
    .execute(conn)
    .await
    .map(drop)
}

/// Every row of each table (key → row as JSON), read in one snapshot with
/// the change-log position it reflects: the end of the log for a source,
/// the task's apply position for a target (`task`).
async fn rows_of(
    pool: &SqlitePool,
    tables: &[&TableSpec],
    task: Option<&str>,
) -> sqlx::Result<(i64, Vec<BTreeMap<i64, String>>)> {
    let mut tx = pool.begin().await?;
    let position: i64 = match task {
        None => {
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM dms_changes")
                .fetch_one(&mut *tx)
                .await?
        }
        Some(task) => {
            sqlx::query_scalar("SELECT last_seq FROM awsdms_apply_position WHERE task = ?1")
                .bind(task)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or(-1)
        }
    };
    let mut all = Vec::with_capacity(tables.len());
    for spec in tables {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {pk}, {json} FROM {t}",
            pk = spec.pk,
            json = spec.json_object(""),
            t = spec.name
        )))
        .fetch_all(&mut *tx)
        .await?;
        all.push(rows.iter().map(|r| (r.get(0), r.get(1))).collect());
    }
    tx.commit().await?;
    Ok((position, all))
}

/// What differs between a table's source and target rows, by key.
fn compare(
    spec: &TableSpec,
    source: &BTreeMap<i64, String>,
    target: &BTreeMap<i64, String>,
) -> Vec<Difference> {
    let key = |k: &i64| format!("{{\"{}\": {k}}}", spec.pk);
    let keys: BTreeSet<&i64> = source.keys().chain(target.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        match (source.get(k), target.get(k)) {
            (Some(_), None) => out.push((
                key(k),
                "MISSING_TARGET",
                "the row is in the source and not in the target".to_string(),
            )),
            (None, Some(_)) => out.push((
                key(k),
                "MISSING_SOURCE",
                "the row is in the target and not in the source".to_string(),
            )),
            (Some(s), Some(t)) if s != t => {
                out.push((key(k), "RECORD_DIFF", column_differences(s, t)))
            }
            _ => {}
        }
    }
    out
}

/// `amount_cents: source 9900, target 1` for every column that differs.
fn column_differences(source: &str, target: &str) -> String {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_default();
    let (s, t) = (parse(source), parse(target));
    let (Some(s), Some(t)) = (s.as_object(), t.as_object()) else {
        return format!("source {source}, target {target}");
    };
    s.iter()
        .filter(|(c, v)| t.get(c.as_str()) != Some(v))
        .map(|(c, v)| {
            format!(
                "{c}: source {v}, target {}",
                t.get(c.as_str()).unwrap_or(&serde_json::Value::Null)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `1 RECORD_DIFF, 2 MISSING_TARGET`: the table's differences by type.
fn summary(differences: &[Difference]) -> String {
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, kind, _) in differences {
        *by_kind.entry(kind).or_default() += 1;
    }
    by_kind
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The failures a task recorded in this site database (as its target), as
/// the cockpit reads them from a real target: counts per table and type,
/// and the newest `latest`.
pub(crate) async fn read_failures(
    pool: &SqlitePool,
    task_name: &str,
    latest: usize,
) -> BackendResult<ValidationSummary> {
    let err = |e| {
        db_error(
            &format!("reading {FAILURES_TABLE} of lab task {task_name}"),
            e,
        )
    };
    let mut summary = ValidationSummary {
        table_exists: true,
        ..ValidationSummary::default()
    };
    let counts = sqlx::query(
        r#"SELECT "TABLE_OWNER", "TABLE_NAME", "FAILURE_TYPE", COUNT(*)
           FROM awsdms_validation_failures_v1 WHERE "TASK_NAME" = ?1 GROUP BY 1, 2, 3"#,
    )
    .bind(task_name)
    .fetch_all(pool)
    .await
    .map_err(err)?;
    for r in &counts {
        let (owner, table, kind): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        summary
            .counts
            .entry(format!("{owner}.{table}"))
            .or_default()
            .insert(kind, r.get(3));
    }
    let rows = sqlx::query(
        r#"SELECT "TABLE_OWNER", "TABLE_NAME", "FAILURE_TIME", "KEY_TYPE", "KEY",
                  "FAILURE_TYPE", "DETAILS"
           FROM awsdms_validation_failures_v1 WHERE "TASK_NAME" = ?1
           ORDER BY "FAILURE_TIME" DESC, rowid DESC LIMIT ?2"#,
    )
    .bind(task_name)
    .bind(i64::try_from(latest).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(err)?;
    for r in &rows {
        let at: String = r.get(2);
        summary.latest.push(ValidationFailure {
            schema: r.get(0),
            table: r.get(1),
            at: clock::parse(&at).map_err(|e| {
                BackendError::Malformed(
                    format!("{FAILURES_TABLE} of lab task {task_name}: {e}").into(),
                )
            })?,
            key_type: r.get(3),
            key: r.get(4),
            failure_type: r.get(5),
            details: r.get(6),
        });
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_named_by_key_and_type() {
        let spec = super::super::schema::table("orders").unwrap();
        let row = |amount: i64| format!(r#"{{"order_id":1,"amount_cents":{amount}}}"#);
        let source = BTreeMap::from([(1, row(9900)), (2, row(5))]);
        let target = BTreeMap::from([(1, row(1)), (3, row(7))]);
        let found = compare(spec, &source, &target);
        assert_eq!(
            found,
            vec![
                (
                    r#"{"order_id": 1}"#.to_string(),
                    "RECORD_DIFF",
                    "amount_cents: source 9900, target 1".to_string()
                ),
                (
                    r#"{"order_id": 2}"#.to_string(),
                    "MISSING_TARGET",
                    "the row is in the source and not in the target".to_string()
                ),
                (
                    r#"{"order_id": 3}"#.to_string(),
                    "MISSING_SOURCE",
                    "the row is in the target and not in the source".to_string()
                ),
            ]
        );
        assert_eq!(
            summary(&found),
            "1 MISSING_SOURCE, 1 MISSING_TARGET, 1 RECORD_DIFF"
        );
        assert!(compare(spec, &source, &source).is_empty());
    }
}
