//! `dms-cockpit task start|stop forward|backward`: the TUI's `s`, `x` and
//! `R` keys for scripts, with the same guardrails (`app::guard`), the same
//! checklist (`app::checklist`) and the same confirmation rules (`--yes`
//! confirms only a passing checklist, `--force` overrides a failed one).
//! `--wait` follows the task until it is running or stopped.

use std::time::Instant;

use super::connect;
use super::guarded::{self, Decision};
use super::{Failure, Outcome, after_change};
use crate::app::{checklist, guard};
use crate::backend::ops::Mutation;
use crate::backend::{Backends, StartType, TaskRole, TaskStatus};
use crate::cli::{GlobalArgs, StartTypeArg, TaskStartArgs, TaskStopArgs, WaitArgs};
use crate::format;

pub async fn start(global: &GlobalArgs, args: &TaskStartArgs) -> Outcome {
    let connected = connect::target(global, &args.target).await?;
    let result = start_on(&connected, args).await;
    connected.close().await;
    result
}

/// What `task start` and `task stop` do first: refuse (and audit) in
/// read-only mode, then read the live state their checklist is computed
/// from and the task itself.
async fn prepare<'a>(
    connected: &'a connect::Connected,
    role: crate::backend::TaskRole,
    asked: &str,
    what: &str,
) -> Result<
    (
        guarded::Audit<'a>,
        crate::app::App,
        crate::backend::TaskSnapshot,
    ),
    Failure,
> {
    let audit = super::audit_log(connected);
    if let Err(e) = guard::check_writable(&connected.backends.mode, what) {
        audit.refused(connected, asked, None, &e);
        return Err(Failure::BadInput(e));
    }
    let app = guarded::live_app(connected).await;
    let task = match &app.tasks[role].data {
        Some(t) => t.clone(),
        None => connected.backends.describe_task(role).await?,
    };
    Ok((audit, app, task))
}

async fn start_on(connected: &connect::Connected, args: &TaskStartArgs) -> Outcome {
    let backends = &connected.backends;
    let role = args.task;
    let asked = format!("task start {role}");
    let (audit, app, task) = prepare(connected, role, &asked, "start a task").await?;
    let requested = args.start_type.map(|t| match t {
        StartTypeArg::Resume => StartType::ResumeProcessing,
        StartTypeArg::Reload => StartType::ReloadTarget,
    });
    let request = match guard::start_request(
        &task,
        requested,
        connected.settings.backward_cdc_start_time,
        args.cdc_start_time,
    ) {
        Ok(r) => r,
        Err(e) => {
            audit.refused_app(&app, &asked, None, &e);
            return Err(Failure::Failed(e.into()));
        }
    };
    let start_type = request.start_type;
    let asked = format!("task start {role} ({start_type})");
    let list = checklist::start(&app, role, start_type);
    let question = if start_type == StartType::ReloadTarget {
        format!(
            "Reload the target of the {role} task {}? This reloads every target table from the source.",
            task.id
        )
    } else {
        format!("{start_type} of the {role} task {}?", task.id)
    };
    // A start that empties nothing needed no confirmation before; it still
    // prints its checklist and goes ahead without asking.
    let needs_answer = checklist::empties_target(&task, start_type);
    let decision = if needs_answer {
        guarded::decide(&list, &question, args.guard.yes, args.guard.force)
    } else {
        guarded::decide(&list, &question, true, args.guard.force)
    };
    let decision = match decision {
        Ok(d) => d,
        Err(e) => {
            audit.refused_app(&app, &asked, Some(&list), &e.to_string());
            return Err(e);
        }
    };
    let outcome = backends.start_task(role, request).await;
    audit.outcome(&app, &asked, &list, decision == Decision::Forced, &outcome);
    if let Err(e) = outcome {
        let mutation = Mutation::Start(role, start_type);
        return Err(after_change(backends, mutation, e, |e| e.to_string()).await);
    }
    super::output::say(format!("{role} task {}: {start_type} accepted", task.id))?;
    wait_for(backends, role, &args.wait, TaskStatus::Running).await
}

pub async fn stop(global: &GlobalArgs, args: &TaskStopArgs) -> Outcome {
    let connected = connect::target(global, &args.target).await?;
    let result = stop_on(&connected, args).await;
    connected.close().await;
    result
}

async fn stop_on(connected: &connect::Connected, args: &TaskStopArgs) -> Outcome {
    let backends = &connected.backends;
    let role = args.task;
    let asked = format!("task stop {role}");
    let (audit, app, task) = prepare(connected, role, &asked, "stop a task").await?;
    if let Err(e) = guard::check_stop(&task) {
        audit.refused_app(&app, &asked, None, &e);
        return Err(Failure::Failed(e.into()));
    }
    let list = checklist::stop(&app, role);
    let question = format!("Stop the {role} task {}?", task.id);
    let decision = match guarded::decide(&list, &question, args.guard.yes, args.guard.force) {
        Ok(d) => d,
        Err(e) => {
            audit.refused_app(&app, &asked, Some(&list), &e.to_string());
            return Err(e);
        }
    };
    let outcome = backends.stop_task(role).await;
    audit.outcome(&app, &asked, &list, decision == Decision::Forced, &outcome);
    if let Err(e) = outcome {
        return Err(after_change(backends, Mutation::Stop(role), e, |e| e.to_string()).await);
    }
    super::output::say(format!("{role} task {}: stop accepted", task.id))?;
    wait_for(backends, role, &args.wait, TaskStatus::Stopped).await
}

/// `--wait`: polls the task until it reaches `goal`, saying how long it has
/// been in a transition; a failed task or the timeout ends it with exit 1.
async fn wait_for(
    backends: &Backends,
    role: TaskRole,
    wait: &WaitArgs,
    goal: TaskStatus,
) -> Outcome {
    if !wait.wait {
        return Ok(());
    }
    let began = Instant::now();
    let mut last_status: Option<TaskStatus> = None;
    let mut since = Instant::now();
    loop {
        let task = backends.describe_task(role).await?;
        if last_status.as_ref() != Some(&task.status) {
            last_status = Some(task.status.clone());
            since = Instant::now();
        }
        if task.status == goal {
            super::output::say(format!(
                "{role} task {}: {} after {}",
                task.id,
                format::status_label(&task.status),
                humantime::format_duration(round(began.elapsed()))
            ))?;
            return Ok(());
        }
        if task.status == TaskStatus::Failed {
            return Err(Failure::Failed(
                format!(
                    "the {role} task {} failed while waiting for it to be {goal}: {}",
                    task.id,
                    task.last_failure.as_deref().unwrap_or("no failure message")
                )
                .into(),
            ));
        }
        if began.elapsed() >= wait.timeout {
            return Err(Failure::Failed(format!(
                "the {role} task {} is still {} after {} (in that state for {}): not {goal} within --timeout",
                task.id,
                task.status,
                humantime::format_duration(round(began.elapsed())),
                humantime::format_duration(round(since.elapsed()))
            ).into()));
        }
        eprintln!(
            "{role} task {}: {} for {}",
            task.id,
            task.status,
            humantime::format_duration(round(since.elapsed()))
        );
        tokio::time::sleep(guarded::WAIT_POLL.min(wait.timeout.saturating_sub(began.elapsed())))
            .await;
    }
}

fn round(d: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_secs(d.as_secs())
}
