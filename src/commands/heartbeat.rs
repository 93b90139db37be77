//! `dms-cockpit heartbeat SITE`: the original heartbeat client. Looks the
//! site up in the appmap, inserts as that site into the database it names
//! (the same `insert_heartbeat_as` the TUI's `a`/`b` keys run), then prints
//! that database's latest rows.
//!
//! With `--count N` a failed insert does not end the run: a database that
//! restarts mid-run is exactly what a series of heartbeats is for. Each
//! failure is reported (stderr, and `failed` in JSON) as it happens, the
//! run goes on, and a closing summary says how many were inserted and how
//! many failed; the exit code is 1 when any failed. A failed insert is not
//! retried: the next attempt is a new heartbeat, so none is written twice.

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
    attempted: u32,
    inserted: Vec<Inserted>,
    failed: Vec<Failed>,
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
struct Failed {
    /// 1-based number of the attempt.
    attempt: u32,
    /// Written as its text; keeps the backend error under it, so the
    /// failure of a single heartbeat logs its cause.
    error: crate::backend::Reason,
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
    if let (1, Some(only)) = (args.count, report.failed.first()) {
        return Err(Failure::Failed(only.error.clone()));
    }
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::Failed(format!("cannot encode JSON: {e}").into()))?;
        super::output::say(&text)?;
    } else {
        for i in &report.inserted {
            super::output::say(format!(
                "inserted heartbeat {} as {} into database {} at {}",
                i.id, report.site, i.database, i.at
            ))?;
        }
        for l in &report.latest {
            super::output::say(format!("latest rows in database {}:", l.database))?;
            for r in &l.rows {
                super::output::say(format!("  {:>10}  {}  {}", r.id, r.at, r.site))?;
            }
        }
        if args.count > 1 {
            println!("{}", summary(&report));
        }
    }
    match report.failed.len() {
        0 => Ok(()),
        _ => Err(Failure::Failed(summary(&report).into())),
    }
}

fn summary(report: &Report) -> String {
    format!(
        "{} heartbeats as {}: {} inserted, {} failed",
        report.attempted,
        report.site,
        report.inserted.len(),
        report.failed.len()
    )
}

async fn insert_all(
    connected: &connect::Connected,
    args: &HeartbeatArgs,
) -> Result<Report, Failure> {
    let backends = &connected.backends;
    let audit = super::audit_log(connected);
    if let Err(e) = guard::check_writable(&backends.mode, "insert a heartbeat") {
        audit.refused(connected, &format!("heartbeat as {}", args.site), None, &e);
        return Err(Failure::BadInput(e));
    }
    let mut app = crate::app::App::new(
        backends.mode.clone(),
        backends.databases.clone(),
        connected.settings.clone(),
        chrono::Utc::now(),
    );
    // The audit lines name the AWS caller, as the TUI's do.
    if let Some(identity) = backends.caller_identity().await {
        app.identity
            .set(chrono::Utc::now(), identity.map_err(|e| e.to_string()));
    }
    let mut inserted = Vec::new();
    let mut failed = Vec::new();
    for n in 0..args.count {
        if n > 0 {
            tokio::time::sleep(args.every).await;
        }
        // Looked up afresh each time: a flip in between is honoured.
        let site = args.site;
        let outcome = backends.insert_heartbeat_as(site).await;
        audit.heartbeat(&mut app, site, &outcome);
        match outcome {
            Ok((db, row)) => inserted.push(Inserted {
                database: db,
                id: row.id,
                at: format::rfc3339(row.at),
            }),
            Err(e) => {
                // An insert whose answer was lost is re-read and reported as
                // what is true, not as a plain failure (after_change).
                let describe =
                    |e: &crate::backend::BackendError| format!("heartbeat as {site} failed: {e}");
                let error =
                    match after_change(backends, Mutation::Heartbeat(site), e, describe).await {
                        Failure::Failed(reason) => reason,
                        other => other.to_string().into(),
                    };
                if args.count > 1 {
                    eprintln!("attempt {} of {}: {error}", n + 1, args.count);
                    // The exit's summary has no cause: log each one here.
                    tracing::warn!(
                        "attempt {} of {}: {}",
                        n + 1,
                        args.count,
                        crate::backend::reason::chain(&error)
                    );
                }
                failed.push(Failed {
                    attempt: n + 1,
                    error,
                });
            }
        }
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
        attempted: args.count,
        inserted,
        failed,
        latest,
    })
}
