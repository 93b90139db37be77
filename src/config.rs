//! The configuration file: TOML with one `[databases.a|b]` per side of the
//! two-way door, environment overrides, and validation into one typed,
//! checked [`Config`] before anything connects (parse, then validate).
//! Every error names the key (or variable) and what would be right.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::app::lag::LagSettings;
use crate::backend::heartbeat_sql::HeartbeatNames;
use crate::backend::{DatabaseRef, DbSide, Engine, PerDb, PerTask};

/// File name looked for in the current directory.
pub const FILE_NAME: &str = "dms-cockpit.toml";
/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "DMS_COCKPIT_CONFIG";
/// Prefix of the per-key overrides.
pub const ENV_PREFIX: &str = "DMS_COCKPIT_";

/// A config problem: what was wrong and what would be right. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

// ---- raw shape, exactly as in the file ----

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    aws: RawAws,
    tasks: Option<RawTasks>,
    #[serde(default)]
    appmap: RawAppmap,
    databases: Option<RawDatabases>,
    #[serde(default)]
    refresh: RawRefresh,
    #[serde(default)]
    dms: RawDms,
    #[serde(default)]
    lag: RawLag,
    #[serde(default)]
    audit: RawAudit,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLag {
    every: Option<String>,
    poll: Option<String>,
    warn: Option<String>,
    not_replicating: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    path: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAws {
    region: Option<String>,
    profile: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTasks {
    forward: Option<String>,
    backward: Option<String>,
    backward_cdc_start_time: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppmap {
    table: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabases {
    a: Option<RawDatabase>,
    b: Option<RawDatabase>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    engine: Option<String>,
    endpoint: Option<String>,
    port: Option<i64>,
    dbname: Option<String>,
    username: Option<String>,
    password_secret: Option<String>,
    password_env: Option<String>,
    heartbeat: Option<RawHeartbeat>,
    seq_start: Option<i64>,
    ssl_mode: Option<String>,
    ssl_root_cert: Option<PathBuf>,
    // ---- setup (issue 9): the login DMS uses, and where the database runs
    dms_username: Option<String>,
    dms_password_secret: Option<String>,
    dms_password_env: Option<String>,
    hosting: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeartbeat {
    table: Option<String>,
    sequence: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefresh {
    every: Option<String>,
    timeout: Option<String>,
    heartbeat_rows: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDms {
    replication_instance: Option<String>,
    instance_class: Option<String>,
    allocated_storage: Option<i64>,
    schemas: Option<Vec<String>>,
    // ---- setup (issue 9)
    loopback_schema: Option<String>,
    secrets_access_role_arn: Option<String>,
    endpoints: Option<RawDmsEndpoints>,
    table_mappings: Option<PathBuf>,
    task_settings: Option<PathBuf>,
    logging: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDmsEndpoints {
    a_source: Option<String>,
    b_target: Option<String>,
    b_source: Option<String>,
    a_target: Option<String>,
}

// ---- checked shape ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// An AWS Secrets Manager secret (ARN or name): JSON with `password`.
    Secret(String),
    /// An environment variable holding the password.
    Env(String),
    /// No password (trust or peer authentication).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    pub db: DatabaseRef,
    pub password: PasswordSource,
    pub heartbeat: HeartbeatNames,
    /// Where this database's heartbeat sequence starts: the two databases'
    /// ranges stay apart because DMS does not replicate sequences.
    pub seq_start: i64,
    /// PostgreSQL `sslmode` (disable, prefer, require, verify-ca, verify-full).
    pub ssl_mode: Option<String>,
    pub ssl_root_cert: Option<PathBuf>,
    /// The login the DMS endpoints use (`setup sql` grants it what DMS
    /// needs); not the application's `username`.
    pub dms_username: String,
    /// Its password, needed only by `setup dms` to create endpoints.
    pub dms_password: PasswordSource,
    /// Where the database runs, which decides the form of some grants.
    pub hosting: Hosting,
}

/// Where a database runs: Amazon RDS gives no SYS access, so grants on
/// `SYS` objects and supplemental logging go through `rdsadmin` procedures
/// (Oracle) and replication through the `rds_replication` role (PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hosting {
    #[default]
    SelfManaged,
    Rds,
}

impl Hosting {
    pub fn parse(text: &str) -> Result<Hosting, String> {
        match text {
            "self-managed" => Ok(Hosting::SelfManaged),
            "rds" => Ok(Hosting::Rds),
            other => Err(format!(
                "`{other}` is not a hosting: expected `self-managed` or `rds` (Amazon RDS)"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Hosting::SelfManaged => "self-managed",
            Hosting::Rds => "rds",
        }
    }
}

/// The default `databases.a|b.dms_username`.
pub const DEFAULT_DMS_USERNAME: &str = "dms_user";
/// The default `dms.loopback_schema`.
pub const DEFAULT_LOOPBACK_SCHEMA: &str = "dms_loopback";

/// The severity `setup dms` gives the task log's components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskLogging {
    /// DMS's defaults (`LOGGER_SEVERITY_DEFAULT`).
    #[default]
    Default,
    /// `LOGGER_SEVERITY_DETAILED_DEBUG` for the capture and apply
    /// components, as the original README recommends while debugging.
    Detailed,
}

/// Existing endpoints to adopt, each an identifier or ARN.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DmsEndpointNames {
    pub a_source: Option<String>,
    pub b_target: Option<String>,
    pub b_source: Option<String>,
    pub a_target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmsSetup {
    /// Identifier or ARN of the replication instance (adopted when it
    /// exists).
    pub replication_instance: String,
    pub instance_class: String,
    pub allocated_storage: i32,
    pub schemas: Vec<String>,
    /// The schema both tasks' loopback prevention names, as configured
    /// (each engine's case is applied where it is used).
    pub loopback_schema: String,
    /// When set, endpoints reference the DMS user's secret instead of
    /// carrying the password.
    pub secrets_access_role_arn: Option<String>,
    pub endpoints: DmsEndpointNames,
    /// JSON files merged with the door's own rules (paths resolved against
    /// the config file's directory).
    pub table_mappings: Option<PathBuf>,
    pub task_settings: Option<PathBuf>,
    pub logging: TaskLogging,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// ARN or replication task identifier of each task.
    pub tasks: PerTask<String>,
    pub backward_cdc_start_time: Option<chrono::DateTime<chrono::Utc>>,
    pub appmap_table: String,
    pub databases: PerDb<DatabaseConfig>,
    pub refresh_every: Duration,
    pub timeout: Duration,
    pub heartbeat_rows: usize,
    pub dms: DmsSetup,
    /// `[lag]`: heartbeat lag measurement and its thresholds.
    pub lag: LagSettings,
    /// `[audit] path`: where mutating actions are appended.
    pub audit_path: Option<PathBuf>,
}

/// Environment overrides: variable suffix -> dotted key. Only these keys
/// can be overridden (the README lists them).
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("AWS_REGION", "aws.region"),
    ("AWS_PROFILE", "aws.profile"),
    ("TASKS_FORWARD", "tasks.forward"),
    ("TASKS_BACKWARD", "tasks.backward"),
    (
        "TASKS_BACKWARD_CDC_START_TIME",
        "tasks.backward_cdc_start_time",
    ),
    ("APPMAP_TABLE", "appmap.table"),
    ("REFRESH_EVERY", "refresh.every"),
    ("REFRESH_TIMEOUT", "refresh.timeout"),
    ("DATABASES_A_ENDPOINT", "databases.a.endpoint"),
    ("DATABASES_A_PORT", "databases.a.port"),
    ("DATABASES_A_DBNAME", "databases.a.dbname"),
    ("DATABASES_A_USERNAME", "databases.a.username"),
    ("DATABASES_A_PASSWORD_ENV", "databases.a.password_env"),
    ("DATABASES_A_PASSWORD_SECRET", "databases.a.password_secret"),
    ("DATABASES_B_ENDPOINT", "databases.b.endpoint"),
    ("DATABASES_B_PORT", "databases.b.port"),
    ("DATABASES_B_DBNAME", "databases.b.dbname"),
    ("DATABASES_B_USERNAME", "databases.b.username"),
    ("DATABASES_B_PASSWORD_ENV", "databases.b.password_env"),
    ("DATABASES_B_PASSWORD_SECRET", "databases.b.password_secret"),
];

/// Where the config file is: `--config`, then `$DMS_COCKPIT_CONFIG`, then
/// `./dms-cockpit.toml`, then `<config dir>/dms-cockpit/config.toml`.
/// `Ok(None)` when none exists; an explicitly named file that is missing
/// is an error.
pub fn locate(explicit: Option<&Path>) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(path) = explicit {
        return Ok(Some(path.to_path_buf()));
    }
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return Ok(Some(PathBuf::from(path)));
    }
    let local = PathBuf::from(FILE_NAME);
    if local.is_file() {
        return Ok(Some(local));
    }
    Ok(dirs::config_dir()
        .map(|d| d.join("dms-cockpit").join("config.toml"))
        .filter(|p| p.is_file()))
}

/// The places [`locate`] looks, for the "no config" message.
pub fn search_places() -> String {
    let user = dirs::config_dir()
        .map(|d| {
            d.join("dms-cockpit")
                .join("config.toml")
                .display()
                .to_string()
        })
        .unwrap_or_else(|| "<config dir>/dms-cockpit/config.toml".into());
    format!("--config, ${CONFIG_ENV}, ./{FILE_NAME}, {user}")
}

/// Reads, overrides from the environment and validates the file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let shown = path.display();
        if e.kind() == std::io::ErrorKind::NotFound {
            ConfigError(format!(
                "the config file {shown} does not exist: write one with `dms-cockpit init --path {shown}`, or name an existing file with --config or ${CONFIG_ENV}"
            ))
        } else {
            ConfigError(format!(
                "cannot read the config file {shown}: {e}; name a readable file with --config or ${CONFIG_ENV}"
            ))
        }
    })?;
    let env: BTreeMap<String, String> = std::env::vars().collect();
    parse(path, &text, &env)
}

/// [`load`] without the file system: `env` is the environment to apply.
pub fn parse(
    path: &Path,
    text: &str,
    env: &BTreeMap<String, String>,
) -> Result<Config, ConfigError> {
    let shown = path.display();
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|s| format!(":{}", line_at(text, s.start)))
            .unwrap_or_default();
        ConfigError(format!(
            "{shown}{line}: not valid TOML: {}",
            e.message().trim()
        ))
    })?;
    apply_env(&mut table, env)?;
    // The environment overrides are applied to the parsed table, so the
    // file's spans are gone by now: the key path comes from
    // serde_path_to_error, and its line is looked up in the text.
    let raw: RawConfig = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(
        |e: serde_path_to_error::Error<toml::de::Error>| {
            let key = e.path().to_string();
            let message = e.inner().message().trim().to_string();
            located(&shown, text, &key, &message)
        },
    )?;
    validate(path, raw).map_err(|ConfigError(m)| match key_in(&m) {
        Some(key) => {
            let rest = m
                .strip_prefix(&format!("`{key}`: "))
                .unwrap_or(&m)
                .to_string();
            located(&shown, text, &key, &rest)
        }
        None => ConfigError(format!("{shown}: {m}")),
    })
}

