//! Replication lag per direction, measured with heartbeats: pure
//! bookkeeping with no I/O and no clock of its own, shared by the TUI and
//! the headless `lag` and `status` commands.
//!
//! Why heartbeats: DMS reports no lag in its task calls, and CloudWatch's
//! `CDCLatencySource` is 0 both for a healthy idle source and a stuck one.
//! A row written into one database and watched for in the other is the only
//! measure that tells the two apart.
//!
//! Two bases:
//! * **heartbeats** (the cockpit writes): lag = first sight of the exact row
//!   (id, site, time) in the other database − the moment its insert
//!   returned, both on the cockpit's own clock, so database clocks that
//!   disagree do not matter. The resolution is the polling interval.
//! * **age** (read-only: the cockpit writes nothing): the age of the newest
//!   row that came from the source database and is visible in the target,
//!   now − its `last_update_dt`. That depends on the database's clock, and
//!   says so.
//!
//! A direction is the task that carries it: a→b is the forward task, b→a
//! the backward one.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::backend::{DbSide, HeartbeatRow, PerTask, TaskRole};

/// How lag is measured and judged: `[lag]` in the config, flags on `lag`
/// and `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LagSettings {
    /// How often a heartbeat is written as each site.
    pub every: Duration,
    /// How often the other database is looked at for written rows: the
    /// resolution of every figure.
    pub poll: Duration,
    /// A lag at or above this is `slow`.
    pub warn: Duration,
    /// A heartbeat missing this long makes its direction `not_replicating`.
    pub not_replicating: Duration,
    /// Automatic heartbeats run from the start (`[lag] every` was set).
    pub auto: bool,
}

impl Default for LagSettings {
    fn default() -> Self {
        LagSettings {
            every: Duration::from_secs(1),
            poll: Duration::from_millis(250),
            warn: Duration::from_secs(5),
            not_replicating: Duration::from_secs(30),
            auto: false,
        }
    }
}

/// What a direction's lag says, in the words `status --json` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LagState {
    Replicating,
    Slow,
    NotReplicating,
    Unknown,
}

impl LagState {
    pub fn as_str(self) -> &'static str {
        match self {
            LagState::Replicating => "replicating",
            LagState::Slow => "slow",
            LagState::NotReplicating => "not_replicating",
            LagState::Unknown => "unknown",
        }
    }

    /// Text and mark for screens: never colour alone.
    pub fn label(self) -> &'static str {
        match self {
            LagState::Replicating => "✓ replicating",
            LagState::Slow => "⚠ slow",
            LagState::NotReplicating => "✖ not replicating",
            LagState::Unknown => "? unknown",
        }
    }
}

/// How a figure was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LagBasis {
    /// Written by the cockpit, seen by the cockpit: its own clock.
    Heartbeats,
    /// Others' heartbeats, now − `last_update_dt`: the database's clock.
    Age,
}

impl LagBasis {
    pub fn describe(self) -> &'static str {
        match self {
            LagBasis::Heartbeats => "heartbeats written and seen by the cockpit (its own clock)",
            LagBasis::Age => {
                "read-only: age of others' heartbeats (now − last_update_dt, depends on the database clock)"
            }
        }
    }
}

/// One measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// When it was taken (first sight, or the read that gave the age).
    pub at: DateTime<Utc>,
    pub lag_ms: i64,
}

/// A heartbeat written and not yet seen in the other database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outstanding {
    pub row: HeartbeatRow,
    /// When its insert returned, on the cockpit's clock.
    pub written_at: DateTime<Utc>,
}

/// One direction's measurements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirectionLag {
    /// Oldest first.
    pub outstanding: VecDeque<Outstanding>,
    /// The last 15 minutes of samples, oldest first.
    pub samples: VecDeque<Sample>,
}

/// min/avg/max over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Window {
    pub min_ms: Option<i64>,
    pub avg_ms: Option<i64>,
    pub max_ms: Option<i64>,
    pub samples: usize,
}

