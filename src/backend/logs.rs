//! The task log port: the lines a DMS task writes about itself (start, full
//! load per table, warnings, errors, stop), read from a point in time on
//! and followed. AWS keeps them in CloudWatch Logs (`aws::logs`); the lab
//! writes its own through its engine (`lab::logs`). The TUI's logs view and
//! the headless `logs` command both read through this port.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BackendResult, TaskRole};

/// How bad a log line is, from the letter DMS puts after the component
/// (`]E:`, `]W:`, `]I:`, `]D:`, `]T:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Debug,
    /// A line without DMS's severity letter.
    Unknown,
}

impl Severity {
    /// DMS's own letter and colon: `E:`, `W:`, `I:`, `D:`; `?:` unknown.
    pub fn symbol(self) -> &'static str {
        match self {
            Severity::Error => "E:",
            Severity::Warning => "W:",
            Severity::Info => "I:",
            Severity::Debug => "D:",
            Severity::Unknown => "?:",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Debug => "debug",
            Severity::Unknown => "unknown",
        }
    }

    /// The severity of a DMS log message, e.g. `2026-11-27T10:00:00
    /// [SOURCE_CAPTURE  ]E:  Failed to …` is an error. DMS writes the
    /// letter right after the bracketed component; `T:` (trace) counts as
    /// debug.
    pub fn of_message(message: &str) -> Severity {
        let after = message
            .find("]")
            .map(|i| &message[i + 1..])
            .unwrap_or(message)
            .trim_start();
        match after.get(..2) {
            Some("E:") => Severity::Error,
            Some("W:") => Severity::Warning,
            Some("I:") => Severity::Info,
            Some("D:") | Some("T:") => Severity::Debug,
            _ => Severity::Unknown,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a task's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Unique within the task's log (CloudWatch's event id, the lab's
    /// sequence number): how a follow tells a new line from one it has.
    pub id: String,
    pub at: DateTime<Utc>,
    pub severity: Severity,
    /// The whole message as the task wrote it.
    pub text: String,
}

/// Where to read from: lines at `since` or later, except those already
/// seen at exactly `since` (several lines can share a millisecond).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    pub since: DateTime<Utc>,
    pub seen_at_since: Vec<String>,
}

impl LogQuery {
    pub fn from(since: DateTime<Utc>) -> LogQuery {
        LogQuery {
            since,
            seen_at_since: Vec::new(),
        }
    }

    /// The query that follows on after `lines` (oldest first): only what
    /// comes later.
    pub fn after(&self, lines: &[LogLine]) -> LogQuery {
        let Some(last) = lines.last() else {
            return self.clone();
        };
        let mut seen: Vec<String> = lines
            .iter()
            .filter(|l| l.at == last.at)
            .map(|l| l.id.clone())
            .collect();
        if last.at == self.since {
            seen.extend(self.seen_at_since.iter().cloned());
        }
        LogQuery {
            since: last.at,
            seen_at_since: seen,
        }
    }

    /// Whether a line is new to this query.
    pub fn wants(&self, line: &LogLine) -> bool {
        line.at > self.since || (line.at == self.since && !self.seen_at_since.contains(&line.id))
    }
}

/// What a read returns: the new lines, oldest first, and where they come
/// from (`group / stream`, or the lab's table), for the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct LogBatch {
    pub source: String,
    pub lines: Vec<LogLine>,
}

/// A DMS task's log.
#[async_trait]
pub trait TaskLogs: Send + Sync {
    /// The lines `query` wants, oldest first, at most `limit` of them (the
    /// oldest ones: the next read carries on). A task without logging
    /// enabled is an error that names the setting to turn on.
    async fn read(&self, role: TaskRole, query: &LogQuery, limit: usize)
    -> BackendResult<LogBatch>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn severity_is_the_letter_after_the_component() {
        let s = |m: &str| Severity::of_message(m);
        assert_eq!(
            s("2026-11-27T10:00:00 [SOURCE_CAPTURE  ]E:  Failed to connect"),
            Severity::Error
        );
        assert_eq!(
            s("2026-11-27T10:00:00 [TASK_MANAGER    ]W:  slow"),
            Severity::Warning
        );
        assert_eq!(
            s("2026-11-27T10:00:00 [TASK_MANAGER    ]I:  Task started"),
            Severity::Info
        );
        assert_eq!(
            s("2026-11-27T10:00:00 [SORTER          ]T:  trace"),
            Severity::Debug
        );
        assert_eq!(s("no severity here"), Severity::Unknown);
    }

    #[test]
    fn a_follow_skips_lines_it_has_even_in_the_same_millisecond() {
        let at = |ms: i64| Utc.timestamp_millis_opt(ms).unwrap();
        let line = |id: &str, ms: i64| LogLine {
            id: id.into(),
            at: at(ms),
            severity: Severity::Info,
            text: id.into(),
        };
        let q = LogQuery::from(at(0));
        let first = vec![line("a", 5), line("b", 7), line("c", 7)];
        let next = q.after(&first);
        assert_eq!(next.since, at(7));
        assert!(!next.wants(&line("b", 7)) && !next.wants(&line("c", 7)));
        assert!(
            next.wants(&line("d", 7)),
            "a new line in the same millisecond"
        );
        assert!(next.wants(&line("e", 8)));
        assert!(!next.wants(&line("a", 5)));
        // Nothing new: the query stays where it was.
        assert_eq!(next.after(&[]), next);
    }
}