/// `file:line: key.path: message`. The line is the key's own line when the
/// file has it, else that of the nearest table above it that the file has
/// (a missing key is reported at its table); none when the key came from
/// the environment only. An unknown field is named with its table.
fn located(shown: &impl std::fmt::Display, text: &str, key: &str, message: &str) -> ConfigError {
    let path: Vec<&str> = if key == "." || key.is_empty() {
        Vec::new()
    } else {
        key.split('.').collect()
    };
    let line = line_of(text, &path)
        .map(|l| format!(":{l}"))
        .unwrap_or_default();
    let key = if path.is_empty() {
        "top level".to_string()
    } else {
        key.to_string()
    };
    let message = if message.starts_with("unknown field") {
        let table = match path.split_last() {
            Some((_, parent)) if !parent.is_empty() => parent.join("."),
            _ => "top level".to_string(),
        };
        format!("{message} (in table `{table}`)")
    } else {
        message.to_string()
    };
    ConfigError(format!("{shown}{line}: {key}: {message}"))
}

/// The first backquoted dotted key a validation message names, e.g.
/// `databases.a.engine` in "`databases.a.engine`: unknown engine …".
fn key_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    let key = &message[start..start + len];
    let ok = key.contains('.')
        && key
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    ok.then(|| key.to_string())
}

