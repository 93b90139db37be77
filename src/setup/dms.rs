//! `setup dms`: the DMS half of the two-way door — one replication
//! instance, four endpoints (each database as a source and as a target) and
//! the two tasks — found when they exist, created when they do not.
//!
//! It exists because a bidirectional DMS pair is easy to get subtly wrong by
//! hand, and AWS's rules for it are not enforced by the API. The plan built
//! here encodes them:
//!
//! * **Loopback prevention in both tasks.** Each task's settings carry
//!   `LoopbackPreventionSettings` with `EnableLoopbackPrevention: true`, and
//!   the schemas are mirrored: the forward task's `SourceSchema` (on a) is the
//!   backward task's `TargetSchema`, and the other way round. DMS keeps an
//!   `awsdms_loopback_prevention` table in those schemas to recognise the
//!   changes the opposite task applied. The loopback schema is the first
//!   configured schema, upper-cased on an Oracle side because Oracle stores
//!   unquoted names upper-case and DMS matches them case-sensitively.
//! * **Only DML is loop-protected.** DDL would bounce between the databases,
//!   so the backward task ignores DDL (`ChangeProcessingDdlHandlingPolicy`
//!   all false); schema changes go through the forward direction only.
//! * **`BatchApplyEnabled` is false** in both tasks: AWS's bidirectional
//!   setup requires transactional apply, which is what loopback prevention
//!   relies on to tell applied changes from the applications' own.
//! * **At most one task of the pair is `full-load-and-cdc`**: the forward
//!   task loads the new database and then streams changes; the backward task
//!   is `cdc` only. A second full load would copy the new database back over
//!   the old one.
//! * **The backward task starts from when the forward full load finished**
//!   (`CdcStartTime`, or `CdcStartPosition`, never both), before applications
//!   write to the new side. That is a start-time decision, so setup creates
//!   the backward task without a start point and the cockpit passes it when
//!   starting the task.
//! * **No conflict resolution.** DMS applies whatever arrives; writes to the
//!   same rows must stay on one side, which is what the appmap is for.
//!
//! Two more choices, each to keep the pre-created schema intact: the forward
//! task's full load truncates target tables instead of DMS's default drop and
//! re-create (the target's tables carry their own sequences and unique
//! indexes); and between an Oracle and a PostgreSQL side the table mappings
//! convert schema, table and column names to the target's case (upper on
//! Oracle, lower on PostgreSQL), so `CUSTOMER_ORDERS.HEARTBEAT` lands in
//! `customer_orders.heartbeat` and back.
//!
//! [`plan`] is pure and is what `--dry-run` prints ([`dry_run_json`],
//! passwords masked); [`apply`] sends the same requests, one resource at a
//! time, finding before creating; [`write_task_arns`] records the task ARNs
//! in the config file so the cockpit finds the tasks.

use std::fs;
use std::io::Write;
use std::path::Path;

use super::dms_custom::{JsonFile, read_json};
use super::dms_plan::EndpointKind;
use crate::backend::heartbeat_sql::Password;
use crate::backend::{BackendResult, DatabaseRef, DbSide, PerDb, PerTask};
use crate::config::{Config, DatabaseConfig, DmsEndpointNames, PasswordSource, TaskLogging};

pub use super::dms_apply::{
    Discovery, Existing, Outcome, ResourceOutcome, SetupReport, apply, conflict_message, discover,
};
pub use super::dms_plan::{PlannedRequest, dry_run_json, dry_run_report, plan, validate};

/// What `setup dms` should create: names, sizes and the two databases.
#[derive(Debug, Clone, PartialEq)]
pub struct DmsSpec {
    /// The replication instance identifier, e.g. `dms-cockpit`; endpoint
    /// identifiers are derived from it (`{instance}-a-source`, …).
    pub replication_instance: String,
    /// e.g. `dms.t3.medium`.
    pub instance_class: String,
    /// GiB.
    pub allocated_storage: i32,
    /// Schemas to replicate, as configured (e.g. `customer_orders`).
    pub schemas: Vec<String>,
    /// `dms.loopback_schema` as configured; each side's case is applied
    /// with [`crate::setup::sql::stored_name`], as `setup sql` does.
    pub loopback_schema: String,
    /// The task identifiers to create, e.g. `ora2pg` / `pg2ora`.
    pub tasks: PerTask<String>,
    /// a = the forward task's source (old database), b = its target.
    pub databases: PerDb<EndpointSpec>,
    /// Existing endpoints the config names for adoption.
    pub endpoints: DmsEndpointNames,
    /// `dms.table_mappings` / `dms.task_settings`, read.
    pub custom_mappings: Option<JsonFile>,
    pub custom_settings: Option<JsonFile>,
    /// `dms.logging`.
    pub logging: TaskLogging,
}

/// One database as DMS should reach it: as the DMS user
/// (`databases.*.dms_username`), not as the application.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointSpec {
    /// Where the database is; `username` is the DMS user.
    pub db: DatabaseRef,
    /// Needed only to create an endpoint that carries its password.
    pub password: Option<Password>,
    /// When set, the endpoint reads its credentials from Secrets Manager
    /// instead (`dms.secrets_access_role_arn`).
    pub secret: Option<EndpointSecret>,
}

