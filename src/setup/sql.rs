//! The DDL behind `dms-cockpit setup sql`: the heartbeat objects, the DMS
//! loopback-prevention schema and the settings DMS needs, for PostgreSQL and
//! Oracle.
//!
//! The scripts live as plain files under `sql/` so a DBA can read and run
//! them by hand; they are embedded here and rendered with the configured
//! names and sequence start. Every script is idempotent (`IF NOT EXISTS` on
//! PostgreSQL, PL/SQL blocks that ignore "already exists" on Oracle), so
//! setup can be re-run after a partial failure. Statements only an
//! administrator may run (server settings, roles, ARCHIVELOG) stay in the
//! scripts as `-- ADMIN:` comments and are reported, never executed.

use std::fmt;

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPool;

use crate::backend::heartbeat_sql::HeartbeatNames;
use crate::backend::{BackendError, Engine, PerDb};

/// Where each database's heartbeat sequence starts. DMS does not replicate
/// sequences, so the two databases must draw from ranges that never meet:
/// database a from 1, database b from one billion.
pub const DEFAULT_SEQ_START: PerDb<i64> = PerDb {
    a: 1,
    b: 1_000_000_000,
};
// The ranges must stay apart: checked when the crate compiles.
const _: () = assert!(DEFAULT_SEQ_START.a < DEFAULT_SEQ_START.b);

/// The schema owner / application role of the original setup.
pub const DEFAULT_OWNER: &str = "customer_orders";

/// The login the DMS endpoints use by default (`databases.*.dms_username`);
/// the scripts grant it what DMS needs (only when it exists: creating it is
/// an administrator's step).
pub const DMS_USER: &str = crate::config::DEFAULT_DMS_USERNAME;

/// The default schema named in both tasks' `LoopbackPreventionSettings`
/// (`dms.loopback_schema`), where DMS keeps its `awsdms_loopback_prevention`
/// table.
pub const LOOPBACK_SCHEMA: &str = crate::config::DEFAULT_LOOPBACK_SCHEMA;

/// A plain (unquoted) name as `engine` stores it: Oracle folds unquoted
/// names to upper case, PostgreSQL to lower case. DMS matches schema names
/// case-sensitively, so the task settings must carry exactly this form;
/// `setup sql` and `setup dms` both go through here so they cannot differ.
pub fn stored_name(engine: Engine, name: &str) -> String {
    match engine {
        Engine::Oracle => name.to_uppercase(),
        Engine::Postgresql => name.to_lowercase(),
    }
}

/// Everything the scripts are rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlParams<'a> {
    pub engine: Engine,
    pub names: &'a HeartbeatNames,
    pub seq_start: i64,
    /// The application's login (`databases.*.username`).
    pub owner: &'a str,
    /// The login DMS uses (`databases.*.dms_username`).
    pub dms_user: &'a str,
    /// `dms.loopback_schema`, as configured.
    pub loopback_schema: &'a str,
    pub hosting: crate::config::Hosting,
    /// The highest id this database's sequence may hand out: just below the
    /// other database's range when this one is the lower, so the two can
    /// never meet (DMS does not replicate sequences).
    pub seq_max: Option<i64>,
    /// The replicated schemas (`dms.schemas`): the DMS user reads every
    /// table in them.
    pub schemas: &'a [String],
}

impl<'a> SqlParams<'a> {
    /// Defaults for everything but the four essentials.
    pub fn new(engine: Engine, names: &'a HeartbeatNames, seq_start: i64, owner: &'a str) -> Self {
        SqlParams {
            engine,
            names,
            seq_start,
            owner,
            dms_user: DMS_USER,
            loopback_schema: LOOPBACK_SCHEMA,
            hosting: crate::config::Hosting::SelfManaged,
            seq_max: None,
            schemas: &[],
        }
    }

    /// The parameters for configured database `side`.
    pub fn for_database(config: &'a crate::config::Config, side: crate::backend::DbSide) -> Self {
        let db = &config.databases[side];
        let other = config.databases[side.other()].seq_start;
        SqlParams {
            seq_max: (db.seq_start < other).then(|| other - 1),
            schemas: &config.dms.schemas,
            engine: db.db.engine,
            names: &db.heartbeat,
            seq_start: db.seq_start,
            owner: &db.db.username,
            dms_user: &db.dms_username,
            loopback_schema: &config.dms.loopback_schema,
            hosting: db.hosting,
        }
    }
}

