//! `dms-cockpit setup appmap|dms|sql`: what the original setup scripts
//! did, idempotently. Each reports what it did and what it found already
//! in place; re-running changes nothing that is already right.

use super::{Failure, Outcome};
use crate::backend::aws::dms_admin::DmsAdmin;
use crate::backend::aws::dynamo::{DynamoAppMap, Ensured, KeyShape, PutOutcome};
use crate::backend::heartbeat_sql::HeartbeatNames;
use crate::backend::live;
use crate::backend::postgres::PgHeartbeat;
use crate::backend::{
    AppMapItem, AppMapStore, DbSide, Engine, PerDb, PerTask, Site, TaskRole, aws,
};
use crate::cli::{
    GlobalArgs, HostingArg, KeyShapeArg, SetupAppmapArgs, SetupDmsArgs, SetupSqlArgs,
};
use crate::config::{self, Config, Hosting};
use crate::setup::dms::DmsSpec;
use crate::setup::dms_ops;
use crate::setup::sql;

fn load(global: &GlobalArgs) -> Result<Config, Failure> {
    let Some(path) = config::locate(global.config.as_deref())? else {
        return Err(Failure::BadInput(format!(
            "setup needs a configuration (looked at {}); write one with: dms-cockpit init",
            config::search_places()
        )));
    };
    Ok(config::load(&path)?)
}

/// The SDK configuration setup's AWS clients use: the cockpit's, with a
/// time limit on every call (DynamoDB, Secrets Manager and DMS alike), so a
/// silent endpoint cannot hang setup. Waiting for a resource to come up is
/// a loop of such calls with its own deadline.
async fn setup_sdk_config(config: &Config) -> aws_config::SdkConfig {
    let sdk = aws::load_sdk_config(config.region.clone(), config.profile.clone()).await;
    let limit = SETUP_CALL_TIMEOUT.max(config.timeout);
    sdk.into_builder()
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(config.timeout)
                .operation_attempt_timeout(limit)
                .operation_timeout(limit)
                .build(),
        )
        .build()
}

fn refuse_read_only(global: &GlobalArgs, what: &str) -> Outcome {
    if global.read_only {
        return Err(Failure::BadInput(format!(
            "read-only mode: refusing to {what}; run without --read-only"
        )));
    }
    Ok(())
}

/// The item the original scripts loaded for `site`: SITEA on database a,
/// SITEB on database b.
pub fn initial_item(site: Site, config: &Config) -> AppMapItem {
    let db = match site {
        Site::A => &config.databases.a.db,
        Site::B => &config.databases.b.db,
    };
    AppMapItem::new(site.as_str(), db)
}

pub async fn appmap(global: &GlobalArgs, args: &SetupAppmapArgs) -> Outcome {
    refuse_read_only(global, "create or load the appmap")?;
    let config = load(global)?;
    let sdk = setup_sdk_config(&config).await;
    let store = DynamoAppMap::from_sdk_config(&sdk, config.appmap_table.clone());
    let shape = match args.key {
        KeyShapeArg::SiteDbengine => KeyShape::SiteAndEngine,
        KeyShapeArg::Site => KeyShape::Site,
    };
    let table = &config.appmap_table;
    match store.ensure_table(shape).await? {
        Ensured::Created => super::output::say(format!(
            "appmap table {table}: created ({shape:?} key), active"
        ))?,
        Ensured::Existed(found) if found == shape => super::output::say(format!(
            "appmap table {table}: already there ({found:?} key)"
        ))?,
        Ensured::Existed(found) => super::output::say(format!(
            "appmap table {table}: already there with a {found:?} key (not {shape:?}); both work, keeping it"
        ))?,
    }
    if args.reset {
        return reset_appmap(&store, &config, args.yes).await;
    }
    for site in Site::ALL {
        let item = initial_item(site, &config);
        let what = format!(
            "{site} -> {} {}",
            item.dbengine,
            crate::format::db_long(&config.databases[route_of(site)].db)
        );
        let other = &config.databases[route_of(site).other()].db;
        match store.put_if_different(&item, Some(other)).await {
            Ok(PutOutcome::Changed) => super::output::say(format!("item {what}: written"))?,
            Ok(PutOutcome::Unchanged) => super::output::say(format!("item {what}: already right"))?,
            Ok(PutOutcome::Flipped(found)) => super::output::say(format!(
                "item {site}: flipped to database {} ({}){}: left alone; `setup appmap --reset` points it back",
                route_of(site).other(),
                found.describe(),
                flipped_note(&found)
            ))?,
            Err(e) => return Err(Failure::Failed(format!("item {site}: {e}").into())),
        }
    }
    Ok(())
}