/// An endpoint's credentials by reference: DMS assumes `access_role_arn`
/// to read `secret_id` (a JSON secret with `username`, `password`, `host`,
/// `port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSecret {
    pub secret_id: String,
    pub access_role_arn: String,
}

impl DmsSpec {
    /// Reads the config's table mappings and task settings files.
    pub fn read_custom_files(&mut self, config: &Config) -> Result<(), String> {
        if let Some(path) = &config.dms.table_mappings {
            self.custom_mappings = Some(read_json("dms.table_mappings", path)?);
        }
        if let Some(path) = &config.dms.task_settings {
            self.custom_settings = Some(read_json("dms.task_settings", path)?);
        }
        Ok(())
    }

    /// The endpoint the config names for database `side` as `kind`.
    pub(crate) fn named_endpoint(&self, side: DbSide, kind: EndpointKind) -> Option<&str> {
        let e = &self.endpoints;
        match (side, kind) {
            (DbSide::A, EndpointKind::Source) => e.a_source.as_deref(),
            (DbSide::A, EndpointKind::Target) => e.a_target.as_deref(),
            (DbSide::B, EndpointKind::Source) => e.b_source.as_deref(),
            (DbSide::B, EndpointKind::Target) => e.b_target.as_deref(),
        }
    }

    /// The spec for `config`, with the task identifiers resolved (a
    /// configured ARN is looked up first) and the DMS users' passwords
    /// where they were read.
    pub fn from_config(
        config: &Config,
        tasks: PerTask<String>,
        mut passwords: PerDb<Option<Password>>,
    ) -> DmsSpec {
        let dms = &config.dms;
        DmsSpec {
            replication_instance: dms.replication_instance.clone(),
            instance_class: dms.instance_class.clone(),
            allocated_storage: dms.allocated_storage,
            schemas: dms.schemas.clone(),
            loopback_schema: dms.loopback_schema.clone(),
            tasks,
            endpoints: dms.endpoints.clone(),
            custom_mappings: None,
            custom_settings: None,
            logging: dms.logging,
            databases: PerDb::new(|side| {
                let db = &config.databases[side];
                let secret = match (&dms.secrets_access_role_arn, &db.dms_password) {
                    (Some(role), PasswordSource::Secret(id)) => Some(EndpointSecret {
                        secret_id: id.clone(),
                        access_role_arn: role.clone(),
                    }),
                    _ => None,
                };
                EndpointSpec {
                    db: DatabaseRef {
                        username: db.dms_username.clone(),
                        ..db.db.clone()
                    },
                    password: passwords[side].take(),
                    secret,
                }
            }),
        }
    }
}

/// The DMS user's password of a configured database, from
/// `dms_password_env` or `dms_password_secret` (JSON with `password`).
/// Errors name where it was looked for, never a value.
pub async fn dms_password(
    db: &DatabaseConfig,
    secrets: &aws_sdk_secretsmanager::Client,
) -> BackendResult<Option<Password>> {
    let side = db.db.side;
    crate::backend::live::resolve_source(
        &db.dms_password,
        &format!("the DMS user's password of database {side}"),
        &format!("databases.{side}.dms_password_env"),
        secrets,
    )
    .await
}

/// Sets `[tasks] forward` and `[tasks] backward` in the TOML config at
/// `config_path` to the task ARNs, keeping every comment, key and layout
/// that is already there. The file is replaced atomically (written beside it,
/// then renamed) with its permissions kept, since it may hold secrets.
pub fn write_task_arns(config_path: &Path, arns: &PerTask<String>) -> Result<(), String> {
    let shown = config_path.display();
    let text = fs::read_to_string(config_path)
        .map_err(|e| format!("cannot read config file {shown}: {e}"))?;
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| {
        format!("config file {shown} is not valid TOML, so the task ARNs were not written: {e}")
    })?;

    if !doc.contains_key("tasks") {
        doc["tasks"] = toml_edit::table();
    }
    let tasks = doc["tasks"].as_table_like_mut().ok_or_else(|| {
        format!("config file {shown}: `tasks` must be a table ([tasks] with forward/backward keys), not a plain value")
    })?;
    for (key, arn) in [("forward", &arns.forward), ("backward", &arns.backward)] {
        let mut value = toml_edit::Value::from(arn.as_str());
        match tasks.get_mut(key) {
            // Replaced in place, so the key keeps the comment above it and
            // the value keeps its trailing one (`forward = "x" # old task`).
            Some(item) => {
                if let Some(old) = item.as_value() {
                    *value.decor_mut() = old.decor().clone();
                }
                *item = toml_edit::Item::Value(value);
            }
            None => {
                tasks.insert(key, toml_edit::Item::Value(value));
            }
        }
    }

    let dir = config_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write beside config file {shown}: {e}"))?;
    tmp.write_all(doc.to_string().as_bytes())
        .map_err(|e| format!("cannot write config file {shown}: {e}"))?;
    let permissions = fs::metadata(config_path)
        .map_err(|e| format!("cannot read permissions of config file {shown}: {e}"))?
        .permissions();
    fs::set_permissions(tmp.path(), permissions)
        .map_err(|e| format!("cannot keep permissions of config file {shown}: {e}"))?;
    tmp.persist(config_path)
        .map_err(|e| format!("cannot replace config file {shown}: {}", e.error))?;
    Ok(())
}
