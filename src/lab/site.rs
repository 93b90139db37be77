//! One site database of the lab: its heartbeat table as a
//! [`HeartbeatStore`]. SQLite has no sequences, so `seq_heartbeat` is a
//! one-row table advanced in the same transaction as the insert; each
//! database's range starts far from the other's, as with the real
//! sequences DMS does not replicate.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqlitePool;

use super::{clock, db_error};
use crate::backend::{BackendError, BackendResult, DbSide, HeartbeatRow, HeartbeatStore, Site};

/// [`HeartbeatStore`] over one lab site database.
pub(crate) struct LabHeartbeats {
    pub(crate) pool: SqlitePool,
    pub(crate) side: DbSide,
}

impl LabHeartbeats {
    fn decode(&self, r: &sqlx::sqlite::SqliteRow) -> BackendResult<HeartbeatRow> {
        let at: String = r.get("last_update_dt");
        Ok(HeartbeatRow {
            id: r.get("heartbeat_id"),
            at: clock::parse(&at).map_err(|e| {
                BackendError::Malformed(format!("lab site {} heartbeat: {e}", self.side).into())
            })?,
            site: r.get("last_update_site"),
        })
    }
}

#[async_trait]
impl HeartbeatStore for LabHeartbeats {
    /// What the simulated DMS's validation recorded here, as this site
    /// database's task target (`awsdms_validation_failures_v1`).
    async fn validation_failures(
        &self,
        of: &crate::backend::validation::FailuresOf,
        latest: usize,
    ) -> BackendResult<crate::backend::validation::ValidationSummary> {
        super::validation::read_failures(&self.pool, of.task_name(), latest).await
    }

    async fn latest(&self, n: usize) -> BackendResult<Vec<HeartbeatRow>> {
        let rows = sqlx::query(
            "SELECT heartbeat_id, last_update_dt, last_update_site FROM heartbeat
             ORDER BY last_update_dt DESC, heartbeat_id DESC LIMIT ?1",
        )
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error(&format!("reading heartbeats of lab site {}", self.side), e))?;
        rows.iter().map(|r| self.decode(r)).collect()
    }

    async fn by_ids(&self, ids: &[i64]) -> BackendResult<Vec<HeartbeatRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One query and one bind whatever the number of ids: SQLite reads
        // the list as a JSON array.
        let list = serde_json::to_string(ids)
            .map_err(|e| BackendError::Other(format!("cannot encode heartbeat ids: {e}").into()))?;
        let rows = sqlx::query(
            "SELECT heartbeat_id, last_update_dt, last_update_site FROM heartbeat
             WHERE heartbeat_id IN (SELECT value FROM json_each(?1))",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error(&format!("reading heartbeats of lab site {}", self.side), e))?;
        rows.iter().map(|r| self.decode(r)).collect()
    }

    async fn insert(&self, site: Site) -> BackendResult<HeartbeatRow> {
        let err = |e| {
            db_error(
                &format!("inserting a heartbeat into lab site {}", self.side),
                e,
            )
        };
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(err)?;
        let id: i64 = sqlx::query_scalar(
            "UPDATE seq_heartbeat SET next_value = next_value + 1 RETURNING next_value - 1",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(err)?;
        let at = chrono::Utc::now();
        sqlx::query(
            "INSERT INTO heartbeat (heartbeat_id, last_update_dt, last_update_site)
             VALUES (?1, ?2, ?3)",
        )
        .bind(id)
        .bind(clock::to_text(at))
        .bind(site.as_str())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)?;
        // Return the time at the precision it was stored with (micros),
        // so the row equals what `latest` will read back.
        let at =
            clock::parse(&clock::to_text(at)).map_err(|e| BackendError::Malformed(e.into()))?;
        Ok(HeartbeatRow {
            id,
            at,
            site: site.as_str().to_string(),
        })
    }
}
