//! The embedded lab: the whole two-way door on one machine, with no AWS, no
//! Oracle and no server. Two SQLite files stand in for the two sites'
//! databases, a simulated DMS really copies rows both ways (with loopback
//! prevention and real table statistics), and a local appmap says where
//! each site writes. It implements the same ports as the real adapters, so
//! the app and the ui cannot tell the difference, except that the screen
//! says plainly it is the lab (`ModeInfo`).
//!
//! Layout: `datadir` recognises or creates the directory, `schema` holds
//! the DDL and triggers, `dms` the task control plane, `engine` the
//! background full load and change apply, `site` the heartbeat store,
//! `appmap` the local appmap, `traffic` the optional application writer,
//! `reload` and `validation` the table-level DMS features.

mod appmap;
mod clock;
mod datadir;
mod dms;
mod engine;
mod error;
mod logs;
mod reload;
mod schema;
mod site;
mod traffic;
mod validation;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::sqlite::SqlitePool;
use tokio::sync::watch;

use crate::backend::coalesce::Coalesce;
use tokio::task::JoinHandle;

pub use error::LabError;
pub use traffic::TrafficReport;

use crate::backend::{
    BackendError, Backends, DatabaseRef, DbSide, Engine, HeartbeatStore, ModeInfo, PerDb, TaskRole,
};

/// How to run a lab.
#[derive(Debug, Clone, PartialEq)]
pub struct LabOptions {
    /// Where the lab's SQLite files live; created if missing, resumed if
    /// it already holds a lab, refused if it holds anything else.
    pub data_dir: PathBuf,
    /// Application rows written per second by the traffic generator; `None`
    /// writes nothing on its own.
    pub traffic: Option<f64>,
    /// How long a task stays `starting` or `stopping`.
    pub transition_delay: Duration,
    /// How often running tasks apply changes.
    pub apply_interval: Duration,
    /// A change is applied no sooner than this after it was written
    /// (`--apply-delay`), so lag and outages can be shown and tested.
    pub apply_delay: Duration,
}

impl LabOptions {
    /// Defaults that look like DMS on a screen: no traffic, 800 ms
    /// transitions, changes applied every 300 ms.
    pub fn new(data_dir: impl Into<PathBuf>) -> LabOptions {
        LabOptions {
            data_dir: data_dir.into(),
            traffic: None,
            transition_delay: Duration::from_millis(800),
            apply_interval: Duration::from_millis(300),
            apply_delay: Duration::ZERO,
        }
    }

    fn validate(&self) -> Result<(), LabError> {
        if let Some(rate) = self.traffic
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(LabError::InvalidOption {
                option: "traffic",
                detail: format!("{rate} rows per second; give a positive number such as 2"),
            });
        }
        if self.apply_interval.is_zero() {
            return Err(LabError::InvalidOption {
                option: "apply_interval",
                detail: "zero; give a positive duration such as 300ms".to_string(),
            });
        }
        Ok(())
    }
}

/// A running lab: its databases, the simulated DMS engine and, when asked
/// for, the traffic generator, all in background tokio tasks.
pub struct Lab {
    data_dir: PathBuf,
    control: SqlitePool,
    sites: PerDb<SqlitePool>,
    dms: Arc<dms::Dms>,
    shutdown: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
    traffic: Option<Arc<Mutex<TrafficReport>>>,
    /// Held for the lab's lifetime: one process per data directory.
    _lock: std::fs::File,
}

impl Lab {
    /// Opens the lab in `opts.data_dir`, creating it when the directory is
    /// missing or empty and resuming it when it holds a lab of this format;
    /// anything else is refused untouched. Starts the engine (and traffic).
    pub async fn open(opts: LabOptions) -> Result<Lab, LabError> {
        opts.validate()?;
        let (pools, created) = datadir::open(&opts.data_dir).await?;
        validation::ensure_tables(&pools.control, &pools.sites)
            .await
            .map_err(|e| LabError::Database {
                path: opts.data_dir.clone(),
                detail: format!("cannot create the validation tables: {e}"),
                source: Box::new(e),
            })?;
        tracing::info!(
            dir = %opts.data_dir.display(),
            created,
            "lab opened"
        );
        let dms = Arc::new(dms::Dms {
            control: pools.control.clone(),
            sites: pools.sites.clone(),
            transition_delay: opts.transition_delay,
            apply_delay: opts.apply_delay,
            wake: tokio::sync::Notify::new(),
            stats_now: crate::backend::PerTask::new(|_| Coalesce::in_flight()),
            validating: crate::backend::PerTask::new(|_| Default::default()),
            validates_now: crate::backend::PerTask::new(|_| Coalesce::in_flight()),
        });
        let (shutdown, rx) = watch::channel(false);
        let mut workers = vec![engine::spawn(dms.clone(), opts.apply_interval, rx.clone())];
        let traffic = opts.traffic.map(|rate| {
            let report = Arc::new(Mutex::new(TrafficReport::default()));
            let generator = traffic::Generator {
                appmap: appmap::LabAppMap {
                    pool: pools.control.clone(),
                },
                sites: pools.sites.clone(),
                report: report.clone(),
            };
            workers.push(traffic::spawn(generator, rate, rx.clone()));
            report
        });
        Ok(Lab {
            data_dir: opts.data_dir,
            control: pools.control,
            sites: pools.sites,
            dms,
            shutdown,
            workers,
            traffic,
            _lock: pools.lock,
        })
    }

