//! The embedded lab end to end, through the same ports the cockpit uses:
//! real SQLite files in a temporary directory, the simulated DMS engine
//! running in the background. No server needed: plain `cargo test --test lab`.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use dms_cockpit::backend::{
    BackendError, Backends, DbSide, Site, StartRequest, StartType, TableStats, TaskRole,
    TaskSnapshot, TaskStatus,
};
use dms_cockpit::lab::{Lab, LabError, LabOptions};
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqlitePool;

const DEADLINE: Duration = Duration::from_secs(5);

fn options(dir: &Path) -> LabOptions {
    LabOptions {
        data_dir: dir.to_path_buf(),
        traffic: None,
        transition_delay: Duration::from_millis(100),
        apply_interval: Duration::from_millis(20),
        apply_delay: Duration::ZERO,
    }
}

async fn open(dir: &Path) -> (Lab, Backends) {
    let lab = Lab::open(options(dir)).await.expect("lab opens");
    let backends = lab.backends(Duration::from_secs(5), false);
    (lab, backends)
}

/// Polls `probe` until it yields a value, failing with `what` after the deadline.
async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A task's status and, from their own call, its table statistics.
#[derive(Debug)]
struct Described {
    snap: TaskSnapshot,
    tables: Vec<TableStats>,
}

impl std::ops::Deref for Described {
    type Target = TaskSnapshot;
    fn deref(&self) -> &TaskSnapshot {
        &self.snap
    }
}

async fn describe(b: &Backends, role: TaskRole) -> Described {
    Described {
        snap: b.describe_task(role).await.expect("describe"),
        tables: b.task_tables(role).await.expect("table statistics"),
    }
}

async fn wait_status(b: &Backends, role: TaskRole, status: TaskStatus) -> Described {
    wait_for(&format!("{role} to be {status}"), || async {
        let snap = describe(b, role).await;
        (snap.status == status).then_some(snap)
    })
    .await
}

fn start_req(start_type: StartType) -> StartRequest {
    StartRequest {
        start_type,
        cdc_start_time: None,
    }
}

/// Starts a task, checks it passes through `starting`, waits for `running`.
async fn start(b: &Backends, role: TaskRole, start_type: StartType) {
    b.replication
        .start(role, start_req(start_type))
        .await
        .expect("start");
    assert_eq!(describe(b, role).await.status, TaskStatus::Starting);
    wait_status(b, role, TaskStatus::Running).await;
}

async fn wait_full_load(b: &Backends) -> Described {
    wait_for("the forward full load to finish", || async {
        let snap = describe(b, TaskRole::Forward).await;
        (snap.progress.full_load_percent == Some(100)).then_some(snap)
    })
    .await
}

async fn count(pool: &SqlitePool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

async fn exec(pool: &SqlitePool, sql: &str) {
    sqlx::query(AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Waits until `sql` (a single-number query) returns `want` on `pool`.
async fn wait_count(pool: &SqlitePool, sql: &'static str, want: i64) {
    wait_for(&format!("`{sql}` to be {want}"), || async {
        (count(pool, sql).await == want).then_some(())
    })
    .await
}

fn table<'a>(snap: &'a Described, name: &str) -> &'a TableStats {
    snap.tables
        .iter()
        .find(|t| t.table == name)
        .unwrap_or_else(|| panic!("{} has no stats for {name}: {:?}", snap.id, snap.tables))
}

fn dml(snap: &Described, name: &str) -> (i64, i64, i64) {
    let t = table(snap, name);
    (t.inserts, t.updates, t.deletes)
}

/// Writes a heartbeat as `site` and waits until it reached the other
/// database: every change captured before it has been applied by then, since
/// a task applies its source's log in order.
async fn flush(lab: &Lab, b: &Backends, site: Site) {
    let (db, row) = b.insert_heartbeat_as(site).await.expect("heartbeat");
    let other = lab.site(db.other());
    wait_for("the marker heartbeat to replicate", || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM heartbeat WHERE heartbeat_id = ?1")
            .bind(row.id)
            .fetch_one(other)
            .await
            .unwrap();
        (n == 1).then_some(())
    })
    .await;
}

