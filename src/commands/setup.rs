//! `dms-cockpit setup appmap|dms|sql`: what the original setup scripts
//! did, idempotently. Each reports what it did and what it found already
//! in place; re-running changes nothing that is already right.

use super::{Failure, Outcome};
use crate::backend::aws::dynamo::{DynamoAppMap, Ensured, KeyShape, PutOutcome};
use crate::backend::heartbeat_sql::HeartbeatNames;
use crate::backend::live;
use crate::backend::postgres::PgHeartbeat;
use crate::backend::{
    AppMapItem, AppMapStore, BackendError, DbSide, Engine, PerDb, PerTask, Site, TaskRole, aws,
};
use crate::cli::{GlobalArgs, KeyShapeArg, SetupAppmapArgs, SetupDmsArgs, SetupSqlArgs};
use crate::config::{self, Config};
use crate::setup::dms::{DmsSpec, EndpointSpec};
use crate::setup::sql;
use aws_sdk_databasemigration::types::Filter;

fn load(global: &GlobalArgs) -> Result<Config, Failure> {
    let Some(path) = config::locate(global.config.as_deref())? else {
        return Err(Failure::BadInput(format!(
            "setup needs a configuration (looked at {}); write one with: dms-cockpit init",
            config::search_places()
        )));
    };
    Ok(config::load(&path)?)
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
    let sdk = aws::load_sdk_config(config.region.clone(), config.profile.clone()).await;
    let store = DynamoAppMap::from_sdk_config(&sdk, config.appmap_table.clone());
    let shape = match args.key {
        KeyShapeArg::SiteDbengine => KeyShape::SiteAndEngine,
        KeyShapeArg::Site => KeyShape::Site,
    };
    let table = &config.appmap_table;
    match store.ensure_table(shape).await? {
        Ensured::Created => println!("appmap table {table}: created ({shape:?} key), active"),
        Ensured::Existed(found) if found == shape => {
            println!("appmap table {table}: already there ({found:?} key)")
        }
        Ensured::Existed(found) => println!(
            "appmap table {table}: already there with a {found:?} key (not {shape:?}); both work, keeping it"
        ),
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
            Ok(PutOutcome::Changed) => println!("item {what}: written"),
            Ok(PutOutcome::Unchanged) => println!("item {what}: already right"),
            Ok(PutOutcome::Flipped(found)) => println!(
                "item {site}: flipped to database {} ({}){}: left alone; `setup appmap --reset` points it back",
                route_of(site).other(),
                found.describe(),
                flipped_note(&found)
            ),
            Err(e) => return Err(Failure::Failed(format!("item {site}: {e}"))),
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
                .map_err(|e| Failure::Failed(format!("item {site}: {e}")))?;
            println!("item {what}: reset (was {})", found.describe());
            continue;
        }
        match store
            .put_if_different(&initial_item(site, config), None)
            .await
        {
            Ok(PutOutcome::Unchanged) => println!("item {what}: already right"),
            Ok(_) => println!("item {what}: written"),
            Err(e) => return Err(Failure::Failed(format!("item {site}: {e}"))),
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
    sdk: &aws_config::SdkConfig,
    tasks: &PerTask<String>,
) -> Result<PerTask<String>, Failure> {
    let mut out = tasks.clone();
    if !TaskRole::ALL.iter().any(|r| tasks[*r].starts_with("arn:")) {
        return Ok(out);
    }
    let client = aws_sdk_databasemigration::Client::new(sdk);
    let endpoint = aws::endpoint_label(sdk, "DATABASE_MIGRATION_SERVICE", "dms");
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "(no region configured)".into());
    for role in TaskRole::ALL {
        let arn = &tasks[role];
        if !arn.starts_with("arn:") {
            continue;
        }
        let filter = Filter::builder()
            .name("replication-task-arn")
            .values(arn.clone())
            .build()
            .map_err(|e| Failure::Failed(format!("cannot build the DMS filter: {e}")))?;
        let subject = format!("{role} task {arn}");
        let hint = format!(
            "put the task identifier (e.g. {}) under [tasks] {role} so setup creates the task",
            if role == TaskRole::Forward {
                "ora2pg"
            } else {
                "pg2ora"
            }
        );
        let found = client
            .describe_replication_tasks()
            .filters(filter)
            .without_settings(true)
            .send()
            .await
            .map_err(|e| {
                // Not found (as AWS answers a filter on an unknown ARN) is
                // the config's fault, like the empty list moto answers.
                match aws::map_sdk_error(
                    &e,
                    &aws::CallContext {
                        service: "DMS",
                        endpoint: &endpoint,
                        region: &region,
                        action: "dms:DescribeReplicationTasks",
                        subject: &subject,
                        not_found_hint: &hint,
                    },
                ) {
                    BackendError::NotFound(m) => Failure::BadInput(m),
                    other => Failure::from(other),
                }
            })?;
        let id = found
            .replication_tasks()
            .iter()
            .find(|t| t.replication_task_arn() == Some(arn.as_str()))
            .and_then(|t| t.replication_task_identifier())
            .ok_or_else(|| {
                Failure::BadInput(format!(
                    "[tasks] {role} is the ARN {arn}, and DMS at {endpoint} (region {region}) has no such task: {hint}"
                ))
            })?;
        out[role] = id.to_string();
    }
    Ok(out)
}