/// The 1-based line of the deepest part of `path` the file spells out.
fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut table: &dyn toml_edit::TableLike = doc.as_table();
    let mut span = None;
    for part in path {
        let Some((key, item)) = table.get_key_value(part) else {
            break;
        };
        span = key.span().or_else(|| item.span()).or(span);
        match item.as_table_like() {
            Some(inner) => table = inner,
            None => break,
        }
    }
    span.map(|s| line_at(text, s.start))
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn apply_env(table: &mut toml::Table, env: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    for (name, value) in env {
        let Some(suffix) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if suffix == "CONFIG" {
            continue;
        }
        let Some((_, key)) = ENV_KEYS.iter().find(|(s, _)| *s == suffix) else {
            let known: Vec<String> = ENV_KEYS
                .iter()
                .map(|(s, _)| format!("{ENV_PREFIX}{s}"))
                .collect();
            return err(format!(
                "unknown environment override {name}; expected one of: {}",
                known.join(", ")
            ));
        };
        let parts: Vec<&str> = key.split('.').collect();
        let value = if key.ends_with(".port") {
            toml::Value::Integer(value.parse().map_err(|_| {
                ConfigError(format!(
                    "{name}=`{value}` is not a port number; expected e.g. 5432"
                ))
            })?)
        } else {
            toml::Value::String(value.clone())
        };
        let mut here = &mut *table;
        for part in &parts[..parts.len() - 1] {
            here = here
                .entry(part.to_string())
                .or_insert_with(|| toml::Value::Table(Default::default()))
                .as_table_mut()
                .ok_or_else(|| {
                    ConfigError(format!("{name}: `{part}` in the file is not a table"))
                })?;
        }
        here.insert(parts[parts.len() - 1].to_string(), value);
    }
    Ok(())
}