#[tokio::test]
async fn replicates_both_ways_without_echo_and_counts_what_it_applied() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    let (a, bdb) = (lab.site(DbSide::A), lab.site(DbSide::B));

    let fresh = describe(&b, TaskRole::Forward).await;
    assert_eq!(fresh.status, TaskStatus::Ready);
    assert_eq!(fresh.start_date, None);
    assert_eq!(fresh.migration_type, "full-load-and-cdc");
    assert_eq!(describe(&b, TaskRole::Backward).await.migration_type, "cdc");
    assert_eq!(count(bdb, "SELECT COUNT(*) FROM customers").await, 0);

    start(&b, TaskRole::Forward, StartType::StartReplication).await;
    let loaded = wait_full_load(&b).await;
    assert_eq!(table(&loaded, "customers").full_load_rows, 4);
    assert_eq!(table(&loaded, "orders").full_load_rows, 5);
    assert_eq!(table(&loaded, "heartbeat").full_load_rows, 0);
    assert_eq!(table(&loaded, "orders").schema, "customer_orders");
    assert_eq!(table(&loaded, "orders").state, "Table completed");
    assert_eq!(loaded.progress.tables_loaded, 3);
    assert!(loaded.progress.full_load_finish_date.is_some());
    assert_eq!(count(bdb, "SELECT COUNT(*) FROM customers").await, 4);
    assert_eq!(count(bdb, "SELECT COUNT(*) FROM orders").await, 5);
    start(&b, TaskRole::Backward, StartType::StartReplication).await;

    // A -> B: insert, update, delete.
    exec(
        a,
        "INSERT INTO customers VALUES (500, 'Barbara Liskov', 'b@example.com', 'SITEA', 'now')",
    )
    .await;
    exec(
        a,
        "UPDATE customers SET email = 'ada@new.example.com' WHERE customer_id = 1",
    )
    .await;
    exec(a, "DELETE FROM orders WHERE order_id = 5").await;
    wait_count(
        bdb,
        "SELECT COUNT(*) FROM customers WHERE customer_id = 500",
        1,
    )
    .await;
    wait_count(bdb, "SELECT COUNT(*) FROM orders", 4).await;
    wait_count(
        bdb,
        "SELECT COUNT(*) FROM customers WHERE email = 'ada@new.example.com'",
        1,
    )
    .await;

    // B -> A: insert, update, delete.
    exec(
        bdb,
        "INSERT INTO orders VALUES (1000000001, 500, 4200, 'open', 'SITEB', 'now')",
    )
    .await;
    exec(
        bdb,
        "UPDATE orders SET status = 'paid' WHERE order_id = 1000000001",
    )
    .await;
    exec(bdb, "DELETE FROM customers WHERE customer_id = 4").await;
    wait_count(
        a,
        "SELECT COUNT(*) FROM orders WHERE order_id = 1000000001 AND status = 'paid'",
        1,
    )
    .await;
    wait_count(a, "SELECT COUNT(*) FROM customers WHERE customer_id = 4", 0).await;

    // Markers written after everything else: once they arrive, any echo
    // would already have been applied and counted.
    flush(&lab, &b, Site::A).await;
    flush(&lab, &b, Site::B).await;

    let fwd = describe(&b, TaskRole::Forward).await;
    let bwd = describe(&b, TaskRole::Backward).await;
    assert_eq!(dml(&fwd, "customers"), (1, 1, 0), "{fwd:?}");
    assert_eq!(dml(&fwd, "orders"), (0, 0, 1), "{fwd:?}");
    assert_eq!(dml(&fwd, "heartbeat"), (1, 0, 0), "{fwd:?}");
    assert_eq!(dml(&bwd, "customers"), (0, 0, 1), "{bwd:?}");
    assert_eq!(dml(&bwd, "orders"), (1, 1, 0), "{bwd:?}");
    assert_eq!(dml(&bwd, "heartbeat"), (1, 0, 0), "{bwd:?}");
    assert!(table(&fwd, "customers").last_update.is_some());
    assert_eq!(table(&bwd, "orders").validation_state, "Not enabled");

    // The applied changes were captured but marked by the loopback flag.
    assert_eq!(
        count(
            a,
            "SELECT COUNT(*) FROM dms_changes WHERE origin = 'lab-backward'"
        )
        .await,
        4,
        "backward applied 3 changes and 1 heartbeat into A"
    );
    assert_eq!(
        count(
            bdb,
            "SELECT COUNT(*) FROM dms_changes WHERE origin = 'lab-forward' AND seq > 0"
        )
        .await,
        // the full load's rows (4 customers, 5 orders) are not in the log:
        // it was loaded before, and reloads delete+insert under the flag;
        // what remains are the 4 applied CDC changes
        4 + 9
    );
    assert_eq!(
        count(
            a,
            "SELECT applying_task IS NULL FROM awsdms_loopback_prevention"
        )
        .await,
        1
    );

    // Both databases agree.
    for sql in [
        "SELECT COUNT(*) FROM customers",
        "SELECT COUNT(*) FROM orders",
        "SELECT COUNT(*) FROM heartbeat",
        "SELECT SUM(amount_cents) FROM orders",
    ] {
        assert_eq!(count(a, sql).await, count(bdb, sql).await, "{sql}");
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn stop_write_resume_applies_the_backlog_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    let (a, bdb) = (lab.site(DbSide::A), lab.site(DbSide::B));

    let err = b
        .replication
        .start(TaskRole::Backward, start_req(StartType::ResumeProcessing))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::InvalidState(m) if m.contains("never run")),
        "{err}"
    );
    let err = b
        .replication
        .start(TaskRole::Backward, start_req(StartType::ReloadTarget))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::InvalidState(m) if m.contains("reload-target")),
        "{err}"
    );
    let err = b.replication.stop(TaskRole::Forward).await.unwrap_err();
    assert!(
        matches!(&err, BackendError::InvalidState(m) if m.contains("not running")),
        "{err}"
    );

    start(&b, TaskRole::Forward, StartType::StartReplication).await;
    wait_full_load(&b).await;
    let err = b
        .replication
        .start(TaskRole::Forward, start_req(StartType::StartReplication))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::InvalidState(m) if m.contains("already running")),
        "{err}"
    );

    b.replication.stop(TaskRole::Forward).await.expect("stop");
    assert_eq!(
        describe(&b, TaskRole::Forward).await.status,
        TaskStatus::Stopping
    );
    let stopped = wait_status(&b, TaskRole::Forward, TaskStatus::Stopped).await;
    assert_eq!(stopped.stop_reason.as_deref(), Some("NORMAL"));
    assert!(stopped.progress.stop_date.is_some());
    let err = b.replication.stop(TaskRole::Forward).await.unwrap_err();
    assert!(matches!(err, BackendError::InvalidState(_)), "{err}");

    for id in 600..603 {
        exec(
            a,
            &format!("INSERT INTO customers VALUES ({id}, 'n{id}', NULL, 'SITEA', 'now')"),
        )
        .await;
    }
    exec(a, "UPDATE orders SET status = 'paid' WHERE order_id = 2").await;
    // Nothing flows while stopped (ten apply intervals).
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(count(bdb, "SELECT COUNT(*) FROM customers").await, 4);

    start(&b, TaskRole::Forward, StartType::ResumeProcessing).await;
    wait_count(bdb, "SELECT COUNT(*) FROM customers", 7).await;
    flush(&lab, &b, Site::A).await;
    let snap = describe(&b, TaskRole::Forward).await;
    assert_eq!(dml(&snap, "customers"), (3, 0, 0), "{snap:?}");
    assert_eq!(dml(&snap, "orders"), (0, 1, 0), "{snap:?}");
    assert_eq!(
        table(&snap, "customers").full_load_rows,
        4,
        "resume does not reload"
    );
    assert_eq!(
        count(bdb, "SELECT COUNT(*) FROM orders WHERE status = 'paid'").await,
        1
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn reload_target_copies_everything_again() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    let bdb = lab.site(DbSide::B);
    start(&b, TaskRole::Forward, StartType::StartReplication).await;
    wait_full_load(&b).await;
    b.replication.stop(TaskRole::Forward).await.unwrap();
    wait_status(&b, TaskRole::Forward, TaskStatus::Stopped).await;
    // Damage the target: the reload must restore it from A.
    exec(bdb, "DELETE FROM customers").await;
    start(&b, TaskRole::Forward, StartType::ReloadTarget).await;
    let snap = wait_full_load(&b).await;
    assert_eq!(table(&snap, "customers").full_load_rows, 4);
    assert_eq!(dml(&snap, "customers"), (0, 0, 0));
    assert_eq!(count(bdb, "SELECT COUNT(*) FROM customers").await, 4);
    lab.shutdown().await;
}

