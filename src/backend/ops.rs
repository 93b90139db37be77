//! Backend operations that take more than one call, each under the
//! configured timeout. The TUI's runtime and the headless commands both run
//! these, so "heartbeat as SITEA" or "flip SITEB" means the same everywhere.

use std::future::Future;
use std::time::Duration;

use super::{
    AppMapItem, BackendError, BackendResult, Backends, CallerIdentity, CdcLatency, DbSide,
    HeartbeatRow, PerDb, ReloadOption, Site, StartRequest, StartType, TableRef, TableStats,
    TaskRole, TaskSnapshot, routing,
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

/// A change the cockpit makes: what "outcome unknown" is about, and what
/// is read back to learn what is now true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    Start(TaskRole, StartType),
    Stop(TaskRole),
    Heartbeat(Site),
    /// Flip a site to the given database.
    Flip(Site, DbSide),
    /// `ReloadTables` of these tables of a task.
    ReloadTables(TaskRole, Vec<TableRef>, ReloadOption),
}

impl Mutation {
    /// How the event log and the headless commands name it.
    pub fn describe(&self) -> String {
        match self {
            Mutation::Start(role, start_type) => format!("{role} task: {start_type}"),
            Mutation::Stop(role) => format!("{role} task: stop"),
            Mutation::Heartbeat(site) => format!("heartbeat as {site}"),
            Mutation::Flip(site, to) => format!("flip of {site} to database {to}"),
            Mutation::ReloadTables(role, tables, option) => format!(
                "{role} task: {option} of {}",
                tables
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// What a read-back after an unknown outcome found.
#[derive(Debug, Clone, PartialEq)]
pub enum Reread {
    Task(Box<TaskSnapshot>),
    AppMap(Vec<AppMapItem>),
    /// The latest rows of both databases (a heartbeat may have landed in
    /// either, had someone flipped the site meanwhile).
    Heartbeats(PerDb<Vec<HeartbeatRow>>),
    /// A task's table statistics (after a reload: whether DMS took it).
    Tables(TaskRole, Vec<TableStats>),
}

/// A change's own call timed out: it was sent, so it may have been applied.
fn unknown_on_timeout(what: impl FnOnce(Duration) -> String, e: BackendError) -> BackendError {
    match e {
        BackendError::Timeout(limit) => BackendError::OutcomeUnknown(what(limit)),
        other => other,
    }
}

impl Backends {
    /// Starts a task; a timeout is [`BackendError::OutcomeUnknown`].
    pub async fn start_task(&self, role: TaskRole, request: StartRequest) -> BackendResult<()> {
        let start_type = request.start_type;
        with_timeout(self.timeout, self.replication.start(role, request))
            .await
            .map_err(|e| {
                unknown_on_timeout(
                    |limit| {
                        format!(
                            "DMS gave no answer to the {role} task's {start_type} within {}: it may or may not have been applied",
                            humantime::format_duration(limit)
                        )
                    },
                    e,
                )
            })
    }

    /// Stops a task; a timeout is [`BackendError::OutcomeUnknown`].
    pub async fn stop_task(&self, role: TaskRole) -> BackendResult<()> {
        with_timeout(self.timeout, self.replication.stop(role))
            .await
            .map_err(|e| {
                unknown_on_timeout(
                    |limit| {
                        format!(
                            "DMS gave no answer to stopping the {role} task within {}: it may or may not have been applied",
                            humantime::format_duration(limit)
                        )
                    },
                    e,
                )
            })
    }

    /// `ReloadTables`; a timeout is [`BackendError::OutcomeUnknown`]: DMS
    /// may have queued the tables (the table statistics tell).
    pub async fn reload_tables(
        &self,
        role: TaskRole,
        tables: &[TableRef],
        option: ReloadOption,
    ) -> BackendResult<()> {
        with_timeout(
            self.timeout,
            self.replication.reload_tables(role, tables, option),
        )
        .await
        .map_err(|e| {
            unknown_on_timeout(
                |limit| {
                    format!(
                        "DMS gave no answer to the {role} task's ReloadTables ({option}) within {}: it may or may not have been applied",
                        humantime::format_duration(limit)
                    )
                },
                e,
            )
        })
    }

    /// Reads back what a change with an unknown outcome is about: the
    /// task, the appmap, the latest `rows` heartbeats of both databases,
    /// or a task's table statistics.
    pub async fn reread(&self, mutation: &Mutation, rows: usize) -> BackendResult<Reread> {
        Ok(match *mutation {
            Mutation::Start(role, _) | Mutation::Stop(role) => {
                Reread::Task(Box::new(self.describe_task(role).await?))
            }
            Mutation::Flip(..) => Reread::AppMap(self.read_appmap().await?),
            Mutation::ReloadTables(role, ..) => Reread::Tables(role, self.task_tables(role).await?),
            Mutation::Heartbeat(_) => {
                let (a, b) = tokio::join!(
                    self.latest_heartbeats(DbSide::A, rows),
                    self.latest_heartbeats(DbSide::B, rows)
                );
                Reread::Heartbeats(PerDb { a: a?, b: b? })
            }
        })
    }

    pub async fn describe_task(&self, role: TaskRole) -> BackendResult<TaskSnapshot> {
        with_timeout(self.timeout, self.replication.describe(role)).await
    }

    pub async fn task_tables(&self, role: TaskRole) -> BackendResult<Vec<TableStats>> {
        with_timeout(self.timeout, self.replication.table_stats(role)).await
    }

    /// The door check's findings for the pair (empty: every rule holds).
    pub async fn door_check(&self) -> BackendResult<Vec<crate::doctor::Finding>> {
        let pair = with_timeout(self.timeout * 4, self.door.pair()).await?;
        Ok(crate::doctor::check(&pair))
    }

    /// The AWS caller identity, when there is AWS.
    pub async fn caller_identity(&self) -> Option<BackendResult<CallerIdentity>> {
        let source = self.identity.as_ref()?;
        Some(
            with_timeout(self.timeout, source.caller())
                .await
                .map_err(|e| match e {
                    BackendError::Timeout(limit) => BackendError::Unavailable(format!(
                        "STS gave no answer to GetCallerIdentity within {}",
                        humantime::format_duration(limit)
                    )),
                    other => other,
                }),
        )
    }

    /// DMS's own latency of a task; `Unsupported` where the backends have
    /// no metrics (the lab).
    pub async fn cdc_latency(&self, role: TaskRole) -> BackendResult<CdcLatency> {
        match &self.latency {
            Some(source) => with_timeout(self.timeout, source.cdc_latency(role)).await,
            None => Err(BackendError::Unsupported(
                "these backends have no DMS latency metrics".into(),
            )),
        }
    }

    pub async fn read_appmap(&self) -> BackendResult<Vec<AppMapItem>> {
        with_timeout(self.timeout, self.appmap.read_all())
            .await
            .map(routing::mark_problems)
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

    /// The validation failures of the `role` task, read on its target
    /// database, in the control schema its settings name.
    pub async fn validation_failures(
        &self,
        role: TaskRole,
        of: &super::validation::FailuresOf,
        latest: usize,
    ) -> BackendResult<super::validation::ValidationSummary> {
        let db = role.target();
        with_timeout(
            self.timeout,
            self.heartbeats[db].validation_failures(of, latest),
        )
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
            .map_err(|e| {
                unknown_on_timeout(
                    |limit| {
                        format!(
                            "database {db} ({} {}) gave no answer to the heartbeat insert as {site} within {}: it may or may not have been written",
                            self.databases[db].engine,
                            self.databases[db].address(),
                            humantime::format_duration(limit)
                        )
                    },
                    e,
                )
            })?;
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
        .await
        .map_err(|e| {
            unknown_on_timeout(
                |limit| {
                    format!(
                        "the appmap gave no answer to the flip of {site} within {}: it may or may not have been applied",
                        humantime::format_duration(limit)
                    )
                },
                e,
            )
        })?;
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