fn required<T>(value: Option<T>, key: &str, expected: &str) -> Result<T, ConfigError> {
    value.ok_or_else(|| ConfigError(format!("missing `{key}`: expected {expected}")))
}

fn non_empty(value: Option<String>, key: &str, expected: &str) -> Result<String, ConfigError> {
    let v = required(value, key, expected)?;
    if v.trim().is_empty() {
        return err(format!("`{key}` is empty: expected {expected}"));
    }
    Ok(v)
}

fn duration(value: Option<String>, key: &str, default: Duration) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(s) => crate::cli::parse_duration(&s).map_err(|e| ConfigError(format!("`{key}`: {e}"))),
    }
}

fn validate(path: &Path, raw: RawConfig) -> Result<Config, ConfigError> {
    let tasks = required(
        raw.tasks,
        "tasks",
        "a [tasks] table with forward and backward",
    )?;
    let task_expect = "a replication task identifier or ARN";
    let forward = non_empty(tasks.forward, "tasks.forward", task_expect)?;
    let backward = non_empty(tasks.backward, "tasks.backward", task_expect)?;
    let backward_cdc_start_time = tasks
        .backward_cdc_start_time
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(&s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| {
                    ConfigError(format!(
                        "`tasks.backward_cdc_start_time` = `{s}` is not an RFC 3339 time ({e}); expected e.g. 2026-11-27T10:00:00Z"
                    ))
                })
        })
        .transpose()?;
    let dbs = required(
        raw.databases,
        "databases",
        "[databases.a] and [databases.b]",
    )?;
    let a = database(
        DbSide::A,
        required(dbs.a, "databases.a", "a [databases.a] table")?,
    )?;
    let b = database(
        DbSide::B,
        required(dbs.b, "databases.b", "a [databases.b] table")?,
    )?;
    if a.db.engine == b.db.engine
        && a.db.endpoint == b.db.endpoint
        && a.db.port == b.db.port
        && a.db.dbname == b.db.dbname
    {
        return err(
            "`databases.a` and `databases.b` name the same database; the two sides of the door must differ (endpoint, port or dbname)",
        );
    }
    let refresh_every = duration(raw.refresh.every, "refresh.every", Duration::from_secs(2))?;
    let timeout = duration(
        raw.refresh.timeout,
        "refresh.timeout",
        Duration::from_secs(5),
    )?;
    let heartbeat_rows = match raw.refresh.heartbeat_rows {
        None => 10,
        Some(n @ 1..=1000) => n as usize,
        Some(n) => {
            return err(format!(
                "`refresh.heartbeat_rows` = {n}: expected 1 to 1000"
            ));
        }
    };
    let appmap_table = match raw.appmap.table {
        None => "appmap".to_string(),
        Some(t) => {
            let ok = (3..=255).contains(&t.len())
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
            if !ok {
                return err(format!(
                    "`appmap.table` = `{t}` is not a DynamoDB table name: expected 3-255 characters of a-z, A-Z, 0-9, _ - ."
                ));
            }
            t
        }
    };
    let dms = DmsSetup {
        replication_instance: raw
            .dms
            .replication_instance
            .unwrap_or_else(|| "dms-cockpit".into()),
        instance_class: raw
            .dms
            .instance_class
            .unwrap_or_else(|| "dms.t3.medium".into()),
        allocated_storage: match raw.dms.allocated_storage {
            None => 50,
            Some(n @ 5..=6144) => n as i32,
            Some(n) => {
                return err(format!(
                    "`dms.allocated_storage` = {n}: expected 5 to 6144 (GiB)"
                ));
            }
        },
        schemas: raw
            .dms
            .schemas
            .unwrap_or_else(|| vec!["customer_orders".into()]),
        loopback_schema: {
            let schema = raw
                .dms
                .loopback_schema
                .unwrap_or_else(|| DEFAULT_LOOPBACK_SCHEMA.into());
            plain_identifier(&schema, "dms.loopback_schema")?;
            schema
        },
        secrets_access_role_arn: match raw.dms.secrets_access_role_arn {
            Some(arn) if !arn.starts_with("arn:") => {
                return err(format!(
                    "`dms.secrets_access_role_arn` = `{arn}` is not an ARN: expected the IAM role DMS assumes to read the secret, e.g. arn:aws:iam::123456789012:role/dms-secrets"
                ));
            }
            other => other,
        },
        endpoints: {
            let e = raw.dms.endpoints.unwrap_or_default();
            DmsEndpointNames {
                a_source: e.a_source,
                b_target: e.b_target,
                b_source: e.b_source,
                a_target: e.a_target,
            }
        },
        table_mappings: raw.dms.table_mappings.map(|p| beside(path, p)),
        task_settings: raw.dms.task_settings.map(|p| beside(path, p)),
        logging: match raw.dms.logging.as_deref() {
            None | Some("default") => TaskLogging::Default,
            Some("detailed") => TaskLogging::Detailed,
            Some(other) => {
                return err(format!(
                    "`dms.logging` = `{other}`: expected `default` or `detailed`"
                ));
            }
        },
    };
    if let Some(role) = &dms.secrets_access_role_arn {
        for (side, db) in [(DbSide::A, &a), (DbSide::B, &b)] {
            if !matches!(db.dms_password, PasswordSource::Secret(_)) {
                return err(format!(
                    "`dms.secrets_access_role_arn` = `{role}` makes the endpoints read the DMS user's password from Secrets Manager, but `databases.{side}.dms_password_secret` is not set: set it to the secret's ARN (or drop the role ARN)"
                ));
            }
        }
    }
    let lag = lag_settings(raw.lag)?;
    Ok(Config {
        lag,
        audit_path: raw.audit.path,
        path: path.to_path_buf(),
        region: raw.aws.region,
        profile: raw.aws.profile,
        tasks: PerTask { forward, backward },
        backward_cdc_start_time,
        appmap_table,
        databases: PerDb { a, b },
        refresh_every,
        timeout,
        heartbeat_rows,
        dms,
    })
}