/// The windows, by their JSON names.
pub const WINDOWS: [(&str, Duration); 3] = [
    ("1m", Duration::from_secs(60)),
    ("5m", Duration::from_secs(300)),
    ("15m", Duration::from_secs(900)),
];

/// Most heartbeats kept outstanding per direction: a direction that is down
/// for long keeps its oldest (which says how long) and its newest.
const MAX_OUTSTANDING: usize = 2_000;

/// Everything about one direction at one moment: `status --json`'s
/// `lag.a_to_b` / `lag.b_to_a`, the TUI panel and the `lag` command.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectionReport {
    pub state: LagState,
    pub last_ms: Option<i64>,
    pub resolution_ms: i64,
    pub missing_for_ms: Option<i64>,
    pub basis: LagBasis,
    pub windows: BTreeMap<&'static str, Window>,
}

/// Both directions' lag, fed with what the cockpit wrote and saw.
#[derive(Debug, Clone, PartialEq)]
pub struct LagTracker {
    pub settings: LagSettings,
    pub basis: LagBasis,
    pub per: PerTask<DirectionLag>,
}

/// The direction a row written into `db` travels: the task whose source
/// `db` is.
pub fn direction_from(db: DbSide) -> TaskRole {
    match db {
        DbSide::A => TaskRole::Forward,
        DbSide::B => TaskRole::Backward,
    }
}

/// `a_to_b` / `b_to_a`: a direction's name in JSON and text.
pub fn direction_name(role: TaskRole) -> &'static str {
    match role {
        TaskRole::Forward => "a_to_b",
        TaskRole::Backward => "b_to_a",
    }
}

/// `a→b` / `b→a`, for screens.
pub fn direction_arrow(role: TaskRole) -> &'static str {
    match role {
        TaskRole::Forward => "a→b",
        TaskRole::Backward => "b→a",
    }
}

fn ms(d: chrono::TimeDelta) -> i64 {
    d.num_milliseconds().max(0)
}

fn std_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Whether two reads of a heartbeat are the same row: same id, same site,
/// same `last_update_dt` at the precision both sides keep (a database may
/// keep micro- or milliseconds, so the coarser one is compared).
pub fn same_row(x: &HeartbeatRow, y: &HeartbeatRow) -> bool {
    x.id == y.id && x.site == y.site && x.at.timestamp_millis() == y.at.timestamp_millis()
}

impl LagTracker {
    pub fn new(settings: LagSettings, basis: LagBasis) -> LagTracker {
        LagTracker {
            settings,
            basis,
            per: PerTask::default(),
        }
    }

    /// A heartbeat `row` was inserted into `db`; its insert returned at `at`.
    pub fn written(&mut self, db: DbSide, row: HeartbeatRow, at: DateTime<Utc>) {
        let dir = &mut self.per[direction_from(db)];
        if dir.outstanding.len() >= MAX_OUTSTANDING {
            dir.outstanding.remove(1);
        }
        dir.outstanding.push_back(Outstanding {
            row,
            written_at: at,
        });
    }

    /// The ids to look for in `target` (heartbeats written into the other
    /// database and not seen yet).
    pub fn wanted(&self, target: DbSide) -> Vec<i64> {
        self.per[direction_from(target.other())]
            .outstanding
            .iter()
            .map(|o| o.row.id)
            .collect()
    }

    /// `rows` were read from `target` at `at`: every outstanding heartbeat
    /// among them (the exact row) becomes a sample. Returns the new samples.
    pub fn seen(&mut self, target: DbSide, rows: &[HeartbeatRow], at: DateTime<Utc>) -> Vec<i64> {
        let dir = &mut self.per[direction_from(target.other())];
        let mut found = Vec::new();
        dir.outstanding.retain(|o| {
            if rows.iter().any(|r| same_row(r, &o.row)) {
                found.push(ms(at - o.written_at));
                false
            } else {
                true
            }
        });
        for lag_ms in &found {
            dir.samples.push_back(Sample {
                at,
                lag_ms: *lag_ms,
            });
        }
        Self::prune(dir, at);
        found
    }

