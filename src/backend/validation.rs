//! Validation failures: what DMS records, on the task's target, about rows
//! that did not match. DMS writes them to `awsdms_validation_failures_v1`
//! in the control schema (task settings `ControlTablesSettings.ControlSchema`;
//! on a PostgreSQL target `public` unless set), with quoted upper-case
//! columns (`"TASK_NAME"`, `"TABLE_OWNER"`, `"TABLE_NAME"`, `"FAILURE_TIME"`,
//! `"KEY_TYPE"`, `"KEY"`, `"FAILURE_TYPE"`, `"DETAILS"`). `TASK_NAME` is the
//! task's resource id, the last part of its ARN, not its identifier. See
//! the DMS user guide, "AWS DMS data validation" (troubleshooting) and
//! "Control table task settings".
//!
//! This module reads that table on PostgreSQL and sums it up per table and
//! failure type, with the latest failing keys.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, Row};

use super::{BackendError, BackendResult, TaskSnapshot};

/// The table DMS writes validation failures to.
pub const FAILURES_TABLE: &str = "awsdms_validation_failures_v1";
/// The control schema on a PostgreSQL target when the settings name none.
pub const PG_DEFAULT_CONTROL_SCHEMA: &str = "public";

/// One failing row as DMS recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationFailure {
    pub schema: String,
    pub table: String,
    pub at: DateTime<Utc>,
    pub key_type: String,
    pub key: String,
    /// `RECORD_DIFF`, `MISSING_SOURCE`, `MISSING_TARGET`, …
    pub failure_type: String,
    pub details: String,
}

/// A task's validation failures: counts per `schema.table` and failure
/// type, and the latest failures (newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationSummary {
    /// `schema.table` → failure type → count.
    pub counts: BTreeMap<String, BTreeMap<String, i64>>,
    pub latest: Vec<ValidationFailure>,
    /// False when the table does not exist: the task never validated.
    pub table_exists: bool,
    /// Set when this kind of target cannot be read for failures (an Oracle
    /// target, for now): the failures are unknown, which is not an outage,
    /// so it is no `errors` entry and does not fail `status`.
    pub unavailable: Option<String>,
}

impl ValidationSummary {
    /// Every failure of the task.
    pub fn total(&self) -> i64 {
        self.counts.values().flat_map(|m| m.values()).sum()
    }
}

/// `ControlTablesSettings.ControlSchema` of a task's settings JSON
/// (`ReplicationTaskSettings`), when it names one.
pub fn control_schema_of(settings: Option<&str>) -> Option<String> {
    settings
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| {
            v["ControlTablesSettings"]["ControlSchema"]
                .as_str()
                .map(str::to_string)
        })
        .filter(|s| !s.is_empty())
}

/// The schema to read on a PostgreSQL target: the one the task's settings
/// name, else DMS's default there.
pub fn pg_control_schema(named: Option<&str>) -> &str {
    named
        .filter(|s| !s.is_empty())
        .unwrap_or(PG_DEFAULT_CONTROL_SCHEMA)
}

/// Which task's failures to read and where: the task's ARN (its last part,
/// the resource id, is what DMS writes as `TASK_NAME`) and the control
/// schema its settings name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailuresOf {
    pub task_arn: String,
    pub control_schema: Option<String>,
}

impl FailuresOf {
    /// Where the failures of the task DMS described as `task` are.
    pub fn task(task: &TaskSnapshot) -> Self {
        FailuresOf {
            task_arn: task.arn.clone(),
            control_schema: task.control_schema.clone(),
        }
    }

    /// The task's resource id: the last part of its ARN.
    pub fn task_name(&self) -> &str {
        self.task_arn.rsplit(':').next().unwrap_or(&self.task_arn)
    }
}

/// `"schema"`, refusing what is not a plain identifier (the name goes into
/// SQL text, where a bind parameter cannot stand for it).
fn quoted_schema(schema: &str) -> BackendResult<String> {
    let plain = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        Ok(format!("\"{schema}\""))
    } else {
        Err(BackendError::Other(format!(
            "control schema `{schema}` is not a plain identifier (letters, digits, _ and $, at most 63): check ControlTablesSettings.ControlSchema"
        ).into()))
    }
}