/// ` by X at T` from a flipped item's record, when it has one.
fn flipped_note(item: &AppMapItem) -> String {
    match (item.extra.get("flipped_by"), item.extra.get("flipped_at")) {
        (Some(by), Some(at)) => format!(" by {by} at {at}"),
        (Some(by), None) => format!(" by {by}"),
        (None, Some(at)) => format!(" at {at}"),
        (None, None) => String::new(),
    }
}

/// `setup appmap --reset`: every site back to the database the config
/// gives it. A site pointing elsewhere is moved with the same conditional
/// transaction a flip uses (so a concurrent change is detected, and the
/// item records who moved it and when); a missing or damaged item is
/// written as `setup appmap` writes it.
async fn reset_appmap(store: &DynamoAppMap, config: &Config, yes: bool) -> Outcome {
    let stored = store.read_all().await?;
    let mut moves = Vec::new();
    for site in Site::ALL {
        let wanted = initial_item(site, config);
        if let Some(found) = stored.iter().find(|i| i.site == site.as_str())
            && !crate::backend::ops::same_mapping(found, &wanted)
        {
            moves.push((site, found.clone()));
        }
    }
    if !moves.is_empty() {
        let list: Vec<String> = moves
            .iter()
            .map(|(site, found)| {
                format!(
                    "{site} from {} back to database {}",
                    found.describe(),
                    route_of(*site)
                )
            })
            .collect();
        let question = format!("Reset the appmap: move {}?", list.join(", "));
        if !super::confirm::confirm(&question, yes)? {
            return Err(Failure::BadInput(
                "not confirmed: the appmap was not changed".into(),
            ));
        }
    }
    for site in Site::ALL {
        let db = &config.databases[route_of(site)].db;
        let what = format!("{site} -> {}", crate::format::db_long(db));
        if let Some((_, found)) = moves.iter().find(|(s, _)| *s == site) {
            store
                .flip(found, db, "setup appmap --reset")
                .await
                .map_err(|e| Failure::Failed(format!("item {site}: {e}").into()))?;
            super::output::say(format!("item {what}: reset (was {})", found.describe()))?;
            continue;
        }
        match store
            .put_if_different(&initial_item(site, config), None)
            .await
        {
            Ok(PutOutcome::Unchanged) => super::output::say(format!("item {what}: already right"))?,
            Ok(_) => super::output::say(format!("item {what}: written"))?,
            Err(e) => return Err(Failure::Failed(format!("item {site}: {e}").into())),
        }
    }
    Ok(())
}

fn route_of(site: Site) -> DbSide {
    match site {
        Site::A => DbSide::A,
        Site::B => DbSide::B,
    }
}

/// The task identifiers setup works with. `--write-config` puts ARNs into
/// `[tasks]`, and a real AWS task ARN does not contain the identifier, so a
/// configured ARN is looked up (a read, never a change) to learn the
/// identifier; without this, re-running setup after `--write-config` would
/// fail on the ARN as an identifier.
async fn task_identifiers(
    admin: &DmsAdmin,
    tasks: &PerTask<String>,
) -> Result<PerTask<String>, Failure> {
    let mut out = tasks.clone();
    if !TaskRole::ALL.iter().any(|r| tasks[*r].starts_with("arn:")) {
        return Ok(out);
    }
    let arns: Vec<String> = TaskRole::ALL
        .iter()
        .map(|r| tasks[*r].clone())
        .filter(|t| t.starts_with("arn:"))
        .collect();
    let existing = admin.tasks(&[("replication-task-arn", arns)]).await?;
    for role in TaskRole::ALL {
        let arn = &tasks[role];
        if !arn.starts_with("arn:") {
            continue;
        }
        let id = existing
            .iter()
            .find(|t| t.replication_task_arn() == Some(arn.as_str()))
            .and_then(|t| t.replication_task_identifier())
            .ok_or_else(|| {
                Failure::BadInput(format!(
                    "[tasks] {role} is the ARN {arn}, and DMS at {} has no such task: put the task identifier (e.g. {}) under [tasks] {role} so setup creates the task",
                    admin.endpoint(),
                    if role == TaskRole::Forward { "ora2pg" } else { "pg2ora" }
                ))
            })?;
        out[role] = id.to_string();
    }
    Ok(out)
}

