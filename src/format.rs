//! Text for people, shared by the TUI and the headless `status` command so
//! both say the same thing the same way. Plain strings only: no ratatui
//! types, so a shell script's output and the screen cannot drift apart.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::app::LogLevel;
use crate::backend::{DatabaseRef, DbSide, HeartbeatRow, TableStats, TaskProgress, TaskStatus};

/// What a panel shows while its first fetch is in flight.
pub const LOADING: &str = "… loading";
/// What stands for a value that is not there (never started, no reason).
pub const NONE: &str = "—";
/// Marks data whose last fetch failed (drawn without its healthy colour).
pub const STALE: &str = "⚠ stale";

/// How a task status reads at a glance; the ui picks a colour from it, but
/// the symbol and the word always carry the meaning on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    /// Replicating.
    Running,
    /// Not replicating, and nothing is wrong (stopped, ready, creating).
    Idle,
    /// On its way somewhere (starting, stopping, modifying, deleting).
    Changing,
    Failed,
    /// A status this build does not know.
    Unknown,
}

pub fn status_kind(status: &TaskStatus) -> StatusKind {
    match status {
        TaskStatus::Running => StatusKind::Running,
        TaskStatus::Stopped | TaskStatus::Ready | TaskStatus::Creating => StatusKind::Idle,
        TaskStatus::Starting
        | TaskStatus::Stopping
        | TaskStatus::Modifying
        | TaskStatus::Deleting => StatusKind::Changing,
        TaskStatus::Failed => StatusKind::Failed,
        TaskStatus::Other(_) => StatusKind::Unknown,
    }
}

pub fn status_symbol(status: &TaskStatus) -> &'static str {
    match status {
        TaskStatus::Running => "●",
        TaskStatus::Stopped => "■",
        TaskStatus::Ready | TaskStatus::Creating => "○",
        TaskStatus::Starting
        | TaskStatus::Stopping
        | TaskStatus::Modifying
        | TaskStatus::Deleting => "◌",
        TaskStatus::Failed => "✖",
        TaskStatus::Other(_) => "?",
    }
}

/// `● running`, `■ stopped`, `✖ failed`, `◌ starting`…
pub fn status_label(status: &TaskStatus) -> String {
    format!("{} {}", status_symbol(status), status.as_str())
}

