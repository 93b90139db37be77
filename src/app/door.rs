//! The door check in the TUI: the header's badge reads the findings
//! `doctor` would print, and the event log names each one (Enter shows it
//! whole, with the AWS page of the rule). Logged when the findings change,
//! not on every read, so `r` does not repeat them.

use chrono::{DateTime, Utc};

use super::state::App;
use crate::backend::BackendError;
use crate::doctor::Finding;

/// What the header's door badge says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoorBadge {
    /// Not read yet.
    Unknown,
    /// Every rule holds.
    Ok,
    /// The rules broken, by short name.
    Findings(Vec<&'static str>),
    /// The pair could not be read (the badge says so, not "ok").
    Unreadable,
}

impl App {
    pub(super) fn on_door(
        &mut self,
        now: DateTime<Utc>,
        result: Result<Vec<Finding>, BackendError>,
    ) {
        if let Ok(findings) = &result
            && self.door.data.as_ref() != Some(findings)
        {
            if findings.is_empty() {
                self.log_ok("door check: every rule of a bidirectional pair holds");
            }
            for f in findings {
                self.log_error(format!("door check: {}", f.line()));
            }
        }
        if let Err(e) = &result
            && self.door.error.is_none()
        {
            self.log_error(format!("door check: cannot read the pair: {e}"));
        }
        self.door.set(now, result.map_err(|e| e.to_string()));
    }

    pub fn door_badge(&self) -> DoorBadge {
        if self.door.error.is_some() {
            return DoorBadge::Unreadable;
        }
        match &self.door.data {
            None => DoorBadge::Unknown,
            Some(f) if f.is_empty() => DoorBadge::Ok,
            Some(f) => DoorBadge::Findings(f.iter().map(|f| f.rule).collect()),
        }
    }
}
