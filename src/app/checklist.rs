//! "Is it safe right now?": the checklist every confirmation shows before a
//! door closes, computed from live state (the tasks, the lag meter, the
//! appmap and the heartbeat rows the app holds). Pure, so the TUI's popup,
//! `App::update` and the headless `flip` / `task` commands all ask the same
//! questions and get the same answers.
//!
//! Items are checks (passed or failed; a failed one blocks the action
//! unless explicitly overridden) and notes (what the action will do: which
//! site's writes move where, which stop flowing, which tables are emptied).

use serde::Serialize;

use super::lag::{LagState, direction_arrow};
use super::state::App;
use crate::backend::{DbSide, Site, StartType, TaskRole, TaskSnapshot, TaskStatus};
use crate::format;

/// One line of a checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// `None` for a note (what will happen), `Some(passed)` for a check.
    pub passed: Option<bool>,
    pub text: String,
}

impl Item {
    fn check(passed: bool, text: impl Into<String>) -> Item {
        Item {
            passed: Some(passed),
            text: text.into(),
        }
    }

    fn note(text: impl Into<String>) -> Item {
        Item {
            passed: None,
            text: text.into(),
        }
    }

    /// `✓`, `✖` or `•`, so a line reads without colour.
    pub fn mark(&self) -> &'static str {
        match self.passed {
            Some(true) => "✓",
            Some(false) => "✖",
            None => "•",
        }
    }

    pub fn line(&self) -> String {
        format!("{} {}", self.mark(), self.text)
    }
}

/// The checklist of one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checklist {
    /// What is asked, e.g. `flip SITEA to database b`.
    pub action: String,
    pub items: Vec<Item>,
}

impl Checklist {
    /// True when no check failed.
    pub fn passed(&self) -> bool {
        self.items.iter().all(|i| i.passed != Some(false))
    }

    pub fn failed(&self) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|i| i.passed == Some(false))
            .collect()
    }

    /// One line per item, for headless output.
    pub fn text(&self) -> String {
        let mut out = format!("checklist: {}\n", self.action);
        for item in &self.items {
            out.push_str(&format!("  {}\n", item.line()));
        }
        out
    }
}

/// The task that carries `db`'s writes to the other database.
fn carrier(db: DbSide) -> TaskRole {
    super::lag::direction_from(db)
}

fn task_running(app: &App, role: TaskRole, why: &str) -> Item {
    match &app.tasks[role].data {
        Some(t) => Item::check(
            t.status == TaskStatus::Running,
            format!(
                "the {role} task {} ({}) is running{why}: it is {}",
                t.id,
                direction_arrow(role),
                format::status_label(&t.status)
            ),
        ),
        None => Item::check(
            false,
            format!(
                "the {role} task ({}) is running{why}: its status is not known",
                direction_arrow(role)
            ),
        ),
    }
}

fn lag_under_warn(app: &App, role: TaskRole) -> Item {
    let t = &app.lag.tracker;
    let warn = humantime::format_duration(t.settings.warn);
    let report = t.report(role, app.now);
    let last = report
        .last_ms
        .map_or_else(|| "no measurement".to_string(), format::lag_ms);
    let passed = report.state == LagState::Replicating;
    let hint = if report.state == LagState::Unknown && !app.lag.auto {
        " (h measures it)"
    } else {
        ""
    };
    Item::check(
        passed,
        format!(
            "lag {} under {warn}: {} ({last}){hint}",
            direction_arrow(role),
            report.state.label()
        ),
    )
}

fn no_table_in_error(app: &App) -> Item {
    let mut bad = Vec::new();
    let mut unknown = Vec::new();
    let mut by_counters = Vec::new();
    for role in TaskRole::ALL {
        match (&app.tables[role].data, &app.tasks[role].data) {
            (Some(tables), _) => {
                for s in tables {
                    if s.state.to_ascii_lowercase().contains("error") {
                        bad.push(format!("{} ({role})", format::table_name(s)));
                    }
                }
            }
            // No statistics (an endpoint without the call, or not read
            // yet): the task's own counter of errored tables.
            (None, Some(t)) => {
                by_counters.push(role.to_string());
                if t.progress.tables_errored > 0 {
                    bad.push(format!(
                        "{} table(s) of the {role} task",
                        t.progress.tables_errored
                    ));
                }
            }
            (None, None) => unknown.push(role.to_string()),
        }
    }
    let how = if by_counters.is_empty() {
        String::new()
    } else {
        format!(
            " (the {} task's counters: no table statistics)",
            by_counters.join(" and ")
        )
    };
    if !bad.is_empty() {
        Item::check(
            false,
            format!("no table in error: {} in error{how}", bad.join(", ")),
        )
    } else if !unknown.is_empty() {
        Item::check(
            false,
            format!(
                "no table in error: the {} task's tables are not known",
                unknown.join(" and ")
            ),
        )
    } else {
        Item::check(true, format!("no table in error{how}"))
    }
}

fn appmap_fresh(app: &App) -> Item {
    // Fresh = read within two refresh intervals and not failing since.
    let limit = chrono::TimeDelta::from_std(app.settings.refresh_every * 2)
        .unwrap_or(chrono::TimeDelta::MAX);
    match app.appmap.fetched_at {
        Some(at) if app.appmap.error.is_none() && app.now - at <= limit => Item::check(
            true,
            format!("the appmap read is fresh ({})", format::age(app.now, at)),
        ),
        Some(at) => Item::check(
            false,
            format!(
                "the appmap read is fresh: it was read {}{}",
                format::age(app.now, at),
                app.appmap
                    .error
                    .as_ref()
                    .map(|e| format!(" and the last read failed: {e}"))
                    .unwrap_or_default()
            ),
        ),
        None => Item::check(false, "the appmap read is fresh: it has not been read"),
    }
}