fn lag_settings(raw: RawLag) -> Result<LagSettings, ConfigError> {
    let d = LagSettings::default();
    let lag = LagSettings {
        auto: raw.every.is_some(),
        every: duration(raw.every, "lag.every", d.every)?,
        poll: duration(raw.poll, "lag.poll", d.poll)?,
        warn: duration(raw.warn, "lag.warn", d.warn)?,
        not_replicating: duration(
            raw.not_replicating,
            "lag.not_replicating",
            d.not_replicating,
        )?,
    };
    if lag.warn >= lag.not_replicating {
        return err(format!(
            "`lag.warn` ({}) must be shorter than `lag.not_replicating` ({})",
            humantime::format_duration(lag.warn),
            humantime::format_duration(lag.not_replicating)
        ));
    }
    Ok(lag)
}

fn database(side: DbSide, raw: RawDatabase) -> Result<DatabaseConfig, ConfigError> {
    let key = |k: &str| format!("databases.{side}.{k}");
    let engine_text = non_empty(raw.engine, &key("engine"), "oracle or postgresql")?;
    let engine = Engine::parse(&engine_text)
        .map_err(|e| ConfigError(format!("`{}`: {e}", key("engine"))))?;
    let endpoint = non_empty(raw.endpoint, &key("endpoint"), "the database host name")?;
    let port = match raw.port {
        None => match engine {
            Engine::Oracle => 1521,
            Engine::Postgresql => 5432,
        },
        Some(p @ 1..=65535) => p as u16,
        Some(p) => {
            return err(format!(
                "`{}` = {p}: expected a port from 1 to 65535",
                key("port")
            ));
        }
    };
    let dbname = non_empty(
        raw.dbname,
        &key("dbname"),
        "the database (or Oracle service) name",
    )?;
    let username = non_empty(
        raw.username,
        &key("username"),
        "the user the cockpit connects as",
    )?;
    let password = password_source(
        raw.password_secret,
        raw.password_env,
        &key("password_secret"),
        &key("password_env"),
    )?;
    let dms_username = raw
        .dms_username
        .unwrap_or_else(|| DEFAULT_DMS_USERNAME.into());
    plain_identifier(&dms_username, &key("dms_username"))?;
    let dms_password = password_source(
        raw.dms_password_secret,
        raw.dms_password_env,
        &key("dms_password_secret"),
        &key("dms_password_env"),
    )?;
    let hosting = match &raw.hosting {
        None => Hosting::SelfManaged,
        Some(h) => {
            Hosting::parse(h).map_err(|e| ConfigError(format!("`{}`: {e}", key("hosting"))))?
        }
    };
    let heartbeat = raw.heartbeat.unwrap_or_default();
    let heartbeat = HeartbeatNames::parse(
        heartbeat
            .table
            .as_deref()
            .unwrap_or(HeartbeatNames::DEFAULT_TABLE),
        heartbeat
            .sequence
            .as_deref()
            .unwrap_or(HeartbeatNames::DEFAULT_SEQUENCE),
    )
    .map_err(|e| ConfigError(format!("`{}`: {e}", key("heartbeat"))))?;
    let seq_start = match raw.seq_start {
        None => crate::setup::sql::DEFAULT_SEQ_START[side],
        Some(n) if n >= 1 => n,
        Some(n) => {
            return err(format!(
                "`{}` = {n}: expected a positive number",
                key("seq_start")
            ));
        }
    };
    if let Some(mode) = &raw.ssl_mode {
        const MODES: [&str; 6] = [
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ];
        if !MODES.contains(&mode.as_str()) {
            return err(format!(
                "`{}` = `{mode}`: expected one of {}",
                key("ssl_mode"),
                MODES.join(", ")
            ));
        }
    }
    Ok(DatabaseConfig {
        db: DatabaseRef {
            side,
            engine,
            endpoint,
            port,
            dbname,
            username,
        },
        password,
        heartbeat,
        seq_start,
        ssl_mode: raw.ssl_mode,
        ssl_root_cert: raw.ssl_root_cert,
        dms_username,
        dms_password,
        hosting,
    })
}

