//! The table list's order, totals and common schema, computed once per
//! snapshot, filter and sort instead of on every frame: a task of 10,000
//! tables then draws as fast as one of 10 (benches/render.rs). `update`
//! keeps the index in step; a list drawn from state the index has not seen
//! (tests that set a panel directly) is computed on the spot, so the
//! screen is never wrong, only slower.

use chrono::{DateTime, Utc};

use super::state::App;
use super::tables::{TableMark, TableSort, TableView, changes, matches_filter};
use crate::backend::{TableStats, TaskRole};
use crate::format;

/// What the index was computed from: a new snapshot (its fetch time and
/// length), another filter or another sort makes it stale.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    fetched_at: Option<DateTime<Utc>>,
    len: usize,
    filter: String,
    sort: TableSort,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableIndex {
    key: Option<Key>,
    /// Indices into the snapshot, filtered and in the list's order.
    order: Vec<usize>,
    totals: TableStats,
    common_schema: Option<String>,
}

/// One screen of the list: rows `start..start + len` of the order, how many
/// rows match the filter, their totals, and the schema every table of the
/// task shares (said once in the header), if any.
pub struct TableWindow<'a> {
    pub rows: Vec<&'a TableStats>,
    pub matching: usize,
    pub totals: TableStats,
    pub common_schema: Option<String>,
}

fn common_schema(tables: &[TableStats]) -> Option<String> {
    tables
        .first()
        .map(|t| t.schema.clone())
        .filter(|s| !s.is_empty() && tables.iter().all(|t| &t.schema == s))
}

fn key(app: &App, role: TaskRole) -> Key {
    let panel = &app.tables[role];
    Key {
        fetched_at: panel.fetched_at,
        len: panel.data.as_ref().map_or(0, Vec::len),
        filter: app.table_view.filter.clone(),
        sort: app.table_view.sort,
    }
}

fn build(tables: &[TableStats], view: &TableView) -> (Vec<usize>, TableStats) {
    let mut order: Vec<usize> = (0..tables.len())
        .filter(|&i| view.filter.is_empty() || matches_filter(&tables[i], &view.filter))
        .collect();
    // Each table's sort key built once (`cmp_by`'s order as a value), not
    // per comparison: a snapshot of 10,000 tables sorts in a few ms.
    order.sort_by_cached_key(|&i| {
        let t = &tables[i];
        let primary: i128 = match view.sort {
            TableSort::Name => 0,
            TableSort::Trouble => TableMark::of(t) as i128,
            TableSort::Changes => -i128::from(changes(t)),
            TableSort::LastUpdate => t.last_update.map_or(i128::MAX, |at| {
                -(i128::from(at.timestamp()) * 1_000_000_000
                    + i128::from(at.timestamp_subsec_nanos()))
            }),
        };
        (primary, format::table_name(t).to_lowercase())
    });
    let totals = format::totals(order.iter().map(|&i| &tables[i]));
    (order, totals)
}

impl App {
    /// Brings both tasks' indexes in step with the state; cheap when
    /// nothing they depend on changed.
    pub(super) fn index_tables(&mut self) {
        for role in TaskRole::ALL {
            let key = key(self, role);
            if self.table_index[role].key.as_ref() == Some(&key) {
                continue;
            }
            let tables = self.tables[role].data.as_deref().unwrap_or_default();
            let (order, totals) = build(tables, &self.table_view);
            self.table_index[role] = TableIndex {
                key: Some(key),
                order,
                totals,
                common_schema: common_schema(tables),
            };
        }
    }

    /// How many of `role`'s tables the filter lets through.
    pub fn matching_tables(&self, role: TaskRole) -> usize {
        let index = &self.table_index[role];
        if index.key.as_ref() == Some(&key(self, role)) {
            return index.order.len();
        }
        let tables = self.tables[role].data.as_deref().unwrap_or_default();
        let filter = &self.table_view.filter;
        tables
            .iter()
            .filter(|t| filter.is_empty() || matches_filter(t, filter))
            .count()
    }

    /// Rows `start..start + len` of `role`'s list as it is ordered.
    pub fn table_window(&self, role: TaskRole, start: usize, len: usize) -> TableWindow<'_> {
        let tables = self.tables[role].data.as_deref().unwrap_or_default();
        let index = &self.table_index[role];
        let fresh;
        let (order, totals, common) = if index.key.as_ref() == Some(&key(self, role)) {
            (&index.order, &index.totals, &index.common_schema)
        } else {
            let (order, totals) = build(tables, &self.table_view);
            fresh = (order, totals, common_schema(tables));
            (&fresh.0, &fresh.1, &fresh.2)
        };
        let start = start.min(order.len());
        let end = start.saturating_add(len).min(order.len());
        TableWindow {
            rows: order[start..end].iter().map(|&i| &tables[i]).collect(),
            matching: order.len(),
            totals: totals.clone(),
            common_schema: common.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tables::visible;
    use super::*;

    /// A window of the list is exactly that slice of the fully sorted list,
    /// for every sort, filter and window position; the totals cover every
    /// matching table, not only the window.
    #[test]
    fn a_window_is_the_same_rows_a_full_sort_puts_there() {
        let mut seed = 7u64;
        let mut next = move |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let states = ["Table completed", "Table error", "Full load", "Before load"];
        let tables: Vec<TableStats> = (0..300)
            .map(|i| TableStats {
                schema: ["Sales", "sales", "hr", ""][next(4) as usize].to_string(),
                table: format!("T{}", next(1000)) + if i % 2 == 0 { "_x" } else { "" },
                state: states[next(4) as usize].to_string(),
                inserts: next(5) as i64,
                last_update: chrono::DateTime::from_timestamp(next(20) as i64, 0),
                ..TableStats::default()
            })
            .collect();
        for sort in [
            TableSort::Name,
            TableSort::Trouble,
            TableSort::Changes,
            TableSort::LastUpdate,
        ] {
            for filter in ["", "t1", "sales.t"] {
                let view = TableView {
                    filter: filter.to_string(),
                    sort,
                    ..TableView::default()
                };
                let full = visible(&tables, &view);
                let mut app = App::new(
                    crate::backend::ModeInfo {
                        name: "LAB".into(),
                        description: String::new(),
                        read_only: false,
                    },
                    crate::lab::Lab::databases(),
                    Default::default(),
                    chrono::Utc::now(),
                );
                app.tables[TaskRole::Forward].set(app.now, Ok(tables.clone()));
                app.table_view = view.clone();
                let n = full.len();
                for indexed in [false, true] {
                    if indexed {
                        app.index_tables();
                    }
                    assert_eq!(app.matching_tables(TaskRole::Forward), n);
                    for (start, len) in [(0, 10), (5, 20), (0, 1000), (n - 3, 10), (1000, 5)] {
                        let w = app.table_window(TaskRole::Forward, start, len);
                        let end = (start + len).min(n);
                        let expected = &full[start.min(end)..end];
                        let what = format!("{sort:?} {filter:?} {start}+{len} indexed {indexed}");
                        assert_eq!(w.rows, expected, "{what}");
                        assert_eq!(w.matching, n, "{what}");
                        assert_eq!(w.totals, format::totals(full.iter().copied()), "{what}");
                    }
                }
            }
        }
    }
}
