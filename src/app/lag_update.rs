//! How `App::update` runs the lag meter: on each lag tick it sends a round
//! of heartbeats when one is due and looks for the unseen ones in the other
//! database; results become samples. Kept apart from `update.rs` so the
//! lag logic reads in one place.

use chrono::{DateTime, Utc};

use super::lag::{LagBasis, LagState, Measured, direction_arrow, owns};
use super::state::{App, LogLevel};
use super::{Command, guard};
use crate::backend::{BackendError, DbSide, HeartbeatRow, Site, TaskRole};

impl App {
    /// `h`: automatic heartbeats on or off (refused in read-only mode,
    /// which measures others' heartbeats by age instead).
    pub(super) fn toggle_lag(&mut self) -> Vec<Command> {
        if let Err(e) = guard::check_writable(&self.mode, "write automatic heartbeats") {
            self.push_log(
                self.now,
                LogLevel::Error,
                format!("{e} (read-only lag is measured by age of others' heartbeats)"),
            );
            return vec![];
        }
        self.lag.auto = !self.lag.auto;
        let s = self.lag.tracker.settings;
        let text = if self.lag.auto {
            format!(
                "automatic heartbeats on: as SITEA and SITEB every {}, looked for every {}",
                humantime::format_duration(s.every),
                humantime::format_duration(s.poll)
            )
        } else {
            "automatic heartbeats off".to_string()
        };
        self.push_log(self.now, LogLevel::Info, text);
        if self.lag.auto {
            self.lag.last_round = None;
            return self.lag_tick();
        }
        vec![]
    }

    /// The lag clock: a round of heartbeats when due, a look for every
    /// unseen one, and a log line when a direction stops replicating.
    pub(super) fn lag_tick(&mut self) -> Vec<Command> {
        let now = self.now;
        let mut commands = Vec::new();
        self.lag.measured.clear();
        if self.lag.auto && !self.mode.read_only {
            let every = chrono::TimeDelta::from_std(self.lag.tracker.settings.every)
                .unwrap_or(chrono::TimeDelta::MAX);
            let due = self.lag.last_round.is_none_or(|last| now - last >= every);
            if due {
                self.lag.last_round = Some(now);
                for site in Site::ALL {
                    if self.lag.writing.insert(site) {
                        commands.push(Command::LagWrite(site));
                    }
                }
            }
        }
        for db in DbSide::ALL {
            let ids = self.lag.tracker.wanted(db);
            if !ids.is_empty() && self.lag.looking.insert(db) {
                commands.push(Command::LagLook(db, ids));
            }
        }
        self.report_lag_changes();
        commands
    }

    pub(super) fn lag_written(
        &mut self,
        site: Site,
        result: Result<(DbSide, HeartbeatRow, DateTime<Utc>), BackendError>,
    ) {
        self.lag.writing.remove(&site);
        match result {
            Ok((db, row, at)) => self.lag.tracker.written(db, row, at),
            Err(e) => self.lag_error(format!("automatic heartbeat as {site} failed: {e}")),
        }
    }

    pub(super) fn lag_seen(
        &mut self,
        db: DbSide,
        result: Result<(Vec<HeartbeatRow>, DateTime<Utc>), BackendError>,
    ) {
        self.lag.looking.remove(&db);
        match result {
            Ok((rows, at)) => {
                let direction = super::lag::direction_from(db.other());
                let before: Vec<(i64, String)> = self.lag.tracker.per[direction]
                    .outstanding
                    .iter()
                    .map(|o| (o.row.id, o.row.site.clone()))
                    .collect();
                self.lag.tracker.seen(db, &rows, at);
                let after = &self.lag.tracker.per[direction].outstanding;
                let samples = &self.lag.tracker.per[direction].samples;
                let gone: Vec<&(i64, String)> = before
                    .iter()
                    .filter(|(id, _)| !after.iter().any(|o| o.row.id == *id))
                    .collect();
                // The samples just added are the last `gone.len()`, in order.
                let fresh = samples
                    .iter()
                    .skip(samples.len().saturating_sub(gone.len()));
                for ((id, site), sample) in gone.into_iter().zip(fresh) {
                    self.lag.measured.push(Measured {
                        direction,
                        lag_ms: sample.lag_ms,
                        heartbeat_id: Some(*id),
                        site: Some(site.clone()),
                        at,
                    });
                }
                if self.lag.last_error.is_some() && !rows.is_empty() {
                    self.lag.last_error = None;
                }
            }
            Err(e) => self.lag_error(format!(
                "looking for heartbeats in database {db} failed: {e}"
            )),
        }
        self.report_lag_changes();
    }

    /// Read-only lag: the age of the newest row from the other database's
    /// sequence range among rows just read from `db`.
    pub(super) fn lag_age(&mut self, db: DbSide, rows: &[HeartbeatRow]) {
        if self.lag.tracker.basis != LagBasis::Age {
            return;
        }
        let starts = self.settings.seq_starts.clone();
        let source = db.other();
        if let Some(lag_ms) =
            self.lag
                .tracker
                .aged(db, rows, |id| owns(&starts, source, id), self.now)
        {
            self.lag.measured.push(Measured {
                direction: super::lag::direction_from(source),
                lag_ms,
                heartbeat_id: None,
                site: None,
                at: self.now,
            });
        }
    }

    fn lag_error(&mut self, text: String) {
        if self.lag.last_error.as_deref() != Some(text.as_str()) {
            self.push_log(self.now, LogLevel::Error, text.clone());
            self.lag.last_error = Some(text);
        }
    }

    /// Logs once when a direction turns not replicating, and once when it
    /// recovers.
    fn report_lag_changes(&mut self) {
        let now = self.now;
        for role in TaskRole::ALL {
            let down = self.lag.tracker.state(role, now) == LagState::NotReplicating;
            let missing = self.lag.tracker.missing_for(role, now);
            if down && self.lag.reported_down.insert(role) {
                let how_long = missing
                    .map(|m| {
                        format!(
                            ": a heartbeat has been missing for {}",
                            crate::format::lag_ms(m.as_millis() as i64)
                        )
                    })
                    .unwrap_or_default();
                self.push_log(
                    now,
                    LogLevel::Error,
                    format!("{} not replicating{how_long}", direction_arrow(role)),
                );
            } else if !down && self.lag.reported_down.remove(&role) {
                self.push_log(
                    now,
                    LogLevel::Success,
                    format!("{} replicating again", direction_arrow(role)),
                );
            }
        }
    }
}
