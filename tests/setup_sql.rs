//! The setup DDL against a real PostgreSQL: applying it twice works and
//! leaves one of each object, the sequence starts where configured, and the
//! grants reach the application role. Run with `bash tests/run-all.sh`.

#[path = "support/pg.rs"]
mod pg;

use dms_cockpit::backend::heartbeat_sql::HeartbeatNames;
use dms_cockpit::backend::postgres::PgHeartbeat;
use dms_cockpit::backend::{BackendError, Engine, HeartbeatStore, Site};
use dms_cockpit::setup::sql::{self, DEFAULT_SEQ_START, LOOPBACK_SCHEMA};
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
