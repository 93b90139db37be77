//! The lab's change log stays bounded (issue 11's soak): once the tasks
//! have applied the changes, they are pruned from each site's log, and
//! nothing is lost or doubled on the way. No server needed.

use std::path::Path;
use std::time::{Duration, Instant};

use dms_cockpit::backend::{Backends, DbSide, StartRequest, StartType, TaskRole, TaskStatus};
use dms_cockpit::lab::{Lab, LabOptions};
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqlitePool;

const DEADLINE: Duration = Duration::from_secs(10);

async fn open(dir: &Path) -> (Lab, Backends) {
    let lab = Lab::open(LabOptions {
        data_dir: dir.to_path_buf(),
        traffic: None,
        transition_delay: Duration::from_millis(50),
        apply_interval: Duration::from_millis(20),
        apply_delay: Duration::ZERO,
    })
    .await
    .expect("lab opens");
    let backends = lab.backends(Duration::from_secs(5), false);
    (lab, backends)
}

async fn count(pool: &SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(sql.to_string()))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn exec(pool: &SqlitePool, sql: &str) {
    sqlx::query(AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Waits until `sql` on `pool` satisfies `ok`; returns its last value.
async fn wait_until(pool: &SqlitePool, sql: &str, ok: impl Fn(i64) -> bool) -> i64 {
    let start = Instant::now();
    loop {
        let n = count(pool, sql).await;
        if ok(n) {
            return n;
        }
        assert!(start.elapsed() < DEADLINE, "`{sql}` stayed at {n}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn start(b: &Backends, role: TaskRole, start_type: StartType) {
    b.replication
        .start(
            role,
            StartRequest {
                start_type,
                cdc_start_time: None,
            },
        )
        .await
        .expect("start");
    let start = Instant::now();
    while b.describe_task(role).await.unwrap().status != TaskStatus::Running {
        assert!(start.elapsed() < DEADLINE, "{role} never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const LOG: &str = "SELECT COUNT(*) FROM dms_changes";

#[tokio::test]
async fn applied_changes_are_pruned_and_none_is_lost_or_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    let (a, bdb) = (lab.site(DbSide::A), lab.site(DbSide::B));
    start(&b, TaskRole::Forward, StartType::StartReplication).await;
    start(&b, TaskRole::Backward, StartType::StartReplication).await;

    // 3 rounds of 400 inserts and 400 updates in a, 200 inserts in b:
    // 3,000 changes captured, each applied once on the other side (and
    // captured there again as an applied change, which is skipped).
    for round in 0..3 {
        let base = 10_000 + round * 1_000;
        exec(
            a,
            &format!(
                "WITH RECURSIVE n(i) AS (SELECT {base} UNION ALL SELECT i + 1 FROM n WHERE i < {base} + 399)
                 INSERT INTO customers SELECT i, 'c' || i, NULL, 'SITEA', 'now' FROM n"
            ),
        )
        .await;
        exec(
            a,
            &format!("UPDATE customers SET name = name || '!' WHERE customer_id BETWEEN {base} AND {base} + 399"),
        )
        .await;
        let base_b = 50_000 + round * 1_000;
        exec(
            bdb,
            &format!(
                "WITH RECURSIVE n(i) AS (SELECT {base_b} UNION ALL SELECT i + 1 FROM n WHERE i < {base_b} + 199)
                 INSERT INTO customers SELECT i, 'c' || i, NULL, 'SITEB', 'now' FROM n"
            ),
        )
        .await;
    }
    // Everything arrives, exactly once, the updates too.
    for site in [a, bdb] {
        wait_until(site, "SELECT COUNT(*) FROM customers", |n| n == 4 + 1_800).await;
        wait_until(
            site,
            "SELECT COUNT(*) FROM customers WHERE name LIKE '%!'",
            |n| n == 1_200,
        )
        .await;
    }
    // Each log captured 3,000 changes (its own and the ones applied into
    // it); once applied, only the newest 1,000 (the engine's RETAIN) stay.
    for (name, site) in [("a", a), ("b", bdb)] {
        let captured = count(site, "SELECT MAX(seq) FROM dms_changes").await;
        assert!(captured >= 3_000, "site {name} captured {captured}");
        let left = wait_until(site, LOG, |n| n <= 1_000).await;
        assert!(left <= 1_000, "site {name}'s log holds {left} rows");
    }

    // Pruning loses nothing across a stop and resume, or a new start.
    b.replication.stop(TaskRole::Forward).await.expect("stop");
    let start_t = Instant::now();
    while b.describe_task(TaskRole::Forward).await.unwrap().status != TaskStatus::Stopped {
        assert!(start_t.elapsed() < DEADLINE);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    exec(
        a,
        "INSERT INTO customers VALUES (90001, 'late', NULL, 'SITEA', 'now')",
    )
    .await;
    start(&b, TaskRole::Forward, StartType::ResumeProcessing).await;
    wait_until(
        bdb,
        "SELECT COUNT(*) FROM customers WHERE customer_id = 90001",
        |n| n == 1,
    )
    .await;
    wait_until(a, LOG, |n| n <= 1_000).await;
    lab.shutdown().await;
}
