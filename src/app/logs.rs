//! The logs view (`l`): the selected task's log, read through the
//! [`TaskLogs`](crate::backend::logs::TaskLogs) port and followed on every
//! refresh tick while the view is open. It keeps the lines (bounded),
//! narrows them by severity (`e`) and by a search (`/`), and scrolls back;
//! at the bottom it follows new lines. Pure, like the rest of `app`.

use chrono::{DateTime, Duration, Utc};

use super::state::{App, Popup};
use super::{Action, Command};
use crate::backend::logs::{LogBatch, LogLine, LogQuery, Severity};
use crate::backend::{BackendError, TaskRole};

/// Lines the view keeps; older ones are dropped.
pub const LOG_LINES_KEPT: usize = 5_000;
/// Lines asked for per read; a full batch is followed by another read at
/// once, so a long backlog catches up without waiting for ticks.
pub const LOG_BATCH: usize = 1_000;
/// How far back the view starts.
pub const LOG_LOOKBACK_MINUTES: i64 = 60;

/// Which severities the view shows; `e` cycles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SeverityFilter {
    #[default]
    All,
    /// Warnings and errors.
    Warnings,
    Errors,
}

impl SeverityFilter {
    pub fn next(self) -> SeverityFilter {
        match self {
            SeverityFilter::All => SeverityFilter::Warnings,
            SeverityFilter::Warnings => SeverityFilter::Errors,
            SeverityFilter::Errors => SeverityFilter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SeverityFilter::All => "all",
            SeverityFilter::Warnings => "W: and E:",
            SeverityFilter::Errors => "E: only",
        }
    }

    pub fn admits(self, s: Severity) -> bool {
        match self {
            SeverityFilter::All => true,
            SeverityFilter::Warnings => matches!(s, Severity::Error | Severity::Warning),
            SeverityFilter::Errors => s == Severity::Error,
        }
    }
}

/// The open logs view of one task.
#[derive(Debug, Clone, PartialEq)]
pub struct LogsView {
    pub role: TaskRole,
    pub lines: Vec<LogLine>,
    /// Where the lines come from (`group / stream`), once known.
    pub source: Option<String>,
    /// The next read: what comes after the lines held.
    pub query: LogQuery,
    pub loading: bool,
    pub error: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub severity: SeverityFilter,
    /// Case-insensitive text the shown lines contain; empty shows all.
    pub search: String,
    /// `/` is being typed.
    pub searching: bool,
    /// Index (in the shown lines) of the bottom line when scrolled back;
    /// `None` follows the newest.
    pub scroll: Option<usize>,
}

impl LogsView {
    pub fn new(role: TaskRole, now: DateTime<Utc>) -> LogsView {
        LogsView {
            role,
            lines: Vec::new(),
            source: None,
            query: LogQuery::from(now - Duration::minutes(LOG_LOOKBACK_MINUTES)),
            loading: false,
            error: None,
            fetched_at: None,
            severity: SeverityFilter::All,
            search: String::new(),
            searching: false,
            scroll: None,
        }
    }

    /// The lines the filters let through, oldest first.
    pub fn shown(&self) -> Vec<&LogLine> {
        let needle = self.search.to_lowercase();
        self.lines
            .iter()
            .filter(|l| self.severity.admits(l.severity))
            .filter(|l| needle.is_empty() || l.text.to_lowercase().contains(&needle))
            .collect()
    }

    /// The line at the bottom of the view (the cursor).
    pub fn cursor(&self) -> Option<usize> {
        let n = self.shown().len();
        if n == 0 {
            return None;
        }
        Some(self.scroll.map_or(n - 1, |i| i.min(n - 1)))
    }

    fn scroll_by(&mut self, delta: isize) {
        let Some(cursor) = self.cursor() else {
            return;
        };
        let last = self.shown().len() - 1;
        let next = cursor.saturating_add_signed(delta).min(last);
        self.scroll = (next < last).then_some(next);
    }
}

impl App {
    /// The logs view's keys; `None` for every other action.
    pub(super) fn on_logs_action(&mut self, action: Action) -> Option<Vec<Command>> {
        // `l` opens the view; in the open view it closes it (below).
        if let Action::OpenLogs = action
            && self.popup != Some(Popup::Logs)
        {
            if self.popup.is_some() {
                return Some(vec![]);
            }
            let view = LogsView::new(self.selected, self.now);
            self.logs_view = Some(view);
            self.popup = Some(Popup::Logs);
            return Some(self.poll_logs());
        }
        if self.popup != Some(Popup::Logs) {
            return None;
        }
        let view = self.logs_view.as_mut()?;
        if view.searching {
            match action {
                Action::Type(c) => view.search.push(c),
                Action::Backspace => {
                    view.search.pop();
                }
                Action::Submit => view.searching = false,
                Action::Cancel => {
                    view.search.clear();
                    view.searching = false;
                }
                _ => return Some(vec![]),
            }
            view.scroll = None;
            return Some(vec![]);
        }
        match action {
            Action::Cancel | Action::OpenLogs => {
                self.popup = None;
                self.logs_view = None;
            }
            Action::FilterStart => {
                view.searching = true;
            }
            Action::CycleSeverity => {
                view.severity = view.severity.next();
                view.scroll = None;
            }
            Action::ScrollDown => view.scroll_by(1),
            Action::ScrollUp => view.scroll_by(-1),
            Action::PageDown => view.scroll_by(super::state::PAGE as isize),
            Action::PageUp => view.scroll_by(-(super::state::PAGE as isize)),
            Action::ScrollTop => view.scroll = Some(0),
            Action::ScrollBottom => view.scroll = None,
            Action::Refresh => return Some(self.poll_logs()),
            _ => {}
        }
        Some(vec![])
    }

    /// A read of the open view's log, unless one is in flight.
    pub(super) fn poll_logs(&mut self) -> Vec<Command> {
        match self.logs_view.as_mut() {
            Some(view) if !view.loading => {
                view.loading = true;
                vec![Command::FetchLogs(view.role, view.query.clone())]
            }
            _ => vec![],
        }
    }

    pub(super) fn on_logs(
        &mut self,
        role: TaskRole,
        query: LogQuery,
        result: Result<LogBatch, BackendError>,
    ) -> Vec<Command> {
        let now = self.now;
        let Some(view) = self.logs_view.as_mut() else {
            return vec![];
        };
        // An answer for a view that was closed and reopened, or for the
        // other task, is not this view's.
        if view.role != role || view.query != query {
            return vec![];
        }
        view.loading = false;
        match result {
            Err(e) => {
                view.error = Some(e.to_string());
                vec![]
            }
            Ok(batch) => {
                view.error = None;
                view.fetched_at = Some(now);
                view.source = Some(batch.source);
                let full = batch.lines.len() >= LOG_BATCH;
                view.query = view.query.after(&batch.lines);
                view.lines.extend(batch.lines);
                if view.lines.len() > LOG_LINES_KEPT {
                    let drop = view.lines.len() - LOG_LINES_KEPT;
                    view.lines.drain(..drop);
                    view.scroll = view.scroll.map(|i| i.saturating_sub(drop));
                }
                if full { self.poll_logs() } else { vec![] }
            }
        }
    }
}
