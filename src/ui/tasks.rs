//! Both DMS tasks: a summary of each (status, migration type, full-load
//! progress, times, stop reason, last failure, the panel's own error) and
//! the per-table statistics with a totals row. Narrow screens show both
//! summaries and the selected task's table full width; from
//! [`super::WIDE`] columns on, each task gets a column with its own table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, LineGauge, Paragraph, Row, Table};

use super::{Theme, WIDE, is_focused, notice_height, notice_lines, panel_block, wrap_error};
use crate::app::{App, Focus, Popup, TableMark, TableSort};
use crate::backend::{TableStats, TaskRole, TaskSnapshot};
use crate::format;

/// Width of the full-load gauge at the end of a summary's first line.
const GAUGE_WIDTH: u16 = 14;
/// Width of the data age before the gauge.
const AGE_WIDTH: u16 = 8;
/// Table rows a task panel keeps room for, scrolling the rest.
const MIN_TABLE_ROWS: u16 = 3;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let wide = area.width >= WIDE;
    let selected = app.selected;
    let mut title = vec![Span::styled("DMS tasks", theme.title)];
    if !wide {
        title.push(Span::raw(" · tables of "));
        title.push(Span::styled(
            format!("{} {}", key_of(selected), selected),
            theme.selected,
        ));
    }
    title.push(Span::styled(" · 1/2 selects", theme.dim));
    let view = &app.table_view;
    if app.popup == Some(Popup::Filter) {
        title.push(Span::raw(" · "));
        title.push(Span::styled(format!("/{}▏", view.filter), theme.key));
    } else if !view.filter.is_empty() {
        title.push(Span::raw(format!(" · /{}", view.filter)));
    }
    if view.sort != TableSort::Name {
        title.push(Span::raw(format!(" · sort: {}", view.sort.label())));
    }
    let block = panel_block(title, is_focused(app, Focus::Tasks), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if wide {
        let columns = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
            .spacing(2)
            .split(inner);
        // Both summaries take the taller one's height so the two tables'
        // headers line up.
        let summary_h = TaskRole::ALL
            .iter()
            .map(|role| summary_height(app, *role, columns[0].width))
            .max()
            .unwrap_or(0)
            .min(inner.height);
        for (role, column) in TaskRole::ALL.into_iter().zip(columns.iter()) {
            let [summary, table] =
                Layout::vertical([Constraint::Length(summary_h), Constraint::Fill(1)])
                    .areas(*column);
            draw_summary(frame, summary, app, role, theme);
            draw_table(frame, table, app, role, theme);
        }
    } else {
        let heights: Vec<u16> = TaskRole::ALL
            .iter()
            .map(|role| summary_height(app, *role, inner.width))
            .collect();
        let [fwd, bwd, table] = Layout::vertical([
            Constraint::Length(heights[0]),
            Constraint::Length(heights[1]),
            Constraint::Fill(1),
        ])
        .areas(inner);
        draw_summary(frame, fwd, app, TaskRole::Forward, theme);
        draw_summary(frame, bwd, app, TaskRole::Backward, theme);
        draw_table(frame, table, app, selected, theme);
    }
}

/// The least height that shows both summaries and a few table rows.
pub fn min_height(app: &App, width: u16) -> u16 {
    height_for(app, width, MIN_TABLE_ROWS)
}

/// The height that shows every table row.
pub fn wanted_height(app: &App, width: u16) -> u16 {
    let rows = |role: TaskRole| app.tables[role].data.as_ref().map_or(0, |t| t.len() as u16);
    let most = if width >= WIDE {
        rows(TaskRole::Forward).max(rows(TaskRole::Backward))
    } else {
        rows(app.selected)
    };
    height_for(app, width, most.max(MIN_TABLE_ROWS))
}

