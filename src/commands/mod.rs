//! The subcommands. Each is a thin shell around the shared pieces: the
//! backends (`backend`), the guardrails (`app::guard`), the text formats
//! (`format`). None of them decides or formats anything on its own.

pub mod confirm;
pub mod connect;
pub mod doctor;
pub mod flip;
pub mod guarded;
pub mod heartbeat;
pub mod init;
pub mod lab;
pub mod lag;
pub mod logs;
pub mod output;
pub mod reload;
pub mod setup;
pub mod status;
pub mod task;
pub mod tui;

use std::process::ExitCode;

/// How a command failed, which fixes the exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad input or configuration; nothing was changed. Exit code 2.
    #[error("{0}")]
    BadInput(String),
    /// The action failed (a backend refused or is unreachable). Exit code 1.
    /// The reason keeps the backend error as its cause, so the log file
    /// shows what lay under the message.
    #[error("{0}")]
    Failed(#[source] crate::backend::Reason),
    /// Standard output was closed by its reader (`| head`): the command
    /// ends quietly. Exit code 0.
    #[error("standard output closed by its reader")]
    ClosedPipe,
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::BadInput(_) => ExitCode::from(2),
            Failure::Failed(_) => ExitCode::from(1),
            Failure::ClosedPipe => ExitCode::SUCCESS,
        }
    }
}

impl From<crate::config::ConfigError> for Failure {
    fn from(e: crate::config::ConfigError) -> Self {
        Failure::BadInput(e.0)
    }
}

impl From<crate::backend::BackendError> for Failure {
    fn from(e: crate::backend::BackendError) -> Self {
        Failure::Failed(crate::backend::Reason::caused(e.to_string(), e))
    }
}

pub type Outcome = Result<(), Failure>;

/// A change's call timed out after it was sent: the outcome is unknown.
/// Says so, reads back what is now true (in the TUI event log's words),
/// and fails with both (exit 1: the change was not confirmed). Any other
/// error is returned as the failure `failed` phrases.
pub async fn after_change(
    backends: &crate::backend::Backends,
    mutation: crate::backend::ops::Mutation,
    error: crate::backend::BackendError,
    failed: impl FnOnce(&crate::backend::BackendError) -> String,
) -> Failure {
    use crate::app::outcome;
    if !matches!(error, crate::backend::BackendError::OutcomeUnknown(_)) {
        return Failure::Failed(crate::backend::Reason::caused(failed(&error), error));
    }
    let mut text = outcome::unknown(&mutation, &error);
    text.push('\n');
    match backends.reread(&mutation, 10).await {
        Ok(found) => text.push_str(&outcome::now_true(&mutation, &found, &backends.databases)),
        Err(e) => text.push_str(&outcome::reread_failed(&mutation, &e)),
    }
    Failure::Failed(text.into())
}

/// Who to record as the author of a flip: the login name when known.
pub fn operator() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .map(|u| format!("{u} via dms-cockpit"))
        .unwrap_or_else(|_| "dms-cockpit".to_string())
}

/// The audit log of a connected command.
pub fn audit_log(connected: &connect::Connected) -> guarded::Audit<'_> {
    guarded::Audit::new(connected)
}
