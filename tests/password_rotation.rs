//! Password rotation (issue 11): database b's password comes from a
//! Secrets Manager secret (moto) and b is a throwaway scram cluster. While
//! one long `heartbeat --count N --every …` run writes, the password is
//! rotated twice: first the secret then the role (a rotation lambda's
//! order), then the role first and the secret a moment later. After each
//! refused login (SQLSTATE 28P01) the run reads the secret again and
//! recovers without a restart; nothing is written twice.

#[path = "support/cluster.rs"]
mod cluster;
#[path = "support/live.rs"]
mod live;
#[path = "support/moto.rs"]
mod moto;

use std::time::Duration;

use cluster::{Cluster, ClusterOptions};

/// The cluster as its superuser over the Unix socket (trust): the test's
/// own connection does not depend on the password being rotated.
async fn socket_pool(cluster: &Cluster, db: &str) -> sqlx::PgPool {
    let opts = sqlx::postgres::PgConnectOptions::new()
        .socket(cluster.dir.path().join("data"))
        .port(cluster.port)
        .username("postgres")
        .database(db);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .unwrap_or_else(|e| panic!("connect to the cluster's socket: {e}"))
}

async fn rows(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM customer_orders.heartbeat")
        .fetch_one(pool)
        .await
        .unwrap_or(0)
}

/// Waits until database b holds at least `n` heartbeat rows.
async fn wait_for_rows(pool: &sqlx::PgPool, n: i64) {
    for _ in 0..400 {
        if rows(pool).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("database b never reached {n} heartbeat rows");
}

async fn set_role_password(pool: &sqlx::PgPool, password: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER ROLE postgres PASSWORD '{password}'"
    )))
    .execute(pool)
    .await
    .unwrap();
    // Sessions already logged in survive a password change; a rotation is
    // only felt on the next login. End the cockpit's sessions so it has to.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dms-cockpit'",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn set_secret(client: &aws_sdk_secretsmanager::Client, id: &str, password: &str) {
    client
        .put_secret_value()
        .secret_id(id)
        .secret_string(format!(
            r#"{{"username":"postgres","password":"{password}"}}"#
        ))
        .send()
        .await
        .expect("put the rotated secret value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL binaries and moto, run tests/run-all.sh"]
async fn a_rotated_secret_is_read_again_after_a_refused_login_without_a_restart() {
    let first = "first-pw-do-not-print";
    let second = "second-pw-do-not-print";
    let third = "third-pw-do-not-print";
    let cluster = Cluster::start(ClusterOptions {
        scram_password: Some(first.into()),
        ..ClusterOptions::default()
    });
    let door = live::Door::with(live::DoorOptions {
        b_port: Some(cluster.port),
    })
    .await;
    let server = socket_pool(&cluster, "postgres").await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {}",
        door.b.dbname
    )))
    .execute(&server)
    .await
    .unwrap();

    // Database b's password comes from a secret in moto.
    let secrets = aws_sdk_secretsmanager::Client::new(&moto::sdk_config(&moto::moto_url()).await);
    let secret = moto::unique("dmsc/rotation");
    secrets
        .create_secret()
        .name(&secret)
        .secret_string(format!(r#"{{"username":"postgres","password":"{first}"}}"#))
        .send()
        .await
        .expect("create the secret");
    let text = door.config_text();
    let (head, b) = text.split_once("[databases.b]").unwrap();
    let b = b.replacen(
        &format!("password_env = \"{}\"", door.password_var),
        &format!("password_secret = \"{secret}\""),
        1,
    );
    assert!(b.contains("password_secret"), "{b}");
    std::fs::write(&door.config, format!("{head}[databases.b]{b}")).unwrap();

    door.ok(&["setup", "sql", "--database", "b", "--apply"]);
    door.ok(&["setup", "appmap"]);
    let b_pool = socket_pool(&cluster, &door.b.dbname).await;

    let count = 60;
    let child = door
        .command()
        .args([
            "heartbeat",
            "SITEB",
            "--count",
            &count.to_string(),
            "--every",
            "150ms",
            "--json",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_rows(&b_pool, 3).await;

    // Rotation 1: the secret first, then the role.
    set_secret(&secrets, &secret, second).await;
    set_role_password(&server, second).await;
    let after_first = rows(&b_pool).await;
    wait_for_rows(&b_pool, after_first + 5).await;

    // Rotation 2: the role first; the secret follows a moment later, so
    // the attempts in between are refused and reported.
    set_role_password(&server, third).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    set_secret(&secrets, &secret, third).await;
    let after_second = rows(&b_pool).await;

    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("JSON report ({e}):\n{stdout}\n{stderr}"));
    let inserted = report["inserted"].as_array().unwrap();
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(inserted.len() + failed.len(), count, "{stdout}");
    // The refusals are the role-first window's, each the login's (28P01).
    assert!(
        !failed.is_empty(),
        "role-first rotation refused no login?\n{stdout}"
    );
    for f in failed {
        let e = f["error"].as_str().unwrap();
        assert!(e.contains("SQLSTATE 28P01"), "{e}");
    }
    assert!(
        failed.len() < 10,
        "the run recovered soon after the secret changed: {stdout}"
    );
    // Recovered in the same process, after the second rotation too.
    let stored = rows(&b_pool).await;
    assert!(
        stored > after_second,
        "nothing written after the second rotation: {stdout}\n{stderr}"
    );
    let last_failed = failed
        .iter()
        .map(|f| f["attempt"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(
        last_failed < count as u64,
        "attempts after the secret changed went in: {stdout}"
    );
    // Nothing doubled: every row stored is one reported inserted.
    assert_eq!(stored as usize, inserted.len(), "{stdout}");
    for pw in [first, second, third] {
        assert!(
            !stdout.contains(pw) && !stderr.contains(pw),
            "a password was printed"
        );
    }
    b_pool.close().await;
    server.close().await;
}