/// One password source from a `*_secret` / `*_env` pair of keys.
fn password_source(
    secret: Option<String>,
    env: Option<String>,
    secret_key: &str,
    env_key: &str,
) -> Result<PasswordSource, ConfigError> {
    match (secret, env) {
        (Some(_), Some(_)) => err(format!(
            "both `{secret_key}` and `{env_key}` are set: choose one password source"
        )),
        (Some(s), None) => Ok(PasswordSource::Secret(s)),
        (None, Some(v)) => Ok(PasswordSource::Env(v)),
        (None, None) => Ok(PasswordSource::None),
    }
}

/// A name spliced into SQL and DMS settings (a user or schema): letters,
/// digits, `_` and `$`, starting with a letter or `_`, at most 63 bytes
/// (PostgreSQL's limit; Oracle 12.2 allows 128).
fn plain_identifier(name: &str, key: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if ok {
        Ok(())
    } else {
        err(format!(
            "`{key}` = `{name}` is not a plain identifier: expected letters, digits, `_` or `$`, starting with a letter or `_`, at most 63 characters"
        ))
    }
}

/// `p` as written, or beside the config file when relative.
fn beside(config: &Path, p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        return p;
    }
    match config.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.join(p),
        None => p,
    }
}

/// The commented template `dms-cockpit init` writes.
pub const TEMPLATE: &str = include_str!("../assets/dms-cockpit.example.toml");

