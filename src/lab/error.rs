//! Why a lab data directory could not be opened. Every message names the
//! path and what would be right, because the person reading it usually just
//! typed `--data-dir` and needs to know which directory to give instead.

use std::path::PathBuf;

/// A refusal to open (or create) a lab. Nothing on disk is changed when one
/// of these is returned for an existing directory.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(
        "lab data directory {path} is a file, not a directory: give a directory (it is created if missing)"
    )]
    NotADirectory { path: PathBuf },

    #[error(
        "lab data directory {path} could not be created ({source}): give a directory you can write to"
    )]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "lab data directory {path} is not writable ({detail}): give a directory you can write to, or fix its permissions"
    )]
    NotWritable { path: PathBuf, detail: String },

    #[error(
        "{path} is not a lab data directory (it holds {found}): give an empty or new directory, or one created by `dms-cockpit lab`; nothing was changed"
    )]
    Foreign { path: PathBuf, found: String },

    #[error(
        "{path} is not a valid lab database ({detail}): move it away or give another data directory; it was left untouched"
    )]
    Corrupt { path: PathBuf, detail: String },

    #[error(
        "{path} was written by lab format version {found}, this build reads version {expected}: give a new directory or use the dms-cockpit build that made it; it was left untouched"
    )]
    WrongVersion {
        path: PathBuf,
        found: String,
        expected: u32,
    },

    #[error(
        "{path} holds an incomplete lab ({missing} is missing): delete the directory or give another one"
    )]
    Incomplete { path: PathBuf, missing: String },

    #[error(
        "lab data directory {path} is in use by another dms-cockpit process: quit that one first, or give another --data-dir"
    )]
    InUse { path: PathBuf },

    /// `source` is the SQLite (or backend) error itself, for the log file.
    #[error("lab database {path} failed: {detail}")]
    Database {
        path: PathBuf,
        detail: String,
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    #[error("lab option {option} is invalid: {detail}")]
    InvalidOption {
        option: &'static str,
        detail: String,
    },
}
