//! `dms-cockpit init`: writes the commented configuration template, never
//! over an existing file unless `--force`. With `--list-tasks` it lists
//! the account's replication tasks instead; with `--forward ID --backward
//! ID` it writes the template filled in for that pair (task identifiers,
//! and each database's engine and address from the tasks' endpoints).
//! With `--choose` it lists the pairs of tasks that mirror each other,
//! numbered, and writes the config for the one whose number is typed.

use super::{Failure, Outcome};
use crate::backend::aws::discover::TaskListing;
use crate::cli::InitArgs;

pub async fn run(args: &InitArgs) -> Outcome {
    if args.list_tasks || args.forward.is_some() || args.choose {
        let sdk =
            crate::backend::aws::load_sdk_config(args.region.clone(), args.profile.clone()).await;
        let wanted: Option<Vec<String>> = args
            .forward
            .clone()
            .map(|f| vec![f, args.backward.clone().unwrap_or_default()]);
        let tasks = crate::backend::aws::discover::list_tasks(&sdk, wanted.as_deref())
            .await
            .map_err(|e| {
                Failure::Failed(format!("cannot list the replication tasks: {e}").into())
            })?;
        if args.choose {
            let (forward, backward) = choose(&tasks)?;
            return write_pair(args, forward, backward);
        }
        if args.list_tasks {
            if tasks.is_empty() {
                super::output::say("no replication tasks in this account and region")?;
            }
            for t in &tasks {
                super::output::say(listing(t))?;
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
        return write_pair(args, forward, backward);
    }
    write(args, crate::config::TEMPLATE)
}

fn listing(t: &TaskListing) -> String {
    format!(
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
    )
}

fn write_pair(args: &InitArgs, forward: &TaskListing, backward: &TaskListing) -> Outcome {
    let text = crate::config::for_pair(
        forward,
        backward,
        args.region.as_deref(),
        args.profile.as_deref(),
    )
    .map_err(Failure::BadInput)?;
    write(args, &text)
}

/// Every pair of tasks that mirror each other, each once, the forward
/// task first: the one with the full load when only one has it (the
/// other starts from CDC), else the one reading Oracle (the old
/// database), else the first by identifier.
pub fn candidate_pairs(tasks: &[TaskListing]) -> Vec<(&TaskListing, &TaskListing)> {
    let full_load = |t: &TaskListing| t.migration_type.contains("full-load");
    let oracle = |t: &TaskListing| t.source.engine.eq_ignore_ascii_case("oracle");
    let mut pairs = Vec::new();
    for (i, x) in tasks.iter().enumerate() {
        for y in &tasks[i + 1..] {
            if !crate::config::mirrored(x, y) {
                continue;
            }
            let x_first = match (full_load(x), full_load(y), oracle(x), oracle(y)) {
                (true, false, ..) => true,
                (false, true, ..) => false,
                (.., true, false) => true,
                (.., false, true) => false,
                _ => x.id <= y.id,
            };
            pairs.push(if x_first { (x, y) } else { (y, x) });
        }
    }
    pairs
}

/// Lists the candidate pairs and reads the operator's choice from stdin.
fn choose(tasks: &[TaskListing]) -> Result<(&TaskListing, &TaskListing), Failure> {
    let pairs = candidate_pairs(tasks);
    if pairs.is_empty() {
        return Err(Failure::BadInput(format!(
            "no two of the {} replication tasks here mirror each other (one's source the other's target): check --region/--profile, or name them with --forward ID --backward ID",
            tasks.len()
        )));
    }
    for (n, (f, b)) in pairs.iter().enumerate() {
        super::output::say(format!("{:>3}) forward  {}", n + 1, listing(f)))?;
        super::output::say(format!("     backward {}", listing(b)))?;
    }
    print!("write a config for which pair? [1-{}] ", pairs.len());
    std::io::Write::flush(&mut std::io::stdout()).ok();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::Failed(format!("cannot read the answer from stdin: {e}").into()))?;
    let answer = answer.trim();
    match answer.parse::<usize>() {
        Ok(n) if (1..=pairs.len()).contains(&n) => Ok(pairs[n - 1]),
        _ => Err(Failure::BadInput(format!(
            "`{answer}` is not one of the pairs: expected a number from 1 to {}; nothing was written",
            pairs.len()
        ))),
    }
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
        .map_err(|e| Failure::Failed(format!("cannot write {}: {e}", path.display()).into()))?;
    super::output::say(format!(
        "wrote {}: fill in what is left of [databases.a|b] (username, password source), then run dms-cockpit --config {}",
        path.display(),
        path.display()
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::EndpointSetup;

    fn ep(engine: &str, db: &str) -> EndpointSetup {
        EndpointSetup {
            id: format!("{engine}-{db}"),
            engine: engine.into(),
            server: "db.example".into(),
            port: Some(5432),
            database: db.into(),
        }
    }

    fn task(id: &str, kind: &str, from: (&str, &str), to: (&str, &str)) -> TaskListing {
        TaskListing {
            id: id.into(),
            arn: format!("arn:aws:dms:us-east-1:1:task:{id}"),
            migration_type: kind.into(),
            status: "ready".into(),
            source: ep(from.0, from.1),
            target: ep(to.0, to.1),
        }
    }

    #[test]
    fn pairs_are_mirrored_tasks_each_once_with_the_full_load_or_oracle_reader_forward() {
        let ora = ("oracle", "orcl");
        let pg = ("postgres", "app");
        let tasks = vec![
            task("back", "cdc", pg, ora),
            task("fwd", "full-load-and-cdc", ora, pg),
            task("unrelated", "cdc", ("postgres", "x"), ("postgres", "y")),
        ];
        let ids: Vec<(&str, &str)> = candidate_pairs(&tasks)
            .iter()
            .map(|(f, b)| (f.id.as_str(), b.id.as_str()))
            .collect();
        assert_eq!(ids, [("fwd", "back")]);
        // Both CDC only: the task reading Oracle goes forward.
        let tasks = vec![task("p2o", "cdc", pg, ora), task("o2p", "cdc", ora, pg)];
        let (f, b) = candidate_pairs(&tasks)[0];
        assert_eq!((f.id.as_str(), b.id.as_str()), ("o2p", "p2o"));
    }
}