    /// Read-only basis: `rows` were read from `target` at `at`; the newest
    /// row whose id belongs to the source database's sequence range is
    /// replicated from there, and its age is a sample.
    pub fn aged(
        &mut self,
        target: DbSide,
        rows: &[HeartbeatRow],
        source_owns: impl Fn(i64) -> bool,
        at: DateTime<Utc>,
    ) -> Option<i64> {
        let newest = rows
            .iter()
            .filter(|r| source_owns(r.id))
            .max_by_key(|r| r.at)?;
        let lag_ms = ms(at - newest.at);
        let dir = &mut self.per[direction_from(target.other())];
        dir.samples.push_back(Sample { at, lag_ms });
        Self::prune(dir, at);
        Some(lag_ms)
    }

    fn prune(dir: &mut DirectionLag, now: DateTime<Utc>) {
        let horizon = now - chrono::TimeDelta::seconds(900);
        while dir.samples.front().is_some_and(|s| s.at < horizon) {
            dir.samples.pop_front();
        }
    }

    /// How long the oldest unseen heartbeat of `role` has been missing.
    pub fn missing_for(&self, role: TaskRole, now: DateTime<Utc>) -> Option<Duration> {
        self.per[role]
            .outstanding
            .front()
            .map(|o| Duration::from_millis(ms(now - o.written_at) as u64))
    }

    pub fn last(&self, role: TaskRole) -> Option<Sample> {
        self.per[role].samples.back().copied()
    }

    /// The state of `role` at `now`: not replicating once a heartbeat has
    /// been missing past the threshold; slow when the last lag (or a
    /// missing heartbeat) reaches `warn`; unknown when nothing recent was
    /// measured.
    pub fn state(&self, role: TaskRole, now: DateTime<Utc>) -> LagState {
        let s = &self.settings;
        let missing = self.missing_for(role, now);
        if missing.is_some_and(|m| m >= s.not_replicating) {
            return LagState::NotReplicating;
        }
        let recent = self
            .last(role)
            .filter(|l| (now - l.at).to_std().unwrap_or_default() < s.not_replicating);
        if self.basis == LagBasis::Age
            && let Some(l) = recent
        {
            // An age keeps growing while nothing arrives: judge it as
            // measured plus the time since.
            let age = l.lag_ms + ms(now - l.at);
            return judge(age, s);
        }
        match (recent, missing) {
            (_, Some(m)) if m >= s.warn => LagState::Slow,
            (Some(l), _) => judge(l.lag_ms, s),
            (None, _) => LagState::Unknown,
        }
    }

    /// min/avg/max of the samples taken within `window` before `now`.
    pub fn window(&self, role: TaskRole, now: DateTime<Utc>, window: Duration) -> Window {
        let from = now - chrono::TimeDelta::from_std(window).unwrap_or(chrono::TimeDelta::MAX);
        let lags: Vec<i64> = self.per[role]
            .samples
            .iter()
            .filter(|s| s.at >= from && s.at <= now)
            .map(|s| s.lag_ms)
            .collect();
        if lags.is_empty() {
            return Window::default();
        }
        let sum: i64 = lags.iter().sum();
        Window {
            min_ms: lags.iter().min().copied(),
            max_ms: lags.iter().max().copied(),
            avg_ms: Some(sum / lags.len() as i64),
            samples: lags.len(),
        }
    }

    /// The last `n` samples' lags, oldest first: the sparkline.
    pub fn recent(&self, role: TaskRole, n: usize) -> Vec<u64> {
        let samples = &self.per[role].samples;
        samples
            .iter()
            .skip(samples.len().saturating_sub(n))
            .map(|s| s.lag_ms as u64)
            .collect()
    }

