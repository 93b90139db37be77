//! `dms-cockpit logs forward|backward [--since 10m] [--follow] [--grep TEXT]
//! [--json]`: the task's log for scripts and shells, through the same
//! [`TaskLogs`] port as the TUI's logs view. Text lines read like the
//! view's (`HH:MM:SS E: message`, severity letter first); `--json` prints
//! one JSON object a line (`at`, `severity`, `text`, `id`). `--follow`
//! keeps reading every refresh interval until interrupted.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;

use super::connect;
use super::{Failure, Outcome};
use crate::app::logs::LOG_BATCH;
use crate::backend::logs::{LogLine, LogQuery, TaskLogs};
use crate::backend::ops::with_timeout;
use crate::backend::{BackendResult, TaskRole};
use crate::cli::{GlobalArgs, LogsArgs};
use crate::format;

pub async fn run(global: &GlobalArgs, args: &LogsArgs) -> Outcome {
    let connected = connect::target(global, &args.target).await?;
    let backends = connected.backends.clone();
    let since = Utc::now()
        - chrono::Duration::from_std(args.since)
            .map_err(|e| Failure::BadInput(format!("--since {:?} is too long: {e}", args.since)))?;
    let grep = args.grep.as_deref().map(str::to_lowercase);
    let json = args.json;
    let mut print = |line: &LogLine| {
        if grep
            .as_deref()
            .is_some_and(|g| !line.text.to_lowercase().contains(g))
        {
            return;
        }
        if json {
            match serde_json::to_string(&serde_json::json!({
                "at": format::rfc3339(line.at),
                "severity": line.severity,
                "text": line.text,
                "id": line.id,
            })) {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("cannot encode a log line as JSON: {e}"),
            }
        } else {
            println!("{}", line_text(line));
        }
    };
    let every = connected.settings.refresh_every;
    let timeout = backends.timeout;
    let result = if args.follow {
        follow(
            backends.logs.as_ref(),
            args.task,
            LogQuery::from(since),
            every,
            timeout,
            &mut print,
            shutdown(),
        )
        .await
    } else {
        read_all(
            backends.logs.as_ref(),
            args.task,
            LogQuery::from(since),
            timeout,
            &mut print,
        )
        .await
        .map(drop)
    };
    connected.close().await;
    result.map_err(Failure::from)
}

/// `2026-11-27 10:00:00 E: message`: a line as the shell shows it.
pub fn line_text(line: &LogLine) -> String {
    format!(
        "{} {} {}",
        format::date_time(line.at),
        line.severity.symbol(),
        line.text
    )
}

/// Reads everything `query` wants, batch after batch, handing each line
/// to `sink`; returns the query that carries on after the last line.
pub async fn read_all(
    logs: &dyn TaskLogs,
    role: TaskRole,
    mut query: LogQuery,
    timeout: Duration,
    sink: &mut impl FnMut(&LogLine),
) -> BackendResult<LogQuery> {
    loop {
        let batch = with_timeout(timeout, logs.read(role, &query, LOG_BATCH)).await?;
        for line in &batch.lines {
            sink(line);
        }
        query = query.after(&batch.lines);
        if batch.lines.len() < LOG_BATCH {
            return Ok(query);
        }
    }
}

/// Reads what there is, then every `every` what is new, until `stop`
/// resolves. A failed read ends the follow with its error.
pub async fn follow(
    logs: &dyn TaskLogs,
    role: TaskRole,
    query: LogQuery,
    every: Duration,
    timeout: Duration,
    sink: &mut impl FnMut(&LogLine),
    stop: impl Future<Output = ()>,
) -> BackendResult<()> {
    tokio::pin!(stop);
    let mut query = read_all(logs, role, query, timeout, sink).await?;
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
        query = read_all(logs, role, query, timeout, sink).await?;
    }
}

/// Ctrl-C or SIGTERM ends a follow normally (exit 0).
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
