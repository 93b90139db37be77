//! The PostgreSQL adapter under faults a person meets in production, against
//! real servers: how many round trips a heartbeat read costs (it is what a
//! far-away database multiplies), a wrong password under scram, TLS with a
//! private CA, and a server restarted under a running heartbeat writer.
//! Tests that need special server settings or stop the server start their
//! own throwaway cluster (`support/cluster.rs`). Run with
//! `bash tests/run-all.sh`.

#[path = "support/cluster.rs"]
mod cluster;
#[path = "support/live.rs"]
mod live;
#[path = "support/pg.rs"]
mod pg;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cluster::{Cluster, ClusterOptions};
use dms_cockpit::backend::heartbeat_sql::{HeartbeatNames, Password};
use dms_cockpit::backend::postgres::{PgConnect, PgHeartbeat};
use dms_cockpit::backend::{BackendError, DbSide, Engine, HeartbeatStore, Site};
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

/// The adapter's settings for database `dbname` of a cluster of our own.
fn own(cluster: &Cluster, dbname: &str) -> PgConnect {
    PgConnect {
        side: DbSide::B,
        host: "127.0.0.1".into(),
        port: cluster.port,
        dbname: dbname.into(),
        username: "postgres".into(),
        password: None,
        names: HeartbeatNames::default(),
        connect_timeout: Duration::from_secs(3),
        statement_timeout: Duration::from_secs(5),
        ssl_mode: Some("disable".into()),
        ssl_root_cert: None,
    }
}

