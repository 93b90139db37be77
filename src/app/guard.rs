//! Guardrails for the mutating actions, as pure functions: which start type
//! a task needs, whether a stop makes sense, whether the mode allows any
//! change. The TUI and the headless commands both ask these, so a refusal
//! reads the same in both.

use chrono::{DateTime, Utc};

use crate::backend::{ModeInfo, StartRequest, StartType, TaskRole, TaskSnapshot, TaskStatus};

/// Refuses every mutation in read-only mode.
pub fn check_writable(mode: &ModeInfo, what: &str) -> Result<(), String> {
    if mode.read_only {
        Err(format!(
            "read-only mode: refusing to {what}; restart without --read-only to allow changes"
        ))
    } else {
        Ok(())
    }
}

/// The start type for `task`: `start-replication` when it never ran,
/// `resume-processing` after a stop. `requested` overrides the choice
/// where that is valid (`reload-target` on a stopped task, say).
pub fn start_type(task: &TaskSnapshot, requested: Option<StartType>) -> Result<StartType, String> {
    let name = format!("the {} task ({})", task.role, task.id);
    match task.status {
        TaskStatus::Running | TaskStatus::Starting => {
            return Err(format!("{name} is already {}: stop it first", task.status));
        }
        TaskStatus::Stopping | TaskStatus::Modifying | TaskStatus::Deleting => {
            return Err(format!(
                "{name} is {}: wait until it is stopped or ready, then start it",
                task.status
            ));
        }
        _ => {}
    }
    let never_ran = task.start_date.is_none();
    match (requested, never_ran) {
        (None, true) => Ok(StartType::StartReplication),
        (None, false) => Ok(StartType::ResumeProcessing),
        (Some(StartType::ResumeProcessing), true) => Err(format!(
            "{name} has never run, so there is nothing to resume: start it without --type (start-replication)"
        )),
        (Some(StartType::StartReplication), false) => Err(format!(
            "{name} has run before: resume it (resume-processing) or reload its target (reload-target)"
        )),
        (Some(t), _) => Ok(t),
    }
}

/// Whether `task` can be stopped now.
pub fn check_stop(task: &TaskSnapshot) -> Result<(), String> {
    match task.status {
        TaskStatus::Running | TaskStatus::Starting => Ok(()),
        _ => Err(format!(
            "the {} task ({}) is {}: only a running or starting task can be stopped",
            task.role, task.id, task.status
        )),
    }
}

/// The whole start request: the type from [`start_type`], and a CDC start
/// time only for the backward task's first start (the moment the forward
/// full load finished), where a configured one applies. `explicit` (from
/// the command line) wins over `configured`.
pub fn start_request(
    task: &TaskSnapshot,
    requested: Option<StartType>,
    configured: Option<DateTime<Utc>>,
    explicit: Option<DateTime<Utc>>,
) -> Result<StartRequest, String> {
    let start_type = start_type(task, requested)?;
    let cdc_start_time = explicit.or(match (task.role, start_type) {
        (TaskRole::Backward, StartType::StartReplication) => configured,
        _ => None,
    });
    Ok(StartRequest {
        start_type,
        cdc_start_time,
    })
}
