//! Logs go to a file through tracing-appender, never to the screen the TUI
//! draws on. `RUST_LOG` picks the level (default `info`).

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The default log file: in the user's state (or cache) directory.
pub fn default_path() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("dms-cockpit")
        .join("dms-cockpit.log")
}

/// Starts logging to `path`; keep the guard alive until exit so the last
/// lines are flushed.
pub fn init(path: &Path) -> Result<WorkerGuard, String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "cannot create the log directory {}: {e}; choose another with --log-file",
            dir.display()
        )
    })?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            format!(
                "cannot open the log file {}: {e}; choose another with --log-file",
                path.display()
            )
        })?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Ok(guard)
}