/// Sites the appmap currently maps to `db`.
fn sites_on(app: &App, db: DbSide) -> Vec<String> {
    app.appmap
        .data
        .iter()
        .flatten()
        .filter(|i| app.database_of(i) == Some(db))
        .map(|i| i.site.clone())
        .collect()
}

/// Flip `site` to database `to`.
pub fn flip(app: &App, site: Site, to: DbSide) -> Checklist {
    let from = to.other();
    Checklist {
        action: format!("flip {site} to database {to}"),
        items: vec![
            Item::note(format!(
                "{site}'s writes move from {} to {}",
                format::db_long(&app.databases[from]),
                format::db_long(&app.databases[to])
            )),
            task_running(
                app,
                carrier(to),
                &format!(", so {site}'s writes in database {to} flow back to database {from}"),
            ),
            lag_under_warn(app, TaskRole::Forward),
            lag_under_warn(app, TaskRole::Backward),
            no_table_in_error(app),
            appmap_fresh(app),
        ],
    }
}

/// Stop task `role`.
pub fn stop(app: &App, role: TaskRole) -> Checklist {
    let source = role.source();
    let sites = sites_on(app, source);
    let note = if sites.is_empty() {
        format!(
            "no site writes to database {source} now, so no site's writes stop flowing to database {}",
            role.target()
        )
    } else {
        format!(
            "{}'s writes (in database {source}) stop flowing to database {} until the task is resumed",
            sites.join(" and "),
            role.target()
        )
    };
    Checklist {
        action: format!("stop the {role} task ({})", direction_arrow(role)),
        items: vec![Item::note(note)],
    }
}

/// Whether a start of `task` with `start_type` prepares (empties) the
/// target tables: the first start of a full-load task, or a reload.
pub fn empties_target(task: &TaskSnapshot, start_type: StartType) -> bool {
    match start_type {
        StartType::ReloadTarget => true,
        StartType::StartReplication => task.migration_type.contains("full-load"),
        StartType::ResumeProcessing => false,
    }
}

/// Start `role` with `start_type`. For a start that prepares the target
/// (TRUNCATE_BEFORE_LOAD or DROP_AND_CREATE), every target table known to
/// hold rows is a failed check naming its row count: the heartbeat table
/// (from the rows read) and each table in the task's statistics.
pub fn start(app: &App, role: TaskRole, start_type: StartType) -> Checklist {
    let target = role.target();
    let mut items = Vec::new();
    let Some(task) = &app.tasks[role].data else {
        items.push(Item::check(
            false,
            format!("the {role} task's status is known: wait for the next refresh"),
        ));
        return Checklist {
            action: format!("{start_type} of the {role} task"),
            items,
        };
    };
    let action = format!("{start_type} of the {role} task {}", task.id);
    if !empties_target(task, start_type) {
        items.push(Item::note(format!(
            "changes captured in database {} flow to database {target} again",
            role.source()
        )));
        return Checklist { action, items };
    }
    items.push(Item::note(format!(
        "the full load prepares every target table in {} (TRUNCATE_BEFORE_LOAD or DROP_AND_CREATE): rows only there are lost",
        format::db_long(&app.databases[target])
    )));
    match &app.heartbeats[target].data {
        Some(rows) => {
            let n = rows.len();
            let count = if n >= app.settings.heartbeat_rows {
                format!("at least {n} rows")
            } else {
                format!("{n} rows")
            };
            let own = rows
                .iter()
                .filter(|r| super::lag::owns(&app.settings.seq_starts, target, r.id))
                .count();
            items.push(Item::check(
                n == 0,
                format!(
                    "the heartbeat table in database {target} is empty: it holds {count} ({own} written there)"
                ),
            ));
        }
        None => items.push(Item::check(
            false,
            format!("the heartbeat table in database {target} is empty: it could not be read"),
        )),
    }
    for s in app.tables[role].data.iter().flatten() {
        let rows = s.full_load_rows + s.inserts - s.deletes;
        if rows > 0 {
            items.push(Item::check(
                false,
                format!(
                    "{} in database {target} is empty: about {} rows by the task's statistics",
                    format::table_name(s),
                    format::thousands(rows)
                ),
            ));
        }
    }
    Checklist { action, items }
}

/// The checklist of a pending confirmation.
pub fn for_pending(app: &App, pending: &super::state::Pending) -> Checklist {
    use super::state::Pending;
    match pending {
        Pending::Stop(role) => stop(app, *role),
        Pending::Reload(role) => start(app, *role, StartType::ReloadTarget),
        Pending::Start(role, request) => start(app, *role, request.start_type),
        Pending::Flip { site, to, .. } => flip(app, *site, *to),
        Pending::ReloadTables {
            role,
            tables,
            option,
            ..
        } => reload_tables(*role, tables, *option),
    }
}

/// Reload (or validate again) single tables of `role`'s task: what it does,
/// as notes (the typed table name is the data-reload's own guard).
pub fn reload_tables(
    role: TaskRole,
    tables: &[crate::backend::TableRef],
    option: crate::backend::ReloadOption,
) -> Checklist {
    let names: Vec<String> = tables.iter().map(ToString::to_string).collect();
    let names = names.join(", ");
    let note = match option {
        crate::backend::ReloadOption::DataReload => format!(
            "{names} in database {} is loaded again from database {}",
            role.target(),
            role.source()
        ),
        crate::backend::ReloadOption::ValidateOnly => {
            format!("{names} is validated again; no data changes")
        }
    };
    Checklist {
        action: format!("{option} of {names} ({role} task)"),
        items: vec![Item::note(note)],
    }
}
