//! The heartbeat tables of both databases side by side, newest first. A
//! row already present in the other database is marked replicated: that
//! is how a person sees DMS carry a write across, and how lag shows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{Theme, age_span, is_focused, notice_height, panel_block, panel_with_notices};
use crate::app::{App, Focus};
use crate::backend::{DbSide, HeartbeatRow};
use crate::format;

/// From this half-width on, timestamps carry their date.
const DATED_FROM: u16 = 50;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let halves = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
        .spacing(1)
        .split(area);
    for (db, half) in DbSide::ALL.into_iter().zip(halves.iter()) {
        draw_one(frame, *half, app, db, theme);
    }
}

/// Title, notices, a header and every fetched row, for the taller side.
pub fn wanted_height(app: &App, width: u16) -> u16 {
    let half = width.saturating_sub(1) / 2;
    DbSide::ALL
        .iter()
        .map(|db| {
            let panel = &app.heartbeats[*db];
            let rows = panel.data.as_ref().map_or(0, |r| r.len() as u16);
            notice_height(panel, app, half) + if rows > 0 { 1 + rows } else { 0 }
        })
        .max()
        .unwrap_or(0)
        .max(2)
        + 1
}

fn focus_of(db: DbSide) -> Focus {
    match db {
        DbSide::A => Focus::HeartbeatA,
        DbSide::B => Focus::HeartbeatB,
    }
}

fn draw_one(frame: &mut Frame, area: Rect, app: &App, db: DbSide, theme: &Theme) {
    let panel = &app.heartbeats[db];
    let database = &app.databases[db];
    let title = vec![
        Span::styled(format::db_label(db), theme.title),
        Span::raw(" · "),
        age_span(panel, app, theme),
        Span::raw(format!(
            " · {} {}",
            database.engine.as_str(),
            database.address()
        )),
    ];
    let block = panel_block(title, is_focused(app, focus_of(db)), theme);
    let table_area = panel_with_notices(frame, area, block, panel, app, theme);

    let Some(rows) = &panel.data else {
        return;
    };
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    "{} no heartbeat rows yet: press a or b to write one",
                    format::NONE
                ),
                theme.dim,
            )),
            table_area,
        );
        return;
    }
    let mut sorted: Vec<&HeartbeatRow> = rows.iter().collect();
    sorted.sort_by_key(|r| std::cmp::Reverse((r.at, r.id)));
    let newest = sorted.first().map(|r| r.id);
    let visible = usize::from(table_area.height.saturating_sub(1));
    let offset = app.scroll.heartbeats[db].min(sorted.len().saturating_sub(visible.max(1)));
    let dated = area.width >= DATED_FROM;

    let other = format::db_label(db.other());
    let header = Row::new(vec![
        Cell::from(""),
        Cell::from(Line::raw("heartbeat").right_aligned()),
        Cell::from(if dated { "written (UTC)" } else { "UTC" }),
        Cell::from("site"),
        Cell::from(format!("in {other}")),
    ])
    .style(theme.table_header);
    let id_width = sorted
        .iter()
        .map(|r| r.id.to_string().len())
        .max()
        .unwrap_or(0)
        .max("heartbeat".len()) as u16;
    let table_rows: Vec<Row> = sorted
        .iter()
        .skip(offset)
        .map(|r| {
            let is_newest = Some(r.id) == newest;
            let replicated = app.is_replicated(db, r);
            let when = if dated {
                format::date_time(r.at)
            } else {
                format::hms(r.at)
            };
            let row = Row::new(vec![
                Cell::from(if is_newest { "▸" } else { " " }),
                Cell::from(Line::raw(r.id.to_string()).right_aligned()),
                Cell::from(when),
                Cell::from(r.site.clone()),
                Cell::from(Span::styled(
                    if replicated { format::REPLICATED } else { "" },
                    theme.replicated,
                )),
            ]);
            if is_newest {
                row.style(theme.newest)
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(1),
        Constraint::Length(id_width),
        Constraint::Length(if dated { 19 } else { 8 }),
        Constraint::Length(5),
        Constraint::Fill(1),
    ];
    frame.render_widget(
        Table::new(table_rows, widths)
            .header(header)
            .column_spacing(1),
        table_area,
    );
}
