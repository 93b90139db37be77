//! A stand-in for the applications: writes a mix of inserts, updates and
//! deletes into the demo tables at a steady rate, each write going to the
//! database the appmap names for a randomly chosen site, read fresh every
//! time so a flip redirects the traffic at once, as it would redirect
//! real application writers.
//!
//! Each site only updates and deletes rows it created (the `site` column):
//! two-way DMS has no conflict resolution, so writes to the same rows must
//! stay on one side, and the generator keeps to that rule.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::sqlite::SqlitePool;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::appmap::LabAppMap;
use super::{Lab, clock, db_error};
use crate::backend::{AppMapStore, BackendError, BackendResult, DbSide, PerDb, Site, routing};

/// What the generator has done so far, for a status line or a test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrafficReport {
    /// Write statements issued (an update or delete finding none of its
    /// site's rows to change still counts).
    pub writes: u64,
    /// The last write that failed, and why (writes continue regardless).
    pub last_error: Option<String>,
}

/// xorshift64*: enough randomness to mix operations, no dependency.
struct XorShift(u64);

impl XorShift {
    fn seeded() -> XorShift {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        XorShift(nanos | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

pub(crate) struct Generator {
    pub appmap: LabAppMap,
    pub sites: PerDb<SqlitePool>,
    pub report: Arc<Mutex<TrafficReport>>,
}

/// Writes `rate` rows per second until `shutdown` turns true.
pub(crate) fn spawn(
    generator: Generator,
    rate: f64,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let period = Duration::from_secs_f64(1.0 / rate).max(Duration::from_millis(1));
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut rng = XorShift::seeded();
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    let result = generator.write_one(&mut rng).await;
                    let mut report = generator.report.lock().unwrap_or_else(|p| p.into_inner());
                    match result {
                        Ok(()) => report.writes += 1,
                        Err(e) => {
                            if !*shutdown.borrow() {
                                tracing::warn!("lab traffic write failed: {e}");
                            }
                            report.last_error = Some(e.to_string());
                        }
                    }
                }
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
        }
    })
}

impl Generator {
    async fn write_one(&self, rng: &mut XorShift) -> BackendResult<()> {
        let site = Site::ALL[rng.below(2) as usize];
        let items = self.appmap.read_all().await?;
        let side = routing::route(&items, site, &Lab::databases())
            .map_err(|e| BackendError::Other(e.into()))?;
        let pool = &self.sites[side];
        let what = format!("lab traffic as {site} into site {side}");
        let err = |e| db_error(&what, e);
        let orders = rng.below(4) != 0;
        match rng.below(10) {
            0..=5 => insert(pool, site, side, orders, rng).await.map_err(err),
            6..=8 => update(pool, site, orders, rng).await.map_err(err),
            _ => delete(pool, site, orders).await.map_err(err),
        }
    }
}

const STATUSES: [&str; 4] = ["open", "paid", "shipped", "cancelled"];

async fn insert(
    pool: &SqlitePool,
    site: Site,
    side: DbSide,
    orders: bool,
    rng: &mut XorShift,
) -> sqlx::Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    // seq_app: ids from this database's own range, as a real sequence.
    let id: i64 = sqlx::query_scalar(
        "UPDATE seq_app SET next_value = next_value + 1 RETURNING next_value - 1",
    )
    .fetch_one(&mut *tx)
    .await?;
    let now = clock::now_text();
    if orders {
        let customer: i64 = sqlx::query_scalar(
            "SELECT COALESCE((SELECT customer_id FROM customers ORDER BY random() LIMIT 1), 0)",
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO orders (order_id, customer_id, amount_cents, status, site, updated_at)
             VALUES (?1, ?2, ?3, 'open', ?4, ?5)",
        )
        .bind(id)
        .bind(customer)
        .bind(100 + rng.below(50_000) as i64)
        .bind(site.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO customers (customer_id, name, email, site, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(id)
        .bind(format!("Customer {id} of {site}"))
        .bind(format!("c{id}@{}.example.com", side.as_str()))
        .bind(site.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

async fn update(
    pool: &SqlitePool,
    site: Site,
    orders: bool,
    rng: &mut XorShift,
) -> sqlx::Result<()> {
    let now = clock::now_text();
    if orders {
        sqlx::query(
            "UPDATE orders SET status = ?2, updated_at = ?3 WHERE order_id =
               (SELECT order_id FROM orders WHERE site = ?1 ORDER BY random() LIMIT 1)",
        )
        .bind(site.as_str())
        .bind(STATUSES[rng.below(STATUSES.len() as u64) as usize])
        .bind(now)
        .execute(pool)
        .await?;
    } else {
        sqlx::query(
            "UPDATE customers SET email = ?2, updated_at = ?3 WHERE customer_id =
               (SELECT customer_id FROM customers WHERE site = ?1 ORDER BY random() LIMIT 1)",
        )
        .bind(site.as_str())
        .bind(format!("changed{}@example.com", rng.below(1_000_000)))
        .bind(now)
        .execute(pool)
        .await?;
    }
    Ok(())
}

async fn delete(pool: &SqlitePool, site: Site, orders: bool) -> sqlx::Result<()> {
    let sql = if orders {
        "DELETE FROM orders WHERE order_id =
           (SELECT order_id FROM orders WHERE site = ?1 ORDER BY random() LIMIT 1)"
    } else {
        "DELETE FROM customers WHERE customer_id =
           (SELECT customer_id FROM customers WHERE site = ?1 ORDER BY random() LIMIT 1)"
    };
    sqlx::query(sql).bind(site.as_str()).execute(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::XorShift;

    #[test]
    fn xorshift_covers_its_range() {
        let mut rng = XorShift(42);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            seen[rng.below(10) as usize] = true;
        }
        assert!(
            seen.iter().all(|s| *s),
            "every value below 10 appears: {seen:?}"
        );
    }
}
