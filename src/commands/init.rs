//! `dms-cockpit init`: writes the commented configuration template, never
//! over an existing file unless `--force`. With `--list-tasks` it lists
//! the account's replication tasks instead; with `--forward ID --backward
//! ID` it writes the template filled in for that pair (task identifiers,
//! and each database's engine and address from the tasks' endpoints).

use super::{Failure, Outcome};
use crate::cli::InitArgs;

pub async fn run(args: &InitArgs) -> Outcome {
    if args.list_tasks || args.forward.is_some() {
        let sdk =
            crate::backend::aws::load_sdk_config(args.region.clone(), args.profile.clone()).await;
        let wanted: Option<Vec<String>> = args
            .forward
            .clone()
            .map(|f| vec![f, args.backward.clone().unwrap_or_default()]);
        let tasks = crate::backend::aws::discover::list_tasks(&sdk, wanted.as_deref())
            .await
            .map_err(|e| Failure::Failed(format!("cannot list the replication tasks: {e}")))?;
        if args.list_tasks {
            if tasks.is_empty() {
                super::output::say("no replication tasks in this account and region")?;
            }
            for t in &tasks {
                super::output::say(format!(
                    "{:<32} {:<18} {:<10} {}:{}/{} ({}) -> {}:{}/{} ({})",
                    t.id,
                    t.migration_type,
                    t.status,
                    t.source.server,
                    t.source.port.map_or("?".into(), |p| p.to_string()),
                    t.source.database,
                    t.source.engine,
                    t.target.server,
                    t.target.port.map_or("?".into(), |p| p.to_string()),
                    t.target.database,
                    t.target.engine
                ))?;
            }
            return Ok(());
        }
        let find = |id: &str| {
            tasks
                .iter()
                .find(|t| t.id == id || t.arn == id)
                .ok_or_else(|| {
                    let known: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
                    Failure::BadInput(format!(
                        "no replication task `{id}` in this account and region; there are: {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ))
                })
        };
        let forward = find(args.forward.as_deref().unwrap_or_default())?;
        let backward = find(args.backward.as_deref().unwrap_or_default())?;
        let text = crate::config::for_pair(
            forward,
            backward,
            args.region.as_deref(),
            args.profile.as_deref(),
        )
        .map_err(Failure::BadInput)?;
        return write(args, &text);
    }
    write(args, crate::config::TEMPLATE)
}

fn write(args: &InitArgs, text: &str) -> Outcome {
    let path = &args.path;
    if path.exists() && !args.force {
        return Err(Failure::BadInput(format!(
            "{} already exists: edit it, choose another --path, or pass --force to overwrite it",
            path.display()
        )));
    }
    std::fs::write(path, text)
        .map_err(|e| Failure::Failed(format!("cannot write {}: {e}", path.display())))?;
    super::output::say(format!(
        "wrote {}: fill in what is left of [databases.a|b] (username, password source), then run dms-cockpit --config {}",
        path.display(),
        path.display()
    ))?;
    Ok(())
}
