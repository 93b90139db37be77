//! The setup DDL against a real PostgreSQL: applying it twice works and
//! leaves one of each object, the sequence starts where configured, and the
//! grants reach the application role. Run with `bash tests/run-all.sh`.

#[path = "support/pg.rs"]
mod pg;

use dms_cockpit::backend::heartbeat_sql::HeartbeatNames;
use dms_cockpit::backend::postgres::PgHeartbeat;
use dms_cockpit::backend::{BackendError, DbSide, Engine, HeartbeatStore, Site};
use dms_cockpit::config::{self, Config};
use dms_cockpit::setup::dms::{DmsSpec, plan};
use dms_cockpit::setup::sql::{self, DEFAULT_SEQ_START, LOOPBACK_SCHEMA, SqlParams};
use pg::TestDb;
use sqlx::{AssertSqlSafe, Executor};

async fn count(db: &TestDb, sql: &'static str, a: &str, b: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(a)
        .bind(b)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn applying_twice_succeeds_and_leaves_one_of_each() {
    let db = TestDb::create().await;
    let names = HeartbeatNames::default();
    let scripts = sql::ddl(
        Engine::Postgresql,
        &names,
        DEFAULT_SEQ_START.b,
        "customer_orders",
    )
    .unwrap();

    for round in 0..2 {
        let outcomes = sql::apply_postgres(&db.pool, &scripts)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let names: Vec<_> = outcomes.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 6);
        assert_eq!(names[0], "01_schema.sql");
        let (_, dms) = &outcomes[5];
        assert!(
            dms.admin_steps
                .contains(&"ALTER SYSTEM SET wal_level = logical;".to_string()),
            "{dms}"
        );
        assert!(
            dms.to_string().contains("left for an administrator"),
            "{dms}"
        );
    }

    let tables = count(
        &db,
        "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2",
        "customer_orders",
        "heartbeat",
    )
    .await;
    let sequences = count(
        &db,
        "SELECT count(*) FROM pg_sequences WHERE schemaname = $1 AND sequencename = $2",
        "customer_orders",
        "seq_heartbeat",
    )
    .await;
    let indexes = count(
        &db,
        "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = $2",
        "customer_orders",
        "heartbeat",
    )
    .await;
    let loopback = count(
        &db,
        "SELECT count(*) FROM pg_namespace WHERE nspname IN ($1, $2)",
        LOOPBACK_SCHEMA,
        "customer_orders",
    )
    .await;
    assert_eq!((tables, sequences, indexes, loopback), (1, 1, 1, 2));

    let start: i64 = sqlx::query_scalar(
        "SELECT start_value FROM pg_sequences WHERE schemaname = 'customer_orders' AND sequencename = 'seq_heartbeat'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(start, DEFAULT_SEQ_START.b);
    let next: i64 = sqlx::query_scalar("SELECT nextval('customer_orders.seq_heartbeat')")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(next, DEFAULT_SEQ_START.b);
    db.drop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn configured_names_and_start_reach_the_adapter() {
    let db = TestDb::create().await;
    let names = HeartbeatNames::parse("hb_app.beats", "hb_ids.beat_seq").unwrap();
    let scripts = sql::ddl(Engine::Postgresql, &names, 500, "customer_orders").unwrap();
    sql::apply_postgres(&db.pool, &scripts).await.unwrap();
    let hb = PgHeartbeat::connect_lazy(db.connect(names)).unwrap();
    let row = hb.insert(Site::B).await.unwrap();
    assert_eq!(row.id, 500);
    assert_eq!(hb.latest(1).await.unwrap(), vec![row]);
    db.drop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn grants_reach_an_existing_application_role() {
    let db = TestDb::create().await;
    let owner = pg::unique("dmsc_owner");
    db.pool
        .execute(AssertSqlSafe(format!("CREATE ROLE {owner} LOGIN")))
        .await
        .unwrap();
    let names = HeartbeatNames::default();
    let scripts = sql::ddl(Engine::Postgresql, &names, 1, &owner).unwrap();
    sql::apply_postgres(&db.pool, &scripts).await.unwrap();

    // The application role can now do what the cockpit does, as itself.
    let mut opts = db.connect(names);
    opts.username = owner.clone();
    let hb = PgHeartbeat::connect_lazy(opts).unwrap();
    let row = hb.insert(Site::A).await.unwrap();
    assert_eq!(row.id, 1);
    assert_eq!(hb.latest(1).await.unwrap(), vec![row]);
    drop(hb);

    db.pool
        .execute(AssertSqlSafe(format!("DROP OWNED BY {owner}")))
        .await
        .unwrap();
    let admin = db.admin.clone();
    db.drop().await;
    let server = sqlx::PgPool::connect_with(admin).await.unwrap();
    server
        .execute(AssertSqlSafe(format!("DROP ROLE {owner}")))
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn a_failing_script_is_named_and_leaves_nothing_half_done() {
    let db = TestDb::create().await;
    // An older table whose heartbeat_id allows NULL: 03's index is created,
    // then its second statement (replica identity) fails.
    db.pool
        .execute(
            "CREATE SCHEMA customer_orders; CREATE TABLE customer_orders.heartbeat \
             (heartbeat_id bigint, last_update_dt timestamp, last_update_site varchar(16))",
        )
        .await
        .unwrap();
    let scripts = sql::ddl(
        Engine::Postgresql,
        &HeartbeatNames::default(),
        1,
        "customer_orders",
    )
    .unwrap();
    let err = sql::apply_postgres(&db.pool, &scripts).await.unwrap_err();
    let BackendError::Other(msg) = &err else {
        panic!("expected Other, got {err:?}")
    };
    assert!(
        msg.starts_with("applying 03_heartbeat_index.sql failed:"),
        "{msg}"
    );
    assert!(msg.contains("nullable"), "{msg}");
    assert!(msg.contains("run setup again"), "{msg}");
    // 03 ran as one transaction: the index its first statement created is
    // gone again.
    let indexes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'customer_orders'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(indexes, 0);
    db.drop().await;
}

#[tokio::test]
async fn oracle_scripts_are_refused_by_the_postgres_applier() {
    // A lazy pool never connects here: the refusal comes first.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .unwrap();
    let scripts = sql::ddl(
        Engine::Oracle,
        &HeartbeatNames::default(),
        1,
        "customer_orders",
    )
    .unwrap();
    let err = sql::apply_postgres(&pool, &scripts).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot apply oracle script 01_schema.sql to PostgreSQL: render the postgresql scripts, or run the oracle ones with SQL*Plus or SQLcl"
    );
}

/// A PostgreSQL-to-PostgreSQL config for database `dbname` with its own DMS
/// user and loopback schema (what `setup sql` and `setup dms` both read).
fn door_config(dbname: &str, dms_user: &str, loopback: &str) -> Config {
    let text = format!(
        r#"
[tasks]
forward = "fwd"
backward = "bwd"
[databases.a]
engine = "oracle"
endpoint = "ora.example"
dbname = "ORCL"
username = "customer_orders"
dms_username = "{dms_user}"
[databases.b]
engine = "postgresql"
endpoint = "127.0.0.1"
dbname = "{dbname}"
username = "customer_orders"
dms_username = "{dms_user}"
[dms]
loopback_schema = "{loopback}"
"#
    );
    config::parse(std::path::Path::new("tie.toml"), &text, &Default::default())
        .expect("valid config")
}

async fn role_flag(db: &TestDb, role: &str, column: &str) -> bool {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT {column} FROM pg_roles WHERE rolname = $1"
    )))
    .bind(role)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn the_task_settings_name_the_schema_and_user_setup_sql_prepared() {
    let db = TestDb::create().await;
    let dms_user = pg::unique("dmsc_dms");
    let config = door_config(&db.name, &dms_user, "Door_Loop");
    // The administrator's step, as 06_dms_source_target.sql words it.
    db.pool
        .execute(AssertSqlSafe(format!(
            "CREATE ROLE {dms_user} LOGIN REPLICATION"
        )))
        .await
        .unwrap();
    let params = SqlParams::for_database(&config, DbSide::B);
    let scripts = sql::scripts(&params).unwrap();
    sql::apply_postgres(&db.pool, &scripts).await.unwrap();

    // What setup dms would send, from the same config.
    let spec = DmsSpec::from_config(&config, config.tasks.clone(), Default::default());
    let plan = plan(&spec);
    let body = |id: &str| {
        plan.iter()
            .find(|r| r.identifier == id)
            .unwrap_or_else(|| panic!("{id} in {plan:#?}"))
            .body
            .clone()
    };
    let settings = |task: &str| -> serde_json::Value {
        serde_json::from_str(body(task)["ReplicationTaskSettings"].as_str().unwrap()).unwrap()
    };
    let forward = settings("fwd");
    let backward = settings("bwd");
    let on_b = forward["LoopbackPreventionSettings"]["TargetSchema"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        backward["LoopbackPreventionSettings"]["SourceSchema"], on_b,
        "mirrored on b"
    );
    assert_eq!(
        backward["LoopbackPreventionSettings"]["TargetSchema"],
        forward["LoopbackPreventionSettings"]["SourceSchema"],
        "mirrored on a"
    );
    // Oracle side: the upper-case user 05 creates.
    let oracle_schema = forward["LoopbackPreventionSettings"]["SourceSchema"]
        .as_str()
        .unwrap();
    assert_eq!(oracle_schema, "DOOR_LOOP");
    let oracle = sql::scripts(&SqlParams::for_database(&config, DbSide::A)).unwrap();
    assert!(
        oracle
            .iter()
            .any(|s| s.text.contains(&format!("CREATE USER {oracle_schema} "))),
        "the Oracle scripts create the schema the settings name"
    );

    // The schema the settings name on b exists under exactly that name (DMS
    // matches case-sensitively), and the endpoints' user may use it.
    let user = body(&format!("{}-b-target", spec.replication_instance))["Username"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(user, dms_user, "the endpoints log in as the DMS user");
    for privilege in ["USAGE", "CREATE"] {
        let ok: bool = sqlx::query_scalar("SELECT has_schema_privilege($1, $2, $3)")
            .bind(&user)
            .bind(&on_b)
            .bind(privilege)
            .fetch_one(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("schema {on_b} as the settings name it: {e}"));
        assert!(ok, "{user} lacks {privilege} on {on_b}");
    }
    assert!(role_flag(&db, &user, "rolreplication").await);
    assert!(role_flag(&db, &user, "rolcanlogin").await);
    for privilege in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
        let ok: bool =
            sqlx::query_scalar("SELECT has_table_privilege($1, 'customer_orders.heartbeat', $2)")
                .bind(&user)
                .bind(privilege)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert!(ok, "{user} lacks {privilege} on the heartbeat table");
    }
    // No selection rule replicates the loopback schema.
    let mappings: serde_json::Value =
        serde_json::from_str(body("bwd")["TableMappings"].as_str().unwrap()).unwrap();
    for rule in mappings["rules"].as_array().unwrap() {
        assert_ne!(rule["object-locator"]["schema-name"], on_b.as_str());
    }
    // setup's own check agrees.
    let check = sql::check_dms_user(&db.pool, &params).await.unwrap();
    assert!(check.missing.is_empty(), "{check}");

    // Without REPLICATION the check says so and how to fix it.
    db.pool
        .execute(AssertSqlSafe(format!(
            "ALTER ROLE {dms_user} NOREPLICATION"
        )))
        .await
        .unwrap();
    let check = sql::check_dms_user(&db.pool, &params).await.unwrap();
    assert_eq!(check.missing.len(), 1, "{check}");
    assert!(
        check.missing[0].contains(&format!("ALTER ROLE {dms_user} REPLICATION;")),
        "{check}"
    );

    db.pool
        .execute(AssertSqlSafe(format!("DROP OWNED BY {dms_user}")))
        .await
        .unwrap();
    let admin = db.admin.clone();
    db.drop().await;
    let server = sqlx::PgPool::connect_with(admin).await.unwrap();
    server
        .execute(AssertSqlSafe(format!("DROP ROLE {dms_user}")))
        .await
        .unwrap();
}

/// The original proof of concept's heartbeat table and sequence.
const ORIGINAL_SHAPE: &str = "CREATE SCHEMA customer_orders; \
     CREATE TABLE customer_orders.heartbeat (heartbeat_id numeric, last_update_dt timestamp, \
     last_update_site varchar(20), description varchar(200)); \
     CREATE SEQUENCE customer_orders.seq_heartbeat START 20000; \
     INSERT INTO customer_orders.heartbeat VALUES (nextval('customer_orders.seq_heartbeat'), now(), 'SITEB', 'kept')";

async fn id_nullable(db: &TestDb) -> String {
    sqlx::query_scalar(
        "SELECT is_nullable::text FROM information_schema.columns \
         WHERE table_schema = 'customer_orders' AND table_name = 'heartbeat' AND column_name = 'heartbeat_id'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn the_originals_heartbeat_table_is_explained_fitted_and_never_dropped() {
    use dms_cockpit::setup::heartbeat_shape::SeqRange;
    let db = TestDb::create().await;
    db.pool.execute(ORIGINAL_SHAPE).await.unwrap();
    let names = HeartbeatNames::default();
    let params = SqlParams::new(
        Engine::Postgresql,
        &names,
        DEFAULT_SEQ_START.b,
        "customer_orders",
    );
    let scripts = sql::scripts(&params).unwrap();
    // Database a's sequence, as the original created it.
    let other = Some((
        "customer_orders.seq_heartbeat".to_string(),
        SeqRange {
            next: 10_000,
            increment: 1,
            max: i64::MAX,
        },
    ));
    let report = sql::apply_database(&db.pool, &params, &scripts, other.clone())
        .await
        .expect("the original shape is fitted, not refused");
    let text = report.to_string();
    assert!(text.contains("nullable heartbeat_id"), "{text}");
    assert!(text.contains("now NOT NULL"), "{text}");
    assert!(text.contains("`description` column: kept"), "{text}");
    assert_eq!(id_nullable(&db).await, "NO");
    let (rows, description): (i64, String) =
        sqlx::query_as("SELECT count(*), max(description)::text FROM customer_orders.heartbeat")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((rows, description.as_str()), (1, "kept"), "nothing dropped");
    let identity: String = sqlx::query_scalar(
        "SELECT relreplident::text FROM pg_class WHERE oid = 'customer_orders.heartbeat'::regclass",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        identity, "i",
        "the unique index is the replica identity now"
    );

    // 10000 (a) and 20001 (b, next): a reaches b's range after 10,001 rows.
    let collision = report.collision.expect("the original's ranges collide");
    assert_eq!(collision.after_rows, 10_001);
    assert!(text.contains("collide after 10001 more row(s)"), "{text}");
    assert!(
        collision
            .statements
            .iter()
            .any(|s| s.starts_with("ALTER SEQUENCE customer_orders.seq_heartbeat MINVALUE 1000000000 START WITH 1000000000 RESTART WITH 1000000000;")),
        "{collision:?}"
    );
    // The statements it prints do separate them.
    db.pool
        .execute("ALTER SEQUENCE customer_orders.seq_heartbeat MINVALUE 1000000000 START WITH 1000000000 RESTART WITH 1000000000")
        .await
        .unwrap();
    let capped_a = Some((
        "customer_orders.seq_heartbeat".to_string(),
        SeqRange {
            next: 10_000,
            increment: 1,
            max: 999_999_999,
        },
    ));
    let again = sql::apply_database(&db.pool, &params, &scripts, capped_a)
        .await
        .unwrap();
    assert_eq!(again.collision, None, "{again}");
    assert!(
        again.prepared.iter().all(|n| !n.contains("now NOT NULL")),
        "{again}"
    );
    db.drop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn null_heartbeat_ids_are_counted_and_nothing_is_changed() {
    let db = TestDb::create().await;
    db.pool.execute(ORIGINAL_SHAPE).await.unwrap();
    db.pool
        .execute("INSERT INTO customer_orders.heartbeat VALUES (NULL, now(), 'SITEA', 'no id')")
        .await
        .unwrap();
    let names = HeartbeatNames::default();
    let params = SqlParams::new(Engine::Postgresql, &names, 1, "customer_orders");
    let scripts = sql::scripts(&params).unwrap();
    let err = sql::apply_database(&db.pool, &params, &scripts, None)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("1 row(s) hold a NULL heartbeat_id"), "{msg}");
    assert!(msg.contains("Nothing was changed"), "{msg}");
    assert_eq!(id_nullable(&db).await, "YES");
    let indexes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'customer_orders'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(indexes, 0);
    db.drop().await;
}