#[tokio::test]
async fn flip_sends_later_heartbeats_to_the_other_database() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;

    let items = b.read_appmap().await.unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].site, "SITEA");
    assert_eq!(items[0].dbengine, "oracle");
    assert_eq!(items[1].dbengine, "postgresql");
    assert!(
        b.mode.description.contains("stands in for Oracle"),
        "{}",
        b.mode.description
    );
    assert_eq!(b.mode.name, "LAB");

    let (db, first) = b.insert_heartbeat_as(Site::A).await.unwrap();
    assert_eq!((db, first.id, first.site.as_str()), (DbSide::A, 1, "SITEA"));
    let (item, to) = b.flip_site(Site::A, None, "tester").await.unwrap();
    assert_eq!(to, DbSide::B);
    assert_eq!(item.dbengine, "postgresql");
    assert_eq!(
        item.extra.get("flipped_by").map(String::as_str),
        Some("tester")
    );
    assert!(item.extra.contains_key("flipped_at"));
    let (db, second) = b.insert_heartbeat_as(Site::A).await.unwrap();
    assert_eq!(
        (db, second.id),
        (DbSide::B, dms_cockpit::setup::sql::DEFAULT_SEQ_START.b)
    );
    let latest = b.latest_heartbeats(DbSide::B, 5).await.unwrap();
    assert_eq!(latest, vec![second]);

    // A flip confirmed against what the operator saw before is stale now.
    let err = b
        .flip_site(Site::A, Some(items[0].clone()), "late")
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Conflict(_)), "{err}");
    let err = b
        .appmap
        .flip(&items[0], &Lab::databases().b, "late")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::Conflict(m) if m.contains("SITEA")),
        "{err}"
    );
    assert_eq!(
        b.read_appmap().await.unwrap()[0],
        item,
        "the stale flip changed nothing"
    );

    // Two flips racing from the same view: exactly one wins.
    let seen = b.read_appmap().await.unwrap()[1].clone();
    let dbs = Lab::databases();
    let (x, y) = tokio::join!(
        b.appmap.flip(&seen, &dbs.a, "x"),
        b.appmap.flip(&seen, &dbs.a, "y")
    );
    assert_eq!(
        [x.is_ok(), y.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{x:?} {y:?}"
    );
    let loser = x.err().or(y.err()).unwrap();
    assert!(matches!(loser, BackendError::Conflict(_)), "{loser}");
    lab.shutdown().await;
}

