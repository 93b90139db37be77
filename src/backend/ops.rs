//! Backend operations that take more than one call, each under the
//! configured timeout. The TUI's runtime and the headless commands both run
//! these, so "heartbeat as SITEA" or "flip SITEB" means the same everywhere.

use std::future::Future;
use std::time::Duration;

use super::{
    AppMapItem, BackendError, BackendResult, Backends, DbSide, HeartbeatRow, Site, TaskRole,
    TaskSnapshot, routing,
};

/// Runs `fut`, turning a hang into [`BackendError::Timeout`].
pub async fn with_timeout<T>(
    limit: Duration,
    fut: impl Future<Output = BackendResult<T>>,
) -> BackendResult<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result,
        Err(_) => Err(BackendError::Timeout(limit)),
    }
}

impl Backends {
    pub async fn describe_task(&self, role: TaskRole) -> BackendResult<TaskSnapshot> {
        with_timeout(self.timeout, self.replication.describe(role)).await
    }

    pub async fn read_appmap(&self) -> BackendResult<Vec<AppMapItem>> {
        with_timeout(self.timeout, self.appmap.read_all()).await
    }

    pub async fn latest_heartbeats(
        &self,
        db: DbSide,
        n: usize,
    ) -> BackendResult<Vec<HeartbeatRow>> {
        with_timeout(self.timeout, self.heartbeats[db].latest(n))
            .await
            .map_err(|e| self.name_database(db, e))
    }

    /// The rows of database `db` with exactly these ids (see
    /// [`HeartbeatStore::by_ids`](super::HeartbeatStore::by_ids)).
    pub async fn heartbeats_by_ids(
        &self,
        db: DbSide,
        ids: &[i64],
    ) -> BackendResult<Vec<HeartbeatRow>> {
        with_timeout(self.timeout, self.heartbeats[db].by_ids(ids))
            .await
            .map_err(|e| self.name_database(db, e))
    }

    /// A bare timeout says nothing about where: name the database.
    fn name_database(&self, db: DbSide, e: BackendError) -> BackendError {
        match e {
            BackendError::Timeout(limit) => BackendError::Unavailable(format!(
                "database {db} ({} {}) gave no answer within {}: is it running and reachable?",
                self.databases[db].engine,
                self.databases[db].address(),
                humantime::format_duration(limit)
            )),
            other => other,
        }
    }

    /// Looks `site` up in the appmap now (not from a cached copy: a flip by
    /// someone else must be honoured) and inserts a heartbeat into the
    /// database it names.
    pub async fn insert_heartbeat_as(&self, site: Site) -> BackendResult<(DbSide, HeartbeatRow)> {
        let items = self.read_appmap().await?;
        let db = routing::route(&items, site, &self.databases).map_err(BackendError::Other)?;
        let row = with_timeout(self.timeout, self.heartbeats[db].insert(site))
            .await
            .map_err(|e| self.name_database(db, e))?;
        Ok((db, row))
    }

    /// Points `site` at the other configured database. `seen` is the item
    /// the operator confirmed; when given, the flip only succeeds if the
    /// store still holds exactly that, so a change made in between is
    /// reported instead of overwritten.
    pub async fn flip_site(
        &self,
        site: Site,
        seen: Option<AppMapItem>,
        who: &str,
    ) -> BackendResult<(AppMapItem, DbSide)> {
        let items = self.read_appmap().await?;
        let (current, to) =
            routing::flip_target(&items, site, &self.databases).map_err(BackendError::Other)?;
        let expected = match seen {
            Some(seen) if !same_mapping(&seen, &current) => {
                return Err(BackendError::Conflict(format!(
                    "{site}'s mapping changed underneath: you saw {}, the appmap now says {}; look again and retry",
                    seen.describe(),
                    current.describe()
                )));
            }
            Some(seen) => seen,
            None => current,
        };
        let item = with_timeout(
            self.timeout,
            self.appmap.flip(&expected, &self.databases[to], who),
        )
        .await?;
        Ok((item, to))
    }
}

/// Whether two items route the same way (extras aside).
pub fn same_mapping(x: &AppMapItem, y: &AppMapItem) -> bool {
    x.site == y.site
        && x.dbengine == y.dbengine
        && x.endpoint == y.endpoint
        && x.port == y.port
        && x.dbname == y.dbname
        && x.username == y.username
}
