//! A cockpit state that looks like a long-running session, shared by the
//! render and update benchmarks: both tasks described with `tables` tables
//! each, heartbeats in both databases, the appmap, and a full event log (a
//! cockpit left open for hours has one). Built through `App::update`, the
//! same path the runtime uses, so the state is one the app can really reach.

#![allow(dead_code)]

pub mod ratios;

use chrono::{DateTime, Duration, TimeZone, Utc};

use dms_cockpit::app::{App, LOG_CAPACITY, LogLevel, Msg, Settings};
use dms_cockpit::backend::{
    AppMapItem, DatabaseRef, DbSide, Engine, HeartbeatRow, ModeInfo, PerDb, TableStats,
    TaskProgress, TaskRole, TaskSnapshot, TaskStatus,
};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 30).unwrap()
}

fn ago(secs: i64) -> DateTime<Utc> {
    now() - Duration::seconds(secs)
}

pub fn databases() -> PerDb<DatabaseRef> {
    PerDb {
        a: DatabaseRef {
            side: DbSide::A,
            engine: Engine::Oracle,
            endpoint: "ora.bench".into(),
            port: 1521,
            dbname: "ORCL".into(),
            username: "customer_orders".into(),
        },
        b: DatabaseRef {
            side: DbSide::B,
            engine: Engine::Postgresql,
            endpoint: "pg.bench".into(),
            port: 5432,
            dbname: "orders".into(),
            username: "customer_orders".into(),
        },
    }
}

/// `n` tables with varied counters, names and update times, so widths and
/// totals are computed over realistic values rather than constants.
pub fn tables(n: usize) -> Vec<TableStats> {
    (0..n)
        .map(|i| {
            let i64_ = i as i64;
            TableStats {
                schema: "customer_orders".into(),
                table: format!("table_{i:05}"),
                state: if i % 97 == 0 {
                    "Table error".into()
                } else {
                    "Table completed".into()
                },
                full_load_rows: 1_000 + i64_ * 37,
                inserts: i64_ * 13 % 10_007,
                updates: i64_ * 7 % 5_003,
                deletes: i64_ % 11,
                ddls: 0,
                errors: i64::from(i % 97 == 0),
                validation_state: "Not enabled".into(),
                last_update: Some(ago((i64_ * 17) % 3_600)),
                more: Default::default(),
            }
        })
        .collect()
}

pub fn task(role: TaskRole, n: usize) -> TaskSnapshot {
    TaskSnapshot {
        role,
        id: format!("bench-{role}"),
        arn: format!("arn:aws:dms:eu-west-1:000000000000:task:bench-{role}"),
        status: TaskStatus::Running,
        migration_type: match role {
            TaskRole::Forward => "full-load-and-cdc".into(),
            TaskRole::Backward => "cdc".into(),
        },
        progress: TaskProgress {
            full_load_percent: Some(100),
            tables_loaded: n as i32,
            elapsed_ms: 3_600_000,
            start_date: Some(ago(3_600)),
            fresh_start_date: Some(ago(3_600)),
            ..TaskProgress::default()
        },
        stop_reason: None,
        last_failure: None,
        start_date: Some(ago(3_600)),
        recovery_checkpoint: None,
        control_schema: None,
    }
}

fn heartbeats(first: i64, site_of: impl Fn(i64) -> &'static str) -> Vec<HeartbeatRow> {
    (0..10)
        .map(|k| HeartbeatRow {
            id: first - k,
            at: ago(k * 5),
            site: site_of(k).into(),
        })
        .collect()
}

fn item(site: &str, db: &DatabaseRef) -> AppMapItem {
    AppMapItem {
        site: site.into(),
        dbengine: db.engine.as_str().into(),
        endpoint: db.endpoint.clone(),
        port: db.port.to_string(),
        dbname: db.dbname.clone(),
        username: "app_user".into(),
        extra: Default::default(),
        problem: None,
    }
}

/// A cockpit of `width`x`height` whose two tasks have `n` tables each.
pub fn app(n: usize, width: u16, height: u16) -> App {
    let dbs = databases();
    let mode = ModeInfo {
        name: "LIVE".into(),
        description: "benchmark fixture: eu-west-1, account 000000000000".into(),
        read_only: false,
    };
    let mut app = App::new(mode, dbs.clone(), Settings::default(), now());
    app.size = (width, height);
    for role in TaskRole::ALL {
        app.update(now(), Msg::Task(role, Ok(task(role, n))));
        app.update(now(), Msg::Tables(role, Ok(tables(n))));
    }
    let site = |k: i64| if k % 3 == 0 { "SITEB" } else { "SITEA" };
    app.update(
        now(),
        Msg::Heartbeats(DbSide::A, Ok(heartbeats(1_000_100, site))),
    );
    app.update(
        now(),
        Msg::Heartbeats(DbSide::B, Ok(heartbeats(1_000_099, site))),
    );
    app.update(
        now(),
        Msg::AppMap(Ok(vec![item("SITEA", &dbs.a), item("SITEB", &dbs.b)])),
    );
    for k in 0..LOG_CAPACITY {
        let level = match k % 3 {
            0 => LogLevel::Info,
            1 => LogLevel::Success,
            _ => LogLevel::Error,
        };
        app.push_log(
            ago(LOG_CAPACITY as i64 - k as i64),
            level,
            format!(
                "event {k}: heartbeat {} as SITEA inserted into database a (oracle)",
                1_000_000 + k
            ),
        );
    }
    app
}
