//! Replication throughput of the embedded lab's simulated DMS: how fast
//! rows written at site A arrive at site B through the forward task.
//!
//! Each scenario opens a fresh lab in a temporary directory, starts the
//! forward task and waits for its full load, then writes N = 2,000 rows
//! (1,000 `customers`, 1,000 `orders`) into site A through the site's own
//! pool, as an application would, and polls `describe` (the same call the
//! cockpit makes) until the forward task's statistics count every insert,
//! then checks site B really holds the rows. Reported: rows/s from the
//! first write to the last row applied, and the apply time alone.
//!
//! Scenarios: one transaction of 2,000 rows, and 2,000 single-row
//! autocommit writes (an application's shape), with a short apply interval
//! (10 ms), plus the bulk case at the lab's default interval (300 ms), whose
//! ceiling is the engine's batch of 500 changes per task per tick.
//!
//! Each scenario runs three times and the median run is printed.
//! Bounded: every wait has a deadline, the whole run takes well under
//! 60 s (about 12 s here), and it stops by itself.
//!
//! Run: `cargo bench --bench lab`

use std::time::{Duration, Instant};

use sqlx::sqlite::SqlitePool;

use dms_cockpit::backend::{Backends, DbSide, StartRequest, StartType, TaskRole, TaskStatus};
use dms_cockpit::lab::{Lab, LabOptions};

const ROWS: i64 = 2_000;
const FIRST_ID: i64 = 100_000;
/// Each wait's limit; a scenario that needs longer is a failure, not a figure.
const DEADLINE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(5);

#[derive(Clone, Copy)]
enum Writes {
    /// Every row in one transaction.
    OneTransaction,
    /// Every row its own autocommit statement.
    RowByRow,
}

struct Figures {
    write: Duration,
    /// From the last write's commit to the last row applied at site B.
    drain: Duration,
    /// From the first write to the last row applied at site B.
    total: Duration,
}

