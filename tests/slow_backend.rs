//! A backend that is slow or silent shows an error in its own panel while
//! every other panel refreshes. The silent peer is a real TCP server that
//! accepts connections and never answers, put where database b's
//! PostgreSQL should be; the rest of the cockpit is the lab.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use dms_cockpit::app::{App, Command, Settings};
use dms_cockpit::backend::heartbeat_sql::HeartbeatNames;
use dms_cockpit::backend::live::build_store;
use dms_cockpit::backend::{DatabaseRef, DbSide, Engine, TaskRole};
use dms_cockpit::config::{DatabaseConfig, PasswordSource};
use dms_cockpit::lab::{Lab, LabOptions};
use dms_cockpit::runtime::executor::{self, Context};

/// Database b as a PostgreSQL on 127.0.0.1:`port`.
fn local_postgres(port: u16) -> DatabaseConfig {
    DatabaseConfig {
        db: DatabaseRef {
            side: DbSide::B,
            engine: Engine::Postgresql,
            endpoint: "127.0.0.1".into(),
            port,
            dbname: "site_b".into(),
            username: "postgres".into(),
        },
        password: PasswordSource::None,
        heartbeat: HeartbeatNames::default(),
        seq_start: 1_000_000_000,
        ssl_mode: Some("disable".into()),
        ssl_root_cert: None,
        dms_username: "dms_user".into(),
        dms_password: PasswordSource::None,
        hosting: Default::default(),
    }
}

/// Accepts connections and holds them open without a byte in reply.
async fn silent_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

#[tokio::test]
async fn a_silent_database_fails_its_own_panel_within_the_timeout_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let lab = Lab::open(LabOptions::new(dir.path())).await.unwrap();
    let timeout = Duration::from_millis(800);
    let mut backends = lab.backends(timeout, false);
    let port = silent_server().await;
    let silent = local_postgres(port);
    backends.heartbeats.b = build_store(&silent, None, timeout).unwrap();
    backends.databases.b = silent.db.clone();
    let backends = Arc::new(backends);

    let mut app = App::new(
        backends.mode.clone(),
        backends.databases.clone(),
        Settings::default(),
        Utc::now(),
    );
    let context = Context {
        operator: "test".into(),
        heartbeat_rows: 5,
    };
    let commands = app.poll_all();
    assert_eq!(commands.len(), 7, "{commands:?}");
    let started = Instant::now();
    let msgs = futures::future::join_all(commands.into_iter().map(|c: Command| {
        let backends = backends.clone();
        let context = context.clone();
        async move { executor::run(&backends, &context, c).await }
    }))
    .await;
    let took = started.elapsed();
    for msg in msgs {
        app.update(Utc::now(), msg);
    }

    assert!(took < timeout * 3, "bounded by the timeout, took {took:?}");
    let error = app
        .heartbeats
        .b
        .error
        .as_deref()
        .expect("database b's panel has an error");
    assert!(
        error.contains(&format!("127.0.0.1:{port}")),
        "names where: {error}"
    );
    assert!(app.heartbeats.b.data.is_none());
    // Everything else answered.
    assert!(app.heartbeats.a.error.is_none() && app.heartbeats.a.data.is_some());
    assert!(app.appmap.error.is_none() && app.appmap.data.is_some());
    for role in TaskRole::ALL {
        assert!(app.tasks[role].error.is_none() && app.tasks[role].data.is_some());
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn a_stopped_database_is_reported_at_once_not_after_the_timeout() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let stopped = local_postgres(port);
    let timeout = Duration::from_secs(10);
    let store = build_store(&stopped, None, timeout).unwrap();
    let started = Instant::now();
    let err = store.latest(5).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "refused at once, took {took:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
}
