//! DMS's validation failures table on a PostgreSQL target, created and
//! filled the way DMS does it (quoted upper-case columns, `TASK_NAME` the
//! task's resource id): shared by the tests that read it.

use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, Executor};

/// Creates `schema.awsdms_validation_failures_v1` with the DDL DMS uses.
pub async fn create(pool: &PgPool, schema: &str) {
    pool.execute(AssertSqlSafe(format!(
        r#"CREATE TABLE {schema}.awsdms_validation_failures_v1 (
             "TASK_NAME" varchar(128) NOT NULL,
             "TABLE_OWNER" varchar(128) NOT NULL,
             "TABLE_NAME" varchar(128) NOT NULL,
             "FAILURE_TIME" timestamp NOT NULL,
             "KEY_TYPE" varchar(128) NOT NULL,
             "KEY" varchar(7800) NOT NULL,
             "FAILURE_TYPE" varchar(128) NOT NULL,
             "DETAILS" varchar(7800) NOT NULL)"#
    )))
    .await
    .expect("create the DMS validation failures table");
}

/// One failure of `task` on `customer_orders.<table>`, as DMS records it
/// (`at` is `YYYY-MM-DD HH:MM:SS`, `kind` the failure type).
pub async fn insert(pool: &PgPool, task: &str, table: &str, at: &str, kind: &str, key: &str) {
    insert_into(pool, "public", task, table, at, kind, key).await
}

/// [`insert`] into the table in control schema `schema`.
#[allow(dead_code)] // not every test binary names a schema
pub async fn insert_into(
    pool: &PgPool,
    schema: &str,
    task: &str,
    table: &str,
    at: &str,
    kind: &str,
    key: &str,
) {
    sqlx::query(AssertSqlSafe(format!(
        r#"INSERT INTO {schema}.awsdms_validation_failures_v1
           ("TASK_NAME", "TABLE_OWNER", "TABLE_NAME", "FAILURE_TIME", "KEY_TYPE", "KEY",
            "FAILURE_TYPE", "DETAILS")
           VALUES ($1, 'customer_orders', $2, $3::timestamp, 'Row', $4, $5, 'amount_cents differs')"#
    )))
    .bind(task)
    .bind(table)
    .bind(at)
    .bind(key)
    .bind(kind)
    .execute(pool)
    .await
    .expect("insert a validation failure");
}