fn height_for(app: &App, width: u16, table_rows: u16) -> u16 {
    // Title rule, then the summaries, then header + rows + totals.
    if width >= WIDE {
        let column = width.saturating_sub(2) / 2;
        let summary = TaskRole::ALL
            .iter()
            .map(|r| summary_height(app, *r, column))
            .max()
            .unwrap_or(0);
        1 + summary + 2 + table_rows
    } else {
        let summaries: u16 = TaskRole::ALL
            .iter()
            .map(|r| summary_height(app, *r, width))
            .sum();
        1 + summaries + 2 + table_rows
    }
}

fn summary_height(app: &App, role: TaskRole, width: u16) -> u16 {
    let panel = &app.tasks[role];
    let notices = notice_height(panel, app, width.saturating_sub(2));
    match &panel.data {
        Some(task) => 2 + stop_lines(task, width).len() as u16 + notices,
        None => 1 + notices,
    }
}

/// The stop reason and the last failure message, wrapped to `width`; the and the last failure message; the
/// failure wraps over up to three lines, as it is what says what to fix.
fn stop_lines(task: &TaskSnapshot, width: u16) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(reason) = &task.stop_reason {
        parts.push(format!("stop reason {reason}"));
    }
    if let Some(failure) = &task.last_failure {
        parts.push(format!("✖ last failure: {failure}"));
    }
    if parts.is_empty() {
        return Vec::new();
    }
    wrap_error(&parts.join(" · "), usize::from(width.saturating_sub(3)), 3)
}

/// A stop that was not the operator's choice, or any failure message.
fn is_trouble(task: &TaskSnapshot) -> bool {
    task.last_failure.is_some()
        || task
            .stop_reason
            .as_deref()
            .is_some_and(|r| r.contains("ERROR"))
}

fn key_of(role: TaskRole) -> &'static str {
    match role {
        TaskRole::Forward => "1",
        TaskRole::Backward => "2",
    }
}

fn draw_summary(frame: &mut Frame, area: Rect, app: &App, role: TaskRole, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let panel = &app.tasks[role];
    let selected = app.selected == role;

    let mut first = vec![
        if selected {
            Span::styled("» ", theme.selected)
        } else {
            Span::raw("  ")
        },
        Span::styled(
            format!("{} {}", key_of(role), role),
            if selected {
                theme.selected
            } else {
                theme.title
            },
        ),
        Span::raw(" "),
    ];
    let mut lines = Vec::new();
    match &panel.data {
        Some(task) => {
            let kind = format::status_kind(&task.status);
            first.push(Span::raw(format!("{} ", task.id)));
            if panel.is_stale() {
                // The last describe failed: what came before is no longer
                // known to be true, so it loses its symbol and colour.
                first.push(Span::styled(format::STALE, theme.warn));
                first.push(Span::styled(format!(": was {}", task.status), theme.stale));
            } else {
                first.push(Span::styled(
                    format::status_label(&task.status),
                    theme.status(kind),
                ));
            }
            first.push(Span::styled(
                format!(" {} ", task.migration_type),
                theme.dim,
            ));
            first.push(Span::styled(
                format!("{}→{}", role.source(), role.target()),
                theme.dim,
            ));
            let p = &task.progress;
            lines.push(Line::from(vec![
                Span::raw("   "),
                Span::raw(format::tables_progress(p)),
                Span::styled(" · ", theme.dim),
                Span::raw(format!(
                    "started {}",
                    format::opt_time(app.now, p.start_date.or(task.start_date))
                )),
                Span::styled(" · ", theme.dim),
                Span::raw(format!(
                    "stopped {}",
                    format::opt_time(app.now, p.stop_date)
                )),
            ]));
            let stop_style = if is_trouble(task) {
                theme.error
            } else {
                Default::default()
            };
            for line in stop_lines(task, area.width) {
                lines.push(Line::from(vec![
                    Span::raw("   "),
                    Span::styled(line, stop_style),
                ]));
            }
        }
        None => {
            first.push(Span::styled(
                format!("{}→{}", role.source(), role.target()),
                theme.dim,
            ));
        }
    }
    for notice in notice_lines(panel, app, theme, area.width.saturating_sub(3)) {
        let mut spans = vec![Span::raw("   ")];
        spans.extend(notice.spans.into_iter().map(|s| s.style(notice.style)));
        lines.push(Line::from(spans));
    }

    let [first_row, rest] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let [text, age, _, gauge] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(AGE_WIDTH),
        Constraint::Length(1),
        Constraint::Length(GAUGE_WIDTH),
    ])
    .areas(first_row);
    frame.render_widget(Paragraph::new(Line::from(first)), text);
    if let Some(at) = panel.fetched_at {
        frame.render_widget(
            Paragraph::new(
                Line::styled(
                    format::age(app.now, at),
                    if panel.is_stale() {
                        theme.warn
                    } else {
                        theme.dim
                    },
                )
                .right_aligned(),
            ),
            age,
        );
    }
    if let Some(task) = &panel.data {
        let stale = panel.is_stale();
        let percent = task.progress.full_load_percent;
        let ratio = f64::from(percent.unwrap_or(0).clamp(0, 100)) / 100.0;
        let label = match percent {
            Some(p) => format!("{p:>3}%"),
            None => format!("  {}%", format::NONE),
        };
        frame.render_widget(
            LineGauge::default()
                .ratio(ratio)
                .label(label)
                .filled_symbol("█")
                .unfilled_symbol("░")
                .filled_style(if stale {
                    theme.stale
                } else {
                    theme.gauge_filled
                })
                .unfilled_style(theme.gauge_unfilled),
            gauge,
        );
    }
    frame.render_widget(Paragraph::new(lines), rest);
}

