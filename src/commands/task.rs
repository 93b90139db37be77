//! `dms-cockpit task start|stop forward|backward`: the TUI's `s`, `x` and
//! `R` keys for scripts, with the same guardrails (`app::guard`) and the
//! same confirmation (an interactive prompt or `--yes`).

use super::confirm::confirm;
use super::connect;
use super::{Failure, Outcome, after_change};
use crate::app::guard;
use crate::backend::StartType;
use crate::backend::ops::Mutation;
use crate::cli::{GlobalArgs, StartTypeArg, TaskStartArgs, TaskStopArgs};

pub async fn start(global: &GlobalArgs, args: &TaskStartArgs) -> Outcome {
    let connected = connect::target(global, &args.target).await?;
    let result = start_on(&connected, args).await;
    connected.close().await;
    result
}

async fn start_on(connected: &connect::Connected, args: &TaskStartArgs) -> Outcome {
    let backends = &connected.backends;
    let role = args.task;
    guard::check_writable(&backends.mode, "start a task").map_err(Failure::BadInput)?;
    let task = backends.describe_task(role).await?;
    let requested = args.start_type.map(|t| match t {
        StartTypeArg::Resume => StartType::ResumeProcessing,
        StartTypeArg::Reload => StartType::ReloadTarget,
    });
    let request = guard::start_request(
        &task,
        requested,
        connected.settings.backward_cdc_start_time,
        args.cdc_start_time,
    )
    .map_err(Failure::Failed)?;
    let start_type = request.start_type;
    if start_type == StartType::ReloadTarget {
        let question = format!(
            "Reload the target of the {role} task {}? This reloads every target table from the source.",
            task.id
        );
        if !confirm(&question, args.yes)? {
            return Err(Failure::Failed("cancelled: nothing was changed".into()));
        }
    }
    if let Err(e) = backends.start_task(role, request).await {
        let mutation = Mutation::Start(role, start_type);
        return Err(after_change(backends, mutation, e, |e| e.to_string()).await);
    }
    super::output::say(format!("{role} task {}: {start_type} accepted", task.id))?;
    Ok(())
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
    guard::check_writable(&backends.mode, "stop a task").map_err(Failure::BadInput)?;
    let task = backends.describe_task(role).await?;
    guard::check_stop(&task).map_err(Failure::Failed)?;
    if !confirm(&format!("Stop the {role} task {}?", task.id), args.yes)? {
        return Err(Failure::Failed("cancelled: nothing was changed".into()));
    }
    if let Err(e) = backends.stop_task(role).await {
        return Err(after_change(backends, Mutation::Stop(role), e, |e| e.to_string()).await);
    }
    super::output::say(format!("{role} task {}: stop accepted", task.id))?;
    Ok(())
}
