//! What the lab's SQLite files contain: the replicated tables of each site
//! database (heartbeat plus two small demo tables), the change-capture
//! triggers, the loopback-prevention flag, and the control database's task
//! and appmap tables. One place, so the DDL, the triggers and the apply SQL
//! are all derived from the same column lists and cannot drift apart.

use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteConnection;

use crate::backend::DbSide;

/// Format of the lab files; a directory written with another version is
/// refused instead of being migrated or overwritten.
pub(crate) const FORMAT_VERSION: u32 = 2;
/// The `lab_meta.format` value that tells a lab file from any other SQLite file.
pub(crate) const FORMAT_NAME: &str = "dms-cockpit-lab";
/// The schema name table statistics report, as in the original setup.
pub(crate) const SCHEMA: &str = "customer_orders";

/// A replicated table: its name, integer primary key and every column
/// (primary key included) in the order they are copied.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableSpec {
    pub name: &'static str,
    pub pk: &'static str,
    pub columns: &'static [&'static str],
}

/// Every table both tasks replicate, in load order.
pub(crate) const TABLES: [TableSpec; 3] = [
    TableSpec {
        name: "heartbeat",
        pk: "heartbeat_id",
        columns: &["heartbeat_id", "last_update_dt", "last_update_site"],
    },
    TableSpec {
        name: "customers",
        pk: "customer_id",
        columns: &["customer_id", "name", "email", "site", "updated_at"],
    },
    TableSpec {
        name: "orders",
        pk: "order_id",
        columns: &[
            "order_id",
            "customer_id",
            "amount_cents",
            "status",
            "site",
            "updated_at",
        ],
    },
];

pub(crate) fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

impl TableSpec {
    /// `json_object('c1', P.c1, ...)`: a row as JSON, for the change log and
    /// the full load (the column list is static, never user input).
    pub fn json_object(&self, prefix: &str) -> String {
        let pairs: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("'{c}', {prefix}{c}"))
            .collect();
        format!("json_object({})", pairs.join(", "))
    }

    /// Insert-or-update from a JSON row bound as `?1`. DMS applies an insert
    /// of a row that is already there (after a reload, say) as an update,
    /// so the lab does the same instead of failing the task.
    pub fn upsert_sql(&self) -> String {
        let cols = self.columns.join(", ");
        let values: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("json_extract(?1, '$.{c}')"))
            .collect();
        let sets: Vec<String> = self
            .columns
            .iter()
            .filter(|c| **c != self.pk)
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        format!(
            "INSERT INTO {t} ({cols}) VALUES ({values}) ON CONFLICT({pk}) DO UPDATE SET {sets}",
            t = self.name,
            values = values.join(", "),
            pk = self.pk,
            sets = sets.join(", ")
        )
    }

    pub fn delete_sql(&self) -> String {
        format!("DELETE FROM {} WHERE {} = ?1", self.name, self.pk)
    }

    /// The three capture triggers. A change made while a task is applying
    /// (the loopback flag names the task) is logged with that task as its
    /// origin, so the opposite task can tell it from an application write
    /// and never send it back.
    fn triggers(&self) -> String {
        let t = self.name;
        let pk = self.pk;
        let origin =
            "COALESCE((SELECT applying_task FROM awsdms_loopback_prevention WHERE id = 1), 'app')";
        let now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
        let new_json = self.json_object("NEW.");
        format!(
            "CREATE TRIGGER capture_{t}_insert AFTER INSERT ON {t} BEGIN
               INSERT INTO dms_changes (tbl, op, pk, row_json, origin, captured_at)
               VALUES ('{t}', 'I', NEW.{pk}, {new_json}, {origin}, {now});
             END;
             CREATE TRIGGER capture_{t}_update AFTER UPDATE ON {t} BEGIN
               INSERT INTO dms_changes (tbl, op, pk, row_json, origin, captured_at)
               VALUES ('{t}', 'U', NEW.{pk}, {new_json}, {origin}, {now});
             END;
             CREATE TRIGGER capture_{t}_delete AFTER DELETE ON {t} BEGIN
               INSERT INTO dms_changes (tbl, op, pk, row_json, origin, captured_at)
               VALUES ('{t}', 'D', OLD.{pk}, NULL, {origin}, {now});
             END;"
        )
    }
}