/// The marker of a statement left for an administrator.
const ADMIN_MARKER: &str = "-- ADMIN:";

/// One rendered script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlScript {
    pub engine: Engine,
    /// The file name, e.g. `02_heartbeat.sql`.
    pub name: &'static str,
    pub text: String,
}

impl SqlScript {
    /// The statements this script leaves for an administrator, in order.
    pub fn admin_steps(&self) -> Vec<String> {
        self.text
            .lines()
            .filter_map(|line| line.trim_start().strip_prefix(ADMIN_MARKER))
            .map(|step| step.trim().to_string())
            .collect()
    }
}

const POSTGRES_SCRIPTS: [(&str, &str); 6] = [
    (
        "01_schema.sql",
        include_str!("../../sql/postgresql/01_schema.sql"),
    ),
    (
        "02_heartbeat.sql",
        include_str!("../../sql/postgresql/02_heartbeat.sql"),
    ),
    (
        "03_heartbeat_index.sql",
        include_str!("../../sql/postgresql/03_heartbeat_index.sql"),
    ),
    (
        "04_seq_heartbeat.sql",
        include_str!("../../sql/postgresql/04_seq_heartbeat.sql"),
    ),
    (
        "05_loopback_prevention.sql",
        include_str!("../../sql/postgresql/05_loopback_prevention.sql"),
    ),
    (
        "06_dms_source_target.sql",
        include_str!("../../sql/postgresql/06_dms_source_target.sql"),
    ),
];

const ORACLE_SCRIPTS: [(&str, &str); 6] = [
    (
        "01_schema.sql",
        include_str!("../../sql/oracle/01_schema.sql"),
    ),
    (
        "02_heartbeat.sql",
        include_str!("../../sql/oracle/02_heartbeat.sql"),
    ),
    (
        "03_heartbeat_index.sql",
        include_str!("../../sql/oracle/03_heartbeat_index.sql"),
    ),
    (
        "04_seq_heartbeat.sql",
        include_str!("../../sql/oracle/04_seq_heartbeat.sql"),
    ),
    (
        "05_loopback_prevention.sql",
        include_str!("../../sql/oracle/05_loopback_prevention.sql"),
    ),
    (
        "06_dms_source_target.sql",
        include_str!("../../sql/oracle/06_dms_source_target.sql"),
    ),
];

/// [`scripts`] with the default DMS user, loopback schema and hosting.
pub fn ddl(
    engine: Engine,
    names: &HeartbeatNames,
    seq_start: i64,
    owner: &str,
) -> Result<Vec<SqlScript>, String> {
    scripts(&SqlParams::new(engine, names, seq_start, owner))
}

