//! A fresh, throwaway PostgreSQL database per test on the cluster that
//! `tests/run-all.sh` starts, so tests never see each other's rows and can
//! run in parallel. Only databases (and roles) a test created are dropped;
//! the server itself is never touched.

#![allow(dead_code)] // each test binary uses a different part

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dms_cockpit::backend::DbSide;
use dms_cockpit::backend::heartbeat_sql::HeartbeatNames;
use dms_cockpit::backend::postgres::PgConnect;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Executor};

/// The superuser URL of the test cluster; panics with what to do when unset.
pub fn admin_url() -> String {
    std::env::var("DMSC_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "DMSC_TEST_PG_URL is not set: run `bash tests/run-all.sh` (it starts a throwaway PostgreSQL and sets it)"
        )
    })
}

/// A name no other test in this or a parallel run uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub struct TestDb {
    pub name: String,
    pub admin: PgConnectOptions,
    /// A superuser pool on the fresh database.
    pub pool: PgPool,
}

impl TestDb {
    pub async fn create() -> TestDb {
        let admin = PgConnectOptions::from_str(&admin_url())
            .expect("DMSC_TEST_PG_URL is a postgres:// URL");
        let name = unique("dmsc_test");
        let server = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(admin.clone())
            .await
            .expect("connect to the test cluster");
        server
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create the test database");
        server.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(admin.clone().database(&name))
            .await
            .expect("connect to the test database");
        TestDb { name, admin, pool }
    }

    /// Connect options for the adapter, as the test cluster's superuser.
    pub fn connect(&self, names: HeartbeatNames) -> PgConnect {
        PgConnect {
            side: DbSide::B,
            host: self.admin.get_host().to_string(),
            port: self.admin.get_port(),
            dbname: self.name.clone(),
            username: self.admin.get_username().to_string(),
            password: None,
            names,
            connect_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
            ssl_mode: Some("disable".into()),
            ssl_root_cert: None,
        }
    }

    pub async fn drop(self) {
        self.pool.close().await;
        let server = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(self.admin.clone())
            .await
            .expect("connect to the test cluster");
        server
            .execute(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .await
            .expect("drop the test database");
        server.close().await;
    }
}
