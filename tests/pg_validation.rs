//! Validation failures read from real PostgreSQL, from the table created
//! the way DMS creates it on a PostgreSQL target: `awsdms_validation_failures_v1`
//! in the control schema, quoted upper-case columns, `TASK_NAME` holding
//! the task's resource id.

#[path = "support/pg.rs"]
mod pg;

use dms_cockpit::backend::validation::{PG_DEFAULT_CONTROL_SCHEMA, read_pg};
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
