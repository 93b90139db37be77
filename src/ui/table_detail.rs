//! The table detail (Enter on a table row): every statistic DMS reports for
//! that one table, looked up afresh in each refresh so it stays live, with
//! what the lab simulates when it is the lab. The text comes from
//! `app::tables::detail_rows`, the same lines `y` copies.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph};

use super::popup::centered;
use super::{Theme, wrap};
use crate::app::tables::{detail_rows, validation_lines};
use crate::app::{App, TableKey, TableMark};
use crate::format;

/// Widest the detail gets: long lines stay readable on a big screen.
const MAX_WIDTH: u16 = 100;
/// Width of the label column.
const LABEL_WIDTH: usize = 19;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, key: &TableKey, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(MAX_WIDTH);
    let inner = usize::from(width.saturating_sub(4));
    let value_width = inner.saturating_sub(LABEL_WIDTH + 1).max(10);
    let task = app.tasks[key.role].data.as_ref().map_or_else(
        || format!("{} task", key.role),
        |t| format!("{} task {}", key.role, t.id),
    );
    let mut lines = vec![Line::from(vec![
        Span::styled(key.name(), theme.title),
        Span::styled(
            format!(
                " · {task} · {} → {}",
                format::db_label(key.role.source()),
                format::db_label(key.role.target())
            ),
            theme.dim,
        ),
    ])];
    let fetched = app.tables[key.role]
        .fetched_at
        .map_or_else(|| "never".to_string(), |at| format::age(app.now, at));
    lines.push(Line::styled(
        format!("statistics fetched {fetched}"),
        theme.dim,
    ));
    lines.push(Line::raw(""));
    match app.table_of(key) {
        None => lines.push(Line::styled(
            format!(
                "✖ {} is no longer in the {} task's table statistics (dropped from the task, or the statistics could not be read)",
                key.name(),
                key.role
            ),
            theme.error,
        )),
        Some(t) => {
            let trouble = TableMark::of(t).is_trouble();
            for (i, (label, value)) in detail_rows(t, app.now).into_iter().enumerate() {
                let style = if i == 0 && trouble {
                    theme.error
                } else {
                    Style::default()
                };
                for (j, part) in wrap(&value, value_width, 4).into_iter().enumerate() {
                    let head = if j == 0 { label } else { "" };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{head:<LABEL_WIDTH$} "), theme.dim),
                        Span::styled(part, style),
                    ]));
                }
            }
            if let Some(found) = validation_lines(app, key) {
                lines.push(Line::raw(""));
                lines.push(Line::styled("validation failures", theme.title));
                for part in found {
                    let style = if part == "none" { theme.dim } else { theme.error };
                    for piece in wrap(&part, inner, 3) {
                        lines.push(Line::styled(piece, style));
                    }
                }
            }
            if let Some(note) = &t.more.simulated {
                lines.push(Line::raw(""));
                for part in wrap(note, inner, 6) {
                    lines.push(Line::styled(part, theme.warn));
                }
            }
        }
    }
    let height = (lines.len() as u16 + 3).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.focus_border)
        .title(Line::styled(" table detail ", theme.title))
        .title_bottom(Line::styled(
            " Esc closes · L reloads the table · V validates it again ",
            theme.dim,
        ))
        .padding(Padding::new(1, 1, 0, 0));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