/// The task's per-table statistics: a header, the rows from the scroll
/// offset on, and a totals row that never scrolls away.
fn draw_table(frame: &mut Frame, area: Rect, app: &App, role: TaskRole, theme: &Theme) {
    if app.tasks[role].data.is_none() {
        return;
    }
    let tables = &app.tables[role];
    if area.height < 2 {
        return;
    }
    // Statistics can fail while the task's status still comes through
    // (a peer without DescribeTableStatistics, a missing permission): say
    // so above the table instead of showing an empty one as if all is well.
    let area = match &tables.error {
        Some(e) if area.height >= 3 => {
            let [notice, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
            frame.render_widget(
                Paragraph::new(Line::styled(
                    wrap_error(
                        &format!("✖ table statistics: {e}"),
                        usize::from(notice.width),
                        1,
                    )
                    .concat(),
                    theme.error,
                )),
                notice,
            );
            rest
        }
        _ => area,
    };
    let every: &[TableStats] = tables.data.as_deref().unwrap_or_default();
    let everything = every.len();
    let matching = app.matching_tables(role);
    // The totals row never scrolls away: rows get what header and totals
    // leave. The window follows the cursor; only it is sorted.
    let visible = usize::from(area.height.saturating_sub(2));
    let cursor = app.scroll.tasks[role].min(matching.saturating_sub(1));
    let offset = (cursor + 1).saturating_sub(visible.max(1));
    let window = app.table_window(role, offset, visible);
    let shown = &window.rows[..];
    let all_len = window.matching;
    let show_cursor = app.focus == Focus::Tasks && app.selected == role;

    // One schema for every table (the usual case) is said once, in the
    // header, which leaves the names their room.
    let common_schema = window.common_schema.clone();
    let name_header = match &common_schema {
        Some(schema) => format!("{schema}.table"),
        None => "schema.table".to_string(),
    };
    let mut total_name = if all_len == everything {
        format!("Σ {} tables", all_len)
    } else {
        format!("Σ {} of {everything} tables", all_len)
    };
    let marked = app.marked_tables(role);
    if !marked.is_empty() {
        total_name.push_str(&format!(", {} marked", marked.len()));
    }
    if shown.is_empty() && all_len != 0 {
        total_name.push_str(", 0 shown");
    } else if shown.len() < all_len {
        total_name.push_str(&format!(", {}-{} shown", offset + 1, offset + shown.len()));
    }
    let headers = [
        "",
        name_header.as_str(),
        "state",
        "loaded",
        "ins",
        "upd",
        "del",
        "ddl",
        "err",
        "validation",
        "updated",
    ];
    let mut rows: Vec<Vec<String>> = shown
        .iter()
        .map(|t| {
            let mut row = vec![TableMark::of(t).symbol().to_string()];
            row.extend(cells(app, t, common_schema.is_none()));
            // Marked for reload (Space): said in text, not by colour.
            if marked.iter().any(|k| k.matches(t)) {
                row[1] = format!("+ {}", row[1]);
            }
            row
        })
        .collect();
    if all_len == 0 {
        let mut empty = vec![String::new(); headers.len()];
        empty[1] = if everything == 0 {
            "no table statistics yet".to_string()
        } else {
            "no table matches the filter".to_string()
        };
        rows.push(empty);
    }
    let mut total_cells = vec![String::new()];
    total_cells.extend(cells(app, &window.totals, false));
    total_cells[1] = total_name;

    // Numbers and the time take exactly the room their widest value needs;
    // the name gets what it needs from the rest, within reason, and the
    // validation state (least often read) what is left.
    let width_of = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&total_cells))
            .map(|r| Span::raw(r[i].as_str()).width())
            .chain(std::iter::once(Span::raw(headers[i]).width()))
            .max()
            .unwrap_or(0) as u16
    };
    // Ten gaps between eleven columns, and the one-cell mark.
    let fixed: u16 = (3..=8).map(width_of).sum::<u16>() + width_of(10) + 10 + 1;
    let state_w = width_of(2).min(12);
    let room = area.width.saturating_sub(fixed + state_w);
    let name_w = width_of(1).min(room.saturating_sub(5)).max(room / 2);
    let widths = [
        Constraint::Length(1),
        Constraint::Length(name_w),
        Constraint::Length(state_w),
        Constraint::Length(width_of(3)),
        Constraint::Length(width_of(4)),
        Constraint::Length(width_of(5)),
        Constraint::Length(width_of(6)),
        Constraint::Length(width_of(7)),
        Constraint::Length(width_of(8)),
        Constraint::Fill(1),
        Constraint::Length(width_of(10)),
    ];
    let numeric = |i: usize| (3..=8).contains(&i);
    let to_row = |values: &[String]| {
        Row::new(values.iter().enumerate().map(|(i, v)| {
            let line = Line::raw(v.clone());
            Cell::from(if numeric(i) {
                line.right_aligned()
            } else {
                line
            })
        }))
    };
    let header = to_row(&headers.map(String::from)).style(theme.table_header);
    let mut table_rows: Vec<Row> = rows.iter().map(|r| to_row(r)).collect();
    // The statistics are stale when their own read failed, and so is
    // anything shown for a task whose status can no longer be read.
    let stale = app.tables[role].is_stale() || app.tasks[role].is_stale();
    for (i, (row, stats)) in table_rows.iter_mut().zip(shown).enumerate() {
        if show_cursor && offset + i == cursor {
            *row = row.clone().style(theme.selected);
        } else if stale {
            *row = row.clone().style(theme.stale);
        } else if TableMark::of(stats).is_trouble() {
            *row = row.clone().style(theme.error);
        }
    }
    table_rows.push(to_row(&total_cells).style(theme.totals));
    let table = Table::new(table_rows, widths)
        .header(header)
        .column_spacing(1);
    frame.render_widget(table, area);
}

/// One statistics row as text. The `Table ` DMS puts before most states
/// (`Table completed`) is dropped: the column already says it is the state.
fn cells(app: &App, t: &TableStats, with_schema: bool) -> Vec<String> {
    let name = if with_schema {
        format::table_name(t)
    } else {
        t.table.clone()
    };
    let state = t.state.strip_prefix("Table ").unwrap_or(&t.state);
    vec![
        name,
        state.to_string(),
        format::thousands(t.full_load_rows),
        format::thousands(t.inserts),
        format::thousands(t.updates),
        format::thousands(t.deletes),
        format::thousands(t.ddls),
        format::thousands(t.errors),
        t.validation_state.clone(),
        format::opt_time(app.now, t.last_update),
    ]
}
