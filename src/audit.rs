//! The audit log: every mutating action, confirmed, refused, forced,
//! failed or with an unknown outcome, appended as one JSON line (default
//! `audit.jsonl` in the user's state directory; `--audit-log PATH` or
//! `[audit] path`). Each line carries the time, the OS user, the AWS caller
//! identity when known, what was asked, the checklist, the result and each
//! task's `RecoveryCheckpoint`.
//!
//! A line that cannot be written is reported (log file and stderr or event
//! log), never silently dropped, and never stops the action it records.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::app::audit::AuditRecord;

/// Where audit lines go when nothing else is configured.
pub fn default_path() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("dms-cockpit")
        .join("audit.jsonl")
}

/// The OS user running the cockpit.
pub fn os_user() -> Option<String> {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty())
}

/// One audit line as written: the record (with the AWS identity the app
/// read from STS) and the OS user.
#[derive(Debug, Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    record: &'a AuditRecord,
    os_user: Option<String>,
}

/// An audit log file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    pub path: PathBuf,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> AuditLog {
        AuditLog { path: path.into() }
    }

    /// Appends `record` as one line; the error names the file.
    pub fn append(&self, record: &AuditRecord) -> Result<(), String> {
        let line = Line {
            record,
            os_user: os_user(),
        };
        let mut text = serde_json::to_string(&line)
            .map_err(|e| format!("cannot encode an audit line: {e}"))?;
        text.push('\n');
        append_to(&self.path, &text).map_err(|e| {
            format!(
                "cannot append to the audit log {}: {e}; choose another with --audit-log or [audit] path",
                self.path.display()
            )
        })
    }
}

fn append_to(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // One write of the whole line: concurrent cockpits never interleave
    // within a line (O_APPEND).
    file.write_all(text.as_bytes())
}
