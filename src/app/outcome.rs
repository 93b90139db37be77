//! The words for a change whose outcome is unknown (its call timed out
//! after it was sent) and for what reading it back found. One formatter
//! for the TUI's event log and the headless commands, so both say the
//! same thing: never "failed" when the change may have landed, and always
//! what is true now.

use crate::backend::ops::{Mutation, Reread};
use crate::backend::{BackendError, DatabaseRef, PerDb, routing};
use crate::format;

/// "flip of SITEA to database b: outcome unknown: …; reading back …".
pub fn unknown(mutation: &Mutation, error: &BackendError) -> String {
    format!(
        "{}: outcome unknown: {error}; reading back what is now true",
        mutation.describe()
    )
}

/// The read-back itself failed: the outcome stays unknown.
pub fn reread_failed(mutation: &Mutation, error: &BackendError) -> String {
    format!(
        "{}: the outcome is still unknown, reading it back failed: {error}; refresh (r) or check by hand before repeating it",
        mutation.describe()
    )
}

/// What the read-back after an unknown outcome says is now true.
pub fn now_true(mutation: &Mutation, found: &Reread, databases: &PerDb<DatabaseRef>) -> String {
    let what = mutation.describe();
    match (mutation, found) {
        (Mutation::Start(role, _) | Mutation::Stop(role), Reread::Task(task)) => format!(
            "{what}: read back: the {role} task is now {}",
            format::status_label(&task.status)
        ),
        (Mutation::Flip(site, to), Reread::AppMap(items)) => {
            match routing::item_for(items, *site) {
                Err(e) => format!("{what}: read back: {e}"),
                Ok(item) => match routing::database_of(item, databases) {
                    Some(db) if db == *to => format!(
                        "{what}: read back: it took effect, {site} now writes to {}",
                        format::db_long(&databases[db])
                    ),
                    Some(db) => format!(
                        "{what}: read back: it did not take effect, {site} still writes to {}",
                        format::db_long(&databases[db])
                    ),
                    None => format!(
                        "{what}: read back: {site} now points at {}, which is neither configured database",
                        item.describe()
                    ),
                },
            }
        }
        (Mutation::Heartbeat(site), Reread::Heartbeats(rows)) => {
            let newest = crate::backend::DbSide::ALL
                .into_iter()
                .flat_map(|db| rows[db].iter().map(move |r| (db, r)))
                .filter(|(_, r)| r.site.trim_end() == site.as_str())
                .max_by_key(|(_, r)| r.at);
            match newest {
                Some((db, row)) => format!(
                    "{what}: read back: the newest {site} row is {} written at {} in database {db}",
                    row.id,
                    format::rfc3339(row.at)
                ),
                None => format!(
                    "{what}: read back: no {site} row among the latest rows of either database"
                ),
            }
        }
        (Mutation::ReloadTables(role, tables, option), Reread::Tables(of, stats)) if role == of => {
            let each: Vec<String> = tables
                .iter()
                .map(|t| {
                    match stats
                        .iter()
                        .find(|s| s.schema == t.schema && s.table == t.table)
                    {
                        None => format!("{t} is not in the task's table statistics"),
                        Some(s) => reloaded_table(s, *option),
                    }
                })
                .collect();
            format!("{what}: read back: {}", each.join("; "))
        }
        _ => format!("{what}: read back something else than asked for"),
    }
}