/// DMS's endpoint engine name as the config's `engine`.
fn engine_of(dms_engine: &str) -> Option<Engine> {
    match dms_engine {
        "oracle" => Some(Engine::Oracle),
        "postgres" | "aurora-postgresql" | "postgresql" => Some(Engine::Postgresql),
        _ => None,
    }
}

/// The template filled in for the pair `forward` (a -> b) and `backward`
/// (b -> a): task identifiers, `[aws]` when given, and each database's
/// engine, endpoint, port and dbname from the forward task's endpoints.
/// Refuses a pair whose endpoints do not mirror each other.
/// Whether two tasks are a bidirectional pair: the forward task's source
/// is the backward task's target and the other way round (server, port,
/// database; the server's case does not matter).
pub fn mirrored(
    forward: &crate::backend::aws::discover::TaskListing,
    backward: &crate::backend::aws::discover::TaskListing,
) -> bool {
    let same = |x: &crate::doctor::EndpointSetup, y: &crate::doctor::EndpointSetup| {
        x.server.eq_ignore_ascii_case(&y.server) && x.port == y.port && x.database == y.database
    };
    same(&forward.source, &backward.target) && same(&forward.target, &backward.source)
}

pub fn for_pair(
    forward: &crate::backend::aws::discover::TaskListing,
    backward: &crate::backend::aws::discover::TaskListing,
    region: Option<&str>,
    profile: Option<&str>,
) -> Result<String, String> {
    if !mirrored(forward, backward) {
        return Err(format!(
            "{} and {} are not a pair: the forward task's source ({}:{:?}/{}) must be the backward task's target ({}:{:?}/{}) and the other way round",
            forward.id,
            backward.id,
            forward.source.server,
            forward.source.port,
            forward.source.database,
            backward.target.server,
            backward.target.port,
            backward.target.database
        ));
    }
    let mut text = TEMPLATE.to_string();
    let mut set = |from: &str, to: String| -> Result<(), String> {
        if !text.contains(from) {
            return Err(format!("the config template has no line `{from}`"));
        }
        text = text.replacen(from, &to, 1);
        Ok(())
    };
    set(
        "forward  = \"ora2pg\"",
        format!("forward  = \"{}\"", forward.id),
    )?;
    set(
        "backward = \"pg2ora\"",
        format!("backward = \"{}\"", backward.id),
    )?;
    if let Some(r) = region {
        set("# region = \"us-east-1\"", format!("region = \"{r}\""))?;
    }
    if let Some(p) = profile {
        set("# profile = \"migration\"", format!("profile = \"{p}\""))?;
    }
    let db = |e: &crate::doctor::EndpointSetup| -> Result<(Engine, String, u16, String), String> {
        let engine = engine_of(&e.engine).ok_or_else(|| {
            format!(
                "endpoint {} is engine `{}`: the cockpit talks to oracle and postgres",
                e.id, e.engine
            )
        })?;
        let port = e.port.unwrap_or(match engine {
            Engine::Oracle => 1521,
            Engine::Postgresql => 5432,
        });
        Ok((engine, e.server.clone(), port, e.database.clone()))
    };
    let (ea, sa, pa, da) = db(&forward.source)?;
    let (eb, sb, pb, dbb) = db(&forward.target)?;
    set(
        "engine   = \"oracle\"        # oracle | postgresql\nendpoint = \"ora.example.internal\"\nport     = 1521\ndbname   = \"ORCL\"",
        format!("engine   = \"{ea}\"\nendpoint = \"{sa}\"\nport     = {pa}\ndbname   = \"{da}\""),
    )?;
    set(
        "engine   = \"postgresql\"\nendpoint = \"pg.example.internal\"\nport     = 5432\ndbname   = \"postgres\"",
        format!("engine   = \"{eb}\"\nendpoint = \"{sb}\"\nport     = {pb}\ndbname   = \"{dbb}\""),
    )?;
    Ok(text)
}
