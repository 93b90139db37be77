//! `dms-cockpit status`: one snapshot of everything the TUI shows, as text
//! or as JSON. It polls through the very same app and executor the TUI
//! uses (every call concurrent, each under the configured timeout), then
//! prints the resulting state.
//!
//! The JSON is a stable interface (documented in the README): top-level
//! `mode`, `tasks` (`forward`/`backward`), `heartbeats` (`a`/`b`),
//! `appmap` and `errors`. A task that could not be described is `null`
//! there and has an entry in `errors`. A task whose table statistics alone
//! could not be read keeps its status, carries the reason in its own
//! `tables_error`, and has an `errors` entry `tasks.<role>.tables`: status
//! exits 1, since it could not show everything. `errors` is
//! [`App::failures`], the same list the TUI's header summarises. A failed
//! task or a malformed appmap item also makes status exit 1: both are shown
//! in their place, not in `errors` (nothing failed to be read).

use std::fmt::Write as _;

use chrono::Utc;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Serialize;

use super::connect::{self, Connected};
use super::{Failure, Outcome};
use crate::app::lag::{DirectionReport, LagMeter, direction_arrow};
use crate::app::{App, Panel, Settings};
use crate::backend::validation::ValidationSummary;
use crate::backend::{
    Backends, DbSide, PerDb, PerTask, TableStats, TaskProgress, TaskRole, TaskSnapshot, TaskStatus,
};
use crate::cli::{GlobalArgs, StatusArgs};
use crate::format;
use crate::runtime::executor::{self, Context};

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub mode: String,
    pub read_only: bool,
    /// The AWS caller identity; null in the lab (no AWS).
    pub identity: Option<IdentityJson>,
    pub tasks: PerTask<Option<TaskJson>>,
    pub heartbeats: PerDb<Vec<HeartbeatJson>>,
    pub appmap: Vec<AppMapJson>,
    /// Lag per direction. `status` writes nothing, so this is the age of
    /// the newest heartbeat that came from the other database (basis
    /// `age`, by the database clock); `dms-cockpit lag` measures with
    /// heartbeats of its own.
    pub lag: LagJson,
    pub errors: Vec<ErrorJson>,
}

#[derive(Debug, Serialize)]
pub struct LagJson {
    pub a_to_b: DirectionReport,
    pub b_to_a: DirectionReport,
}

