//! `dms-cockpit task reload-tables forward|backward --table schema.table
//! [--table …] [--validate-only] [--yes]`: the TUI's `L` / `V` for scripts,
//! with the same guardrail and the same words (`app::reload`). A
//! data-reload asks for the table names to be typed, as the TUI does;
//! `--yes` skips the question, and without a terminal it refuses.

use std::io::{BufRead, IsTerminal, Write};

use super::confirm::confirm;
use super::connect;
use super::{Failure, Outcome};
use crate::app::{guard, reload};
use crate::backend::ReloadOption;
use crate::backend::ops::with_timeout;
use crate::cli::{GlobalArgs, TaskReloadArgs};

pub async fn run(global: &GlobalArgs, args: &TaskReloadArgs) -> Outcome {
    let connected = connect::target(global, &args.target).await?;
    let result = run_on(&connected, args).await;
    connected.close().await;
    result
}

async fn run_on(connected: &connect::Connected, args: &TaskReloadArgs) -> Outcome {
    let backends = &connected.backends;
    let role = args.task;
    let option = if args.validate_only {
        ReloadOption::ValidateOnly
    } else {
        ReloadOption::DataReload
    };
    guard::check_writable(&backends.mode, "reload a table").map_err(Failure::BadInput)?;
    let task = backends.describe_task(role).await?;
    // Statistics that cannot be read do not stop the reload: DMS checks
    // the tables itself.
    let stats = backends.task_tables(role).await.ok();
    reload::check_reload(&task, stats.as_deref(), &args.tables, option).map_err(Failure::Failed)?;
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
            typed_confirm(&question, &reload::name_to_type(&args.tables), args.yes)?
        }
    };
    if !go {
        return Err(Failure::Failed("cancelled: nothing was changed".into()));
    }
    with_timeout(
        backends.timeout,
        backends
            .replication
            .reload_tables(role, &args.tables, option),
    )
    .await?;
    let names: Vec<String> = args.tables.iter().map(ToString::to_string).collect();
    println!(
        "{role} task {}: {option} of {} accepted",
        task.id,
        names.join(", ")
    );
    Ok(())
}

/// Asks for `expected` to be typed; `yes` skips, no terminal refuses.
fn typed_confirm(question: &str, expected: &str, yes: bool) -> Result<bool, Failure> {
    if yes {
        return Ok(true);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::BadInput(format!(
            "{question}\nA data-reload needs a confirmation and stdin is not a terminal: pass --yes to confirm"
        )));
    }
    eprint!("{question}\nType {expected} to confirm: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::BadInput(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == expected)
}