    /// The two stand-in databases, as appmap items name them.
    pub fn databases() -> PerDb<DatabaseRef> {
        PerDb {
            a: DatabaseRef {
                side: DbSide::A,
                engine: Engine::Oracle,
                endpoint: "lab-site-a".to_string(),
                port: 1521,
                dbname: "site_a".to_string(),
                username: "customer_orders".to_string(),
            },
            b: DatabaseRef {
                side: DbSide::B,
                engine: Engine::Postgresql,
                endpoint: "lab-site-b".to_string(),
                port: 5432,
                dbname: "site_b".to_string(),
                username: "customer_orders".to_string(),
            },
        }
    }

    /// The adapters over this lab. `read_only` is only recorded in the
    /// mode: refusing mutations is the app's guardrail, the same for every
    /// backend.
    pub fn backends(&self, timeout: Duration, read_only: bool) -> Backends {
        let heartbeats = PerDb::new(|side| {
            Arc::new(site::LabHeartbeats {
                pool: self.sites[side].clone(),
                side,
            }) as Arc<dyn HeartbeatStore>
        });
        Backends {
            mode: ModeInfo {
                name: "LAB".to_string(),
                description: format!(
                    "lab: SQLite site A stands in for Oracle, SQLite site B for PostgreSQL; simulated DMS; local appmap (data: {})",
                    self.data_dir.display()
                ),
                read_only,
            },
            replication: Arc::new(dms::LabReplication {
                dms: self.dms.clone(),
            }),
            appmap: Arc::new(appmap::LabAppMap {
                pool: self.control.clone(),
            }),
            logs: Arc::new(logs::LabTaskLogs {
                control: self.control.clone(),
            }),
            heartbeats,
            databases: Lab::databases(),
            timeout,
            latency: None,
            identity: None,
            door: Arc::new(LabPair),
        }
    }

    /// Turns data validation on for `role`'s task in this lab directory
    /// (the lab's `ValidationSettings.EnableValidation`); it stays on.
    pub async fn enable_validation(&self, role: TaskRole) -> Result<(), BackendError> {
        self.dms.enable_validation(role).await
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A site database's pool, to write application rows directly (the
    /// way an application at that site would) in tests and demos.
    pub fn site(&self, side: DbSide) -> &SqlitePool {
        &self.sites[side]
    }

    /// What the traffic generator has done, if it runs.
    pub fn traffic_report(&self) -> Option<TrafficReport> {
        self.traffic
            .as_ref()
            .map(|r| r.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// Stops the engine and the traffic generator (letting a tick in
    /// progress finish) and closes the databases.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for worker in self.workers {
            if let Err(e) = worker.await {
                tracing::error!("lab worker ended abnormally: {e}");
            }
        }
        self.control.close().await;
        for side in DbSide::ALL {
            self.sites[side].close().await;
        }
    }
}

/// Turns an SQLite error into a backend error phrased for a person. Busy
/// files and a closed lab are `Unavailable` (worth a retry); the engine
/// relies on that to tell a transient hiccup from a task failure. The
/// SQLite error stays as the cause, for the log file.
pub(crate) fn db_error(what: &str, e: sqlx::Error) -> BackendError {
    let phrased = match &e {
        sqlx::Error::PoolClosed => {
            BackendError::Unavailable(format!("{what}: the lab has been shut down").into())
        }
        sqlx::Error::PoolTimedOut => BackendError::Unavailable(
            format!("{what}: every lab database connection is busy; retry").into(),
        ),
        sqlx::Error::Database(d) => {
            // SQLite's primary result code is the low byte of the extended one.
            let primary = d
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff);
            if matches!(primary, Some(5 | 6)) {
                BackendError::Unavailable(
                    format!("{what}: the lab database is busy ({d}); retry").into(),
                )
            } else {
                BackendError::Other(format!("{what}: {d}").into())
            }
        }
        _ => BackendError::Other(format!("{what}: {e}").into()),
    };
    phrased.caused_by(e)
}

/// The door check's port in the lab: the lab's pair follows every rule
/// (`doctor --lab --fixture RULE` shows each broken one).
struct LabPair;

#[async_trait::async_trait]
impl crate::backend::PairReader for LabPair {
    async fn pair(&self) -> crate::backend::BackendResult<crate::doctor::PairSetup> {
        Ok(crate::doctor::lab::pair())
    }
}
