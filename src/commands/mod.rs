//! The subcommands. Each is a thin shell around the shared pieces: the
//! backends (`backend`), the guardrails (`app::guard`), the text formats
//! (`format`). None of them decides or formats anything on its own.

pub mod confirm;
pub mod connect;
pub mod flip;
pub mod heartbeat;
pub mod init;
pub mod lab;
pub mod logs;
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
    #[error("{0}")]
    Failed(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::BadInput(_) => ExitCode::from(2),
            Failure::Failed(_) => ExitCode::from(1),
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
        Failure::Failed(e.to_string())
    }
}

pub type Outcome = Result<(), Failure>;

/// Who to record as the author of a flip: the login name when known.
pub fn operator() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .map(|u| format!("{u} via dms-cockpit"))
        .unwrap_or_else(|_| "dms-cockpit".to_string())
}
