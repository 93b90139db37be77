//! The cockpit's state: what each panel last fetched, when, and its last
//! error; focus, scroll, prompts and what is in flight.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::backend::{
    AppMapItem, CallerIdentity, DatabaseRef, DbSide, HeartbeatRow, ModeInfo, PerDb, PerTask, Site,
    TableStats, TaskRole, TaskSnapshot,
};

/// The smallest screen on which every panel a key acts on is visible.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// How many event-log entries are kept.
pub const LOG_CAPACITY: usize = 500;
/// Rows a PgUp/PgDn moves.
pub const PAGE: usize = 10;

/// One panel's data, the time it was fetched, and its last error. Errors
/// are state: the ui draws all three.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel<T> {
    pub data: Option<T>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub error_at: Option<DateTime<Utc>>,
    /// A poll for this panel is in flight: no second one is started.
    pub loading: bool,
}

impl<T> Default for Panel<T> {
    fn default() -> Self {
        Panel {
            data: None,
            fetched_at: None,
            error: None,
            error_at: None,
            loading: false,
        }
    }
}

impl<T> Panel<T> {
    /// The last fetch failed: the data shown is what an earlier one
    /// brought, and is drawn as stale.
    pub fn is_stale(&self) -> bool {
        self.data.is_some() && self.error.is_some()
    }

    /// Whether the data is fresh enough to act on at `now`: fetched within
    /// `every` (one refresh interval) and not followed by a failure.
    pub fn is_fresh(&self, now: DateTime<Utc>, every: Duration) -> bool {
        let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        self.error.is_none() && self.fetched_at.is_some_and(|at| now - at <= every)
    }

    /// Stores a result: data replaces data and clears the error; an error
    /// keeps the old data (shown with its age) next to the error.
    pub fn set(&mut self, now: DateTime<Utc>, result: Result<T, String>) {
        self.loading = false;
        match result {
            Ok(data) => {
                self.data = Some(data);
                self.fetched_at = Some(now);
                self.error = None;
                self.error_at = None;
            }
            Err(e) => {
                self.error = Some(e);
                self.error_at = Some(now);
            }
        }
    }
}

/// What the other database answered when asked for the ids a heartbeat
/// panel shows: the ids asked, and the rows it holds with those ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replicas {
    pub asked: Vec<i64>,
    pub found: Vec<HeartbeatRow>,
}

/// A failing backend call, as [`App::failures`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailingCall {
    pub which: String,
    pub message: String,
}

/// The panels focus moves through with Tab, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Focus {
    Tasks,
    HeartbeatA,
    HeartbeatB,
    AppMap,
    Log,
}

impl Focus {
    pub const ORDER: [Focus; 5] = [
        Focus::Tasks,
        Focus::HeartbeatA,
        Focus::HeartbeatB,
        Focus::AppMap,
        Focus::Log,
    ];
}

/// A mutating action waiting for its confirmation.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    Stop(TaskRole),
    /// reload-target: confirmed by typing the task's identifier.
    Reload(TaskRole),
    /// A start that prepares (empties) the target tables: the first start
    /// of a full-load task.
    Start(TaskRole, crate::backend::StartRequest),
    /// `ReloadTables` of `tables`; a data-reload needs the table's name
    /// typed into `typed` before it goes.
    ReloadTables {
        role: TaskRole,
        tables: Vec<crate::backend::TableRef>,
        option: crate::backend::ReloadOption,
        typed: String,
    },
    Flip {
        site: Site,
        /// The item the operator sees: the flip is conditional on it. It
        /// follows the appmap while the prompt is open.
        seen: AppMapItem,
        to: DbSide,
        /// What the item read when the prompt opened, when it has changed
        /// since: the prompt says so.
        changed_from: Option<Box<AppMapItem>>,
    },
}

/// An action in flight, as its audit line will describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAudit {
    pub request: String,
    pub checklist: super::checklist::Checklist,
    pub overridden: bool,
}