/// The replication instance's identifier when the config gives its ARN
/// (endpoint identifiers derive from it).
async fn instance_identifier(admin: &DmsAdmin, configured: &str) -> Result<String, Failure> {
    if !configured.starts_with("arn:") {
        return Ok(configured.to_string());
    }
    admin
        .instances()
        .await?
        .iter()
        .find(|i| i.replication_instance_arn() == Some(configured))
        .and_then(|i| i.replication_instance_identifier())
        .map(str::to_string)
        .ok_or_else(|| {
            Failure::BadInput(format!(
                "`dms.replication_instance` is the ARN {configured}, and DMS at {} has no such instance: give its identifier or the ARN of an existing one",
                admin.endpoint()
            ))
        })
}

/// The DMS resources for `config`, with the DMS users' passwords when
/// `with_passwords` (endpoints that reference a secret need none).
async fn dms_spec(
    config: &Config,
    admin: &DmsAdmin,
    sdk: &aws_config::SdkConfig,
    with_passwords: bool,
) -> Result<DmsSpec, Failure> {
    let tasks = task_identifiers(admin, &config.tasks).await?;
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    let mut passwords = PerDb::default();
    if with_passwords && config.dms.secrets_access_role_arn.is_none() {
        for side in DbSide::ALL {
            passwords[side] = crate::setup::dms::dms_password(&config.databases[side], &secrets)
                .await
                .map_err(|e| Failure::Failed(e.to_string().into()))?;
        }
    }
    let mut spec = DmsSpec::from_config(config, tasks, passwords);
    spec.read_custom_files(config).map_err(Failure::BadInput)?;
    spec.replication_instance = instance_identifier(admin, &spec.replication_instance).await?;
    Ok(spec)
}

/// Each DMS call of setup waits at most this long (creating a resource
/// answers at once; the waits for a resource to come up are separate).
const SETUP_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn dms(global: &GlobalArgs, args: &SetupDmsArgs) -> Outcome {
    let config = load(global)?;
    let sdk = setup_sdk_config(&config).await;
    let admin = DmsAdmin::from_sdk_config(&sdk, SETUP_CALL_TIMEOUT.max(config.timeout));
    if args.delete {
        refuse_read_only(global, "delete DMS resources")?;
    } else if !args.dry_run {
        refuse_read_only(global, "create or test DMS resources")?;
    }
    let creating = !args.dry_run && !args.test && !args.delete;
    let spec = dms_spec(&config, &admin, &sdk, creating).await?;
    crate::setup::dms::validate(&spec).map_err(Failure::BadInput)?;
    // Read-only: what exists, what would be adopted, what conflicts.
    let discovery = crate::setup::dms::discover(&admin, &spec).await?;
    if args.test {
        let results = dms_ops::test_connections(&admin, &discovery).await?;
        for r in &results {
            super::output::say(r.line())?;
        }
        let failed = results.iter().filter(|r| !r.ok()).count();
        return if failed == 0 {
            Ok(())
        } else {
            Err(Failure::Failed(
                format!(
                    "{failed} of {} endpoint connection test(s) failed",
                    results.len()
                )
                .into(),
            ))
        };
    }
    if args.delete {
        let plan = dms_ops::plan_teardown(&admin, &spec, &discovery).await?;
        for line in &plan.left {
            super::output::say(line)?;
        }
        if plan.delete.is_empty() {
            super::output::say("nothing of this door to delete")?;
            return Ok(());
        }
        let list: Vec<String> = plan
            .delete
            .iter()
            .map(|d| format!("{} {}", d.kind, d.identifier))
            .collect();
        let question = format!("Delete {}?", list.join(", "));
        if !super::confirm::confirm(&question, args.yes)? {
            return Err(Failure::BadInput(
                "not confirmed: nothing was deleted".into(),
            ));
        }
        for line in dms_ops::teardown(&admin, &plan)
            .await
            .map_err(|e| Failure::Failed(e.into()))?
        {
            super::output::say(line)?;
        }
        return Ok(());
    }
    if args.dry_run {
        super::output::say(crate::setup::dms::dry_run_report(&spec, &discovery))?;
        return if discovery.conflicts.is_empty() {
            Ok(())
        } else {
            Err(Failure::Failed(
                crate::setup::dms::conflict_message(&discovery.conflicts).into(),
            ))
        };
    }
    let report = crate::setup::dms::apply(&admin, &spec, &discovery)
        .await
        .map_err(|e| Failure::Failed(e.into()))?;
    for line in &report.lines {
        super::output::say(line)?;
    }
    if args.write_config {
        crate::setup::dms::write_task_arns(&config.path, &report.tasks)
            .map_err(|e| Failure::Failed(e.into()))?;
        super::output::say(format!(
            "wrote the task ARNs into {}",
            config.path.display()
        ))?;
    } else {
        super::output::say(format!("forward task:  {}", report.tasks.forward))?;
        super::output::say(format!("backward task: {}", report.tasks.backward))?;
        super::output::say(
            "(put them under [tasks] in the config, or re-run with --write-config)",
        )?;
    }
    Ok(())
}