#[derive(Debug, Serialize)]
pub struct TaskJson {
    pub id: String,
    pub arn: String,
    pub status: String,
    pub migration_type: String,
    pub progress: TaskProgress,
    pub stop_reason: Option<String>,
    pub last_failure: Option<String>,
    pub start_date: Option<String>,
    pub tables: Vec<TableStats>,
    /// Why `tables` could not be read while the task itself was described
    /// (e.g. an emulator without `DescribeTableStatistics`, or a task state
    /// in which AWS refuses it); also in `errors` as `tasks.<role>.tables`.
    pub tables_error: Option<String>,
    /// DMS's own latency (CloudWatch `CDCLatencySource`/`CDCLatencyTarget`,
    /// seconds, newest data point); null where there is none (the lab).
    pub cdc_latency: Option<CdcLatencyJson>,
    /// DMS validation failures on the task's target
    /// (`awsdms_validation_failures_v1`): one entry per table and failure
    /// type, empty when the task never validated or nothing failed; null
    /// when they could not be read (then in `errors` as
    /// `tasks.<role>.validation`).
    pub validation_failures: Option<Vec<ValidationCountJson>>,
    /// The newest failing rows (keys), newest first.
    pub validation_latest: Vec<crate::backend::validation::ValidationFailure>,
    /// Why the failures were not read on this kind of target (then
    /// `validation_failures` is null, but this is no `errors` entry).
    pub validation_unavailable: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CdcLatencyJson {
    pub source_s: Option<f64>,
    pub target_s: Option<f64>,
    pub at: Option<String>,
    /// 0 source latency while a heartbeat of this direction is missing:
    /// DMS reports 0 when it captures nothing, so this is not health.
    pub suspicious: bool,
}

#[derive(Debug, Serialize)]
pub struct ValidationCountJson {
    /// `schema.table`.
    pub table: String,
    /// `RECORD_DIFF`, `MISSING_SOURCE`, `MISSING_TARGET`, …
    pub failure_type: String,
    pub count: i64,
}

#[derive(Debug, Serialize)]
pub struct HeartbeatJson {
    pub id: i64,
    pub at: String,
    pub site: String,
    /// The other database holds the same row (same id, site and time, see
    /// `HeartbeatRow::same_as`); null when it could not be asked.
    pub replicated: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct AppMapJson {
    #[serde(flatten)]
    pub item: crate::backend::AppMapItem,
    /// `a`, `b`, or null when the item matches neither configured database.
    pub matches: Option<DbSide>,
}

/// Who the AWS credentials belong to. When STS could not be asked, the
/// account and ARN are null and `error` says why: shown, not fatal (it is
/// not an `errors` entry and does not change the exit code).
#[derive(Debug, Serialize)]
pub struct IdentityJson {
    pub account: Option<String>,
    pub arn: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ErrorJson {
    /// `tasks.forward`, `tasks.forward.tables`, `tasks.forward.validation`,
    /// `tasks.backward`, `tasks.backward.tables`, `tasks.backward.validation`, `heartbeats.a`, `heartbeats.b`,
    /// `heartbeats.a.replicated`, `heartbeats.b.replicated`, `appmap`.
    pub which: String,
    pub message: String,
}

pub async fn run(global: &GlobalArgs, args: &StatusArgs) -> Outcome {
    let mut connected = connect::target(global, &args.target).await?;
    if let Err(e) = super::lag::apply_thresholds(&mut connected.settings.lag, &args.thresholds) {
        connected.close().await;
        return Err(e);
    }
    let app = poll_once(&connected, args.rows).await;
    connected.close().await;
    let snapshot = Snapshot::from_app(&app);
    if args.json {
        let text = serde_json::to_string_pretty(&snapshot).map_err(|e| {
            Failure::Failed(format!("cannot encode the snapshot as JSON: {e}").into())
        })?;
        super::output::say(&text)?;
    } else {
        super::output::say_raw(text(&app))?;
    }
    snapshot.verdict()
}

/// Polls every panel once, concurrently, through the TUI's own update and
/// executor, and returns the resulting state.
pub async fn poll_once(connected: &Connected, rows: usize) -> App {
    poll(&connected.backends, &connected.settings, rows).await
}

/// [`poll_once`] on any backends: what `status` shows of them.
pub async fn poll(backends: &Backends, settings: &Settings, rows: usize) -> App {
    let mut app = App::new(
        backends.mode.clone(),
        backends.databases.clone(),
        settings.clone(),
        Utc::now(),
    );
    // Status writes nothing: lag is the age of others' heartbeats.
    app.lag = LagMeter::new(true, settings.lag);
    app.identity_wanted = backends.identity.is_some();
    let context = Context {
        operator: settings.operator.clone(),
        heartbeat_rows: rows,
        audit: None,
    };
    // A result may ask for a follow-up (the rows shown for one database
    // are looked up in the other): it starts as soon as that result is in,
    // not after the slowest call of the first ones, so a far-away database
    // costs its own round trips once, not added to everyone else's.
    let mut in_flight: FuturesUnordered<_> = app
        .poll_all()
        .into_iter()
        .map(|c| executor::run(backends, &context, c))
        .collect();
    while let Some(msg) = in_flight.next().await {
        for c in app.update(Utc::now(), msg) {
            in_flight.push(executor::run(backends, &context, c));
        }
    }
    app
}

impl Snapshot {
    pub fn from_app(app: &App) -> Snapshot {
        let errors = app
            .failures()
            .into_iter()
            .map(|f| ErrorJson {
                which: f.which,
                message: f.message,
            })
            .collect();
        let tasks = PerTask::new(|role| {
            app.tasks[role].data.as_ref().map(|t| {
                let mut json = task_json(t, &app.tables[role], &app.validation[role]);
                json.cdc_latency = app.latency[role].data.as_ref().map(|l| CdcLatencyJson {
                    source_s: l.source_s,
                    target_s: l.target_s,
                    at: l.at.map(format::rfc3339),
                    suspicious: app.latency_suspicious(role),
                });
                json
            })
        });
        let heartbeats = PerDb::new(|db| {
            let panel = &app.heartbeats[db];
            panel
                .data
                .iter()
                .flatten()
                .map(|row| HeartbeatJson {
                    id: row.id,
                    at: format::rfc3339(row.at),
                    site: row.site.clone(),
                    replicated: app.replicated(db, row),
                })
                .collect()
        });
        let appmap = app
            .appmap
            .data
            .iter()
            .flatten()
            .map(|item| AppMapJson {
                item: item.clone(),
                matches: app.database_of(item),
            })
            .collect();
        let identity = app.identity_wanted.then(|| IdentityJson {
            account: app.identity.data.as_ref().map(|i| i.account.clone()),
            arn: app.identity.data.as_ref().map(|i| i.arn.clone()),
            error: app.identity.error.clone(),
        });
        Snapshot {
            mode: app.mode.name.clone(),
            read_only: app.mode.read_only,
            identity,
            tasks,
            heartbeats,
            appmap,
            lag: LagJson {
                a_to_b: app.lag.tracker.report(TaskRole::Forward, app.now),
                b_to_a: app.lag.tracker.report(TaskRole::Backward, app.now),
            },
            errors,
        }
    }