    pub fn report(&self, role: TaskRole, now: DateTime<Utc>) -> DirectionReport {
        DirectionReport {
            state: self.state(role, now),
            last_ms: self.last(role).map(|s| s.lag_ms),
            resolution_ms: std_ms(self.settings.poll),
            missing_for_ms: self.missing_for(role, now).map(std_ms),
            basis: self.basis,
            windows: WINDOWS
                .iter()
                .map(|(name, d)| (*name, self.window(role, now, *d)))
                .collect(),
        }
    }
}

fn judge(lag_ms: i64, s: &LagSettings) -> LagState {
    if lag_ms >= std_ms(s.not_replicating) {
        LagState::NotReplicating
    } else if lag_ms >= std_ms(s.warn) {
        LagState::Slow
    } else {
        LagState::Replicating
    }
}

/// Whether `id` falls in `db`'s heartbeat sequence range, given where each
/// database's sequence starts: the range runs from its start up to the
/// other's start when that is higher, else without end.
pub fn owns(starts: &crate::backend::PerDb<i64>, db: DbSide, id: i64) -> bool {
    let own = starts[db];
    let other = starts[db.other()];
    id >= own && (other <= own || id < other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_800_000_000_000 + ms).unwrap()
    }

    fn row(id: i64, site: &str, at: DateTime<Utc>) -> HeartbeatRow {
        HeartbeatRow {
            id,
            at,
            site: site.into(),
        }
    }

    fn tracker() -> LagTracker {
        LagTracker::new(LagSettings::default(), LagBasis::Heartbeats)
    }

    #[test]
    fn lag_is_first_sight_minus_write_on_the_cockpits_clock() {
        let mut l = tracker();
        // The database's own clock is an hour off: it must not matter.
        let r = row(7, "SITEA", t(0) + chrono::TimeDelta::hours(1));
        l.written(DbSide::A, r.clone(), t(0));
        assert_eq!(l.wanted(DbSide::B), vec![7]);
        assert!(l.wanted(DbSide::A).is_empty());
        assert!(l.seen(DbSide::B, &[], t(1000)).is_empty());
        assert_eq!(l.seen(DbSide::B, &[r], t(2100)), vec![2100]);
        assert_eq!(l.last(TaskRole::Forward).unwrap().lag_ms, 2100);
        assert!(
            l.wanted(DbSide::B).is_empty(),
            "seen rows are no longer looked for"
        );
        assert_eq!(l.last(TaskRole::Backward), None);
    }

    #[test]
    fn only_the_exact_row_counts() {
        let mut l = tracker();
        let r = row(7, "SITEA", t(0));
        l.written(DbSide::A, r.clone(), t(0));
        let other_site = row(7, "SITEB", t(0));
        let other_time = row(7, "SITEA", t(5));
        assert!(
            l.seen(DbSide::B, &[other_site, other_time], t(100))
                .is_empty()
        );
        // Microseconds a database does not keep do not make it another row.
        let coarser = row(7, "SITEA", t(0) + chrono::TimeDelta::microseconds(300));
        assert_eq!(l.seen(DbSide::B, &[coarser], t(200)), vec![200]);
    }

    #[test]
    fn states_follow_the_thresholds() {
        let mut l = tracker();
        assert_eq!(l.state(TaskRole::Forward, t(0)), LagState::Unknown);
        let r = row(1, "SITEA", t(0));
        l.written(DbSide::A, r.clone(), t(0));
        l.seen(DbSide::B, std::slice::from_ref(&r), t(400));
        assert_eq!(l.state(TaskRole::Forward, t(500)), LagState::Replicating);
        let r2 = row(2, "SITEA", t(1000));
        l.written(DbSide::A, r2.clone(), t(1000));
        l.seen(DbSide::B, std::slice::from_ref(&r2), t(7000));
        assert_eq!(l.state(TaskRole::Forward, t(7000)), LagState::Slow);
        // A heartbeat that stays away: slow at warn, not replicating at 30 s.
        l.written(DbSide::A, row(3, "SITEA", t(8000)), t(8000));
        assert_eq!(l.state(TaskRole::Forward, t(9000)), LagState::Slow);
        assert_eq!(
            l.missing_for(TaskRole::Forward, t(38_000)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            l.state(TaskRole::Forward, t(38_000)),
            LagState::NotReplicating
        );
        // Once it arrives the direction is judged by its lag again.
        l.seen(DbSide::B, &[row(3, "SITEA", t(8000))], t(38_500));
        assert_eq!(l.missing_for(TaskRole::Forward, t(38_500)), None);
        assert_eq!(
            l.state(TaskRole::Forward, t(38_500)),
            LagState::NotReplicating
        );
        let r4 = row(4, "SITEA", t(39_000));
        l.written(DbSide::A, r4.clone(), t(39_000));
        l.seen(DbSide::B, &[r4], t(39_300));
        assert_eq!(l.state(TaskRole::Forward, t(39_300)), LagState::Replicating);
        // Nothing measured for longer than the threshold: unknown.
        assert_eq!(l.state(TaskRole::Forward, t(80_000)), LagState::Unknown);
    }

    #[test]
    fn windows_keep_min_avg_max_and_counts() {
        let mut l = tracker();
        for (i, (at_s, lag)) in [(0, 100), (400, 300), (800, 200)].iter().enumerate() {
            let written = t(at_s * 1000);
            let r = row(i as i64, "SITEB", written);
            l.written(DbSide::B, r.clone(), written);
            l.seen(
                DbSide::A,
                &[r],
                written + chrono::TimeDelta::milliseconds(*lag),
            );
        }
        let now = t(800_500);
        let w1 = l.window(TaskRole::Backward, now, Duration::from_secs(60));
        assert_eq!(
            (w1.min_ms, w1.max_ms, w1.samples),
            (Some(200), Some(200), 1)
        );
        let w5 = l.window(TaskRole::Backward, now, Duration::from_secs(300));
        assert_eq!(w5.samples, 1);
        let w15 = l.window(TaskRole::Backward, now, Duration::from_secs(900));
        assert_eq!(
            (w15.min_ms, w15.avg_ms, w15.max_ms, w15.samples),
            (Some(100), Some(200), Some(300), 3)
        );
        let report = l.report(TaskRole::Backward, now);
        assert_eq!(report.windows["15m"].samples, 3);
        assert_eq!(report.resolution_ms, 250);
        assert_eq!(l.recent(TaskRole::Backward, 2), vec![300, 200]);
        assert_eq!(
            l.report(TaskRole::Forward, now).windows["1m"],
            Window::default()
        );
    }

    #[test]
    fn age_uses_rows_from_the_source_range_and_grows() {
        let starts = crate::backend::PerDb {
            a: 1,
            b: 1_000_000_000,
        };
        assert!(owns(&starts, DbSide::A, 5));
        assert!(!owns(&starts, DbSide::A, 1_000_000_001));
        assert!(owns(&starts, DbSide::B, 1_000_000_001));
        let mut l = LagTracker::new(LagSettings::default(), LagBasis::Age);
        let rows = [
            row(1_000_000_005, "SITEB", t(9000)),
            row(3, "SITEA", t(1000)),
        ];
        let got = l.aged(DbSide::B, &rows, |id| owns(&starts, DbSide::A, id), t(2000));
        assert_eq!(got, Some(1000));
        assert_eq!(l.state(TaskRole::Forward, t(2000)), LagState::Replicating);
        assert_eq!(l.state(TaskRole::Forward, t(7000)), LagState::Slow);
        assert_eq!(l.state(TaskRole::Backward, t(2000)), LagState::Unknown);
    }
}