const SITE_TABLES: &str = "
CREATE TABLE lab_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE heartbeat (
    heartbeat_id INTEGER NOT NULL,
    last_update_dt TEXT NOT NULL,
    last_update_site TEXT NOT NULL
);
CREATE UNIQUE INDEX heartbeat_id_unique ON heartbeat (heartbeat_id);
CREATE TABLE seq_heartbeat (next_value INTEGER NOT NULL);
CREATE TABLE seq_app (next_value INTEGER NOT NULL);
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    site TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    status TEXT NOT NULL,
    site TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE awsdms_loopback_prevention (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    applying_task TEXT
);
INSERT INTO awsdms_loopback_prevention (id, applying_task) VALUES (1, NULL);
CREATE TABLE dms_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('I', 'U', 'D')),
    pk INTEGER NOT NULL,
    row_json TEXT,
    origin TEXT NOT NULL,
    captured_at TEXT NOT NULL
);
CREATE TABLE awsdms_apply_position (task TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE awsdms_apply_tables (
    task TEXT NOT NULL,
    tbl TEXT NOT NULL,
    state TEXT NOT NULL,
    loaded_seq INTEGER NOT NULL DEFAULT 0,
    full_load_rows INTEGER NOT NULL DEFAULT 0,
    inserts INTEGER NOT NULL DEFAULT 0,
    updates INTEGER NOT NULL DEFAULT 0,
    deletes INTEGER NOT NULL DEFAULT 0,
    ddls INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    last_update TEXT,
    loaded_at TEXT,
    load_started TEXT,
    reloaded INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (task, tbl)
);
";

/// Rows that exist in site A before any task ran: what the forward full
/// load has to copy.
const SITE_A_SEED: &str = "
INSERT INTO customers (customer_id, name, email, site, updated_at) VALUES
  (1, 'Ada Lovelace', 'ada@example.com', 'SITEA', '2024-01-01T00:00:00.000000Z'),
  (2, 'Alan Turing', 'alan@example.com', 'SITEA', '2024-01-01T00:00:00.000000Z'),
  (3, 'Grace Hopper', 'grace@example.com', 'SITEA', '2024-01-01T00:00:00.000000Z'),
  (4, 'Edsger Dijkstra', 'edsger@example.com', 'SITEA', '2024-01-01T00:00:00.000000Z');
INSERT INTO orders (order_id, customer_id, amount_cents, status, site, updated_at) VALUES
  (1, 1, 1250, 'shipped', 'SITEA', '2024-01-01T00:00:00.000000Z'),
  (2, 1, 9900, 'open', 'SITEA', '2024-01-01T00:00:00.000000Z'),
  (3, 2, 450, 'open', 'SITEA', '2024-01-01T00:00:00.000000Z'),
  (4, 3, 31000, 'shipped', 'SITEA', '2024-01-01T00:00:00.000000Z'),
  (5, 4, 780, 'cancelled', 'SITEA', '2024-01-01T00:00:00.000000Z');
";

/// First value of each database's sequences. DMS does not replicate
/// sequences, so the ranges are kept far apart and ids never collide. The
/// heartbeat ranges are the ones `setup sql` gives the real databases.
pub(crate) fn sequence_start(side: DbSide) -> (i64, i64) {
    let heartbeat = crate::setup::sql::DEFAULT_SEQ_START[side];
    match side {
        // (seq_heartbeat, seq_app): app ids in A start after the seed rows.
        DbSide::A => (heartbeat, 1_000),
        DbSide::B => (heartbeat, 1_000_000_001),
    }
}

/// Creates a site database's tables, seed rows and triggers, and writes its
/// marker last, all in the caller's transaction.
pub(crate) async fn create_site(conn: &mut SqliteConnection, side: DbSide) -> sqlx::Result<()> {
    sqlx::raw_sql(SITE_TABLES).execute(&mut *conn).await?;
    if side == DbSide::A {
        // Before the triggers: seed rows predate replication, like the
        // data an existing Oracle database already holds.
        sqlx::raw_sql(SITE_A_SEED).execute(&mut *conn).await?;
    }
    let (hb, app) = sequence_start(side);
    sqlx::query("INSERT INTO seq_heartbeat (next_value) VALUES (?1)")
        .bind(hb)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO seq_app (next_value) VALUES (?1)")
        .bind(app)
        .execute(&mut *conn)
        .await?;
    for t in &TABLES {
        sqlx::raw_sql(AssertSqlSafe(t.triggers()))
            .execute(&mut *conn)
            .await?;
    }
    write_marker(conn, Some(side)).await
}

const CONTROL_TABLES: &str = "
CREATE TABLE lab_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tasks (
    role TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    arn TEXT NOT NULL,
    migration_type TEXT NOT NULL,
    status TEXT NOT NULL,
    status_since TEXT NOT NULL,
    pending_start TEXT,
    stop_reason TEXT,
    last_failure TEXT,
    first_start TEXT,
    fresh_start TEXT,
    last_start TEXT,
    stop_date TEXT,
    full_load_start TEXT,
    run_ms_before INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE task_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL,
    at TEXT NOT NULL,
    severity TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX task_log_by_time ON task_log (task, at);
CREATE TABLE appmap (
    site TEXT PRIMARY KEY,
    dbengine TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    port TEXT NOT NULL,
    dbname TEXT NOT NULL,
    username TEXT NOT NULL,
    extra_json TEXT NOT NULL DEFAULT '{}'
);
";

/// Creates the control database's tables (seeding is the caller's, since
/// it needs the task and appmap modules); the marker is written by
/// [`write_marker`] once everything else is in place.
pub(crate) async fn create_control(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    sqlx::raw_sql(CONTROL_TABLES).execute(&mut *conn).await?;
    Ok(())
}

pub(crate) async fn write_marker(
    conn: &mut SqliteConnection,
    side: Option<DbSide>,
) -> sqlx::Result<()> {
    let rows = [
        ("format", FORMAT_NAME.to_string()),
        ("format_version", FORMAT_VERSION.to_string()),
        (
            "role",
            side.map_or("control".to_string(), |s| format!("site_{s}")),
        ),
    ];
    for (k, v) in rows {
        sqlx::query("INSERT INTO lab_meta (key, value) VALUES (?1, ?2)")
            .bind(k)
            .bind(v)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
