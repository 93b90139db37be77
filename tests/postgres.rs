//! The PostgreSQL heartbeat adapter against a real server: the rows it
//! writes and reads, and the errors a person sees when the table, the user
//! or the server is missing. Run with `bash tests/run-all.sh`.

#[path = "support/pg.rs"]
mod pg;

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use dms_cockpit::backend::heartbeat_sql::{HeartbeatNames, Password};
use dms_cockpit::backend::postgres::PgHeartbeat;
use dms_cockpit::backend::{BackendError, Engine, HeartbeatStore, Site};
use dms_cockpit::setup::sql::{self, DEFAULT_SEQ_START};
use pg::TestDb;
use sqlx::{AssertSqlSafe, Executor};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

async fn with_heartbeat_objects(names: &HeartbeatNames, seq_start: i64) -> TestDb {
    let db = TestDb::create().await;
    let scripts = sql::ddl(Engine::Postgresql, names, seq_start, "customer_orders").unwrap();
    sql::apply_postgres(&db.pool, &scripts).await.unwrap();
    db
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn inserts_as_each_site_and_reads_newest_first() {
    let names = HeartbeatNames::default();
    let db = with_heartbeat_objects(&names, DEFAULT_SEQ_START.b).await;
    // A session time zone far from UTC: stored and returned times must
    // still be UTC.
    db.pool
        .execute(AssertSqlSafe(format!(
            "ALTER DATABASE {} SET timezone = 'Pacific/Kiritimati'",
            db.name
        )))
        .await
        .unwrap();
    let hb = PgHeartbeat::connect_lazy(db.connect(names)).unwrap();

    assert_eq!(hb.latest(5).await.unwrap(), vec![]);
    let before = Utc::now();
    let a1 = hb.insert(Site::A).await.unwrap();
    let b1 = hb.insert(Site::B).await.unwrap();
    let a2 = hb.insert(Site::A).await.unwrap();
    let after = Utc::now();

    assert_eq!(
        [a1.id, b1.id, a2.id],
        [1_000_000_000, 1_000_000_001, 1_000_000_002],
        "ids come from the sequence's own range"
    );
    assert_eq!(
        [a1.site.as_str(), b1.site.as_str(), a2.site.as_str()],
        ["SITEA", "SITEB", "SITEA"]
    );
    for row in [&a1, &b1, &a2] {
        let slack = chrono::Duration::seconds(2);
        assert!(
            row.at >= before - slack && row.at <= after + slack,
            "{} is not UTC now ({before}..{after})",
            row.at
        );
    }

    let latest = hb.latest(2).await.unwrap();
    assert_eq!(latest, vec![a2.clone(), b1.clone()]);
    let all = hb.latest(10).await.unwrap();
    assert_eq!(all, vec![a2, b1, a1]);
    db.drop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn newest_first_means_by_time_not_by_id_range() {
    // Database a draws ids from 1; a row DMS copied from database b carries
    // a billion-range id. The newest heartbeat must still come first.
    let names = HeartbeatNames::default();
    let db = with_heartbeat_objects(&names, DEFAULT_SEQ_START.a).await;
    db.pool
        .execute(
            "INSERT INTO customer_orders.heartbeat VALUES \
             (1000000005, (now() AT TIME ZONE 'UTC') - interval '1 hour', 'SITEB')",
        )
        .await
        .unwrap();
    let hb = PgHeartbeat::connect_lazy(db.connect(names)).unwrap();
    let local = hb.insert(Site::A).await.unwrap();
    assert_eq!(local.id, 1);
    let latest = hb.latest(2).await.unwrap();
    assert_eq!(latest[0], local);
    assert_eq!(latest[1].id, 1_000_000_005);
    assert_eq!(latest[1].site, "SITEB");
    db.drop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn missing_table_or_sequence_says_to_run_setup() {
    let db = TestDb::create().await;
    let hb = PgHeartbeat::connect_lazy(db.connect(HeartbeatNames::default())).unwrap();
    for err in [
        hb.latest(5).await.unwrap_err(),
        hb.insert(Site::A).await.unwrap_err(),
    ] {
        let BackendError::NotFound(msg) = &err else {
            panic!("expected NotFound, got {err:?}")
        };
        assert!(msg.contains("does not exist"), "{msg}");
        assert!(msg.contains("customer_orders.heartbeat"), "{msg}");
        assert!(
            msg.contains("run `dms-cockpit setup sql --database b --apply`"),
            "{msg}"
        );
    }

    // Table there, sequence not: the insert names the sequence.
    db.pool
        .execute(
            "CREATE SCHEMA customer_orders; CREATE TABLE customer_orders.heartbeat \
             (heartbeat_id bigint, last_update_dt timestamp, last_update_site varchar(16))",
        )
        .await
        .unwrap();
    assert_eq!(hb.latest(5).await.unwrap(), vec![]);
    let err = hb.insert(Site::B).await.unwrap_err();
    let BackendError::NotFound(msg) = &err else {
        panic!("expected NotFound, got {err:?}")
    };
    assert!(msg.contains("seq_heartbeat"), "{msg}");
    assert!(msg.contains("setup sql --database b --apply"), "{msg}");
    db.drop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn unknown_user_is_denied_without_showing_the_password() {
    // The test cluster trusts every existing role, so a refused login is an
    // unknown role (SQLSTATE 28000); a wrong password (28P01) takes the same
    // path in the adapter.
    let db = TestDb::create().await;
    let mut opts = db.connect(HeartbeatNames::default());
    opts.username = "dmsc_nobody".into();
    opts.password = Some(Password::new("pw-do-not-print-7731"));
    let hb = PgHeartbeat::connect_lazy(opts).unwrap();
    let err = hb.latest(1).await.unwrap_err();
    let BackendError::Denied(msg) = &err else {
        panic!("expected Denied, got {err:?}")
    };
    assert!(msg.contains("user `dmsc_nobody`"), "{msg}");
    assert!(
        msg.contains("check the username and the password source"),
        "{msg}"
    );
    assert!(!format!("{err:?} {msg}").contains("pw-do-not-print-7731"));
    db.drop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn missing_database_is_named() {
    let db = TestDb::create().await;
    let mut opts = db.connect(HeartbeatNames::default());
    opts.dbname = "dmsc_no_such_db".into();
    let err = PgHeartbeat::connect_lazy(opts)
        .unwrap()
        .latest(1)
        .await
        .unwrap_err();
    let BackendError::NotFound(msg) = &err else {
        panic!("expected NotFound, got {err:?}")
    };
    assert!(msg.contains("no database `dmsc_no_such_db`"), "{msg}");
    db.drop().await;
}

/// A TCP proxy in front of the test server that can be killed (listener and
/// every open connection) and brought back on the same port: the server
/// "goes away" for the adapter without stopping the shared server.
struct Proxy {
    port: u16,
    upstream: String,
    accept: JoinHandle<()>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String, port: u16) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let conns = Arc::clone(&conns);
            let upstream = upstream.clone();
            tokio::spawn(async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    let upstream = upstream.clone();
                    let handle = tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    conns.lock().unwrap().push(handle);
                }
            })
        };
        Proxy {
            port,
            upstream,
            accept,
            conns,
        }
    }

    /// Drops the listener and every proxied socket.
    async fn kill(self) -> (String, u16) {
        self.accept.abort();
        let _ = self.accept.await;
        let conns = std::mem::take(&mut *self.conns.lock().unwrap());
        for conn in conns {
            conn.abort();
            let _ = conn.await;
        }
        (self.upstream, self.port)
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn server_going_away_is_reported_in_time_and_recovered_from() {
    let names = HeartbeatNames::default();
    let db = with_heartbeat_objects(&names, 1).await;
    let upstream = format!("{}:{}", db.admin.get_host(), db.admin.get_port());
    let proxy = Proxy::start(upstream, 0).await;
    let mut opts = db.connect(names);
    opts.host = "127.0.0.1".into();
    opts.port = proxy.port;
    let connect_timeout = opts.connect_timeout;
    let call_limit = opts.connect_timeout + opts.statement_timeout + Duration::from_secs(1);
    let hb = PgHeartbeat::connect_lazy(opts).unwrap();

    let first = hb.insert(Site::A).await.unwrap();
    assert_eq!(hb.latest(1).await.unwrap(), vec![first.clone()]);

    let (upstream, port) = proxy.kill().await;
    for _ in 0..2 {
        let started = Instant::now();
        let err = hb.latest(1).await.unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(err, BackendError::Unavailable(_) | BackendError::Timeout(_)),
            "expected Unavailable or Timeout, got {err:?}"
        );
        assert!(took <= call_limit, "took {took:?}, limit {call_limit:?}");
        if let BackendError::Unavailable(msg) = &err {
            assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
        }
        // sqlx retries refused connects until the connect timeout: the
        // answer comes within it, not after the whole call limit.
        assert!(
            took <= connect_timeout + Duration::from_secs(1),
            "took {took:?}"
        );
    }

    let proxy = Proxy::start(upstream, port).await;
    let second = hb.insert(Site::B).await.unwrap();
    assert_eq!(second.id, first.id + 1);
    assert_eq!(hb.latest(2).await.unwrap(), vec![second, first]);
    proxy.kill().await;
    db.drop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn statement_timeout_cuts_a_blocked_call_short() {
    let names = HeartbeatNames::default();
    let db = with_heartbeat_objects(&names, 1).await;
    let mut opts = db.connect(names);
    opts.statement_timeout = Duration::from_millis(300);
    let hb = PgHeartbeat::connect_lazy(opts).unwrap();
    // Hold an exclusive lock so the adapter's SELECT blocks on the server.
    let mut locker = db.pool.begin().await.unwrap();
    locker
        .execute("LOCK TABLE customer_orders.heartbeat IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    let err = hb.latest(1).await.unwrap_err();
    assert_eq!(err, BackendError::Timeout(Duration::from_millis(300)));
    assert!(started.elapsed() < Duration::from_secs(2));
    locker.rollback().await.unwrap();
    assert_eq!(hb.latest(1).await.unwrap(), vec![]);
    db.drop().await;
}

/// Issue 8, item 3: with a connection idle in the pool, a server that went
/// away (its port now refusing) is reported as refused at once, through the
/// TUI's own executor: the panel's read and a heartbeat pressed during the
/// outage both fail fast, not after the connect timeout, and do not say
/// "no answer". The connect timeout is long here so the old behaviour (the
/// pool retrying the refused connect until it ran out) cannot pass.
#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn a_refused_server_shows_at_once_despite_idle_pool_connections() {
    use dms_cockpit::app::{Command, Msg};
    use dms_cockpit::backend::DbSide;
    use dms_cockpit::lab::{Lab, LabOptions};
    use dms_cockpit::runtime::executor::{self, Context};

    let names = HeartbeatNames::default();
    let db = with_heartbeat_objects(&names, 1_000_000_000).await;
    let upstream = format!("{}:{}", db.admin.get_host(), db.admin.get_port());
    let proxy = Proxy::start(upstream, 0).await;
    let mut opts = db.connect(names);
    opts.host = "127.0.0.1".into();
    opts.port = proxy.port;
    let connect_timeout = Duration::from_secs(20);
    opts.connect_timeout = connect_timeout;
    let pg = Arc::new(PgHeartbeat::connect_lazy(opts).unwrap());

    // The lab for everything else; database b (where SITEB writes) is the
    // PostgreSQL behind the proxy.
    let dir = tempfile::tempdir().unwrap();
    let lab = Lab::open(LabOptions::new(dir.path())).await.unwrap();
    let mut backends = lab.backends(Duration::from_secs(30), false);
    backends.heartbeats.b = pg.clone();
    let context = Context {
        operator: "test".into(),
        heartbeat_rows: 5,
    };
    let run = |c| executor::run(&backends, &context, c);

    let Msg::HeartbeatInserted(_, Ok((DbSide::B, _))) =
        run(Command::InsertHeartbeat(Site::B)).await
    else {
        panic!("the heartbeat lands in b while the server is up")
    };
    let Msg::Heartbeats(_, Ok(rows)) = run(Command::FetchHeartbeats(DbSide::B)).await else {
        panic!("b is read while the server is up")
    };
    assert_eq!(rows.len(), 1);
    assert!(pg.pool().num_idle() > 0, "a connection is idle in the pool");

    let (upstream, port) = proxy.kill().await;
    let refused = |err: &BackendError, what: &str| {
        let BackendError::Unavailable(msg) = err else {
            panic!("{what}: expected Unavailable, got {err:?}")
        };
        assert!(msg.to_lowercase().contains("refused"), "{what}: {msg}");
        assert!(msg.contains(&format!("127.0.0.1:{port}")), "{what}: {msg}");
    };
    let started = Instant::now();
    let Msg::Heartbeats(_, Err(err)) = run(Command::FetchHeartbeats(DbSide::B)).await else {
        panic!("reading b must fail while its server refuses")
    };
    refused(&err, "read");
    let started_insert = Instant::now();
    let Msg::HeartbeatInserted(_, Err(err)) = run(Command::InsertHeartbeat(Site::B)).await else {
        panic!("a heartbeat into b must fail while its server refuses")
    };
    refused(&err, "heartbeat");
    // Both well inside the connect timeout the pool would otherwise use up.
    let bound = connect_timeout / 4;
    assert!(
        started_insert.elapsed() < bound,
        "heartbeat took {:?}",
        started_insert.elapsed()
    );
    assert!(
        started.elapsed() < bound * 2,
        "read + heartbeat took {:?}",
        started.elapsed()
    );

    // Back again: the next call reconnects.
    let proxy = Proxy::start(upstream, port).await;
    let Msg::HeartbeatInserted(_, Ok((DbSide::B, row))) =
        run(Command::InsertHeartbeat(Site::B)).await
    else {
        panic!("the heartbeat lands in b once the server is back")
    };
    assert_eq!(row.id, 1_000_000_001);
    proxy.kill().await;
    lab.shutdown().await;
    db.drop().await;
}
