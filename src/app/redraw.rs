//! When the screen needs drawing again. Drawing on every event (each
//! refresh tick, each result) wastes a core on a quiet screen and makes a
//! busy one flicker; the screen changes only with a message, a key, a
//! resize, or a clock tick that changes an age it shows. `update` marks
//! the app dirty for those; the runtime draws when [`App::take_redraw`]
//! says so.

use super::state::{App, Panel};
use crate::backend::{DbSide, TaskRole};
use crate::format;

impl App {
    /// Whether something changed since the last call: the runtime draws
    /// then, and only then.
    pub fn take_redraw(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Every text the screen derives from the clock: the age of each
    /// panel's data and of its last error, at the resolution shown. A tick
    /// that leaves it unchanged leaves the screen unchanged. Anything new
    /// drawn relative to `now` belongs here.
    pub(super) fn clock_view(&self) -> Vec<String> {
        fn ages<T>(out: &mut Vec<String>, now: chrono::DateTime<chrono::Utc>, p: &Panel<T>) {
            for at in [p.fetched_at, p.error_at].into_iter().flatten() {
                out.push(format::age(now, at));
            }
        }
        let mut out = Vec::new();
        for role in TaskRole::ALL {
            ages(&mut out, self.now, &self.tasks[role]);
            ages(&mut out, self.now, &self.tables[role]);
        }
        for db in DbSide::ALL {
            ages(&mut out, self.now, &self.heartbeats[db]);
            ages(&mut out, self.now, &self.replicas[db]);
        }
        ages(&mut out, self.now, &self.appmap);
        // Times of day show with their date once the day changed.
        out.push(self.now.date_naive().to_string());
        out
    }
}