#[tokio::test]
async fn reusing_the_data_dir_resumes_tasks_appmap_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    start(&b, TaskRole::Forward, StartType::StartReplication).await;
    wait_full_load(&b).await;
    b.flip_site(Site::B, None, "tester").await.unwrap();
    let (_, hb) = b.insert_heartbeat_as(Site::A).await.unwrap();
    lab.shutdown().await;

    let (lab, b) = open(dir.path()).await;
    let snap = describe(&b, TaskRole::Forward).await;
    assert_eq!(snap.status, TaskStatus::Running);
    assert!(snap.start_date.is_some());
    assert_eq!(table(&snap, "customers").full_load_rows, 4);
    assert_eq!(
        b.read_appmap().await.unwrap()[1].dbengine,
        "oracle",
        "SITEB stays flipped"
    );
    assert_eq!(
        b.latest_heartbeats(DbSide::A, 1).await.unwrap(),
        vec![hb.clone()]
    );
    // The engine picks up where it was: the heartbeat reaches B, once.
    wait_count(lab.site(DbSide::B), "SELECT COUNT(*) FROM heartbeat", 1).await;
    let (_, next) = b.insert_heartbeat_as(Site::A).await.unwrap();
    assert_eq!(next.id, hb.id + 1, "the sequence resumes");
    flush(&lab, &b, Site::A).await;
    assert_eq!(
        dml(&describe(&b, TaskRole::Forward).await, "heartbeat"),
        (3, 0, 0)
    );
    lab.shutdown().await;
}