/// Renders the engine's scripts, in the order they must run. `owner` is the
/// application's role (PostgreSQL) or login (Oracle); like the heartbeat
/// names it is spliced into SQL, so it must be a plain identifier. A table
/// or sequence without a `schema.` prefix lives in `public` (PostgreSQL) or
/// in `owner`'s schema (Oracle).
pub fn scripts(params: &SqlParams<'_>) -> Result<Vec<SqlScript>, String> {
    let SqlParams {
        engine,
        names,
        seq_start,
        owner,
        ..
    } = *params;
    for (what, name) in [
        ("DMS user", params.dms_user),
        ("loopback schema", params.loopback_schema),
    ] {
        HeartbeatNames::parse(name, "s")
            .ok()
            .filter(|_| !name.contains('.'))
            .ok_or_else(|| {
                format!(
                    "invalid {what} `{name}`: expected an identifier of letters, digits, `_` and `$` starting with a letter or `_`"
                )
            })?;
    }
    if seq_start < 1 {
        return Err(format!(
            "invalid heartbeat sequence start {seq_start}: expected a whole number of at least 1 (defaults: database a {}, database b {})",
            DEFAULT_SEQ_START.a, DEFAULT_SEQ_START.b
        ));
    }
    // The same rule as the heartbeat names: reuse it rather than repeat it.
    HeartbeatNames::parse(owner, "s").map_err(|_| {
        format!(
            "invalid schema owner `{owner}`: expected an identifier of letters, digits, `_` and `$` starting with a letter or `_`, e.g. `{DEFAULT_OWNER}`"
        )
    })?;
    if owner.contains('.') {
        return Err(format!(
            "invalid schema owner `{owner}`: expected a role or user name without a `schema.` prefix"
        ));
    }
    let default_schema = match engine {
        Engine::Postgresql => "public",
        Engine::Oracle => owner,
    };
    let table_schema = names.table_schema().unwrap_or(default_schema);
    let sequence_schema = names.sequence_schema().unwrap_or(default_schema);
    let index_name = index_name(names.table_name());
    let index_qualified = match names.table_schema() {
        Some(schema) => format!("{schema}.{index_name}"),
        None => index_name.clone(),
    };
    let seq_start = seq_start.to_string();
    let seq_max_clause = params
        .seq_max
        .map(|m| format!(" MAXVALUE {m}"))
        .unwrap_or_default();
    let dms_user = stored_name(engine, params.dms_user);
    let loopback_schema = stored_name(engine, params.loopback_schema);
    let oracle = oracle_parts(params, table_schema, sequence_schema);
    let values: [(&str, &str); 22] = [
        ("oracle_users", &oracle.users),
        ("login_table_grants", &oracle.login_table_grants),
        ("login_sequence_grants", &oracle.login_sequence_grants),
        ("loopback_user", &oracle.loopback_user),
        ("oracle_logging", &oracle.logging),
        ("oracle_source_grants", &oracle.source_grants),
        ("oracle_target_grants", &oracle.target_grants),
        ("replicated_schemas", &oracle.replicated_schemas),
        ("hosting", params.hosting.as_str()),
        ("table_schema_upper", &oracle.table_schema),
        ("seq_max_clause", &seq_max_clause),
        ("table_name", names.table_name()),
        ("heartbeat_table", names.table()),
        ("heartbeat_sequence", names.sequence()),
        ("table_schema", table_schema),
        ("sequence_schema", sequence_schema),
        ("index_name", &index_name),
        ("index_qualified", &index_qualified),
        ("seq_start", &seq_start),
        ("owner", owner),
        ("dms_user", &dms_user),
        ("loopback_schema", &loopback_schema),
    ];
    let sources = match engine {
        Engine::Postgresql => &POSTGRES_SCRIPTS,
        Engine::Oracle => &ORACLE_SCRIPTS,
    };
    sources
        .iter()
        .map(|(name, template)| {
            let text = render(template, &values).map_err(|p| {
                format!("sql/{engine}/{name} uses an unknown placeholder {{{{{p}}}}}")
            })?;
            Ok(SqlScript { engine, name, text })
        })
        .collect()
}

/// The generated parts of the Oracle scripts.
struct OracleParts {
    users: String,
    login_table_grants: String,
    login_sequence_grants: String,
    loopback_user: String,
    logging: String,
    source_grants: String,
    target_grants: String,
    replicated_schemas: String,
    table_schema: String,
}

