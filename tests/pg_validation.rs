//! Validation failures read from real PostgreSQL, from the table created
//! the way DMS creates it on a PostgreSQL target: `awsdms_validation_failures_v1`
//! in the control schema, quoted upper-case columns, `TASK_NAME` holding
//! the task's resource id.

#[path = "support/pg.rs"]
mod pg;

use dms_cockpit::backend::HeartbeatStore;
use dms_cockpit::backend::heartbeat_sql::HeartbeatNames;
use dms_cockpit::backend::postgres::PgHeartbeat;
use dms_cockpit::backend::validation::{FailuresOf, PG_DEFAULT_CONTROL_SCHEMA, read_pg};
use pg::TestDb;
use sqlx::Executor;

#[path = "support/validation_table.rs"]
mod validation_table;

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn counts_per_table_and_type_and_the_latest_keys_of_this_task_only() {
    let db = TestDb::create().await;
    // Before the task validated anything: no table, which is not an error.
    let none = read_pg(&db.pool, PG_DEFAULT_CONTROL_SCHEMA, "FWDRESOURCEID", 5)
        .await
        .unwrap();
    assert!(!none.table_exists);
    assert_eq!(none.total(), 0);

    validation_table::create(&db.pool, "public").await;
    let rows = [
        (
            "FWDRESOURCEID",
            "orders",
            "2026-11-27 10:00:01",
            "RECORD_DIFF",
            "{\"order_id\": 1}",
        ),
        (
            "FWDRESOURCEID",
            "orders",
            "2026-11-27 10:00:02",
            "RECORD_DIFF",
            "{\"order_id\": 2}",
        ),
        (
            "FWDRESOURCEID",
            "orders",
            "2026-11-27 10:00:03",
            "MISSING_TARGET",
            "{\"order_id\": 3}",
        ),
        (
            "FWDRESOURCEID",
            "customers",
            "2026-11-27 10:00:04",
            "MISSING_SOURCE",
            "{\"customer_id\": 9}",
        ),
        // Another task's failure on the same target: not ours.
        (
            "BWDRESOURCEID",
            "orders",
            "2026-11-27 10:00:05",
            "RECORD_DIFF",
            "{\"order_id\": 4}",
        ),
    ];
    for (task, table, at, kind, key) in rows {
        validation_table::insert(&db.pool, task, table, at, kind, key).await;
    }
    let s = read_pg(&db.pool, "public", "FWDRESOURCEID", 2)
        .await
        .unwrap();
    assert!(s.table_exists);
    assert_eq!(s.total(), 4);
    let orders = &s.counts["customer_orders.orders"];
    assert_eq!((orders["RECORD_DIFF"], orders["MISSING_TARGET"]), (2, 1));
    assert_eq!(s.counts["customer_orders.customers"]["MISSING_SOURCE"], 1);
    let keys: Vec<&str> = s.latest.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        ["{\"customer_id\": 9}", "{\"order_id\": 3}"],
        "newest first"
    );
    assert_eq!(s.latest[0].at.to_rfc3339(), "2026-11-27T10:00:04+00:00");

    // A control schema named in the settings is read there.
    db.pool.execute("CREATE SCHEMA dmslogs").await.unwrap();
    validation_table::create(&db.pool, "dmslogs").await;
    let other = read_pg(&db.pool, "dmslogs", "FWDRESOURCEID", 5)
        .await
        .unwrap();
    assert!(other.table_exists && other.total() == 0);
    db.drop().await;
}

/// Issue 12: the PostgreSQL adapter reads the failures in the control
/// schema the task's settings name (carried in [`FailuresOf`]), not in
/// `public`; with none named, in `public`.
#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn the_adapter_reads_the_control_schema_the_task_settings_name() {
    let db = TestDb::create().await;
    db.pool.execute("CREATE SCHEMA dmsctl").await.unwrap();
    validation_table::create(&db.pool, "dmsctl").await;
    validation_table::create(&db.pool, "public").await;
    validation_table::insert_into(
        &db.pool,
        "dmsctl",
        "FWDRESOURCEID",
        "orders",
        "2026-11-27 10:00:01",
        "MISSING_TARGET",
        "{\"order_id\": 7}",
    )
    .await;
    // A decoy in the default schema: not where this task's settings say.
    validation_table::insert(
        &db.pool,
        "FWDRESOURCEID",
        "customers",
        "2026-11-27 10:00:02",
        "RECORD_DIFF",
        "{\"customer_id\": 1}",
    )
    .await;
    let hb = PgHeartbeat::connect_lazy(db.connect(HeartbeatNames::default())).unwrap();
    let of = |schema: Option<&str>| FailuresOf {
        task_arn: "arn:aws:dms:us-east-1:123456789012:task:FWDRESOURCEID".into(),
        control_schema: schema.map(str::to_string),
    };
    let named = hb
        .validation_failures(&of(Some("dmsctl")), 5)
        .await
        .unwrap();
    assert_eq!(
        named.counts.keys().collect::<Vec<_>>(),
        ["customer_orders.orders"],
        "{named:?}"
    );
    assert_eq!(named.latest[0].key, "{\"order_id\": 7}");
    let default = hb.validation_failures(&of(None), 5).await.unwrap();
    assert_eq!(
        default.counts.keys().collect::<Vec<_>>(),
        ["customer_orders.customers"],
        "{default:?}"
    );
    drop(hb);
    db.drop().await;
}
