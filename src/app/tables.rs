//! A task's table list as the operator works with it when one table goes
//! wrong: filtered by name (`/`), sorted (`o`: name, trouble first, most
//! changes, last update), a cursor on one row, and the full detail of that
//! row (Enter). Pure: the ui draws from these functions and copy reads the
//! same text, so what is copied is what the screen says.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::state::{App, Focus, Popup};
use super::{Action, Command};
use crate::backend::validation::FailuresOf;
use crate::backend::{PerTask, TableStats, TaskRole};
use crate::format;

/// The orders `o` cycles through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TableSort {
    /// `schema.table`, A to Z.
    #[default]
    Name,
    /// Errored first, then suspended, then validation failures, then
    /// tables still loading, then the rest; by name within each.
    Trouble,
    /// Most captured changes (inserts + updates + deletes + DDLs) first.
    Changes,
    /// Most recently updated first; never-updated last.
    LastUpdate,
}

impl TableSort {
    pub fn next(self) -> TableSort {
        match self {
            TableSort::Name => TableSort::Trouble,
            TableSort::Trouble => TableSort::Changes,
            TableSort::Changes => TableSort::LastUpdate,
            TableSort::LastUpdate => TableSort::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TableSort::Name => "name",
            TableSort::Trouble => "errors first",
            TableSort::Changes => "most changes",
            TableSort::LastUpdate => "last update",
        }
    }
}

/// How the table list is narrowed and ordered; the same for both tasks,
/// so switching tasks keeps what the operator is looking for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableView {
    /// See [`matches_filter`]; empty shows all.
    pub filter: String,
    pub sort: TableSort,
    /// Tables marked (Space) for one reload of them all, per task.
    pub marked: BTreeSet<TableKey>,
}

/// Which table a detail view shows. Looked up afresh in every refresh, so
/// the detail follows the live statistics.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableKey {
    pub role: TaskRole,
    pub schema: String,
    pub table: String,
}

impl TableKey {
    pub fn of(role: TaskRole, t: &TableStats) -> TableKey {
        TableKey {
            role,
            schema: t.schema.clone(),
            table: t.table.clone(),
        }
    }

    pub fn matches(&self, t: &TableStats) -> bool {
        t.schema == self.schema && t.table == self.table
    }

    /// `schema.table`.
    pub fn name(&self) -> String {
        if self.schema.is_empty() {
            self.table.clone()
        } else {
            format!("{}.{}", self.schema, self.table)
        }
    }
}

/// What is wrong with a table, if anything, as a mark that reads without
/// colour. Ordered from worst to fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableMark {
    /// `Table error`, a validation `Error`/`Table error`, or rows that
    /// failed during the full load.
    Error,
    /// Validation suspended records (`Suspended records`).
    Suspended,
    /// Records failed validation (`Mismatched records`).
    Mismatched,
    /// Not done yet: before load, loading, being reloaded.
    Loading,
    Fine,
}

impl TableMark {
    pub fn of(t: &TableStats) -> TableMark {
        // Case-insensitive without allocating: sorting by trouble calls
        // this for every comparison.
        let has = |hay: &str, needle: &str| {
            hay.as_bytes()
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        };
        let (state, validation) = (t.state.as_str(), t.validation_state.as_str());
        if has(state, "error") || has(validation, "error") || t.errors > 0 {
            TableMark::Error
        } else if has(validation, "suspended") || t.more.validation_suspended_records > 0 {
            TableMark::Suspended
        } else if has(validation, "mismatched") || t.more.validation_failed_records > 0 {
            TableMark::Mismatched
        } else if has(state, "before load") || has(state, "full load") || has(state, "reload") {
            TableMark::Loading
        } else {
            TableMark::Fine
        }
    }

    /// One cell wide, never colour alone: `✖` error, `‖` suspended, `≠`
    /// failed validation, `…` loading, blank when fine.
    pub fn symbol(self) -> &'static str {
        match self {
            TableMark::Error => "✖",
            TableMark::Suspended => "‖",
            TableMark::Mismatched => "≠",
            TableMark::Loading => "…",
            TableMark::Fine => " ",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            TableMark::Error => "error",
            TableMark::Suspended => "validation suspended",
            TableMark::Mismatched => "validation failed",
            TableMark::Loading => "loading",
            TableMark::Fine => "ok",
        }
    }

    /// Error, suspended and mismatched: what the ui paints as trouble.
    pub fn is_trouble(self) -> bool {
        self <= TableMark::Mismatched
    }
}

/// Captured changes of a table: inserts + updates + deletes + DDLs.
pub fn changes(t: &TableStats) -> i64 {
    t.inserts + t.updates + t.deletes + t.ddls
}

