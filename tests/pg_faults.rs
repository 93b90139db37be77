//! The PostgreSQL adapter under faults a person meets in production, against
//! real servers: how many round trips a heartbeat read costs (it is what a
//! far-away database multiplies), a wrong password under scram, TLS with a
//! private CA, and a server restarted under a running heartbeat writer.
//! Tests that need special server settings or stop the server start their
//! own throwaway cluster (`support/cluster.rs`). Run with
//! `bash tests/run-all.sh`.

#[path = "support/pg.rs"]
mod pg;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dms_cockpit::backend::heartbeat_sql::HeartbeatNames;
use dms_cockpit::backend::postgres::PgHeartbeat;
use dms_cockpit::backend::{Engine, HeartbeatStore, Site};
use dms_cockpit::setup::sql::{self, DEFAULT_SEQ_START};
use pg::TestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn with_heartbeat_objects(names: &HeartbeatNames) -> TestDb {
    let db = TestDb::create().await;
    let scripts = sql::ddl(
        Engine::Postgresql,
        names,
        DEFAULT_SEQ_START.b,
        "customer_orders",
    )
    .unwrap();
    sql::apply_postgres(&db.pool, &scripts).await.unwrap();
    db
}

/// Who spoke last on a proxied connection, and how many times the client
/// started speaking again after the server had answered: one "flight" is
/// one round trip the client waits for.
#[derive(Default)]
struct Turns {
    client_last: bool,
    flights: u32,
}

/// A TCP proxy that counts the client's flights over every connection.
async fn counting_proxy(upstream: (String, u16)) -> (u16, Arc<Mutex<Turns>>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let turns: Arc<Mutex<Turns>> = Arc::default();
    let shared = Arc::clone(&turns);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect((upstream.0.as_str(), upstream.1))
                .await
                .unwrap();
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let up = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok(n @ 1..) = cr.read(&mut buf).await {
                    {
                        let mut t = up.lock().unwrap();
                        if !t.client_last {
                            t.flights += 1;
                            t.client_last = true;
                        }
                    }
                    if sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
            let down = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok(n @ 1..) = sr.read(&mut buf).await {
                    down.lock().unwrap().client_last = false;
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, turns)
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn a_heartbeat_read_on_an_open_connection_is_one_round_trip() {
    let names = HeartbeatNames::default();
    let db = with_heartbeat_objects(&names).await;
    let upstream = (db.admin.get_host().to_string(), db.admin.get_port());
    let (port, turns) = counting_proxy(upstream).await;
    let mut opts = db.connect(names);
    opts.host = "127.0.0.1".into();
    opts.port = port;
    let hb = PgHeartbeat::connect_lazy(opts).unwrap();
    let inserted = hb.insert(Site::A).await.unwrap();
    // Connecting and the first use of the statement on this connection are
    // paid once; sqlx also checks a connection when it goes back to the
    // pool, after the caller has its answer. Let that settle.
    hb.latest(5).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    for _ in 0..3 {
        turns.lock().unwrap().flights = 0;
        let rows = hb.latest(5).await.unwrap();
        let flights = turns.lock().unwrap().flights;
        assert_eq!(rows, vec![inserted.clone()]);
        assert_eq!(
            flights, 1,
            "a read of the latest rows waited for {flights} round trips"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    drop(hb);
    db.drop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DMSC_TEST_PG_URL), run tests/run-all.sh"]
async fn connections_that_died_while_idle_cost_no_failed_call() {
    // Reads and inserts do not ping before use (a read is one round trip),
    // so a connection the server dropped while it sat in the pool is found
    // dead by the call itself: the read retries once, the insert checks its
    // connection first. The person sees no error either way.
    let names = HeartbeatNames::default();
    let db = with_heartbeat_objects(&names).await;
    let hb = PgHeartbeat::connect_lazy(db.connect(names)).unwrap();
    let first = hb.insert(Site::A).await.unwrap();
    hb.latest(1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let terminate = format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = '{}' AND application_name = 'dms-cockpit'",
        db.name
    );
    let killed: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(terminate.clone()))
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(killed >= 1, "no cockpit connection to terminate");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(hb.latest(5).await.unwrap(), vec![first.clone()]);

    let _: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(terminate))
        .fetch_one(&db.pool)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = hb.insert(Site::B).await.unwrap();
    assert_eq!(second.id, first.id + 1, "exactly one row was written");
    assert_eq!(hb.latest(5).await.unwrap(), vec![second, first]);
    drop(hb);
    db.drop().await;
}
