//! Runs the app's commands: each one a spawned task under the backend's
//! timeout, whose result comes back as a message on the inbound queue.
//! Nothing here decides anything; the app already did.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use tokio::sync::mpsc::UnboundedSender;

use super::events::Event;
use crate::app::{Command, Msg};
use crate::backend::Backends;

pub struct Executor {
    backends: Backends,
    tx: UnboundedSender<Event>,
    context: Context,
}

/// What a command needs besides the backends.
#[derive(Debug, Clone)]
pub struct Context {
    /// Recorded as the author of a flip.
    pub operator: String,
    /// Heartbeat rows fetched per database.
    pub heartbeat_rows: usize,
    /// Where `Command::Audit` lines go (the TUI's); `None` drops them with
    /// a warning in the log file.
    pub audit: Option<crate::audit::AuditLog>,
}

impl Executor {
    pub fn new(backends: Backends, tx: UnboundedSender<Event>, context: Context) -> Executor {
        Executor {
            backends,
            tx,
            context,
        }
    }

    pub fn spawn(&self, command: Command) {
        let backends = self.backends.clone();
        let tx = self.tx.clone();
        let context = self.context.clone();
        tracing::debug!(?command, "spawning");
        let what = format!("{command:?}");
        tokio::spawn(async move {
            let outcome = AssertUnwindSafe(run(&backends, &context, command))
                .catch_unwind()
                .await;
            let event = match outcome {
                Ok(msg) => {
                    if let Some(e) = msg_error(&msg) {
                        tracing::warn!("backend call failed: {e}");
                    }
                    Event::Msg(Box::new(msg))
                }
                Err(_) => {
                    tracing::error!("backend call {what} panicked");
                    Event::Panicked(format!("the backend call {what}"))
                }
            };
            let _ = tx.send(event);
        });
    }
}

/// Runs one command to its message. Public so headless code and tests can
/// run the exact same mapping without a terminal.
pub async fn run(backends: &Backends, context: &Context, command: Command) -> Msg {
    use crate::backend::ops::with_timeout;
    let limit = backends.timeout;
    match command {
        Command::FetchTask(role) => Msg::Task(role, backends.describe_task(role).await),
        Command::FetchTables(role) => Msg::Tables(role, backends.task_tables(role).await),
        Command::FetchValidation(role, of) => Msg::Validation(
            role,
            backends
                .validation_failures(role, &of, crate::app::VALIDATION_LATEST)
                .await,
        ),
        Command::FetchHeartbeats(db) => Msg::Heartbeats(
            db,
            backends.latest_heartbeats(db, context.heartbeat_rows).await,
        ),
        Command::FetchReplicas(db, ids) => {
            let result = backends.heartbeats_by_ids(db.other(), &ids).await;
            Msg::Replicas(db, ids, result)
        }
        Command::FetchAppMap => Msg::AppMap(backends.read_appmap().await),
        Command::FetchDoor => Msg::Door(backends.door_check().await),
        Command::FetchIdentity => {
            Msg::Identity(backends.caller_identity().await.unwrap_or_else(|| {
                Err(crate::backend::BackendError::Other(
                    "no AWS account here: the lab runs without AWS".into(),
                ))
            }))
        }
        Command::StartTask(role, request) => {
            let result = backends.start_task(role, request.clone()).await;
            Msg::Started(role, request, result)
        }
        Command::StopTask(role) => Msg::Stopped(role, backends.stop_task(role).await),
        Command::Reread(mutation) => {
            let found = backends.reread(&mutation, context.heartbeat_rows).await;
            Msg::Reread(mutation, found)
        }
        Command::InsertHeartbeat(site) => {
            Msg::HeartbeatInserted(site, backends.insert_heartbeat_as(site).await)
        }
        Command::FetchLatency(role) => Msg::Latency(role, backends.cdc_latency(role).await),
        Command::Audit(record) => {
            let written = match &context.audit {
                Some(log) => log.append(&record),
                None => Err("no audit log is configured for this run".to_string()),
            };
            Msg::Audited(written)
        }
        Command::LagWrite(site) => Msg::LagWritten(
            site,
            backends
                .insert_heartbeat_as(site)
                .await
                .map(|(db, row)| (db, row, chrono::Utc::now())),
        ),
        Command::LagLook(db, ids) => Msg::LagSeen(
            db,
            backends
                .heartbeats_by_ids(db, &ids)
                .await
                .map(|rows| (rows, chrono::Utc::now())),
        ),
        Command::ReloadTables(role, tables, option) => {
            let result = backends.reload_tables(role, &tables, option).await;
            Msg::TablesReloaded(role, tables, option, result)
        }
        // The event loop copies itself, between frames; this arm serves
        // callers without a loop, so a copy is never silently dropped.
        Command::Copy(text) => {
            super::clipboard::copy(&text);
            Msg::Copied
        }
        Command::FetchLogs(role, query) => {
            let result = with_timeout(
                limit,
                backends
                    .logs
                    .read(role, &query, crate::app::logs::LOG_BATCH),
            )
            .await;
            Msg::Logs(role, query, result)
        }
        Command::Flip(site, seen) => Msg::Flipped(
            site,
            backends
                .flip_site(site, Some(seen), &context.operator)
                .await,
        ),
        Command::RereadForFlip(site) => Msg::FlipReread(site, backends.read_appmap().await),
    }
}

fn msg_error(msg: &Msg) -> Option<String> {
    let e = match msg {
        Msg::Task(_, Err(e))
        | Msg::Tables(_, Err(e))
        | Msg::Heartbeats(_, Err(e))
        | Msg::Replicas(_, _, Err(e))
        | Msg::AppMap(Err(e))
        | Msg::Identity(Err(e))
        | Msg::Door(Err(e))
        | Msg::FlipReread(_, Err(e))
        | Msg::Started(_, _, Err(e))
        | Msg::Stopped(_, Err(e))
        | Msg::HeartbeatInserted(_, Err(e))
        | Msg::Flipped(_, Err(e))
        | Msg::Reread(_, Err(e))
        | Msg::TablesReloaded(_, _, _, Err(e))
        | Msg::Logs(_, _, Err(e))
        | Msg::LagWritten(_, Err(e))
        | Msg::LagSeen(_, Err(e))
        | Msg::Latency(_, Err(e)) => e,
        Msg::Audited(Err(e)) => return Some(e.clone()),
        _ => return None,
    };
    // The message, then its causes (the SDK / sqlx error) under it.
    Some(crate::backend::reason::chain(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{BackendError, DbSide, Reason};

    /// What the executor logs for a failed call: the message, then the
    /// original error under it; a result that did not fail logs nothing.
    #[test]
    fn a_failed_call_logs_its_cause_under_the_message() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused by peer");
        let msg = Msg::Heartbeats(
            DbSide::B,
            Err(BackendError::Unavailable(Reason::caused(
                "cannot connect to PostgreSQL at db:5432/x",
                refused,
            ))),
        );
        assert_eq!(
            msg_error(&msg).as_deref(),
            Some("cannot connect to PostgreSQL at db:5432/x\n  caused by: refused by peer")
        );
        assert_eq!(msg_error(&Msg::Heartbeats(DbSide::B, Ok(Vec::new()))), None);
    }
}
