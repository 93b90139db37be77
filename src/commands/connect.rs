//! Picks and opens the backends a command runs against: the embedded lab,
//! or the system the config file describes. Both end as one `Backends`, so
//! nothing after this point knows which it is.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Failure;
use crate::app::Settings;
use crate::app::lag::LagSettings;
use crate::backend::{Backends, PerDb};
use crate::cli::{GlobalArgs, TargetArgs};
use crate::config;
use crate::lab::{Lab, LabOptions};

/// Open backends, plus what must be closed or removed at the end.
pub struct Connected {
    pub backends: Backends,
    pub settings: Settings,
    /// Where mutating actions are recorded.
    pub audit: crate::audit::AuditLog,
    lab: Option<Lab>,
    /// A temporary lab directory, removed when this is dropped.
    _tmp: Option<tempfile::TempDir>,
}

impl Connected {
    /// Stops the lab's background work, if any.
    pub async fn close(self) {
        if let Some(lab) = self.lab {
            lab.shutdown().await;
        }
    }
}

/// Lab parameters not on every command line.
pub struct LabSpec {
    pub data_dir: Option<PathBuf>,
    pub traffic: Option<f64>,
    pub transition_delay: Duration,
    pub refresh: Duration,
    /// `--apply-delay`: each task applies a change no sooner than this.
    pub apply_delay: Duration,
    /// `--validate`: the tasks to turn data validation on for.
    pub validate: Vec<crate::backend::TaskRole>,
}

impl Default for LabSpec {
    fn default() -> Self {
        LabSpec {
            data_dir: None,
            traffic: None,
            transition_delay: Duration::from_millis(800),
            refresh: Duration::from_secs(1),
            apply_delay: Duration::ZERO,
            validate: Vec::new(),
        }
    }
}

/// Checks a `--data-dir` before anything is created: it must be a
/// directory (or a new one whose parent exists) that can be written.
pub fn check_data_dir(path: &Path) -> Result<(), String> {
    let shown = path.display();
    let probe_in = if path.exists() {
        if !path.is_dir() {
            return Err(format!(
                "--data-dir {shown} is not a directory: expected a new directory or one from an earlier lab run"
            ));
        }
        path.to_path_buf()
    } else {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(format!(
                "--data-dir {shown}: its parent {} does not exist; create it first or choose another directory",
                parent.display()
            ));
        }
        parent
    };
    tempfile::NamedTempFile::new_in(&probe_in)
        .map(drop)
        .map_err(|e| {
            format!(
                "--data-dir {shown} cannot be written ({e}): choose a directory you can write to"
            )
        })
}

pub async fn lab(global: &GlobalArgs, spec: LabSpec) -> Result<Connected, Failure> {
    let (data_dir, tmp) = match spec.data_dir {
        Some(dir) => {
            check_data_dir(&dir).map_err(Failure::BadInput)?;
            (dir, None)
        }
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("dms-cockpit-lab-")
                .tempdir()
                .map_err(|e| {
                    Failure::Failed(
                        format!("cannot create a temporary lab directory: {e}; pass --data-dir")
                            .into(),
                    )
                })?;
            (tmp.path().to_path_buf(), Some(tmp))
        }
    };
    let lab = Lab::open(LabOptions {
        data_dir,
        traffic: spec.traffic,
        transition_delay: spec.transition_delay,
        apply_interval: Duration::from_millis(300),
        apply_delay: spec.apply_delay,
    })
    .await
    .map_err(|e| {
        // The exit's message has no cause (bad input is a string): the
        // SQLite error under a lab that cannot be opened goes to the log
        // file here.
        tracing::warn!("cannot open the lab: {}", crate::backend::reason::chain(&e));
        Failure::BadInput(e.to_string())
    })?;
    for role in spec.validate {
        lab.enable_validation(role).await?;
    }
    let timeout = Duration::from_secs(5);
    let backends = lab.backends(timeout, global.read_only);
    Ok(Connected {
        backends,
        settings: Settings {
            refresh_every: spec.refresh,
            heartbeat_rows: 10,
            operator: super::operator(),
            backward_cdc_start_time: None,
            lag: LagSettings::default(),
            cdc_latency: false,
            seq_starts: crate::setup::sql::DEFAULT_SEQ_START,
        },
        audit: crate::audit::AuditLog::new(
            global
                .audit_log
                .clone()
                .unwrap_or_else(crate::audit::default_path),
        ),
        lab: Some(lab),
        _tmp: tmp,
    })
}

/// The configured system; with no config file, says how to try the lab or
/// write a config.
pub async fn configured(global: &GlobalArgs) -> Result<Connected, Failure> {
    let Some(path) = config::locate(global.config.as_deref())? else {
        return Err(Failure::BadInput(format!(
            "no configuration found (looked at {}).\n  Try the embedded lab:  dms-cockpit lab\n  Or write a config:     dms-cockpit init",
            config::search_places()
        )));
    };
    let config = config::load(&path)?;
    let backends = crate::backend::live::connect(&config, global.read_only).await?;
    Ok(Connected {
        backends,
        settings: Settings {
            refresh_every: config.refresh_every,
            heartbeat_rows: config.heartbeat_rows,
            operator: super::operator(),
            backward_cdc_start_time: config.backward_cdc_start_time,
            lag: config.lag,
            cdc_latency: true,
            seq_starts: PerDb::new(|db| config.databases[db].seq_start),
        },
        audit: crate::audit::AuditLog::new(
            global
                .audit_log
                .clone()
                .or(config.audit_path.clone())
                .unwrap_or_else(crate::audit::default_path),
        ),
        lab: None,
        _tmp: None,
    })
}

/// `--lab [--data-dir DIR]` or the config, for the headless commands.
pub async fn target(global: &GlobalArgs, target: &TargetArgs) -> Result<Connected, Failure> {
    if target.lab {
        lab(
            global,
            LabSpec {
                data_dir: target.data_dir.clone(),
                apply_delay: target.apply_delay.unwrap_or_default(),
                validate: target.validate.clone(),
                ..LabSpec::default()
            },
        )
        .await
    } else {
        configured(global).await
    }
}