fn oracle_parts(params: &SqlParams<'_>, table_schema: &str, sequence_schema: &str) -> OracleParts {
    use super::oracle_grants as og;
    let up = |n: &str| stored_name(Engine::Oracle, n);
    let owner = up(params.owner);
    let dms_user = up(params.dms_user);
    let table_schema = up(table_schema);
    let sequence_schema = up(sequence_schema);
    let login_block = format!(
        "BEGIN\n    EXECUTE IMMEDIATE 'CREATE USER {owner} IDENTIFIED BY \"&&owner_password\" DEFAULT TABLESPACE USERS QUOTA UNLIMITED ON USERS';\nEXCEPTION\n    WHEN OTHERS THEN\n        IF SQLCODE != -1920 THEN RAISE; END IF;\nEND;\n/"
    );
    let mut users = Vec::new();
    let mut schemas_done = vec![owner.clone()];
    for schema in [&table_schema, &sequence_schema] {
        if !schemas_done.contains(schema) {
            users.push(og::schema_only_user(schema));
            schemas_done.push(schema.clone());
        }
    }
    users.push(login_block);
    users.push(if owner == table_schema {
        format!("GRANT CREATE SESSION, CREATE TABLE, CREATE SEQUENCE TO {owner};")
    } else {
        format!("GRANT CREATE SESSION TO {owner};")
    });
    // The login inserts and reads heartbeats; a schema's owner has that
    // right already (and Oracle refuses a grant to oneself: ORA-01749).
    let table = params.names.table();
    let sequence = params.names.sequence();
    let login_table_grants = if owner != table_schema {
        format!("GRANT SELECT, INSERT ON {table} TO {owner};")
    } else {
        format!("-- {owner} owns {table}: no grant needed.")
    };
    let login_sequence_grants = if owner != sequence_schema {
        format!("GRANT SELECT ON {sequence} TO {owner};")
    } else {
        format!("-- {owner} owns {sequence}: no grant needed.")
    };
    let replicated: Vec<String> = params
        .schemas
        .iter()
        .chain(std::iter::once(&table_schema))
        .map(|s| format!("'{}'", up(s)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    OracleParts {
        users: users.join("\n"),
        login_table_grants,
        login_sequence_grants,
        loopback_user: og::schema_only_user(&up(params.loopback_schema)),
        logging: og::as_admin(&og::logging_steps(params.hosting)),
        source_grants: og::source_grants(params.hosting, &dms_user).join("\n"),
        target_grants: og::target_grants(params.hosting, &dms_user).join("\n"),
        replicated_schemas: replicated.join(", "),
        table_schema,
    }
}

/// `<table>_id_uk`, shortened to fit PostgreSQL's 63-character names.
fn index_name(table_name: &str) -> String {
    const SUFFIX: &str = "_id_uk";
    let keep = table_name.len().min(63 - SUFFIX.len());
    format!("{}{SUFFIX}", &table_name[..keep])
}

/// Substitutes every `{{key}}`; an unknown key is an error (a typo in a
/// script must not reach a database as literal braces).
fn render(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(after.chars().take(20).collect());
        };
        let key = &after[..end];
        let value = values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| key.to_string())?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// What applying one script did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScriptOutcome {
    /// Statements left as `-- ADMIN:` comments for an administrator.
    pub admin_steps: Vec<String>,
    /// Observations about the server worth acting on.
    pub notes: Vec<String>,
}

impl fmt::Display for ScriptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("applied")?;
        if !self.admin_steps.is_empty() {
            write!(
                f,
                "; {} step(s) left for an administrator:",
                self.admin_steps.len()
            )?;
            for step in &self.admin_steps {
                write!(f, "\n    {step}")?;
            }
        }
        for note in &self.notes {
            write!(f, "\n    note: {note}")?;
        }
        Ok(())
    }
}

/// Runs PostgreSQL scripts in order, each as one implicit transaction (a
/// failing script leaves nothing half-done), and stops at the first
/// failure, naming the script. Re-running is safe: the scripts are
/// idempotent.
pub async fn apply_postgres(
    pool: &PgPool,
    scripts: &[SqlScript],
) -> Result<Vec<(String, ScriptOutcome)>, BackendError> {
    if let Some(script) = scripts.iter().find(|s| s.engine != Engine::Postgresql) {
        return Err(BackendError::Other(format!(
            "cannot apply {} script {} to PostgreSQL: render the postgresql scripts, or run the oracle ones with SQL*Plus or SQLcl",
            script.engine, script.name
        ).into()));
    }
    let mut outcomes = Vec::with_capacity(scripts.len());
    for script in scripts {
        // The text comes from the embedded scripts and validated names.
        sqlx::raw_sql(AssertSqlSafe(script.text.clone()))
            .execute(pool)
            .await
            .map_err(|err| apply_error(script.name, err))?;
        outcomes.push((
            script.name.to_string(),
            ScriptOutcome {
                admin_steps: script.admin_steps(),
                notes: Vec::new(),
            },
        ));
    }
    if let Some((_, outcome)) = outcomes
        .iter_mut()
        .find(|(name, _)| name == "06_dms_source_target.sql")
    {
        let wal_level: String = sqlx::query_scalar("SELECT current_setting('wal_level')")
            .fetch_one(pool)
            .await
            .map_err(|err| apply_error("06_dms_source_target.sql", err))?;
        if wal_level != "logical" {
            outcome.notes.push(format!(
                "wal_level is `{wal_level}`; DMS needs `logical` to read this database: an administrator must set it and restart"
            ));
        }
    }
    Ok(outcomes)
}

