//! The real system, assembled from the config: DMS and the DynamoDB appmap
//! through the AWS SDK, each database's heartbeat table through the
//! adapter for its engine. Passwords are resolved on first use, so a
//! missing secret or variable shows as that database panel's error while
//! the rest of the cockpit works. A password from Secrets Manager is read
//! again when the database refuses the login, so a rotated secret is
//! picked up without a restart.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::aws;
use super::aws::dms::DmsReplication;
use super::aws::dynamo::DynamoAppMap;
use super::aws::sts::StsIdentity;
use super::heartbeat_sql::Password;
use super::oracle::{OracleConnect, OracleHeartbeat};
use super::postgres::{PgConnect, PgHeartbeat};
use super::{
    BackendError, BackendResult, Backends, Engine, HeartbeatRow, HeartbeatStore, ModeInfo, PerDb,
    Site,
};
use crate::config::{Config, DatabaseConfig, PasswordSource};

/// Builds every adapter for `config`. Nothing is contacted yet: the first
/// refresh does that, and each panel shows its own failure.
pub async fn connect(config: &Config, read_only: bool) -> Result<Backends, BackendError> {
    let sdk = aws::load_sdk_config(config.region.clone(), config.profile.clone()).await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "no region set".into());
    let profile = config
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".into());
    let replication = Arc::new(DmsReplication::from_sdk_config(&sdk, config.tasks.clone()));
    // One describe of the tasks serves the task panels and CloudWatch.
    let latency = Arc::new(aws::cloudwatch::CloudWatchLatency::with_tasks(
        &sdk,
        replication.clone(),
    ));
    let identity: Arc<dyn super::Identity> = Arc::new(StsIdentity::from_sdk_config(&sdk));
    let appmap = Arc::new(
        DynamoAppMap::from_sdk_config(&sdk, config.appmap_table.clone())
            .with_identity(identity.clone()),
    );
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let heartbeats = PerDb::new(|side| {
        Arc::new(DeferredHeartbeat {
            config: config.databases[side].clone(),
            timeout: config.timeout,
            secrets: secrets.clone(),
            built: Mutex::new(None),
        }) as Arc<dyn HeartbeatStore>
    });
    let logs = Arc::new(aws::logs::CloudWatchTaskLogs::from_sdk_config(
        &sdk,
        config.tasks.clone(),
    ));
    Ok(Backends {
        logs,
        mode: ModeInfo {
            name: "LIVE".into(),
            description: format!(
                "AWS {region} · profile {profile} · tasks {} / {} · appmap {} · config {}",
                config.tasks.forward,
                config.tasks.backward,
                config.appmap_table,
                config.path.display()
            ),
            read_only,
        },
        replication,
        appmap,
        heartbeats,
        databases: PerDb::new(|side| config.databases[side].db.clone()),
        timeout: config.timeout,
        latency: Some(latency),
        identity: Some(identity),
        door: Arc::new(aws::pair_setup::AwsPair {
            sdk: sdk.clone(),
            config: config.clone(),
        }),
    })
}

/// A heartbeat store created on first use, once its password is known.
/// A failed attempt is not cached: the next refresh tries again.
struct DeferredHeartbeat {
    config: DatabaseConfig,
    timeout: Duration,
    secrets: aws_sdk_secretsmanager::Client,
    built: Mutex<Option<Built>>,
}

/// A store and the password it logs in with.
struct Built {
    store: Arc<dyn HeartbeatStore>,
    password: Option<Password>,
}

impl DeferredHeartbeat {
    async fn store(&self) -> BackendResult<Arc<dyn HeartbeatStore>> {
        let mut built = self.built.lock().await;
        if let Some(b) = &*built {
            return Ok(b.store.clone());
        }
        let password = self.password().await?;
        let store = build_store(&self.config, password.clone(), self.timeout)?;
        *built = Some(Built {
            store: store.clone(),
            password,
        });
        Ok(store)
    }

    async fn password(&self) -> BackendResult<Option<Password>> {
        resolve_password(&self.config, &self.secrets).await
    }

    /// Runs `call` on the store. When the database refuses it
    /// ([`BackendError::Denied`]: a wrong password looks like that, SQLSTATE
    /// 28P01 or ORA-01017) and the password comes from Secrets Manager, the
    /// secret is read again: if it changed (it was rotated), the store is
    /// rebuilt with the new password and the call made once more. Retrying
    /// is safe for an insert too: a refused login ran no statement.
    async fn with_store<T, F, Fut>(&self, call: F) -> BackendResult<T>
    where
        F: Fn(Arc<dyn HeartbeatStore>) -> Fut,
        Fut: std::future::Future<Output = BackendResult<T>>,
    {
        let store = self.store().await?;
        match call(store.clone()).await {
            Err(e @ BackendError::Denied(_)) => match self.rotated(&store).await {
                Some(fresh) => call(fresh).await,
                None => Err(e),
            },
            other => other,
        }
    }

