//! What the headless `flip`, `task start` and `task stop` share with the
//! TUI's confirmations: the live state the checklist is computed from
//! (one poll of every panel, writing nothing), printing the checklist, and the rule that a failed check is
//! refused unless `--force`, while `--yes` confirms only a passing list.

use std::time::Duration;

use chrono::Utc;

use super::confirm::confirm;
use super::connect::Connected;
use super::{Failure, status};
use crate::app::App;
use crate::app::audit::{AuditRecord, AuditResult};
use crate::app::checklist::Checklist;

/// The app state a checklist is computed from: every panel polled once.
/// Nothing is written: a refused action must change nothing, so the lag
/// checks rest on the age of the newest heartbeat each database received
/// from the other (by the database clock), as `status` reports it. Run
/// `dms-cockpit lag` (or the TUI with `h`) alongside to keep them fresh.
pub async fn live_app(connected: &Connected) -> App {
    let mut app = status::poll_once(connected, connected.settings.heartbeat_rows.max(50)).await;
    app.now = Utc::now();
    app
}

/// How the operator answered a checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Every check passed and the action was confirmed.
    Confirmed,
    /// A check failed and `--force` overrode it (and it was confirmed).
    Forced,
}

/// Prints `list`; refuses a failed check without `force`; then asks
/// `question` (or takes `--yes`).
pub fn decide(
    list: &Checklist,
    question: &str,
    yes: bool,
    force: bool,
) -> Result<Decision, Failure> {
    super::output::say_raw(list.text())?;
    let failed = list.failed();
    if !failed.is_empty() && !force {
        let texts: Vec<&str> = failed.iter().map(|i| i.text.as_str()).collect();
        return Err(Failure::Failed(format!(
            "refused to {}: {} check(s) failed ({}); nothing was changed. Fix them, or pass --force to go ahead anyway",
            list.action,
            failed.len(),
            texts.join("; ")
        ).into()));
    }
    if !confirm(question, yes)? {
        return Err(Failure::Failed("cancelled: nothing was changed".into()));
    }
    Ok(if failed.is_empty() {
        Decision::Confirmed
    } else {
        eprintln!(
            "warning: going ahead with {} failed check(s) because of --force",
            failed.len()
        );
        Decision::Forced
    })
}

/// How often `--wait` looks at the task.
pub const WAIT_POLL: Duration = Duration::from_secs(1);

/// Records the headless commands' actions in the audit log; a line that
/// cannot be written is reported on stderr and in the log file.
pub struct Audit<'a> {
    log: &'a crate::audit::AuditLog,
}

impl<'a> Audit<'a> {
    pub fn new(connected: &'a Connected) -> Audit<'a> {
        Audit {
            log: &connected.audit,
        }
    }

    fn write(&self, record: AuditRecord) {
        if let Err(e) = self.log.append(&record) {
            tracing::error!("{e}");
            eprintln!("warning: {e}");
        }
    }

    /// Refused before any state was read (read-only mode).
    pub fn refused(
        &self,
        connected: &Connected,
        request: &str,
        list: Option<&Checklist>,
        why: &str,
    ) {
        let app = App::new(
            connected.backends.mode.clone(),
            connected.backends.databases.clone(),
            connected.settings.clone(),
            Utc::now(),
        );
        self.refused_app(&app, request, list, why);
    }

    pub fn refused_app(&self, app: &App, request: &str, list: Option<&Checklist>, why: &str) {
        self.write(AuditRecord::new(
            app,
            request,
            list.cloned(),
            AuditResult::Refused,
            false,
            Some(why.to_string()),
        ));
    }

    /// One headless heartbeat insert, as the TUI audits a key press
    /// (`App::audit_heartbeat`); `app` only supplies mode and identity.
    pub fn heartbeat(
        &self,
        app: &mut App,
        site: crate::backend::Site,
        outcome: &Result<
            (crate::backend::DbSide, crate::backend::HeartbeatRow),
            crate::backend::BackendError,
        >,
    ) {
        app.now = Utc::now();
        if let crate::app::Command::Audit(record) = app.audit_heartbeat(site, outcome) {
            self.write(*record);
        }
    }

    /// A change sent without a checklist (a table reload: typing the name
    /// is its confirmation), with what came back.
    pub fn sent_unchecked(
        &self,
        connected: &Connected,
        request: &str,
        outcome: &Result<(), crate::backend::BackendError>,
    ) {
        let app = App::new(
            connected.backends.mode.clone(),
            connected.backends.databases.clone(),
            connected.settings.clone(),
            Utc::now(),
        );
        let (result, message) = AuditRecord::sent(outcome, false);
        self.write(AuditRecord::new(
            &app, request, None, result, false, message,
        ));
    }

    /// An action that was sent, with what came back.
    pub fn outcome<T>(
        &self,
        app: &App,
        request: &str,
        list: &Checklist,
        forced: bool,
        outcome: &Result<T, crate::backend::BackendError>,
    ) {
        let (result, message) = AuditRecord::sent(outcome, forced);
        let mut record =
            AuditRecord::new(app, request, Some(list.clone()), result, forced, message);
        record.time = Utc::now();
        self.write(record);
    }
}