/// What the DMS user may do in a PostgreSQL database, checked against what
/// the task settings need: log in, replicate (the `REPLICATION` attribute,
/// or membership of `rds_replication` on Amazon RDS), create
/// `awsdms_loopback_prevention` in the loopback schema, and read and write
/// the heartbeat table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmsUserCheck {
    pub user: String,
    /// What holds, as `what`.
    pub granted: Vec<String>,
    /// What is missing, with the statement that gives it.
    pub missing: Vec<String>,
}

impl fmt::Display for DmsUserCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.missing.is_empty() {
            write!(
                f,
                "DMS user {}: ready ({})",
                self.user,
                self.granted.join(", ")
            )
        } else {
            write!(
                f,
                "DMS user {}: NOT ready, {} missing (an administrator must fix this before the tasks run):",
                self.user,
                self.missing.len()
            )?;
            for m in &self.missing {
                write!(f, "\n    missing: {m}")?;
            }
            Ok(())
        }
    }
}

/// Everything `setup sql --apply` did and found in one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    /// What was found in place and fitted before the scripts ran.
    pub prepared: Vec<String>,
    pub scripts: Vec<(String, ScriptOutcome)>,
    pub collision: Option<super::heartbeat_shape::Collision>,
    pub dms_user: DmsUserCheck,
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for note in &self.prepared {
            writeln!(f, "{note}")?;
        }
        for (name, outcome) in &self.scripts {
            writeln!(f, "{name}: {outcome}")?;
        }
        if let Some(c) = &self.collision {
            writeln!(f, "{c}")?;
        }
        write!(f, "{}", self.dms_user)
    }
}

/// `setup sql --apply` on PostgreSQL: fits an existing heartbeat table of
/// the original shape (explaining it), runs the scripts, compares this
/// database's heartbeat sequence with `other` (the other database's
/// sequence name and range, when known) and checks the DMS user.
pub async fn apply_database(
    pool: &PgPool,
    params: &SqlParams<'_>,
    scripts: &[SqlScript],
    other: Option<(String, super::heartbeat_shape::SeqRange)>,
) -> Result<ApplyReport, BackendError> {
    use super::heartbeat_shape as shape;
    let found = shape::inspect(pool, params).await?;
    let prepared = shape::fit(pool, params, &found).await?;
    let outcomes = apply_postgres(pool, scripts).await?;
    let collision = match (shape::sequence_range(pool, params).await?, other) {
        (Some(this), Some((other_name, other))) => shape::collision(
            (params.names.sequence(), this),
            (other_name.as_str(), other),
        ),
        _ => None,
    };
    let dms_user = check_dms_user(pool, params).await?;
    Ok(ApplyReport {
        prepared,
        scripts: outcomes,
        collision,
        dms_user,
    })
}