    /// After `used` was refused: the store built with a re-read secret when
    /// the secret now holds another password, else `None` (nothing to try:
    /// the error stands). A store another call already rebuilt is used as
    /// it is.
    async fn rotated(&self, used: &Arc<dyn HeartbeatStore>) -> Option<Arc<dyn HeartbeatStore>> {
        if !matches!(self.config.password, PasswordSource::Secret(_)) {
            return None;
        }
        let mut built = self.built.lock().await;
        let current = built.as_ref()?;
        if !Arc::ptr_eq(&current.store, used) {
            return Some(current.store.clone());
        }
        let side = self.config.db.side;
        let password = match self.password().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(
                    "database {side} refused its login; reading its secret again failed: {e}"
                );
                return None;
            }
        };
        if password == current.password {
            return None;
        }
        tracing::info!(
            "database {side} refused its login and its secret holds another password now (rotated): reconnecting with it"
        );
        let store = build_store(&self.config, password.clone(), self.timeout).ok()?;
        *built = Some(Built {
            store: store.clone(),
            password,
        });
        Some(store)
    }
}

/// The password of a configured database, from its secret or variable.
/// The error names where it was looked for, never a value.
pub async fn resolve_password(
    config: &DatabaseConfig,
    secrets: &aws_sdk_secretsmanager::Client,
) -> BackendResult<Option<Password>> {
    let side = config.db.side;
    resolve_source(
        &config.password,
        &format!("the password of database {side}"),
        &format!("databases.{side}.password_env"),
        secrets,
    )
    .await
}

/// A password from `source`; `what` and `env_key` name it in the error
/// (never a value). Shared by the application's and the DMS user's
/// passwords.
pub async fn resolve_source(
    source: &PasswordSource,
    what: &str,
    env_key: &str,
    secrets: &aws_sdk_secretsmanager::Client,
) -> BackendResult<Option<Password>> {
    match source {
        PasswordSource::None => Ok(None),
        PasswordSource::Env(var) => match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(Some(Password::new(v))),
            _ => Err(BackendError::Denied(
                format!(
                    "{what} comes from ${var}, which is not set: export it, or change {env_key}"
                )
                .into(),
            )),
        },
        PasswordSource::Secret(id) => aws::secrets::secret_password(secrets, id)
            .await
            .map(|p| Some(Password::new(p))),
    }
}

/// How the PostgreSQL adapter reaches a configured database.
pub fn pg_connect(
    config: &DatabaseConfig,
    password: Option<Password>,
    timeout: Duration,
) -> PgConnect {
    let db = &config.db;
    PgConnect {
        side: db.side,
        host: db.endpoint.clone(),
        port: db.port,
        dbname: db.dbname.clone(),
        username: db.username.clone(),
        password,
        names: config.heartbeat.clone(),
        connect_timeout: timeout,
        statement_timeout: timeout,
        ssl_mode: config.ssl_mode.clone(),
        ssl_root_cert: config.ssl_root_cert.clone(),
    }
}

/// The adapter for the database's engine.
pub fn build_store(
    config: &DatabaseConfig,
    password: Option<Password>,
    timeout: Duration,
) -> BackendResult<Arc<dyn HeartbeatStore>> {
    let db = &config.db;
    Ok(match db.engine {
        Engine::Postgresql => Arc::new(PgHeartbeat::connect_lazy(pg_connect(
            config, password, timeout,
        ))?),
        Engine::Oracle => Arc::new(OracleHeartbeat::new(OracleConnect {
            side: db.side,
            host: db.endpoint.clone(),
            port: db.port,
            service: db.dbname.clone(),
            username: db.username.clone(),
            password,
            names: config.heartbeat.clone(),
            connect_timeout: adapter_limit(timeout),
            statement_timeout: adapter_limit(timeout),
        })),
    })
}

#[async_trait]
impl HeartbeatStore for DeferredHeartbeat {
    async fn latest(&self, n: usize) -> BackendResult<Vec<HeartbeatRow>> {
        self.with_store(|s| async move { s.latest(n).await }).await
    }

    async fn insert(&self, site: Site) -> BackendResult<HeartbeatRow> {
        self.with_store(|s| async move { s.insert(site).await })
            .await
    }

    async fn by_ids(&self, ids: &[i64]) -> BackendResult<Vec<HeartbeatRow>> {
        self.with_store(|s| async move { s.by_ids(ids).await })
            .await
    }

    async fn validation_failures(
        &self,
        of: &super::validation::FailuresOf,
        latest: usize,
    ) -> BackendResult<super::validation::ValidationSummary> {
        self.with_store(|s| async move { s.validation_failures(of, latest).await })
            .await
    }
}

/// Three quarters of the call's limit, for the adapter's own timeouts.
fn adapter_limit(timeout: Duration) -> Duration {
    timeout * 3 / 4
}