    /// Exit 1 when a backend failed, a task is failed or an appmap item is
    /// malformed.
    pub fn verdict(&self) -> Outcome {
        let mut problems: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.which, e.message))
            .collect();
        for role in TaskRole::ALL {
            if let Some(t) = &self.tasks[role]
                && t.status == TaskStatus::Failed.as_str()
            {
                problems.push(format!("the {role} task ({}) is failed", t.id));
            }
        }
        // A malformed item routes nothing: its site cannot write or be
        // flipped until it is fixed, which a health check must not pass.
        for entry in &self.appmap {
            if let Some(problem) = &entry.item.problem {
                let line = format!(
                    "the appmap item for {} is malformed ({problem})",
                    entry.item.site
                );
                // Two items for one site carry the same problem: say it once.
                if !problems.contains(&line) {
                    problems.push(line);
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Failure::Failed(problems.join("; ").into()))
        }
    }
}

fn task_json(
    t: &TaskSnapshot,
    tables: &Panel<Vec<TableStats>>,
    validation: &Panel<ValidationSummary>,
) -> TaskJson {
    TaskJson {
        id: t.id.clone(),
        arn: t.arn.clone(),
        status: t.status.as_str().to_string(),
        migration_type: t.migration_type.clone(),
        progress: t.progress.clone(),
        stop_reason: t.stop_reason.clone(),
        last_failure: t.last_failure.clone(),
        start_date: t.start_date.map(format::rfc3339),
        tables: tables.data.clone().unwrap_or_default(),
        tables_error: tables.error.clone(),
        cdc_latency: None,
        validation_failures: validation
            .data
            .as_ref()
            .filter(|v| v.unavailable.is_none())
            .map(|v| {
                v.counts
                    .iter()
                    .flat_map(|(table, kinds)| {
                        kinds.iter().map(|(kind, n)| ValidationCountJson {
                            table: table.clone(),
                            failure_type: kind.clone(),
                            count: *n,
                        })
                    })
                    .collect()
            }),
        validation_latest: validation
            .data
            .as_ref()
            .map(|v| v.latest.clone())
            .unwrap_or_default(),
        validation_unavailable: validation.data.as_ref().and_then(|v| v.unavailable.clone()),
    }
}

/// The text form: the same facts as the TUI's panels, one section each.
pub fn text(app: &App) -> String {
    let now = app.now;
    let mut out = String::new();
    let ro = if app.mode.read_only {
        " · READ-ONLY"
    } else {
        ""
    };
    let _ = writeln!(out, "{} · {}{ro}", app.mode.name, app.mode.description);
    if let Some(identity) = format::identity(app) {
        let _ = writeln!(out, "{identity}");
    }
    for role in TaskRole::ALL {
        let panel = &app.tasks[role];
        let _ = writeln!(
            out,
            "\n{role} task ({} -> {})",
            format::db_label(role.source()),
            format::db_label(role.target())
        );
        if let Some(e) = &panel.error {
            let _ = writeln!(out, "  ✖ {e}");
        }
        let Some(t) = &panel.data else { continue };
        let _ = writeln!(
            out,
            "  {}  {}  {}",
            t.id,
            format::status_label(&t.status),
            t.migration_type
        );
        let _ = writeln!(out, "  {}", format::progress(&t.progress));
        let _ = writeln!(
            out,
            "  started {}  stopped {}  stop reason {}",
            format::opt_time(now, t.progress.start_date.or(t.start_date)),
            format::opt_time(now, t.progress.stop_date),
            t.stop_reason.as_deref().unwrap_or(format::NONE)
        );
        if let Some(f) = &t.last_failure {
            let _ = writeln!(out, "  last failure: {f}");
        }
        let tables = &app.tables[role];
        if let Some(e) = &tables.error {
            let _ = writeln!(out, "  ✖ table statistics unavailable: {e}");
        }
        let tables: &[TableStats] = tables.data.as_deref().unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<34} {:<16} {:>9} {:>8} {:>8} {:>8} {:>5} {:>6}",
            "table", "state", "full-load", "inserts", "updates", "deletes", "ddls", "errors"
        );
        let total = format::totals(tables);
        for s in tables.iter().chain(std::iter::once(&total)) {
            let _ = writeln!(
                out,
                "  {:<34} {:<16} {:>9} {:>8} {:>8} {:>8} {:>5} {:>6}",
                format::table_name(s),
                s.state,
                format::thousands(s.full_load_rows),
                format::thousands(s.inserts),
                format::thousands(s.updates),
                format::thousands(s.deletes),
                s.ddls,
                s.errors
            );
        }
        let validation = &app.validation[role];
        if let Some(e) = &validation.error {
            let _ = writeln!(out, "  ✖ validation failures unavailable: {e}");
        }
        if let Some(why) = validation
            .data
            .as_ref()
            .and_then(|v| v.unavailable.as_ref())
        {
            let _ = writeln!(out, "  · validation failures {why}");
        }
        if let Some(line) = validation.data.as_ref().and_then(format::validation_line) {
            let _ = writeln!(out, "  {line}");
        }
    }
    for db in DbSide::ALL {
        let panel = &app.heartbeats[db];
        let _ = writeln!(out, "\nheartbeats {}", format::db_long(&app.databases[db]));
        if let Some(e) = &panel.error {
            let _ = writeln!(out, "  ✖ {e}");
        }
        if let Some(e) = &app.replicas[db].error {
            let _ = writeln!(
                out,
                "  ✖ cannot tell which rows are replicated: database {} did not answer: {e}",
                db.other()
            );
        }
        for row in panel.data.iter().flatten() {
            let replicated = app.replicated(db, row);
            let _ = writeln!(out, "  {}", format::heartbeat_line(row, replicated));
        }
    }
    let _ = writeln!(out, "\nlag ({})", app.lag.tracker.basis.describe());
    for role in TaskRole::ALL {
        let r = app.lag.tracker.report(role, now);
        let last = r
            .last_ms
            .map_or_else(|| format::NONE.to_string(), format::lag_ms);
        let _ = writeln!(
            out,
            "  {}  {}  last {last}",
            direction_arrow(role),
            r.state.label()
        );
    }
    let _ = writeln!(out, "\nappmap");
    if let Some(e) = &app.appmap.error {
        let _ = writeln!(out, "  ✖ {e}");
    }
    for item in app.appmap.data.iter().flatten() {
        let _ = writeln!(
            out,
            "  {:<6} -> {:<10} {}:{}/{}  user {}  ({})",
            item.site,
            item.dbengine,
            item.endpoint,
            item.port,
            item.dbname,
            item.username,
            match &item.problem {
                Some(problem) => format!("✖ malformed: {problem}"),
                None => format::matches_label(app.database_of(item)),
            }
        );
    }
    out
}
