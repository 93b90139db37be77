//! `y`: copy the selected thing as text. What "selected" means follows
//! what is on screen: the log line under the cursor in the logs view, the
//! whole table detail, else the focused panel's row (a table row, an event
//! log entry in full, a heartbeat row, an appmap item). The app only
//! decides the text; the runtime hands it to the terminal as OSC 52
//! (`runtime::clipboard`), and the event log says what was copied.

use super::state::{App, Focus, Popup};

/// How long the footer repeats what was copied.
pub const COPY_NOTICE_SECS: i64 = 10;
use super::{Command, tables};
use crate::format;

impl App {
    /// The text `y` copies now and what to call it, if anything.
    pub fn copy_target(&self) -> Option<(String, String)> {
        if let (Some(Popup::Logs), Some(view)) = (&self.popup, &self.logs_view) {
            let shown = view.shown();
            let line = shown.get(view.cursor()?)?;
            return Some((
                format!("the {} task's log line", view.role),
                line.text.clone(),
            ));
        }
        if let Some(key) = self.detail_key() {
            let t = self.table_of(key)?;
            let validation = tables::validation_lines(self, key);
            return Some((
                format!("the detail of {}", key.name()),
                tables::detail_text(key, t, self.now, validation.as_deref()),
            ));
        }
        if self.popup.is_some() {
            return None;
        }
        match self.focus {
            Focus::Tasks => {
                let t = self.cursor_table(self.selected)?;
                let text = format!(
                    "{} {} state={} full_load_rows={} inserts={} updates={} deletes={} ddls={} errors={} validation={} last_update={}",
                    self.selected,
                    format::table_name(t),
                    t.state,
                    t.full_load_rows,
                    t.inserts,
                    t.updates,
                    t.deletes,
                    t.ddls,
                    t.errors,
                    t.validation_state,
                    t.last_update
                        .map_or_else(|| format::NONE.to_string(), format::rfc3339)
                );
                Some((format!("the row of {}", format::table_name(t)), text))
            }
            Focus::Log => {
                let e = self.log.get(self.log_cursor()?)?;
                Some((
                    "the event log entry".to_string(),
                    format!(
                        "{} {} {}",
                        format::rfc3339(e.at),
                        format::log_symbol(e.level),
                        e.text
                    ),
                ))
            }
            Focus::HeartbeatA | Focus::HeartbeatB => {
                let db = if self.focus == Focus::HeartbeatA {
                    crate::backend::DbSide::A
                } else {
                    crate::backend::DbSide::B
                };
                let rows = self.heartbeats[db].data.as_ref()?;
                let row = rows.get(self.scroll.heartbeats[db].min(rows.len().checked_sub(1)?))?;
                Some((
                    format!("heartbeat {} of database {db}", row.id),
                    format::heartbeat_line(row, self.replicated(db, row)),
                ))
            }
            Focus::AppMap => {
                let items = self.appmap.data.as_ref()?;
                let item = items.get(self.scroll.appmap.min(items.len().checked_sub(1)?))?;
                Some((
                    format!("the appmap item of {}", item.site),
                    serde_json::to_string(item).ok()?,
                ))
            }
        }
    }

    /// `y`: asks the runtime to copy, and says so; says why not when
    /// nothing is selected.
    pub(super) fn copy_selected(&mut self) -> Vec<Command> {
        match self.copy_target() {
            Some((what, text)) => {
                let said = format!(
                    "copied {what} to the clipboard ({} characters, OSC 52)",
                    text.chars().count()
                );
                self.last_copy = Some((self.now, said.clone()));
                self.log_ok(said);
                vec![Command::Copy(text)]
            }
            None => {
                self.log_error("nothing to copy here: select a row first");
                vec![]
            }
        }
    }
}