/// Reads the validation failures of the task whose resource id is
/// `task_name` from `schema` on a PostgreSQL target: counts of all of
/// them, and the newest `latest` rows.
pub async fn read_pg(
    pool: &PgPool,
    schema: &str,
    task_name: &str,
    latest: i64,
) -> BackendResult<ValidationSummary> {
    let quoted = quoted_schema(schema)?;
    let err = |e: sqlx::Error| {
        BackendError::Other(format!("reading {schema}.{FAILURES_TABLE} on the target: {e}").into())
            .caused_by(e)
    };
    // One statement, one round trip (a database far away pays per round
    // trip): the counts and the newest rows together. A missing table or
    // schema (42P01, 3F000) means no failures were ever written.
    let answer = sqlx::query(AssertSqlSafe(format!(
        r#"SELECT 'count' AS kind, "TABLE_OWNER", "TABLE_NAME", "FAILURE_TYPE",
                  COUNT(*)::bigint AS n, NULL::timestamp AS at,
                  NULL::text AS key_type, NULL::text AS key, NULL::text AS details
             FROM {quoted}.{FAILURES_TABLE} WHERE "TASK_NAME" = $1
            GROUP BY 2, 3, 4
           UNION ALL
           (SELECT 'row', "TABLE_OWNER", "TABLE_NAME", "FAILURE_TYPE", NULL,
                   "FAILURE_TIME", "KEY_TYPE", "KEY", "DETAILS"
              FROM {quoted}.{FAILURES_TABLE} WHERE "TASK_NAME" = $1
             ORDER BY "FAILURE_TIME" DESC LIMIT $2)"#
    )))
    .bind(task_name)
    .bind(latest)
    .fetch_all(pool)
    .await;
    let rows = match answer {
        Ok(rows) => rows,
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P01" | "3F000")) => {
            return Ok(ValidationSummary::default());
        }
        Err(e) => return Err(err(e)),
    };
    let mut summary = ValidationSummary {
        table_exists: true,
        ..ValidationSummary::default()
    };
    for r in &rows {
        let kind: String = r.get(0);
        let owner: String = r.get(1);
        let table: String = r.get(2);
        let failure_type: String = r.get(3);
        if kind == "count" {
            let n: i64 = r.get(4);
            summary
                .counts
                .entry(format!("{owner}.{table}"))
                .or_default()
                .insert(failure_type, n);
        } else {
            let at: NaiveDateTime = r.get(5);
            summary.latest.push(ValidationFailure {
                schema: owner,
                table,
                at: at.and_utc(),
                key_type: r.get(6),
                key: r.get(7),
                failure_type,
                details: r.get(8),
            });
        }
    }
    // A union keeps no order: newest first, as the detail shows them.
    summary.latest.sort_by_key(|f| std::cmp::Reverse(f.at));
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_schema_comes_from_the_settings_or_is_public() {
        assert_eq!(control_schema_of(None), None);
        assert_eq!(control_schema_of(Some("{}")), None);
        assert_eq!(
            control_schema_of(Some(r#"{"ControlTablesSettings":{"ControlSchema":""}}"#)),
            None
        );
        let named = control_schema_of(Some(
            r#"{"ControlTablesSettings":{"ControlSchema":"dmslogs"}}"#,
        ));
        assert_eq!(named.as_deref(), Some("dmslogs"));
        assert_eq!(pg_control_schema(named.as_deref()), "dmslogs");
        assert_eq!(pg_control_schema(None), "public");
    }

    #[test]
    fn the_task_name_is_the_last_part_of_the_arn() {
        let of = FailuresOf {
            task_arn: "arn:aws:dms:us-east-1:123456789012:task:FWDRESOURCE".into(),
            control_schema: None,
        };
        assert_eq!(of.task_name(), "FWDRESOURCE");
    }

    #[test]
    fn only_plain_schema_names_reach_the_sql() {
        assert_eq!(quoted_schema("public").unwrap(), "\"public\"");
        for bad in ["", "a\"b", "x; drop table y", "a.b"] {
            assert!(quoted_schema(bad).is_err(), "{bad}");
        }
    }
}
