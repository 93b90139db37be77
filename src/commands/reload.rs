//! `dms-cockpit task reload-tables forward|backward --table schema.table
//! [--table …] [--validate-only] [--yes]`: the TUI's `L` / `V` for scripts,
//! with the same guardrail and the same words (`app::reload`). A
//! data-reload asks for the table names to be typed, as the TUI does;
//! `--yes` skips the question, and without a terminal it refuses.

use super::confirm::{ask, confirm};
use super::connect;
use super::{Failure, Outcome, after_change};
use crate::app::{guard, reload};
use crate::backend::ops::Mutation;
use crate::backend::{Backends, ReloadOption};
use crate::cli::{GlobalArgs, TaskReloadArgs};

pub async fn run(global: &GlobalArgs, args: &TaskReloadArgs) -> Outcome {
    let connected = connect::target(global, &args.target).await?;
    let mut sent = None;
    let result = reload_recording(&connected.backends, args, &mut sent).await;
    // Audited like every change: what came back when it was sent,
    // refused (read-only, a check, a cancelled question) when it was not.
    let names: Vec<String> = args.tables.iter().map(ToString::to_string).collect();
    let request = format!(
        "{} of {} in the {} task",
        option_of(args),
        names.join(", "),
        args.task
    );
    let audit = super::audit_log(&connected);
    match (&result, &sent) {
        (_, Some(outcome)) => audit.sent_unchecked(&connected, &request, outcome),
        (Err(e), None) => audit.refused(&connected, &request, None, &e.to_string()),
        (Ok(()), None) => {}
    }
    connected.close().await;
    result
}

fn option_of(args: &TaskReloadArgs) -> ReloadOption {
    if args.validate_only {
        ReloadOption::ValidateOnly
    } else {
        ReloadOption::DataReload
    }
}

/// The command on open backends. A call that timed out is "outcome
/// unknown": said, the table statistics read back, and exit 1.
pub async fn run_on(backends: &Backends, args: &TaskReloadArgs) -> Outcome {
    reload_recording(backends, args, &mut None).await
}

/// [`run_on`], noting in `sent` what the ReloadTables call answered, if it
/// was sent.
async fn reload_recording(
    backends: &Backends,
    args: &TaskReloadArgs,
    sent: &mut Option<Result<(), crate::backend::BackendError>>,
) -> Outcome {
    let role = args.task;
    let option = option_of(args);
    guard::check_writable(&backends.mode, "reload a table").map_err(Failure::BadInput)?;
    let task = backends.describe_task(role).await?;
    // Statistics that cannot be read do not stop the reload: DMS checks
    // the tables itself.
    let stats = backends.task_tables(role).await.ok();
    reload::check_reload(&task, stats.as_deref(), &args.tables, option)
        .map_err(|e| Failure::Failed(e.into()))?;
    let question = reload::reload_question(
        role,
        &task.id,
        &args.tables,
        option,
        &backends.databases[role.source()],
        &backends.databases[role.target()],
    )
    .join("\n");
    let go = match option {
        ReloadOption::ValidateOnly => confirm(&question, args.yes)?,
        ReloadOption::DataReload => {
            let expected = reload::name_to_type(&task.id, &args.tables);
            ask(
                &question,
                &format!("\nType {expected} to confirm:"),
                args.yes,
                |a| a == expected,
            )?
        }
    };
    if !go {
        return Err(Failure::Failed("cancelled: nothing was changed".into()));
    }
    let answer = backends.reload_tables(role, &args.tables, option).await;
    *sent = Some(answer.clone().map(|_| ()));
    if let Err(e) = answer {
        let mutation = Mutation::ReloadTables(role, args.tables.clone(), option);
        return Err(after_change(backends, mutation, e, |e| e.to_string()).await);
    }
    let names: Vec<String> = args.tables.iter().map(ToString::to_string).collect();
    println!(
        "{role} task {}: {option} of {} accepted",
        task.id,
        names.join(", ")
    );
    Ok(())
}
