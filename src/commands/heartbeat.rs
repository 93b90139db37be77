//! `dms-cockpit heartbeat SITE`: the original heartbeat client. Looks the
//! site up in the appmap, inserts as that site into the database it names
//! (the same `insert_heartbeat_as` the TUI's `a`/`b` keys run), then prints
//! that database's latest rows.

use serde::Serialize;

use super::connect;
use super::{Failure, Outcome, after_change};
use crate::app::guard;
use crate::backend::ops::Mutation;
use crate::backend::{DbSide, HeartbeatRow};
use crate::cli::{GlobalArgs, HeartbeatArgs};
use crate::format;

#[derive(Debug, Serialize)]
struct Report {
    site: String,
    inserted: Vec<Inserted>,
    /// The latest rows of each database that received a heartbeat.
    latest: Vec<Latest>,
}

#[derive(Debug, Serialize)]
struct Inserted {
    database: DbSide,
    id: i64,
    at: String,
}

#[derive(Debug, Serialize)]
struct Latest {
    database: DbSide,
    rows: Vec<Row>,
}

#[derive(Debug, Serialize)]
struct Row {
    id: i64,
    at: String,
    site: String,
}

fn row(r: &HeartbeatRow) -> Row {
    Row {
        id: r.id,
        at: format::rfc3339(r.at),
        site: r.site.clone(),
    }
}

pub async fn run(global: &GlobalArgs, args: &HeartbeatArgs) -> Outcome {
    let connected = connect::target(global, &args.target).await?;
    let result = insert_all(&connected, args).await;
    connected.close().await;
    let report = result?;
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::Failed(format!("cannot encode JSON: {e}")))?;
        println!("{text}");
    } else {
        for i in &report.inserted {
            println!(
                "inserted heartbeat {} as {} into database {} at {}",
                i.id, report.site, i.database, i.at
            );
        }
        for l in &report.latest {
            println!("latest rows in database {}:", l.database);
            for r in &l.rows {
                println!("  {:>10}  {}  {}", r.id, r.at, r.site);
            }
        }
    }
    Ok(())
}

async fn insert_all(
    connected: &connect::Connected,
    args: &HeartbeatArgs,
) -> Result<Report, Failure> {
    let backends = &connected.backends;
    guard::check_writable(&backends.mode, "insert a heartbeat").map_err(Failure::BadInput)?;
    let mut inserted = Vec::new();
    for n in 0..args.count {
        if n > 0 {
            tokio::time::sleep(args.every).await;
        }
        // Looked up afresh each time: a flip in between is honoured.
        let site = args.site;
        let (db, row) = match backends.insert_heartbeat_as(site).await {
            Ok(done) => done,
            Err(e) => {
                let failed =
                    |e: &crate::backend::BackendError| format!("heartbeat as {site} failed: {e}");
                return Err(after_change(backends, Mutation::Heartbeat(site), e, failed).await);
            }
        };
        inserted.push(Inserted {
            database: db,
            id: row.id,
            at: format::rfc3339(row.at),
        });
    }
    let mut latest = Vec::new();
    for db in DbSide::ALL {
        if inserted.iter().any(|i| i.database == db) {
            let rows = backends.latest_heartbeats(db, args.rows).await?;
            latest.push(Latest {
                database: db,
                rows: rows.iter().map(row).collect(),
            });
        }
    }
    Ok(Report {
        site: args.site.to_string(),
        inserted,
        latest,
    })
}
