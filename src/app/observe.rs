//! What the cockpit sees happen, as event-log entries: a task's status
//! changing, a table entering the error state, a backend going down and
//! coming back, an appmap item changed by someone else. During a cutover
//! the log must tell the whole story, not only the operator's own keys.
//! Each function compares what a panel held with what just came in, so
//! only changes are logged, never every refresh.

use super::state::{App, Busy, Panel};
use crate::backend::{AppMapItem, Site, TableStats, TaskRole, TaskSnapshot, TaskStatus};

impl App {
    /// Logs a panel's health changing: down (its fetch failed after
    /// succeeding, or first failing) and back (a success after failures).
    /// `error` is the new result's error, if any.
    pub(super) fn observe_health<T>(&mut self, name: &str, before: &Panel<T>, error: Option<&str>) {
        match (before.error.as_deref(), error) {
            (None, Some(e)) => self.log_error(format!("{name} is down: {e}")),
            (Some(_), None) => {
                let since = before
                    .error_at
                    .map(|at| format!(" (failing since {})", crate::format::hms(at)))
                    .unwrap_or_default();
                self.log_ok(format!("{name} is back{since}"))
            }
            _ => {}
        }
    }

    /// Logs a task's status change (with its stop reason and last failure
    /// when it stopped or failed). The first description of a task is not
    /// a change.
    pub(super) fn observe_task(
        &mut self,
        role: TaskRole,
        before: Option<&TaskSnapshot>,
        now: &TaskSnapshot,
    ) {
        let Some(before) = before else {
            return;
        };
        if before.status != now.status {
            let mut text = format!("{role} task {}: {} → {}", now.id, before.status, now.status);
            // A stop reason and failure describe the last stop: they are
            // news only when the task has just stopped or failed.
            let ended = matches!(now.status, TaskStatus::Stopped | TaskStatus::Failed);
            if let Some(reason) = now.stop_reason.as_ref().filter(|_| ended) {
                text.push_str(&format!(" (stop reason {reason})"));
            }
            if let Some(failure) = now.last_failure.as_ref().filter(|_| ended) {
                text.push_str(&format!(": {failure}"));
            }
            let trouble = now.status == TaskStatus::Failed
                || (ended
                    && (now.last_failure.is_some()
                        || now
                            .stop_reason
                            .as_deref()
                            .is_some_and(|r| r.contains("ERROR"))));
            if trouble {
                self.log_error(text);
            } else {
                self.log_info(text);
            }
        }
    }

    /// Logs each table whose state became an error state.
    pub(super) fn observe_tables(
        &mut self,
        role: TaskRole,
        before: &[TableStats],
        now: &[TableStats],
    ) {
        let is_error = |t: &TableStats| t.state.to_ascii_lowercase().contains("error");
        for table in now.iter().filter(|t| is_error(t)) {
            let was_error = before
                .iter()
                .find(|b| b.schema == table.schema && b.table == table.table)
                .is_some_and(is_error);
            if !was_error {
                self.log_error(format!(
                    "{role} task: table {} entered the error state ({})",
                    crate::format::table_name(table),
                    table.state
                ));
            }
        }
    }

    /// Logs every site whose appmap item changed between two reads when
    /// this cockpit did not change it: not while its own flip of that site
    /// is in flight, and not when the item is the one its flip wrote.
    pub(super) fn observe_appmap(&mut self, before: Option<&[AppMapItem]>, now: &[AppMapItem]) {
        let Some(before) = before else {
            return;
        };
        for site in Site::ALL {
            let old = item_of(before, site);
            let new = item_of(now, site);
            if old == new || self.busy.contains(&Busy::Flip(site)) {
                continue;
            }
            if new.is_some() && self.own_flips.get(&site) == new {
                self.own_flips.remove(&site);
                continue;
            }
            let text = match (old, new) {
                (Some(o), Some(n)) if o.describe() == n.describe() => format!(
                    "{site}'s appmap item was changed by someone else: it still names {}, other attributes changed",
                    n.describe()
                ),
                (Some(o), Some(n)) => format!(
                    "{site}'s appmap item was changed by someone else: {} → {}",
                    o.describe(),
                    n.describe()
                ),
                (None, Some(n)) => format!(
                    "{site}'s appmap item was created by someone else: {}",
                    n.describe()
                ),
                (Some(o), None) => format!(
                    "{site}'s appmap item was removed by someone else (it named {})",
                    o.describe()
                ),
                (None, None) => continue,
            };
            self.log_error(text);
        }
    }
}

/// The first item for `site` (a well-kept appmap has one).
fn item_of(items: &[AppMapItem], site: Site) -> Option<&AppMapItem> {
    items.iter().find(|i| i.site == site.as_str())
}