/// Checks the DMS user's rights in the database `pool` is connected to.
pub async fn check_dms_user(
    pool: &PgPool,
    params: &SqlParams<'_>,
) -> Result<DmsUserCheck, BackendError> {
    let user = stored_name(Engine::Postgresql, params.dms_user);
    let loopback = stored_name(Engine::Postgresql, params.loopback_schema);
    let table = params.names.table();
    let table_schema = params.names.table_schema().unwrap_or("public");
    let q = |e: sqlx::Error| apply_error("the DMS user check", e);
    let mut check = DmsUserCheck {
        user: user.clone(),
        granted: Vec::new(),
        missing: Vec::new(),
    };
    let role: Option<(bool, bool)> =
        sqlx::query_as("SELECT rolcanlogin, rolreplication FROM pg_roles WHERE rolname = $1")
            .bind(&user)
            .fetch_optional(pool)
            .await
            .map_err(q)?;
    let Some((login, replication)) = role else {
        check.missing.push(format!(
            "role {user} does not exist: CREATE ROLE {user} LOGIN REPLICATION PASSWORD '<choose a password>'; then run setup sql --apply again"
        ));
        return Ok(check);
    };
    let mut note = |ok: bool, what: String, fix: String| {
        if ok {
            check.granted.push(what);
        } else {
            check.missing.push(format!("{what}: {fix}"));
        }
    };
    note(login, "LOGIN".into(), format!("ALTER ROLE {user} LOGIN;"));
    let rds_member: bool = sqlx::query_scalar(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication') \
         THEN pg_has_role($1, 'rds_replication', 'member') ELSE false END",
    )
    .bind(&user)
    .fetch_one(pool)
    .await
    .map_err(q)?;
    let fix = match params.hosting {
        crate::config::Hosting::Rds => format!("GRANT rds_replication TO {user};"),
        crate::config::Hosting::SelfManaged => format!("ALTER ROLE {user} REPLICATION;"),
    };
    note(
        replication || rds_member,
        "REPLICATION (logical decoding for the DMS source)".into(),
        fix,
    );
    for (privilege, schema) in [
        ("USAGE", loopback.as_str()),
        ("CREATE", loopback.as_str()),
        ("USAGE", table_schema),
    ] {
        let ok: bool = sqlx::query_scalar(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) \
             THEN has_schema_privilege($1, $2, $3) ELSE false END",
        )
        .bind(&user)
        .bind(schema)
        .bind(privilege)
        .fetch_one(pool)
        .await
        .map_err(q)?;
        note(
            ok,
            format!("{privilege} on schema {schema}"),
            format!("GRANT {privilege} ON SCHEMA {schema} TO {user};"),
        );
    }
    // One privilege per call: with a list, has_table_privilege is true
    // when any one of them is held.
    for privilege in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
        let ok: bool = sqlx::query_scalar(
            "SELECT CASE WHEN to_regclass($2) IS NOT NULL \
             THEN has_table_privilege($1, $2, $3) ELSE false END",
        )
        .bind(&user)
        .bind(table)
        .bind(privilege)
        .fetch_one(pool)
        .await
        .map_err(q)?;
        note(
            ok,
            format!("{privilege} on {table}"),
            format!("GRANT {privilege} ON {table} TO {user};"),
        );
    }
    Ok(check)
}