/// What the operator has entered in the open confirmation: the typed
/// task identifier (reload) and whether failed checks were overridden.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfirmInput {
    pub typed: String,
    pub overridden: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help,
    /// Typing the table filter (`/`): keys edit it, Enter keeps it, Esc
    /// clears it.
    Filter,
    /// The full statistics of one table (Enter on its row).
    TableDetail(super::tables::TableKey),
    /// The logs view; its state is `App::logs_view`.
    Logs,
    /// "Flip which site? a / b".
    ChooseFlipSite,
    Confirm(Pending),
    /// The full text of an event-log entry or of a panel's errors, which
    /// the panels may have had to shorten.
    Detail {
        title: String,
        text: String,
    },
}

/// A user action in flight; the same one is not sent again until it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Busy {
    Start(TaskRole),
    Stop(TaskRole),
    Heartbeat(Site),
    Flip(Site),
    ReloadTables(TaskRole),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub at: DateTime<Utc>,
    pub level: LogLevel,
    pub text: String,
}

/// Per-panel scroll offsets (first visible row).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scroll {
    /// The cursor row of each task's table list (filtered and sorted).
    pub tasks: PerTask<usize>,
    pub heartbeats: PerDb<usize>,
    pub appmap: usize,
    /// The event log's cursor: the index in `App::log` of the entry being
    /// read (Enter opens it in full). `None` follows the newest entry, so
    /// new entries scroll into view until the operator scrolls up.
    pub log: Option<usize>,
}

/// Settings the app needs from the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub refresh_every: Duration,
    /// Heartbeat rows fetched per database.
    pub heartbeat_rows: usize,
    /// Who to record as the author of a flip.
    pub operator: String,
    /// CdcStartTime for the backward task's first start, if configured.
    pub backward_cdc_start_time: Option<DateTime<Utc>>,
    /// Heartbeat lag: intervals and thresholds.
    pub lag: super::lag::LagSettings,
    /// Read DMS's own latency (CloudWatch) on every refresh: true for
    /// real backends, false in the lab (which has no such metrics).
    pub cdc_latency: bool,
    /// Where each database's heartbeat sequence starts: tells which
    /// database a row came from (read-only lag by age).
    pub seq_starts: PerDb<i64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            refresh_every: Duration::from_secs(2),
            heartbeat_rows: 10,
            operator: "dms-cockpit".to_string(),
            backward_cdc_start_time: None,
            lag: super::lag::LagSettings::default(),
            cdc_latency: false,
            seq_starts: crate::setup::sql::DEFAULT_SEQ_START,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub mode: ModeInfo,
    pub databases: PerDb<DatabaseRef>,
    pub settings: Settings,
    /// Status and progress (`DescribeReplicationTasks`).
    pub tasks: PerTask<Panel<TaskSnapshot>>,
    /// Table statistics (`DescribeTableStatistics`), fetched on their own
    /// so a task's status never waits for them.
    pub tables: PerTask<Panel<Vec<TableStats>>>,
    /// The endpoint said it does not implement the statistics call: it is
    /// not asked again on every refresh, only when the operator presses
    /// `r` (asking again cannot change an emulator's answer, and real AWS
    /// never gives it).
    pub tables_unsupported: PerTask<bool>,
    /// DMS validation failures of each task, read on its target database
    /// after each read of the task (its ARN names the rows).
    pub validation: PerTask<Panel<crate::backend::validation::ValidationSummary>>,
    pub heartbeats: PerDb<Panel<Vec<HeartbeatRow>>>,
    /// `replicas[db]`: the rows database `db.other()` holds with the ids
    /// shown for `db`, asked for after each read of `db`'s rows.
    pub replicas: PerDb<Panel<Replicas>>,
    pub appmap: Panel<Vec<AppMapItem>>,
    /// The AWS account and principal (STS GetCallerIdentity), read once;
    /// a failure is shown, never fatal. Unused where there is no AWS.
    pub identity: Panel<CallerIdentity>,
    /// Whether there is an AWS identity to read (not in the lab).
    pub identity_wanted: bool,
    /// The door check's findings for the header badge (empty: all rules
    /// hold). Read once, again on `r`: task settings rarely change.
    pub door: Panel<Vec<crate::doctor::Finding>>,
    /// Whether to run the door check (the TUI; `status` does not).
    pub door_wanted: bool,
    /// `r` asked for everything now, DMS's latency too (see
    /// `update::LATENCY_EVERY_S`).
    pub latency_forced: bool,
    /// An appmap read under way when a flip answered may hold the pre-flip
    /// item: its result is dropped and the appmap read again.
    pub appmap_refetch: bool,
    pub log: VecDeque<LogEntry>,
    pub focus: Focus,
    pub selected: TaskRole,
    pub popup: Option<Popup>,
    /// Input into the open confirmation.
    pub confirm_input: ConfirmInput,
    pub scroll: Scroll,
    /// Filter and sort of the table lists.
    pub table_view: super::tables::TableView,
    /// Each task's list order and totals, kept in step by `update`.
    pub table_index: PerTask<super::table_index::TableIndex>,
    /// The open logs view, if any.
    pub logs_view: Option<super::logs::LogsView>,
    /// When and what `y` last copied: the footer says it for a while, so
    /// it shows over the detail and the logs view too.
    pub last_copy: Option<(DateTime<Utc>, String)>,
    pub busy: BTreeSet<Busy>,
    /// Actions sent and not answered yet: what the audit line will say.
    pub audit_pending: std::collections::BTreeMap<Busy, PendingAudit>,
    /// Automatic heartbeats and the lag they measure.
    pub lag: super::lag::LagMeter,
    /// DMS's own latency per task (CloudWatch), when read.
    pub latency: PerTask<Panel<crate::backend::CdcLatency>>,
    /// Throttled AWS backends are polled less often (see `app::backoff`).
    pub backoff: super::backoff::Backoffs,
    /// Heartbeat key presses waiting for the one in flight for their site:
    /// each press is carried out, in order, one at a time.
    pub queued: BTreeMap<Site, usize>,
    /// A confirmed flip waiting for its appmap re-read: site, the item
    /// confirmed, the database it goes to.
    pub flip_reread: Option<(Site, AppMapItem, DbSide)>,
    /// The item each of this cockpit's own flips wrote, until the appmap
    /// shows it: a change that is ours is not logged as someone else's.
    pub own_flips: BTreeMap<Site, AppMapItem>,
    /// How many entries were ever pushed to the log (it drops its oldest
    /// beyond [`LOG_CAPACITY`]): the runtime writes each new one to the
    /// log file, see [`App::log_since`].
    pub log_pushed: u64,
    /// Something on screen changed since the runtime last drew; see
    /// [`App::take_redraw`].
    pub dirty: bool,
    /// The last time `update` ran: what the ui measures ages against.
    pub now: DateTime<Utc>,
    /// Terminal size in cells.
    pub size: (u16, u16),
    pub should_quit: bool,
}