fn message(err: LabError) -> String {
    err.to_string()
}

#[tokio::test]
async fn refuses_foreign_corrupt_and_other_version_directories_untouched() {
    // Foreign files.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let err = message(Lab::open(options(dir.path())).await.err().expect("refused"));
    assert!(
        err.contains("notes.txt") && err.contains(&dir.path().display().to_string()),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // A file where a directory should be.
    let file = dir.path().join("notes.txt");
    let err = message(Lab::open(options(&file)).await.err().expect("refused"));
    assert!(err.contains("is a file"), "{err}");

    // Corrupt control.db.
    let dir = tempfile::tempdir().unwrap();
    let (lab, _) = open(dir.path()).await;
    lab.shutdown().await;
    let control = dir.path().join("control.db");
    std::fs::write(&control, b"this is not sqlite at all, not even close").unwrap();
    let err = message(Lab::open(options(dir.path())).await.err().expect("refused"));
    assert!(
        err.contains("control.db") && err.contains("not an SQLite database"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&control).unwrap(),
        b"this is not sqlite at all, not even close"
    );

    // Another format version.
    let dir = tempfile::tempdir().unwrap();
    let (lab, _) = open(dir.path()).await;
    exec(
        lab.site(DbSide::A),
        "UPDATE lab_meta SET value = '99' WHERE key = 'format_version'",
    )
    .await;
    lab.shutdown().await;
    let err = message(Lab::open(options(dir.path())).await.err().expect("refused"));
    assert!(
        err.contains("site_a.db") && err.contains("version 99"),
        "{err}"
    );

    // Someone else's SQLite database under the lab's file name.
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("control.db");
    let pool = SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&foreign)
            .create_if_missing(true),
    )
    .await
    .unwrap();
    exec(&pool, "CREATE TABLE precious (x INTEGER)").await;
    pool.close().await;
    let before = std::fs::read(&foreign).unwrap();
    let err = message(Lab::open(options(dir.path())).await.err().expect("refused"));
    assert!(err.contains("no lab marker"), "{err}");
    assert_eq!(std::fs::read(&foreign).unwrap(), before, "left untouched");

    // Missing directories are created.
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("new").join("lab");
    let (lab, _) = open(&nested).await;
    assert!(nested.join("site_b.db").is_file());
    lab.shutdown().await;
}

#[tokio::test]
async fn traffic_follows_the_appmap_into_both_databases() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.traffic = Some(200.0);
    assert!(
        Lab::open(LabOptions {
            traffic: Some(0.0),
            ..opts.clone()
        })
        .await
        .is_err()
    );
    let lab = Lab::open(opts).await.unwrap();
    let b = lab.backends(Duration::from_secs(5), true);
    assert!(b.mode.read_only);
    start(&b, TaskRole::Forward, StartType::StartReplication).await;
    wait_full_load(&b).await;
    start(&b, TaskRole::Backward, StartType::StartReplication).await;
    wait_for("traffic to be replicated both ways", || async {
        let f = describe(&b, TaskRole::Forward).await;
        let w = describe(&b, TaskRole::Backward).await;
        let sum = |s: &Described| s.tables.iter().map(|t| t.inserts).sum::<i64>();
        (sum(&f) > 5 && sum(&w) > 5).then_some(())
    })
    .await;
    let report = lab.traffic_report().unwrap();
    assert!(report.writes > 10, "{report:?}");
    assert_eq!(report.last_error, None);
    lab.shutdown().await;
}

