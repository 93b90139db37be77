//! What an audit line says, built purely from app state so the TUI and the
//! headless commands record the same thing. Writing it (with the OS user
//! and the AWS caller identity, which the app does not know) is
//! `crate::audit`'s job.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::checklist::Checklist;
use super::state::App;
use crate::backend::{BackendError, PerTask};

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditResult {
    /// Not sent: read-only, failed checks without override, or cancelled.
    Refused,
    /// Every check passed, the action was sent and accepted.
    Confirmed,
    /// A failed check was overridden, the action was sent and accepted.
    Forced,
    /// Sent and refused by the backend.
    Failed,
    /// Sent, and no answer came in time: it may or may not have happened.
    OutcomeUnknown,
}

/// One line of the audit log, before the writer adds who ran it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub time: DateTime<Utc>,
    /// `LAB` or `LIVE`.
    pub mode: String,
    pub read_only: bool,
    /// What was asked, e.g. `flip SITEA to database b`.
    pub request: String,
    pub checklist: Option<Checklist>,
    pub result: AuditResult,
    /// A failed check was overridden (`!` or `--force`).
    pub overridden: bool,
    /// Why it was refused or failed, or what the backend said.
    pub message: Option<String>,
    /// Each task's `RecoveryCheckpoint` as last described, so either task
    /// can be restarted from an exact CDC position.
    pub checkpoints: PerTask<Option<String>>,
    /// Who the AWS credentials belong to (STS `GetCallerIdentity` ARN, as
    /// the header shows it); `None` in the lab or while it is not known.
    pub aws_identity: Option<String>,
}

impl AuditRecord {
    pub fn new(
        app: &App,
        request: impl Into<String>,
        checklist: Option<Checklist>,
        result: AuditResult,
        overridden: bool,
        message: Option<String>,
    ) -> AuditRecord {
        AuditRecord {
            time: app.now,
            mode: app.mode.name.clone(),
            read_only: app.mode.read_only,
            request: request.into(),
            checklist,
            result,
            overridden,
            message,
            checkpoints: PerTask::new(|role| {
                app.tasks[role]
                    .data
                    .as_ref()
                    .and_then(|t| t.recovery_checkpoint.clone())
            }),
            aws_identity: app.identity.data.as_ref().map(|i| i.arn.clone()),
        }
    }

    /// The result of a sent action: accepted, refused by the backend, or
    /// unknown after a timeout.
    pub fn sent<T>(
        outcome: &Result<T, BackendError>,
        overridden: bool,
    ) -> (AuditResult, Option<String>) {
        match outcome {
            Ok(_) if overridden => (AuditResult::Forced, None),
            Ok(_) => (AuditResult::Confirmed, None),
            Err(e @ (BackendError::Timeout(_) | BackendError::OutcomeUnknown(_))) => {
                (AuditResult::OutcomeUnknown, Some(e.to_string()))
            }
            Err(e) => (AuditResult::Failed, Some(e.to_string())),
        }
    }

    /// One line for the event log.
    pub fn summary(&self) -> String {
        let result = match self.result {
            AuditResult::Refused => "refused",
            AuditResult::Confirmed => "confirmed",
            AuditResult::Forced => "forced (failed checks overridden)",
            AuditResult::Failed => "failed",
            AuditResult::OutcomeUnknown => "outcome unknown",
        };
        let forced = if self.overridden && self.result != AuditResult::Forced {
            " (override armed)"
        } else {
            ""
        };
        format!("audit: {} — {result}{forced}", self.request)
    }
}

impl App {
    /// An audit line for a refused action, shown in the event log too.
    pub(super) fn audit_refused(
        &mut self,
        request: impl Into<String>,
        checklist: Option<Checklist>,
        why: &str,
    ) -> super::Command {
        let overridden = self.confirm_input.overridden;
        let record = AuditRecord::new(
            self,
            request,
            checklist,
            AuditResult::Refused,
            overridden,
            Some(why.to_string()),
        );
        self.push_log(self.now, super::LogLevel::Info, record.summary());
        super::Command::Audit(Box::new(record))
    }

    /// Remembers what a sent action's audit line will say.
    pub(super) fn audit_sent(&mut self, busy: super::Busy, checklist: Checklist, overridden: bool) {
        self.audit_pending
            .entry(busy)
            .or_insert(super::state::PendingAudit {
                request: checklist.action.clone(),
                checklist,
                overridden,
            });
    }

    /// The audit line of a confirmed action that was not sent after all
    /// (a flip whose item changed, or could not be re-read, before it
    /// went out): refused, with why.
    pub(super) fn audit_not_sent(
        &mut self,
        busy: super::Busy,
        why: &str,
    ) -> Option<super::Command> {
        let pending = self.audit_pending.remove(&busy)?;
        let record = AuditRecord::new(
            self,
            pending.request,
            Some(pending.checklist),
            AuditResult::Refused,
            pending.overridden,
            Some(why.to_string()),
        );
        self.push_log(self.now, super::LogLevel::Info, record.summary());
        Some(super::Command::Audit(Box::new(record)))
    }

    /// The audit line of one manual heartbeat (a key press, or one insert
    /// of headless `heartbeat`). Not repeated in the event log: its
    /// "heartbeat N as SITE inserted into database d" line is that entry.
    /// The lag meter's probes are not audited one by one (see README).
    pub fn audit_heartbeat(
        &self,
        site: crate::backend::Site,
        outcome: &Result<(crate::backend::DbSide, crate::backend::HeartbeatRow), BackendError>,
    ) -> super::Command {
        let (result, message) = AuditRecord::sent(outcome, false);
        let message = match outcome {
            Ok((db, row)) => Some(format!("inserted heartbeat {} into database {db}", row.id)),
            Err(_) => message,
        };
        let mut record = AuditRecord::new(
            self,
            format!("heartbeat as {site}"),
            None,
            result,
            false,
            message,
        );
        record.time = self.now;
        super::Command::Audit(Box::new(record))
    }

    /// The audit line of a sent action, now that its answer came.
    pub(super) fn audit_answered<T>(
        &mut self,
        busy: super::Busy,
        outcome: &Result<T, BackendError>,
    ) -> Option<super::Command> {
        let pending = self.audit_pending.remove(&busy)?;
        let (result, message) = AuditRecord::sent(outcome, pending.overridden);
        let record = AuditRecord::new(
            self,
            pending.request,
            Some(pending.checklist),
            result,
            pending.overridden,
            message,
        );
        self.push_log(self.now, super::LogLevel::Info, record.summary());
        Some(super::Command::Audit(Box::new(record)))
    }
}