/// A span of time in its largest sensible unit: `3s`, `2m`, `5h`, `4d`.
/// Negative spans (a clock ahead of ours) read as their absolute value.
pub fn duration_short(span: chrono::Duration) -> String {
    let secs = span.num_seconds().unsigned_abs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => format!("{}h", secs / 3_600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// A lag figure: `340 ms` below a second, `2.03 s` from there, `4m 05s`
/// from a minute.
pub fn lag_ms(ms: i64) -> String {
    let ms = ms.max(0);
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.2} s", ms as f64 / 1000.0),
        _ => format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// How long ago `then` was, seen from `now`: `3s ago`, `2m ago`. A time in
/// the future (clock skew between us and a peer) says so instead of lying.
pub fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let span = now - then;
    if span < chrono::Duration::zero() {
        format!("in {}", duration_short(span))
    } else {
        format!("{} ago", duration_short(span))
    }
}

/// `HH:MM:SS`, UTC.
pub fn hms(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

/// `YYYY-MM-DD HH:MM:SS`, UTC.
pub fn date_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// RFC 3339 with whole seconds and `Z`, for machine-readable output.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `HH:MM:SS` when `t` is on the same UTC day as `now`, else the date too,
/// so an old stop time is never mistaken for today's.
pub fn short_time(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    if now.date_naive() == t.date_naive() {
        hms(t)
    } else {
        t.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// [`short_time`] or `—` when there is no time.
pub fn opt_time(now: DateTime<Utc>, t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| NONE.to_string(), |t| short_time(now, t))
}

/// `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `full load 75%` (or `full load —` when DMS gave no percentage).
pub fn full_load(progress: &TaskProgress) -> String {
    match progress.full_load_percent {
        Some(p) => format!("full load {p}%"),
        None => format!("full load {NONE}"),
    }
}

/// `3 loaded 1 loading 0 queued 0 errored`.
pub fn tables_progress(progress: &TaskProgress) -> String {
    format!(
        "{} loaded {} loading {} queued {} errored",
        progress.tables_loaded,
        progress.tables_loading,
        progress.tables_queued,
        progress.tables_errored
    )
}

/// `full load 75% · 3 loaded 1 loading 0 queued 0 errored`.
pub fn progress(progress: &TaskProgress) -> String {
    format!("{} · {}", full_load(progress), tables_progress(progress))
}

/// The sum of every counter over `tables`, as one row named `total`; its
/// last update is the newest of theirs.
pub fn totals<'a>(tables: impl IntoIterator<Item = &'a TableStats>) -> TableStats {
    let mut sum = TableStats {
        table: "total".to_string(),
        ..TableStats::default()
    };
    for t in tables {
        sum.full_load_rows += t.full_load_rows;
        sum.inserts += t.inserts;
        sum.updates += t.updates;
        sum.deletes += t.deletes;
        sum.ddls += t.ddls;
        sum.errors += t.errors;
        sum.last_update = sum.last_update.max(t.last_update);
    }
    sum
}

/// `schema.table`, or just the table when there is no schema.
pub fn table_name(t: &TableStats) -> String {
    if t.schema.is_empty() {
        t.table.clone()
    } else {
        format!("{}.{}", t.schema, t.table)
    }
}

/// `db a`.
pub fn db_label(db: DbSide) -> String {
    format!("db {db}")
}

/// `db a (oracle host:1521/ORCL)`.
pub fn db_long(db: &DatabaseRef) -> String {
    format!(
        "{} ({} {})",
        db_label(db.side),
        db.engine.as_str(),
        db.address()
    )
}

/// Which configured database an appmap item points at, in words.
pub fn matches_label(db: Option<DbSide>) -> String {
    match db {
        Some(db) => db_label(db),
        None => "⚠ matches neither".to_string(),
    }
}

/// The mark on a heartbeat row already present in the other database.
pub const REPLICATED: &str = "⇄ replicated";
/// The same mark where the column is too narrow for the word.
pub const REPLICATED_SHORT: &str = "⇄ yes";

/// One heartbeat row as a line of text: `1000042  2025-06-01T12:00:03Z
/// SITEA  ⇄ replicated`. `replicated` is `None` when the other database's
/// rows are not known, so nothing can be said either way.
pub fn heartbeat_line(row: &HeartbeatRow, replicated: Option<bool>) -> String {
    let mark = match replicated {
        Some(true) => REPLICATED,
        Some(false) => "",
        None => "?",
    };
    format!(
        "{:>10}  {}  {:<5}  {mark}",
        row.id,
        rfc3339(row.at),
        row.site
    )
    .trim_end()
    .to_string()
}

/// "AWS account 123456789012 · arn:aws:iam::…" or why it is unknown;
/// `None` where there is no AWS (the lab). The header and `status` say it.
pub fn identity(app: &crate::app::App) -> Option<String> {
    if !app.identity_wanted {
        return None;
    }
    Some(match (&app.identity.data, &app.identity.error) {
        (Some(i), _) => format!("AWS account {} · {}", i.account, i.arn),
        (None, Some(e)) => format!("AWS account unknown: {e}"),
        (None, None) => "AWS account …".to_string(),
    })
}

/// The symbol for an event-log level: never colour alone.
pub fn log_symbol(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Info => "•",
        LogLevel::Success => "✓",
        LogLevel::Error => "✖",
    }
}

/// One short line on a task's validation failures (total, per type, per
/// table), or `None` when nothing failed: shared by `status` and the TUI.
pub fn validation_line(v: &crate::backend::validation::ValidationSummary) -> Option<String> {
    let total = v.total();
    if total == 0 {
        return None;
    }
    let mut per_type: std::collections::BTreeMap<&str, i64> = Default::default();
    for kinds in v.counts.values() {
        for (kind, n) in kinds {
            *per_type.entry(kind.as_str()).or_default() += n;
        }
    }
    let types: Vec<String> = per_type.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let tables: Vec<&str> = v.counts.keys().map(String::as_str).collect();
    Some(format!(
        "✖ validation failures: {} ({}) in {}",
        thousands(total),
        types.join(", "),
        tables.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, h, m, s).unwrap()
    }

    fn stats(name: &str, n: i64, at: Option<DateTime<Utc>>) -> TableStats {
        TableStats {
            schema: "customer_orders".into(),
            table: name.into(),
            state: "Table completed".into(),
            full_load_rows: n,
            inserts: n * 2,
            updates: n * 3,
            deletes: 1,
            ddls: 0,
            errors: 2,
            validation_state: "Not enabled".into(),
            last_update: at,
            more: Default::default(),
        }
    }

    #[test]
    fn status_labels_carry_a_symbol_and_the_word() {
        assert_eq!(status_label(&TaskStatus::Running), "● running");
        assert_eq!(status_label(&TaskStatus::Stopped), "■ stopped");
        assert_eq!(status_label(&TaskStatus::Failed), "✖ failed");
        assert_eq!(status_label(&TaskStatus::Starting), "◌ starting");
        assert_eq!(status_label(&TaskStatus::Other("odd".into())), "? odd");
        assert_eq!(status_kind(&TaskStatus::Failed), StatusKind::Failed);
        assert_eq!(status_kind(&TaskStatus::Stopping), StatusKind::Changing);
    }

    #[test]
    fn ages_use_the_largest_unit() {
        let now = t(12, 0, 0);
        assert_eq!(age(now, now), "0s ago");
        assert_eq!(age(now, t(11, 59, 57)), "3s ago");
        assert_eq!(age(now, t(11, 58, 0)), "2m ago");
        assert_eq!(age(now, t(9, 0, 0)), "3h ago");
        assert_eq!(age(now, now - chrono::Duration::days(4)), "4d ago");
        assert_eq!(age(now, t(12, 0, 5)), "in 5s");
    }

    #[test]
    fn times_are_utc() {
        assert_eq!(hms(t(9, 5, 7)), "09:05:07");
        assert_eq!(rfc3339(t(9, 5, 7)), "2025-06-01T09:05:07Z");
        assert_eq!(date_time(t(9, 5, 7)), "2025-06-01 09:05:07");
        assert_eq!(short_time(t(23, 0, 0), t(9, 5, 7)), "09:05:07");
        let yesterday = t(9, 5, 7) - chrono::Duration::days(1);
        assert_eq!(short_time(t(9, 0, 0), yesterday), "2025-05-31 09:05");
        assert_eq!(opt_time(t(9, 0, 0), None), "—");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-12_345), "-12,345");
    }

    #[test]
    fn progress_text() {
        let p = TaskProgress {
            full_load_percent: Some(75),
            tables_loaded: 3,
            tables_loading: 1,
            ..TaskProgress::default()
        };
        assert_eq!(
            progress(&p),
            "full load 75% · 3 loaded 1 loading 0 queued 0 errored"
        );
        let none = TaskProgress::default();
        assert_eq!(full_load(&none), "full load —");
    }

    #[test]
    fn totals_sum_every_counter_and_keep_the_newest_update() {
        let rows = [
            stats("orders", 100, Some(t(12, 0, 1))),
            stats("customers", 20, Some(t(12, 0, 9))),
            stats("items", 3, None),
        ];
        let sum = totals(&rows);
        assert_eq!(sum.table, "total");
        assert_eq!(sum.full_load_rows, 123);
        assert_eq!(sum.inserts, 246);
        assert_eq!(sum.updates, 369);
        assert_eq!(sum.deletes, 3);
        assert_eq!(sum.errors, 6);
        assert_eq!(sum.last_update, Some(t(12, 0, 9)));
        assert_eq!(totals(&[]).inserts, 0);
        assert_eq!(table_name(&rows[0]), "customer_orders.orders");
    }

    #[test]
    fn heartbeat_lines_mark_replication() {
        let row = HeartbeatRow {
            id: 1_000_042,
            at: t(12, 0, 3),
            site: "SITEA".into(),
        };
        assert_eq!(
            heartbeat_line(&row, Some(true)),
            "   1000042  2025-06-01T12:00:03Z  SITEA  ⇄ replicated"
        );
        assert_eq!(
            heartbeat_line(&row, Some(false)),
            "   1000042  2025-06-01T12:00:03Z  SITEA"
        );
        assert!(heartbeat_line(&row, None).ends_with('?'));
    }

    #[test]
    fn database_words() {
        assert_eq!(matches_label(Some(DbSide::B)), "db b");
        assert_eq!(matches_label(None), "⚠ matches neither");
        let db = DatabaseRef {
            side: DbSide::A,
            engine: crate::backend::Engine::Oracle,
            endpoint: "ora.example".into(),
            port: 1521,
            dbname: "ORCL".into(),
            username: "scott".into(),
        };
        assert_eq!(db_long(&db), "db a (oracle ora.example:1521/ORCL)");
    }
}