/// Whether `t` matches `filter`: a case-insensitive part of the table's
/// name, or of `schema.table` when the filter has a dot (a bare word would
/// otherwise match every table of a schema named like it).
pub fn matches_filter(t: &TableStats, filter: &str) -> bool {
    let needle = filter.to_lowercase();
    let hay = if needle.contains('.') {
        format::table_name(t)
    } else {
        t.table.clone()
    };
    hay.to_lowercase().contains(&needle)
}

/// `schema.table` compared case-insensitively without building it: the
/// same order as comparing `format::table_name(t).to_lowercase()`.
fn cmp_name(a: &TableStats, b: &TableStats) -> Ordering {
    fn chars(t: &TableStats) -> impl Iterator<Item = char> + '_ {
        let dot = (!t.schema.is_empty()).then_some('.');
        t.schema
            .chars()
            .chain(dot)
            .chain(t.table.chars())
            .flat_map(char::to_lowercase)
    }
    chars(a).cmp(chars(b))
}

/// The order of `sort`, ties broken by name: a total order, so a window
/// of it is the same rows a full sort would put there.
pub(super) fn cmp_by(sort: TableSort) -> impl Fn(&&TableStats, &&TableStats) -> Ordering {
    move |a, b| {
        let first = match sort {
            TableSort::Name => Ordering::Equal,
            TableSort::Trouble => TableMark::of(a).cmp(&TableMark::of(b)),
            TableSort::Changes => changes(b).cmp(&changes(a)),
            TableSort::LastUpdate => b.last_update.cmp(&a.last_update),
        };
        first.then_with(|| cmp_name(a, b))
    }
}

pub(super) fn filtered<'a>(tables: &'a [TableStats], view: &TableView) -> Vec<&'a TableStats> {
    if view.filter.is_empty() {
        return tables.iter().collect();
    }
    tables
        .iter()
        .filter(|t| matches_filter(t, &view.filter))
        .collect()
}

/// `tables` narrowed by `view.filter` and ordered by `view.sort`.
pub fn visible<'a>(tables: &'a [TableStats], view: &TableView) -> Vec<&'a TableStats> {
    let mut shown = filtered(tables, view);
    shown.sort_by(cmp_by(view.sort));
    shown
}

impl App {
    /// The selected task's tables as the list shows them.
    pub fn visible_tables(&self, role: TaskRole) -> Vec<&TableStats> {
        match &self.tables[role].data {
            Some(tables) => visible(tables, &self.table_view),
            None => Vec::new(),
        }
    }

    /// The row under the cursor of `role`'s list.
    pub fn cursor_table(&self, role: TaskRole) -> Option<&TableStats> {
        let at = self.scroll.tasks[role].min(self.matching_tables(role).saturating_sub(1));
        self.table_window(role, at, 1).rows.first().copied()
    }

    /// The table a detail view names, in the latest statistics.
    pub fn table_of(&self, key: &TableKey) -> Option<&TableStats> {
        self.tables[key.role]
            .data
            .as_ref()?
            .iter()
            .find(|t| key.matches(t))
    }

    /// The detail open, if any.
    pub fn detail_key(&self) -> Option<&TableKey> {
        match &self.popup {
            Some(Popup::TableDetail(key)) => Some(key),
            _ => None,
        }
    }
}

impl App {
    /// The marked tables of `role`'s task, in name order.
    pub fn marked_tables(&self, role: TaskRole) -> Vec<&TableKey> {
        self.table_view
            .marked
            .iter()
            .filter(|k| k.role == role)
            .collect()
    }

    /// Space: marks the table under the cursor, or unmarks it.
    fn toggle_mark(&mut self) {
        let role = self.selected;
        let Some(key) = self.cursor_table(role).map(|t| TableKey::of(role, t)) else {
            self.log_error(format!(
                "no table to mark: the {role} task shows no table statistics (or none matches the filter)"
            ));
            return;
        };
        if !self.table_view.marked.remove(&key) {
            self.table_view.marked.insert(key);
        }
    }