#[tokio::test]
async fn an_apply_error_fails_the_task_and_resume_retries_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    let (a, bdb) = (lab.site(DbSide::A), lab.site(DbSide::B));
    start(&b, TaskRole::Forward, StartType::StartReplication).await;
    wait_full_load(&b).await;
    // The target refuses one row, as a constraint missing on the source would.
    exec(
        bdb,
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON customers WHEN NEW.name = 'boom'
         BEGIN SELECT RAISE(ABORT, 'boom is refused here'); END",
    )
    .await;
    // One statement, so both rows reach the task in one batch (two
    // statements let the engine apply the good row on its own first).
    exec(
        a,
        "INSERT INTO customers VALUES (700, 'fine', NULL, 'SITEA', 'now'),
                                      (701, 'boom', NULL, 'SITEA', 'now')",
    )
    .await;
    let failed = wait_status(&b, TaskRole::Forward, TaskStatus::Failed).await;
    assert_eq!(failed.stop_reason.as_deref(), Some("FATAL_ERROR"));
    let why = failed.last_failure.clone().unwrap_or_default();
    assert!(
        why.contains("boom is refused here") && why.contains("lab-forward"),
        "{why}"
    );
    // The failed batch was rolled back whole: not even the good row landed.
    assert_eq!(
        count(
            bdb,
            "SELECT COUNT(*) FROM customers WHERE customer_id >= 700"
        )
        .await,
        0
    );
    assert_eq!(
        dml(&describe(&b, TaskRole::Forward).await, "customers"),
        (0, 0, 0)
    );

    exec(bdb, "DROP TRIGGER refuse_boom").await;
    start(&b, TaskRole::Forward, StartType::ResumeProcessing).await;
    wait_count(
        bdb,
        "SELECT COUNT(*) FROM customers WHERE customer_id >= 700",
        2,
    )
    .await;
    flush(&lab, &b, Site::A).await;
    let snap = describe(&b, TaskRole::Forward).await;
    assert_eq!(dml(&snap, "customers"), (2, 0, 0), "{snap:?}");
    assert_eq!(snap.last_failure, None);
    lab.shutdown().await;
}

#[tokio::test]
async fn a_data_dir_in_use_by_another_lab_is_refused_until_it_closes() {
    let dir = tempfile::tempdir().unwrap();
    let first = Lab::open(LabOptions::new(dir.path())).await.unwrap();
    let err = Lab::open(LabOptions::new(dir.path()))
        .await
        .err()
        .expect("second open refused");
    let msg = err.to_string();
    assert!(msg.contains("in use by another dms-cockpit"), "{msg}");
    first.shutdown().await;
    let again = Lab::open(LabOptions::new(dir.path()))
        .await
        .expect("reopens once closed");
    again.shutdown().await;
}