/// The sqlx error stays as the cause, for the log file.
fn apply_error(script: &str, err: sqlx::Error) -> BackendError {
    let detail = match &err {
        sqlx::Error::Database(db) => format!(
            "{} (SQLSTATE {})",
            db.message(),
            db.code().unwrap_or_default()
        ),
        other => other.to_string(),
    };
    let text = format!(
        "applying {script} failed: {detail}; nothing of this script was kept, fix the cause and run setup again"
    );
    let phrased = match &err {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("42501") => {
            BackendError::Denied(text.into())
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => {
            BackendError::Unavailable(text.into())
        }
        _ => BackendError::Other(text.into()),
    };
    phrased.caused_by(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> HeartbeatNames {
        HeartbeatNames::parse("app_x.hb", "app_y.hb_seq").unwrap()
    }

    #[test]
    fn renders_every_placeholder_for_both_engines() {
        for engine in [Engine::Postgresql, Engine::Oracle] {
            let scripts = ddl(engine, &names(), 42, "owner_1").unwrap();
            let got: Vec<_> = scripts.iter().map(|s| s.name).collect();
            assert_eq!(
                got,
                [
                    "01_schema.sql",
                    "02_heartbeat.sql",
                    "03_heartbeat_index.sql",
                    "04_seq_heartbeat.sql",
                    "05_loopback_prevention.sql",
                    "06_dms_source_target.sql"
                ]
            );
            for s in &scripts {
                assert!(!s.text.contains("{{"), "{engine} {}: {}", s.name, s.text);
                assert_eq!(s.engine, engine);
            }
            let all: String = scripts.iter().map(|s| s.text.as_str()).collect();
            assert!(all.contains("app_x.hb"));
            assert!(all.contains("app_y.hb_seq"));
            assert!(all.contains("START WITH 42"));
            assert!(all.contains("owner_1"));
            assert!(all.to_lowercase().contains(LOOPBACK_SCHEMA));
        }
    }

    #[test]
    fn postgres_scripts_are_idempotent_statements() {
        let scripts = ddl(Engine::Postgresql, &names(), 7, "app").unwrap();
        assert!(
            scripts[0]
                .text
                .contains("CREATE SCHEMA IF NOT EXISTS app_x;")
        );
        assert!(
            scripts[0]
                .text
                .contains("CREATE SCHEMA IF NOT EXISTS app_y;")
        );
        assert!(
            scripts[1]
                .text
                .contains("CREATE TABLE IF NOT EXISTS app_x.hb (")
        );
        assert!(
            scripts[2]
                .text
                .contains("CREATE UNIQUE INDEX IF NOT EXISTS hb_id_uk ON app_x.hb (heartbeat_id);")
        );
        assert!(scripts[3].text.contains(
            "CREATE SEQUENCE IF NOT EXISTS app_y.hb_seq AS bigint START WITH 7 MINVALUE 7;"
        ));
    }

    #[test]
    fn oracle_scripts_catch_already_exists() {
        let scripts = ddl(
            Engine::Oracle,
            &HeartbeatNames::default(),
            1_000_000_000,
            "customer_orders",
        )
        .unwrap();
        assert!(
            scripts[1]
                .text
                .contains("CREATE TABLE customer_orders.heartbeat (")
        );
        assert!(scripts[1].text.contains("IF SQLCODE != -955 THEN RAISE;"));
        assert!(scripts[2].text.contains(
            "CREATE UNIQUE INDEX customer_orders.heartbeat_id_uk ON customer_orders.heartbeat (heartbeat_id)"
        ));
        assert!(scripts[3].text.contains(
            "CREATE SEQUENCE customer_orders.seq_heartbeat START WITH 1000000000 MINVALUE 1000000000"
        ));
        assert!(
            scripts[4]
                .text
                .contains("CREATE USER DMS_LOOPBACK IDENTIFIED BY")
        );
        assert!(!scripts.iter().any(|s| s.text.contains("NO AUTHENTICATION")));
        let admin = scripts[5].admin_steps();
        assert!(
            admin.contains(&"ALTER DATABASE ARCHIVELOG;".to_string()),
            "{admin:?}"
        );
        assert!(admin.contains(&"ALTER DATABASE ADD SUPPLEMENTAL LOG DATA;".to_string()));
    }

    #[test]
    fn unqualified_names_use_the_engine_default_schema() {
        let names = HeartbeatNames::parse("hb", "hb_seq").unwrap();
        let pg = ddl(Engine::Postgresql, &names, 1, "app").unwrap();
        assert!(pg[0].text.contains("CREATE SCHEMA IF NOT EXISTS public;"));
        let ora = ddl(Engine::Oracle, &names, 1, "APP").unwrap();
        assert!(
            ora[2]
                .text
                .contains("CREATE UNIQUE INDEX hb_id_uk ON hb (heartbeat_id)")
        );
    }

    #[test]
    fn admin_steps_are_reported_not_run() {
        let scripts = ddl(
            Engine::Postgresql,
            &HeartbeatNames::default(),
            1,
            "customer_orders",
        )
        .unwrap();
        let admin = scripts[5].admin_steps();
        assert!(
            admin.contains(&"ALTER SYSTEM SET wal_level = logical;".to_string()),
            "{admin:?}"
        );
        assert!(
            scripts[5]
                .text
                .lines()
                .filter(|l| l.contains("ALTER SYSTEM"))
                .all(|l| l.trim_start().starts_with("--"))
        );
        assert_eq!(
            scripts[0].admin_steps(),
            ["CREATE ROLE customer_orders LOGIN PASSWORD '<choose a password>';"]
        );
    }

    #[test]
    fn bad_inputs_are_named() {
        let err = ddl(Engine::Postgresql, &names(), 0, "app").unwrap_err();
        assert!(
            err.starts_with("invalid heartbeat sequence start 0"),
            "{err}"
        );
        let err = ddl(Engine::Postgresql, &names(), 1, "app; drop").unwrap_err();
        assert!(err.starts_with("invalid schema owner `app; drop`"), "{err}");
        let err = ddl(Engine::Postgresql, &names(), 1, "a.b").unwrap_err();
        assert!(err.contains("without a `schema.` prefix"), "{err}");
    }

    #[test]
    fn render_refuses_unknown_placeholders() {
        assert_eq!(render("a {{x}} b", &[("x", "1")]), Ok("a 1 b".to_string()));
        assert_eq!(render("a {{y}} b", &[("x", "1")]), Err("y".to_string()));
        assert!(render("a {{x", &[("x", "1")]).is_err());
    }

    #[test]
    fn long_table_names_keep_index_names_legal() {
        let long = "t".repeat(63);
        assert_eq!(index_name(&long).len(), 63);
        assert!(index_name(&long).ends_with("_id_uk"));
        assert_eq!(index_name("heartbeat"), "heartbeat_id_uk");
    }
}