pub async fn sql(global: &GlobalArgs, args: &SetupSqlArgs) -> Outcome {
    let hosting = args.hosting.map(|h| match h {
        HostingArg::Rds => Hosting::Rds,
        HostingArg::SelfManaged => Hosting::SelfManaged,
    });
    if let Some(engine) = args.engine {
        let names = HeartbeatNames::default();
        let mut params =
            sql::SqlParams::new(engine, &names, sql::DEFAULT_SEQ_START.a, sql::DEFAULT_OWNER);
        params.hosting = hosting.unwrap_or_default();
        let scripts = sql::scripts(&params).map_err(Failure::BadInput)?;
        print_scripts(&scripts)?;
        return Ok(());
    }
    let Some(side) = args.database else {
        return Err(Failure::BadInput(
            "pass --database a|b or --engine oracle|postgresql".into(),
        ));
    };
    let config = load(global)?;
    let db = &config.databases[side];
    let mut params = sql::SqlParams::for_database(&config, side);
    if let Some(h) = hosting {
        params.hosting = h;
    }
    let scripts =
        sql::scripts(&params).map_err(|e| Failure::BadInput(format!("databases.{side}: {e}")))?;
    if !args.apply {
        print_scripts(&scripts)?;
        return Ok(());
    }
    refuse_read_only(global, "apply DDL")?;
    if db.db.engine != Engine::Postgresql {
        return Err(Failure::BadInput(format!(
            "database {side} is {}: --apply runs PostgreSQL only; print the scripts (without --apply) and run them with SQL*Plus or SQLcl",
            db.db.engine
        )));
    }
    let sdk = setup_sdk_config(&config).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let password = live::resolve_password(db, &secrets).await?;
    let store = PgHeartbeat::connect_lazy(live::pg_connect(db, password, config.timeout))?;
    let other = other_sequence(&config, side, &secrets).await;
    let report = sql::apply_database(store.pool(), &params, &scripts, other)
        .await
        .map_err(|e| {
            Failure::Failed(format!("database {side} ({}): {e}", db.db.address()).into())
        })?;
    super::output::say(report)?;
    Ok(())
}

/// The other database's heartbeat sequence, to tell whether the two ranges
/// can meet: read from it when it is PostgreSQL and answers, else its
/// configured `seq_start` (the range setup gives it).
async fn other_sequence(
    config: &Config,
    side: DbSide,
    secrets: &aws_sdk_secretsmanager::Client,
) -> Option<(String, crate::setup::heartbeat_shape::SeqRange)> {
    let other = &config.databases[side.other()];
    let name = other.heartbeat.sequence().to_string();
    let configured = crate::setup::heartbeat_shape::SeqRange {
        next: other.seq_start,
        increment: 1,
        max: i64::MAX,
    };
    if other.db.engine != Engine::Postgresql {
        return Some((name, configured));
    }
    let read = async {
        let password = live::resolve_password(other, secrets).await.ok()?;
        let store =
            PgHeartbeat::connect_lazy(live::pg_connect(other, password, config.timeout)).ok()?;
        let params = sql::SqlParams::for_database(config, side.other());
        crate::setup::heartbeat_shape::sequence_range(store.pool(), &params)
            .await
            .ok()
            .flatten()
    };
    let found = tokio::time::timeout(config.timeout, read)
        .await
        .ok()
        .flatten();
    Some((name, found.unwrap_or(configured)))
}

fn print_scripts(scripts: &[sql::SqlScript]) -> Outcome {
    for script in scripts {
        super::output::say(format!("-- ==== {} ====", script.name))?;
        super::output::say(script.text.trim_end())?;
        super::output::say("")?;
    }
    Ok(())
}