/// One reloaded table as its statistics now read: its state and what
/// tells whether DMS took the reload (the reload flag and the full load's
/// start, or the validation state).
fn reloaded_table(s: &crate::backend::TableStats, option: crate::backend::ReloadOption) -> String {
    let mut text = format!("{} is {}", format::table_name(s), s.state);
    match option {
        crate::backend::ReloadOption::DataReload => {
            if s.more.full_load_reloaded == Some(true) {
                text.push_str(", reloaded yes");
            }
            if let Some(at) = s.more.full_load_start {
                text.push_str(&format!(", full load started {}", format::rfc3339(at)));
            }
        }
        crate::backend::ReloadOption::ValidateOnly => {
            text.push_str(&format!(", validation {}", s.validation_state));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{
        AppMapItem, DbSide, Engine, HeartbeatRow, Site, StartType, TaskProgress, TaskRole,
        TaskSnapshot, TaskStatus,
    };
    use chrono::{TimeZone, Utc};

    fn dbs() -> PerDb<DatabaseRef> {
        PerDb::new(|side| DatabaseRef {
            side,
            engine: Engine::Postgresql,
            endpoint: "127.0.0.1".into(),
            port: 5432,
            dbname: format!("site_{side}"),
            username: "u".into(),
        })
    }

    #[test]
    fn a_reload_read_back_names_each_tables_state() {
        use crate::backend::{ReloadOption, TableRef, TableStats, TableStatsMore};
        let reload = Mutation::ReloadTables(
            TaskRole::Forward,
            vec![
                TableRef::parse("customer_orders.orders").unwrap(),
                TableRef::parse("customer_orders.gone").unwrap(),
            ],
            ReloadOption::DataReload,
        );
        let stats = vec![TableStats {
            schema: "customer_orders".into(),
            table: "orders".into(),
            state: "Table is being reloaded".into(),
            more: TableStatsMore {
                full_load_reloaded: Some(true),
                full_load_start: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 5).unwrap()),
                ..TableStatsMore::default()
            },
            ..TableStats::default()
        }];
        let text = now_true(&reload, &Reread::Tables(TaskRole::Forward, stats), &dbs());
        assert_eq!(
            text,
            "forward task: data-reload of customer_orders.orders, customer_orders.gone: read back: \
             customer_orders.orders is Table is being reloaded, reloaded yes, full load started 2026-01-01T00:00:05Z; \
             customer_orders.gone is not in the task's table statistics"
        );
        let unknown = unknown(
            &reload,
            &BackendError::OutcomeUnknown("no answer within 5s".into()),
        );
        assert!(unknown.contains("outcome unknown"), "{unknown}");
        assert!(!unknown.contains("failed"), "{unknown}");
    }

    #[test]
    fn unknown_is_never_failed() {
        let m = Mutation::Flip(Site::A, DbSide::B);
        let text = unknown(
            &m,
            &BackendError::OutcomeUnknown("no answer within 5s".into()),
        );
        assert_eq!(
            text,
            "flip of SITEA to database b: outcome unknown: no answer within 5s; reading back what is now true"
        );
        assert!(!text.contains("failed"));
    }

    #[test]
    fn the_read_back_says_what_is_now_true() {
        let dbs = dbs();
        let flip = Mutation::Flip(Site::A, DbSide::B);
        let took = now_true(
            &flip,
            &Reread::AppMap(vec![AppMapItem::new("SITEA", &dbs.b)]),
            &dbs,
        );
        assert!(
            took.ends_with(&format!(
                "it took effect, SITEA now writes to {}",
                format::db_long(&dbs.b)
            )),
            "{took}"
        );
        let not = now_true(
            &flip,
            &Reread::AppMap(vec![AppMapItem::new("SITEA", &dbs.a)]),
            &dbs,
        );
        assert!(
            not.contains(&format!(
                "did not take effect, SITEA still writes to {}",
                format::db_long(&dbs.a)
            )),
            "{not}"
        );

        let task = TaskSnapshot {
            role: TaskRole::Forward,
            id: "f".into(),
            arn: "arn".into(),
            status: TaskStatus::Running,
            migration_type: "cdc".into(),
            progress: TaskProgress::default(),
            stop_reason: None,
            last_failure: None,
            start_date: None,
            recovery_checkpoint: None,
            control_schema: None,
        };
        let start = Mutation::Start(TaskRole::Forward, StartType::ResumeProcessing);
        let text = now_true(&start, &Reread::Task(Box::new(task)), &dbs);
        assert!(
            text.starts_with("forward task: resume-processing: read back: the forward task is now"),
            "{text}"
        );
        assert!(text.contains("running"), "{text}");

        let at = |s| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, s).unwrap();
        let row = |id, site: &str, s| HeartbeatRow {
            id,
            at: at(s),
            site: site.into(),
        };
        let rows = PerDb {
            a: vec![row(3, "SITEB", 9), row(2, "SITEA", 5)],
            b: vec![row(1_000_000_001, "SITEA", 7)],
        };
        let text = now_true(
            &Mutation::Heartbeat(Site::A),
            &Reread::Heartbeats(rows),
            &dbs,
        );
        assert!(
            text.ends_with(
                "the newest SITEA row is 1000000001 written at 2026-01-01T00:00:07Z in database b"
            ),
            "{text}"
        );
        let none = now_true(
            &Mutation::Heartbeat(Site::B),
            &Reread::Heartbeats(PerDb {
                a: vec![],
                b: vec![],
            }),
            &dbs,
        );
        assert!(
            none.ends_with("no SITEB row among the latest rows of either database"),
            "{none}"
        );
    }
}