    /// The filter, sort and detail keys; `None` for every other action.
    pub(super) fn on_table_action(&mut self, action: Action) -> Option<Vec<Command>> {
        // The reload-target prompt takes the task id typed (its own input).
        if matches!(
            self.popup,
            Some(Popup::Confirm(super::state::Pending::Reload(_)))
        ) {
            return None;
        }
        let editing = self.popup == Some(Popup::Filter);
        match action {
            Action::Type(c) if !editing => {
                let _ = self.type_reload_name(|typed| typed.push(c));
            }
            Action::Backspace if !editing => {
                let _ = self.type_reload_name(|typed| {
                    typed.pop();
                });
            }
            Action::Submit if !editing => return Some(self.submit_reload_name()),
            Action::ReloadTable(option)
                if matches!(self.popup, None | Some(Popup::TableDetail(_))) =>
            {
                self.ask_reload(option);
            }
            Action::FilterStart if self.popup.is_none() => {
                self.focus = Focus::Tasks;
                self.popup = Some(Popup::Filter);
            }
            Action::Type(c) if editing => {
                self.table_view.filter.push(c);
                self.scroll.tasks = PerTask::default();
            }
            Action::Backspace if editing => {
                self.table_view.filter.pop();
                self.scroll.tasks = PerTask::default();
            }
            Action::Submit if editing => self.popup = None,
            Action::FilterClear if editing => {
                self.table_view.filter.clear();
                self.scroll.tasks = PerTask::default();
                self.popup = None;
            }
            Action::ToggleMark if self.popup.is_none() => self.toggle_mark(),
            Action::CycleSort if self.popup.is_none() => {
                self.table_view.sort = self.table_view.sort.next();
                self.scroll.tasks = PerTask::default();
            }
            Action::OpenTableDetail if self.popup.is_none() => {
                let role = self.selected;
                match self.cursor_table(role).map(|t| TableKey::of(role, t)) {
                    Some(key) => {
                        self.popup = Some(Popup::TableDetail(key));
                        // The detail shows the table's validation failures:
                        // read them afresh now (each refresh reads them
                        // again with the task).
                        if let Some(of) = self.tasks[role].data.as_ref().map(FailuresOf::task)
                            && !self.validation[role].loading
                        {
                            self.validation[role].loading = true;
                            return Some(vec![Command::FetchValidation(role, of)]);
                        }
                    }
                    None if !self.table_view.filter.is_empty() => self.log_error(format!(
                        "no table of the {role} task matches the filter `{}`: press / and Esc to clear it",
                        self.table_view.filter
                    )),
                    None => self.log_error(format!(
                        "the {role} task has no table statistics yet: wait for the next refresh (r)"
                    )),
                }
            }
            Action::FilterStart
            | Action::Type(_)
            | Action::Backspace
            | Action::Submit
            | Action::FilterClear
            | Action::CycleSort
            | Action::OpenTableDetail
            | Action::ToggleMark
            | Action::ReloadTable(_) => {}
            _ => return None,
        }
        Some(Vec::new())
    }
}

/// The table's DMS validation failures as lines for the detail: a count
/// per failure type, then the newest failing keys of this table among the
/// task's latest failures; `None` while they were never read.
pub fn validation_lines(app: &super::App, key: &TableKey) -> Option<Vec<String>> {
    let panel = &app.validation[key.role];
    if let Some(e) = &panel.error {
        return Some(vec![format!("✖ could not be read: {e}")]);
    }
    let v = panel.data.as_ref()?;
    if let Some(why) = &v.unavailable {
        return Some(vec![why.clone()]);
    }
    let Some(kinds) = v.counts.get(&key.name()) else {
        return Some(vec!["none".to_string()]);
    };
    let mut lines: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    for f in v
        .latest
        .iter()
        .filter(|f| f.schema == key.schema && f.table == key.table)
    {
        lines.push(format!(
            "{} {} {} {}",
            crate::format::rfc3339(f.at),
            f.failure_type,
            f.key_type,
            f.key
        ));
    }
    Some(lines)
}