async fn admin_pool(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

async fn create_heartbeat_objects(pool: &sqlx::PgPool) {
    let scripts = sql::ddl(
        Engine::Postgresql,
        &HeartbeatNames::default(),
        DEFAULT_SEQ_START.b,
        "customer_orders",
    )
    .unwrap();
    sql::apply_postgres(pool, &scripts).await.unwrap();
}

#[tokio::test]
#[ignore = "needs PostgreSQL binaries (DMSC_TEST_PG_BIN), run tests/run-all.sh"]
async fn a_wrong_password_under_scram_names_the_user_and_says_authentication_failed() {
    let right = "right-pw-4711";
    let cluster = Cluster::start(ClusterOptions {
        scram_password: Some(right.into()),
        ..ClusterOptions::default()
    });
    let admin = admin_pool(&format!(
        "postgres://postgres:{right}@127.0.0.1:{}/postgres",
        cluster.port
    ))
    .await;
    create_heartbeat_objects(&admin).await;
    let method: String = sqlx::query_scalar("SHOW password_encryption")
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(method, "scram-sha-256");

    let mut opts = own(&cluster, "postgres");
    opts.password = Some(Password::new("wrong-pw-0815-do-not-print"));
    let hb = PgHeartbeat::connect_lazy(opts.clone()).unwrap();
    for err in [
        hb.latest(5).await.unwrap_err(),
        hb.insert(Site::B).await.unwrap_err(),
    ] {
        let BackendError::Denied(msg) = &err else {
            panic!("expected Denied, got {err:?}")
        };
        assert!(msg.contains("refused user `postgres`"), "{msg}");
        assert!(msg.contains("password authentication failed"), "{msg}");
        assert!(msg.contains("SQLSTATE 28P01"), "{msg}");
        assert!(
            msg.contains("check the username and the password source"),
            "{msg}"
        );
        assert!(!format!("{err:?}").contains("wrong-pw-0815"), "{err:?}");
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM customer_orders.heartbeat")
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(rows, 0, "a refused login wrote nothing");

    // The right password: same adapter settings otherwise.
    opts.password = Some(Password::new(right));
    let hb = PgHeartbeat::connect_lazy(opts).unwrap();
    let row = hb.insert(Site::B).await.unwrap();
    assert_eq!(hb.latest(5).await.unwrap(), vec![row]);
    admin.close().await;
}

/// A CA and a server certificate for 127.0.0.1 it signed, plus an
/// unrelated CA, made with openssl in `dir`: (ca, other_ca, cert, key).
fn make_certs(dir: &std::path::Path) -> [std::path::PathBuf; 4] {
    let sh = |script: &str| {
        let out = std::process::Command::new("sh")
            .arg("-ec")
            .arg(script)
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(out.status.success(), "{script}: {out:?}");
    };
    for ca in ["ca", "other"] {
        sh(&format!(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=dmsc-test-{ca} \
             -keyout {ca}.key -out {ca}.crt 2>/dev/null"
        ));
    }
    sh("openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
          -extfile ext -out server.crt 2>/dev/null");
    ["ca.crt", "other.crt", "server.crt", "server.key"].map(|f| dir.join(f))
}

#[tokio::test]
#[ignore = "needs PostgreSQL binaries (DMSC_TEST_PG_BIN) and openssl, run tests/run-all.sh"]
async fn tls_with_a_private_ca_verifies_the_server_and_says_when_it_cannot() {
    let certs_dir = tempfile::tempdir().unwrap();
    let [ca, other_ca, cert, key] = make_certs(certs_dir.path());
    let cluster = Cluster::start(ClusterOptions {
        tls: Some((cert, key)),
        ..ClusterOptions::default()
    });
    let admin = admin_pool(&cluster.url("postgres")).await;
    create_heartbeat_objects(&admin).await;
    let tls_sessions = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = 'dms-cockpit' AND s.ssl",
        )
        .fetch_one(&admin)
        .await
        .unwrap()
    };

    let mut opts = own(&cluster, "postgres");
    opts.ssl_mode = Some("verify-full".into());
    opts.ssl_root_cert = Some(ca.clone());
    let verified = PgHeartbeat::connect_lazy(opts.clone()).unwrap();
    let row = verified.insert(Site::B).await.unwrap();
    assert_eq!(verified.latest(5).await.unwrap(), vec![row.clone()]);
    assert!(tls_sessions().await >= 1, "verify-full did not use TLS");
    drop(verified);

    opts.ssl_root_cert = Some(other_ca);
    let wrong = PgHeartbeat::connect_lazy(opts.clone()).unwrap();
    let err = wrong.latest(5).await.unwrap_err();
    let BackendError::Unavailable(msg) = &err else {
        panic!("expected Unavailable, got {err:?}")
    };
    assert!(
        msg.starts_with(&format!(
            "TLS with PostgreSQL at 127.0.0.1:{}/postgres failed",
            cluster.port
        )),
        "{msg}"
    );
    assert!(
        msg.contains("check ssl_mode (verify-full) and ssl_root_cert"),
        "{msg}"
    );
    assert!(msg.to_lowercase().contains("certificate"), "{msg}");
    assert!(!msg.contains("lost the connection"), "{msg}");

    // require: encrypted, the certificate not checked.
    opts.ssl_mode = Some("require".into());
    opts.ssl_root_cert = None;
    let required = PgHeartbeat::connect_lazy(opts).unwrap();
    assert_eq!(required.latest(5).await.unwrap(), vec![row]);
    assert!(tls_sessions().await >= 1, "require did not use TLS");
    admin.close().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL binaries and moto, run tests/run-all.sh"]
async fn heartbeats_through_a_database_restart_are_each_written_once_and_counted() {
    let cluster = Cluster::start(ClusterOptions::default());
    let door = live::Door::with(live::DoorOptions {
        b_port: Some(cluster.port),
    })
    .await;
    let admin = admin_pool(&cluster.url("postgres")).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {}",
        door.b.dbname
    )))
    .execute(&admin)
    .await
    .unwrap();
    admin.close().await;
    // Both databases: a change whose answer was lost is read back in both.
    door.ok(&["setup", "sql", "--database", "a", "--apply"]);
    door.ok(&["setup", "sql", "--database", "b", "--apply"]);
    door.ok(&["setup", "appmap"]);

    let child = door
        .command()
        .args([
            "heartbeat",
            "SITEB",
            "--count",
            "100",
            "--every",
            "100ms",
            "--json",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Stop the server once the run is writing, start it again later.
    let url = cluster.url(&door.b.dbname);
    let mut written = 0;
    for _ in 0..300 {
        let pool = admin_pool(&url).await;
        written = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM customer_orders.heartbeat")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        if written >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(written >= 3, "the heartbeat run never started writing");
    cluster.pg_stop();
    // Down for longer than an insert waits to connect (the door's 3 s
    // timeout), so some attempts must fail rather than wait it out. Every
    // 100ms (not the 50ms): refused attempts fail at once, so at
    // 50ms the 4 s outage could use up the whole run and leave no attempt
    // after the restart to show the recovery.
    std::thread::sleep(Duration::from_secs(4));
    cluster.pg_start();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("JSON report ({e}):\n{stdout}\n{stderr}"));

    let inserted: Vec<i64> = report["inserted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(report["attempted"], 100);
    assert_eq!(inserted.len() + failed.len(), 100, "{stdout}");
    assert!(!failed.is_empty(), "the restart cost no insert?\n{stdout}");
    assert!(inserted.len() > 20, "too few inserted: {stdout}");
    // Every failure is reported as it happens, naming the attempt.
    for f in failed {
        let line = format!("attempt {} of 100: heartbeat as SITEB", f["attempt"]);
        assert!(stderr.contains(&line), "{line} not in stderr:\n{stderr}");
    }
    // A timed-out insert may or may not have been written: it is reported
    // as "outcome unknown" (and read back), never as a plain failure.
    let unknown = failed
        .iter()
        .filter(|f| f["error"].as_str().unwrap().contains("outcome unknown"))
        .count();
    assert_eq!(out.status.code(), Some(1), "any failure exits 1");
    assert!(
        stderr.contains(&format!(
            "100 heartbeats as SITEB: {} inserted, {} failed",
            inserted.len(),
            failed.len()
        )),
        "{stderr}"
    );
    assert!(!stdout.contains(&door.password) && !stderr.contains(&door.password));

    // Nothing lost: every row reported inserted is there. Nothing doubled:
    // the only other rows are from attempts whose outcome was reported
    // unknown, at most one each, and database a got none.
    let mut stored: Vec<i64> = door
        .heartbeats('b')
        .await
        .iter()
        .map(|(id, _)| *id)
        .collect();
    stored.sort_unstable();
    for id in &inserted {
        assert_eq!(
            stored.iter().filter(|s| *s == id).count(),
            1,
            "row {id} reported inserted is stored {:?}",
            stored
        );
    }
    let extra = stored.len() - inserted.len();
    assert!(
        extra <= unknown,
        "{extra} rows stored that no attempt reported ({unknown} outcomes unknown): {stored:?}"
    );
    assert!(door.heartbeats('a').await.is_empty());
}