impl App {
    pub fn new(
        mode: ModeInfo,
        databases: PerDb<DatabaseRef>,
        settings: Settings,
        now: DateTime<Utc>,
    ) -> App {
        let lag = super::lag::LagMeter::new(mode.read_only, settings.lag);
        App {
            mode,
            databases,
            settings,
            tasks: PerTask::default(),
            tables: PerTask::default(),
            tables_unsupported: PerTask::default(),
            validation: PerTask::default(),
            heartbeats: PerDb::default(),
            replicas: PerDb::default(),
            appmap: Panel::default(),
            identity: Panel::default(),
            identity_wanted: false,
            door: Panel::default(),
            door_wanted: false,
            latency_forced: false,
            appmap_refetch: false,
            log: VecDeque::new(),
            focus: Focus::Tasks,
            selected: TaskRole::Forward,
            popup: None,
            confirm_input: ConfirmInput::default(),
            scroll: Scroll::default(),
            table_view: Default::default(),
            table_index: Default::default(),
            logs_view: None,
            last_copy: None,
            busy: BTreeSet::new(),
            audit_pending: Default::default(),
            lag,
            latency: PerTask::default(),
            backoff: Default::default(),
            queued: BTreeMap::new(),
            flip_reread: None,
            own_flips: BTreeMap::new(),
            log_pushed: 0,
            dirty: true,
            now,
            size: (MIN_WIDTH, MIN_HEIGHT),
            should_quit: false,
        }
    }

    /// True when the screen cannot show every panel an action key acts on.
    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// The configured database an appmap item points at, if any.
    pub fn database_of(&self, item: &AppMapItem) -> Option<DbSide> {
        crate::backend::routing::database_of(item, &self.databases)
    }