/// Every statistic of one table as (label, value) lines: what the detail
/// view draws and what `y` copies from it.
pub fn detail_rows(t: &TableStats, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
    let m = &t.more;
    let opt = |v: Option<i64>| v.map_or_else(|| format::NONE.to_string(), format::thousands);
    let when = |v: Option<DateTime<Utc>>| match v {
        Some(at) => format!("{} ({})", format::date_time(at), format::age(now, at)),
        None => format::NONE.to_string(),
    };
    let mark = TableMark::of(t);
    vec![
        (
            "state",
            format!("{} {} ({})", mark.symbol(), t.state, mark.word())
                .trim_start()
                .to_string(),
        ),
        ("last update", when(t.last_update)),
        (
            "full load",
            format!(
                "{} rows · {} error rows · {} failed the condition check",
                format::thousands(t.full_load_rows),
                format::thousands(t.errors),
                format::thousands(m.full_load_condtnl_chk_failed_rows)
            ),
        ),
        ("full load start", when(m.full_load_start)),
        ("full load end", when(m.full_load_end)),
        (
            "reloaded",
            match m.full_load_reloaded {
                Some(true) => "yes: loaded again by a table reload".to_string(),
                Some(false) => "no: loaded by the task's full load".to_string(),
                None => format::NONE.to_string(),
            },
        ),
        (
            "changes captured",
            format!(
                "{} inserts · {} updates · {} deletes · {} DDLs",
                format::thousands(t.inserts),
                format::thousands(t.updates),
                format::thousands(t.deletes),
                format::thousands(t.ddls)
            ),
        ),
        (
            "changes applied",
            format!(
                "{} inserts · {} updates · {} deletes · {} DDLs",
                opt(m.applied_inserts),
                opt(m.applied_updates),
                opt(m.applied_deletes),
                opt(m.applied_ddls)
            ),
        ),
        ("validation", t.validation_state.clone()),
        (
            "validation records",
            format!(
                "{} pending · {} failed · {} suspended",
                format::thousands(m.validation_pending_records),
                format::thousands(m.validation_failed_records),
                format::thousands(m.validation_suspended_records)
            ),
        ),
        (
            "validation details",
            m.validation_state_details
                .clone()
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| format::NONE.to_string()),
        ),
        (
            "resync",
            format!(
                "{} · {} attempted · {} succeeded · {} failed · {}",
                m.resync_state.as_deref().unwrap_or(format::NONE),
                opt(m.resync_rows_attempted),
                opt(m.resync_rows_succeeded),
                opt(m.resync_rows_failed),
                m.resync_progress
                    .map_or_else(|| format!("{} %", format::NONE), |p| format!("{p:.1} %"))
            ),
        ),
    ]
}

/// The detail as plain text, in the order the detail view draws it: one
/// `label: value` a line, then the table's validation failures (the lines
/// of [`validation_lines`], when they were read) and what the lab
/// simulates. What `y` copies.
pub fn detail_text(
    key: &TableKey,
    t: &TableStats,
    now: DateTime<Utc>,
    validation: Option<&[String]>,
) -> String {
    let mut out = format!("{} ({} task)\n", key.name(), key.role);
    for (label, value) in detail_rows(t, now) {
        out.push_str(&format!("{label}: {value}\n"));
    }
    if let Some(lines) = validation {
        out.push_str("validation failures:\n");
        for line in lines {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if let Some(note) = &t.more.simulated {
        out.push_str(note);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, state: &str) -> TableStats {
        TableStats {
            schema: "app".into(),
            table: name.into(),
            state: state.into(),
            validation_state: "Not enabled".into(),
            ..TableStats::default()
        }
    }

    #[test]
    fn marks_tell_error_from_suspended_from_mismatched_without_colour() {
        assert_eq!(TableMark::of(&t("a", "Table error")), TableMark::Error);
        let mut rows = t("a", "Table completed");
        rows.errors = 1;
        assert_eq!(TableMark::of(&rows), TableMark::Error);
        let mut s = t("a", "Table completed");
        s.validation_state = "Suspended records".into();
        assert_eq!(TableMark::of(&s), TableMark::Suspended);
        let mut m = t("a", "Table completed");
        m.more.validation_failed_records = 2;
        assert_eq!(TableMark::of(&m), TableMark::Mismatched);
        assert_eq!(TableMark::of(&t("a", "Full load")), TableMark::Loading);
        assert_eq!(TableMark::of(&t("a", "Table completed")), TableMark::Fine);
        let symbols: Vec<_> = [
            TableMark::Error,
            TableMark::Suspended,
            TableMark::Mismatched,
            TableMark::Loading,
        ]
        .iter()
        .map(|m| m.symbol())
        .collect();
        assert_eq!(symbols, ["✖", "‖", "≠", "…"]);
    }

    #[test]
    fn filter_matches_the_table_name_or_schema_dot_table_with_a_dot() {
        let tables = vec![t("Orders", "x"), t("customers", "x"), t("order_lines", "x")];
        let schema_word = TableView {
            filter: "app".into(),
            sort: TableSort::Name,
            ..TableView::default()
        };
        assert!(
            visible(&tables, &schema_word).is_empty(),
            "not every table of schema app"
        );
        let view = TableView {
            filter: "ORDER".into(),
            sort: TableSort::Name,
            ..TableView::default()
        };
        let names: Vec<_> = visible(&tables, &view).iter().map(|t| &t.table).collect();
        assert_eq!(names, ["order_lines", "Orders"], "by name, ignoring case");
        let by_schema = TableView {
            filter: "app.cust".into(),
            sort: TableSort::Name,
            ..TableView::default()
        };
        assert_eq!(visible(&tables, &by_schema).len(), 1);
    }
}