/// Issue 8, item 1 (false negative): rows that are in both databases keep
/// their mark when the other database's latest rows are all newer ones.
/// Checked against the rows themselves, read straight from the SQLite files.
#[tokio::test]
async fn replicated_marks_follow_the_rows_not_the_other_databases_latest() {
    use dms_cockpit::app::Settings;
    use dms_cockpit::commands::status::{Snapshot, poll};
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    start(&b, TaskRole::Forward, StartType::StartReplication).await;
    wait_full_load(&b).await;
    start(&b, TaskRole::Backward, StartType::StartReplication).await;
    // Three heartbeats as each site, carried both ways.
    for _ in 0..3 {
        for site in Site::ALL {
            b.insert_heartbeat_as(site).await.expect("heartbeat");
        }
    }
    let both = "SELECT count(*) FROM heartbeat";
    wait_count(lab.site(DbSide::A), both, 6).await;
    wait_count(lab.site(DbSide::B), both, 6).await;
    // Stop the forward task, then twelve heartbeats as SITEA: they stay in a.
    b.replication.stop(TaskRole::Forward).await.expect("stop");
    wait_status(&b, TaskRole::Forward, TaskStatus::Stopped).await;
    for _ in 0..12 {
        b.insert_heartbeat_as(Site::A).await.expect("heartbeat");
    }
    wait_count(lab.site(DbSide::A), both, 18).await;

    let app = poll(&b, &Settings::default(), 10).await;
    let snapshot = Snapshot::from_app(&app);
    // The truth, per row shown: is the same row (id, site, time) in the
    // other database's file?
    for db in DbSide::ALL {
        let shown = &snapshot.heartbeats[db];
        assert_eq!(shown.len(), if db == DbSide::A { 10 } else { 6 });
        for row in shown {
            let read = |side: DbSide| {
                sqlx::query_as::<_, (String, String)>(
                    "SELECT last_update_dt, last_update_site FROM heartbeat WHERE heartbeat_id = ?1",
                )
                .bind(row.id)
                .fetch_optional(lab.site(side))
            };
            let here = read(db)
                .await
                .unwrap()
                .expect("the shown row is in its database");
            let there = read(db.other()).await.unwrap();
            let in_other = i64::from(there.as_ref() == Some(&here));
            assert_eq!(
                row.replicated,
                Some(in_other == 1),
                "database {db} row {} ({}): marked {:?}, in the other database: {in_other}",
                row.id,
                row.site,
                row.replicated
            );
        }
    }
    // The rows written before the stop are all in a too, and marked so.
    assert!(
        snapshot
            .heartbeats
            .b
            .iter()
            .all(|r| r.replicated == Some(true))
    );
    assert!(
        snapshot
            .heartbeats
            .a
            .iter()
            .all(|r| r.replicated == Some(false))
    );
    lab.shutdown().await;
}

/// Issue 11's bounded growth: once the tasks have applied changes, they are
/// pruned from each site's change log (the newest 1,000 stay, the engine's
/// `RETAIN`), and nothing is lost or doubled on the way, also across a
/// stop and resume after pruning.
#[tokio::test]
async fn applied_changes_are_pruned_from_the_change_log_and_none_is_lost_or_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open(dir.path()).await;
    let (a, bdb) = (lab.site(DbSide::A), lab.site(DbSide::B));
    start(&b, TaskRole::Forward, StartType::StartReplication).await;
    start(&b, TaskRole::Backward, StartType::StartReplication).await;

    // 3 rounds of 400 inserts and 400 updates in a, 200 inserts in b:
    // each site's log captures 3,000 changes (its own, and the ones
    // applied into it, which are skipped as echoes).
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
            &format!(
                "UPDATE customers SET name = name || '!' WHERE customer_id BETWEEN {base} AND {base} + 399"
            ),
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
        wait_count(site, "SELECT COUNT(*) FROM customers", 4 + 1_800).await;
        wait_count(
            site,
            "SELECT COUNT(*) FROM customers WHERE name LIKE '%!'",
            1_200,
        )
        .await;
    }
    let log_at_most = |site: &'static str, pool: &SqlitePool, max: i64| {
        let pool = pool.clone();
        async move {
            wait_for(
                &format!("site {site}'s change log to shrink to {max}"),
                || async {
                    (count(&pool, "SELECT COUNT(*) FROM dms_changes").await <= max).then_some(())
                },
            )
            .await
        }
    };
    for (site, pool) in [("a", a), ("b", bdb)] {
        let captured = count(pool, "SELECT MAX(seq) FROM dms_changes").await;
        assert!(captured >= 3_000, "site {site} captured {captured}");
        log_at_most(site, pool, 1_000).await;
    }

    // Pruning loses nothing across a stop and resume.
    b.replication.stop(TaskRole::Forward).await.expect("stop");
    wait_status(&b, TaskRole::Forward, TaskStatus::Stopped).await;
    exec(
        a,
        "INSERT INTO customers VALUES (90001, 'late', NULL, 'SITEA', 'now')",
    )
    .await;
    start(&b, TaskRole::Forward, StartType::ResumeProcessing).await;
    wait_count(
        bdb,
        "SELECT COUNT(*) FROM customers WHERE customer_id = 90001",
        1,
    )
    .await;
    log_at_most("a", a, 1_000).await;
    lab.shutdown().await;
}