    /// Whether `row`, shown for database `db`, has been replicated: the
    /// other database, asked for exactly this id, holds a row that is
    /// [`same_as`](HeartbeatRow::same_as) it. `None` when the other
    /// database has not been asked about this id (yet, or it could not
    /// answer): unknown, not "no".
    pub fn replicated(&self, db: DbSide, row: &HeartbeatRow) -> Option<bool> {
        let replicas = self.replicas[db].data.as_ref()?;
        if !replicas.asked.contains(&row.id) {
            return None;
        }
        Some(replicas.found.iter().any(|r| r.same_as(row)))
    }

    /// [`replicated`](Self::replicated), with unknown read as no: what
    /// the `⇄ replicated` mark shows.
    pub fn is_replicated(&self, db: DbSide, row: &HeartbeatRow) -> bool {
        self.replicated(db, row) == Some(true)
    }

    /// The log entries pushed after the first `seen` ones (at most what
    /// the log still holds), oldest first.
    pub fn log_since(&self, seen: u64) -> impl Iterator<Item = &LogEntry> {
        let new = self.log_pushed.saturating_sub(seen);
        let new = usize::try_from(new)
            .unwrap_or(usize::MAX)
            .min(self.log.len());
        self.log.range(self.log.len() - new..)
    }

    /// Every panel whose last call failed, named as `status --json` names
    /// it (`tasks.forward`, `tasks.forward.tables`, `heartbeats.a`,
    /// `heartbeats.a.replicated`, `appmap`, …), with its error. The header's
    /// "backends ok" and the status exit code are this list being empty.
    pub fn failures(&self) -> Vec<FailingCall> {
        let mut out = Vec::new();
        let mut add = |which: String, error: &Option<String>| {
            if let Some(message) = error {
                out.push(FailingCall {
                    which,
                    message: message.clone(),
                });
            }
        };
        for role in TaskRole::ALL {
            add(format!("tasks.{role}"), &self.tasks[role].error);
            add(format!("tasks.{role}.tables"), &self.tables[role].error);
            add(
                format!("tasks.{role}.validation"),
                &self.validation[role].error,
            );
        }
        for db in DbSide::ALL {
            add(format!("heartbeats.{db}"), &self.heartbeats[db].error);
        }
        for db in DbSide::ALL {
            add(
                format!("heartbeats.{db}.replicated"),
                &self.replicas[db].error,
            );
        }
        add("appmap".to_string(), &self.appmap.error);
        out
    }

    /// Heartbeat presses for `site` still waiting to be sent.
    pub fn queued_heartbeats(&self, site: Site) -> usize {
        self.queued.get(&site).copied().unwrap_or(0)
    }

    /// The event-log entry the cursor is on: the newest unless the
    /// operator scrolled up; `None` while the log is empty.
    pub fn log_cursor(&self) -> Option<usize> {
        let last = self.log.len().checked_sub(1)?;
        Some(self.scroll.log.map_or(last, |i| i.min(last)))
    }

    pub fn push_log(&mut self, at: DateTime<Utc>, level: LogLevel, text: impl Into<String>) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
            // The cursor stays on the entry it was on, which moved up one.
            if let Some(i) = &mut self.scroll.log {
                *i = i.saturating_sub(1);
            }
        }
        self.log_pushed += 1;
        self.log.push_back(LogEntry {
            at,
            level,
            text: text.into(),
        });
    }
}

impl App {
    /// DMS reports 0 source latency when it captures nothing: a 0 next to
    /// a heartbeat missing past `warn` in the task's direction is
    /// suspicious, not healthy.
    pub fn latency_suspicious(&self, role: TaskRole) -> bool {
        let zero = self.latency[role]
            .data
            .as_ref()
            .is_some_and(|l| l.source_s == Some(0.0));
        let missing = self
            .lag
            .tracker
            .missing_for(role, self.now)
            .is_some_and(|m| m >= self.lag.tracker.settings.warn);
        let down = self.lag.tracker.state(role, self.now) == super::lag::LagState::NotReplicating;
        zero && (missing || down)
    }
}