/// The DMS resources for `config`, with passwords when `with_passwords`.
async fn dms_spec(
    config: &Config,
    sdk: &aws_config::SdkConfig,
    with_passwords: bool,
) -> Result<DmsSpec, Failure> {
    let tasks = task_identifiers(sdk, &config.tasks).await?;
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    let mut passwords = PerDb::<Option<String>>::default();
    if with_passwords {
        for side in DbSide::ALL {
            passwords[side] = live::resolve_password(&config.databases[side], &secrets)
                .await
                .map_err(|e| Failure::Failed(format!("database {side}'s password: {e}")))?
                .map(|p| p.expose().to_string());
        }
    }
    Ok(DmsSpec {
        replication_instance: config.dms.replication_instance.clone(),
        instance_class: config.dms.instance_class.clone(),
        allocated_storage: config.dms.allocated_storage,
        schemas: config.dms.schemas.clone(),
        tasks,
        databases: PerDb::new(|side| EndpointSpec {
            db: config.databases[side].db.clone(),
            password: passwords[side].take(),
        }),
    })
}

pub async fn dms(global: &GlobalArgs, args: &SetupDmsArgs) -> Outcome {
    let config = load(global)?;
    let sdk = aws::load_sdk_config(config.region.clone(), config.profile.clone()).await;
    if args.dry_run {
        let spec = dms_spec(&config, &sdk, false).await?;
        crate::setup::dms::validate(&spec).map_err(Failure::BadInput)?;
        println!("{}", crate::setup::dms::dry_run_json(&spec));
        return Ok(());
    }
    refuse_read_only(global, "create DMS resources")?;
    let spec = dms_spec(&config, &sdk, true).await?;
    crate::setup::dms::validate(&spec).map_err(Failure::BadInput)?;
    let client = aws_sdk_databasemigration::Client::new(&sdk);
    let report = crate::setup::dms::apply(&client, &spec)
        .await
        .map_err(Failure::Failed)?;
    for line in &report.lines {
        println!("{line}");
    }
    if args.write_config {
        crate::setup::dms::write_task_arns(&config.path, &report.tasks).map_err(Failure::Failed)?;
        println!("wrote the task ARNs into {}", config.path.display());
    } else {
        println!("forward task:  {}", report.tasks.forward);
        println!("backward task: {}", report.tasks.backward);
        println!("(put them under [tasks] in the config, or re-run with --write-config)");
    }
    Ok(())
}

pub async fn sql(global: &GlobalArgs, args: &SetupSqlArgs) -> Outcome {
    if let Some(engine) = args.engine {
        let owner = "customer_orders";
        let scripts = sql::ddl(
            engine,
            &HeartbeatNames::default(),
            sql::DEFAULT_SEQ_START.a,
            owner,
        )
        .map_err(Failure::BadInput)?;
        print_scripts(&scripts);
        return Ok(());
    }
    let Some(side) = args.database else {
        return Err(Failure::BadInput(
            "pass --database a|b or --engine oracle|postgresql".into(),
        ));
    };
    let config = load(global)?;
    let db = &config.databases[side];
    let scripts = sql::ddl(db.db.engine, &db.heartbeat, db.seq_start, &db.db.username)
        .map_err(|e| Failure::BadInput(format!("databases.{side}: {e}")))?;
    if !args.apply {
        print_scripts(&scripts);
        return Ok(());
    }
    refuse_read_only(global, "apply DDL")?;
    if db.db.engine != Engine::Postgresql {
        return Err(Failure::BadInput(format!(
            "database {side} is {}: --apply runs PostgreSQL only; print the scripts (without --apply) and run them with SQL*Plus or SQLcl",
            db.db.engine
        )));
    }
    let sdk = aws::load_sdk_config(config.region.clone(), config.profile.clone()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let password = live::resolve_password(db, &secrets).await?;
    let store = PgHeartbeat::connect_lazy(live::pg_connect(db, password, config.timeout))?;
    let outcomes = sql::apply_postgres(store.pool(), &scripts)
        .await
        .map_err(|e| Failure::Failed(format!("database {side} ({}): {e}", db.db.address())))?;
    for (name, outcome) in outcomes {
        println!("{name}: {outcome}");
    }
    Ok(())
}

fn print_scripts(scripts: &[sql::SqlScript]) {
    for script in scripts {
        println!("-- ==== {} ====", script.name);
        println!("{}", script.text.trim_end());
        println!();
    }
}