async fn wait<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        if start.elapsed() > DEADLINE {
            panic!("lab bench: timed out after {DEADLINE:?} waiting for {what}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Inserts the forward task has applied to `customers` and `orders`.
async fn applied_inserts(b: &Backends) -> i64 {
    b.task_tables(TaskRole::Forward)
        .await
        .unwrap_or_else(|e| panic!("lab bench: the forward task's table statistics: {e}"))
        .iter()
        .filter(|t| t.table == "customers" || t.table == "orders")
        .map(|t| t.inserts)
        .sum()
}

fn fail<T>(e: sqlx::Error) -> T {
    panic!("lab bench: writing to site A: {e}")
}

async fn write_rows(pool: &SqlitePool, writes: Writes) {
    let now = "2025-06-01T12:00:00.000000Z";
    let half = ROWS / 2;
    let customer = |id: i64| {
        sqlx::query(
            "INSERT INTO customers (customer_id, name, email, site, updated_at)
             VALUES (?1, ?2, ?3, 'SITEA', ?4)",
        )
        .bind(id)
        .bind(format!("bench customer {id}"))
        .bind(format!("c{id}@example.com"))
        .bind(now)
    };
    let order = |id: i64| {
        sqlx::query(
            "INSERT INTO orders (order_id, customer_id, amount_cents, status, site, updated_at)
             VALUES (?1, ?2, ?3, 'open', 'SITEA', ?4)",
        )
        .bind(id)
        .bind(id)
        .bind(id % 10_000)
        .bind(now)
    };
    match writes {
        Writes::OneTransaction => {
            let mut tx = pool.begin().await.unwrap_or_else(fail);
            for id in FIRST_ID..FIRST_ID + half {
                customer(id).execute(&mut *tx).await.unwrap_or_else(fail);
                order(id).execute(&mut *tx).await.unwrap_or_else(fail);
            }
            tx.commit().await.unwrap_or_else(fail);
        }
        Writes::RowByRow => {
            for id in FIRST_ID..FIRST_ID + half {
                customer(id).execute(pool).await.unwrap_or_else(fail);
                order(id).execute(pool).await.unwrap_or_else(fail);
            }
        }
    }
}

async fn scenario(apply_interval: Duration, writes: Writes) -> Figures {
    let dir = tempfile::tempdir().expect("lab bench: a temporary directory");
    let lab = Lab::open(LabOptions {
        data_dir: dir.path().join("lab"),
        traffic: None,
        transition_delay: Duration::from_millis(50),
        apply_interval,
    })
    .await
    .unwrap_or_else(|e| panic!("lab bench: open the lab: {e}"));
    let b = lab.backends(Duration::from_secs(5), false);
    b.replication
        .start(
            TaskRole::Forward,
            StartRequest {
                start_type: StartType::StartReplication,
                cdc_start_time: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("lab bench: start the forward task: {e}"));
    wait("the forward task to run its full load", || async {
        let snap = b.describe_task(TaskRole::Forward).await.ok()?;
        (snap.status == TaskStatus::Running && snap.progress.full_load_percent == Some(100))
            .then_some(())
    })
    .await;
    let before = applied_inserts(&b).await;

    let start = Instant::now();
    write_rows(lab.site(DbSide::A), writes).await;
    let written = start.elapsed();
    wait("every row to be applied at site B", || async {
        (applied_inserts(&b).await - before >= ROWS).then_some(())
    })
    .await;
    let total = start.elapsed();

    let at_b: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM customers WHERE customer_id >= ?1)
              + (SELECT COUNT(*) FROM orders WHERE order_id >= ?1)",
    )
    .bind(FIRST_ID)
    .fetch_one(lab.site(DbSide::B))
    .await
    .unwrap_or_else(|e| panic!("lab bench: count rows at site B: {e}"));
    assert_eq!(
        at_b, ROWS,
        "the task's statistics counted {ROWS} inserts but site B holds {at_b} of the rows"
    );
    lab.shutdown().await;
    Figures {
        write: written,
        drain: total.saturating_sub(written),
        total,
    }
}

/// Runs of each scenario; the median is reported, as the machine is shared.
const RUNS: usize = 3;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` (CI) does
/// not, and then one run of each scenario checks that the benchmark works
/// without spending the time a measurement needs.
fn runs() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        RUNS
    } else {
        1
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let started = Instant::now();
    let runs = runs();
    println!(
        "lab replication, forward task: {ROWS} rows written at site A until all are applied \
         at site B ({})",
        if runs == 1 {
            "test mode: one run each, not a measurement".to_string()
        } else {
            format!("median of {runs} runs")
        }
    );
    let scenarios = [
        (Duration::from_millis(10), Writes::OneTransaction),
        (Duration::from_millis(10), Writes::RowByRow),
        (Duration::from_millis(300), Writes::OneTransaction),
    ];
    let mut rates = Vec::new();
    for (interval, writes) in scenarios {
        let mut figures: Vec<Figures> = (0..runs)
            .map(|_| runtime.block_on(scenario(interval, writes)))
            .collect();
        figures.sort_by_key(|f| f.total);
        let f = &figures[runs / 2];
        let rate = ROWS as f64 / f.total.as_secs_f64();
        rates.push(rate);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let detail = match writes {
            Writes::OneTransaction => format!(
                "one transaction: written in {:.1} ms, applied {:.1} ms after the commit \
                 (apply alone {:.0} rows/s)",
                ms(f.write),
                ms(f.drain),
                ROWS as f64 / f.drain.as_secs_f64().max(1e-9)
            ),
            Writes::RowByRow => format!(
                "row by row (autocommit): written in {:.1} ms while the task applied, \
                 caught up {:.1} ms after the last write",
                ms(f.write),
                ms(f.drain)
            ),
        };
        println!(
            "apply every {:>3} ms: {rate:>7.0} rows/s end to end ({:.1} ms); {detail}",
            interval.as_millis(),
            ms(f.total),
        );
    }
    println!(
        "ratio, one transaction, 10 ms / 300 ms apply interval: {:.1}x",
        rates[0] / rates[2]
    );
    println!("whole run: {:.1} s", started.elapsed().as_secs_f64());
}
