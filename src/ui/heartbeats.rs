//! The heartbeat tables of both databases side by side, newest first. A
//! row already present in the other database is marked replicated: that
//! is how a person sees DMS carry a write across, and how lag shows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{
    Theme, age_span, fit_parts, is_focused, notice_height, panel_block, panel_with_notices,
};
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
    // What tells the two databases apart leads (both may be postgresql
    // on one host): the database name, then host and port, then the
    // engine, shortened in the middle when the half is narrow. The age
    // (and a stale marker) always shows.
    let label = format::db_label(db);
    let age = age_span(panel, app, theme);
    let fixed = 2 + label.len() + 3 + 3 + age.width() + 1;
    let identity = fit_parts(
        &[
            database.dbname.clone(),
            format!("{}:{}", database.endpoint, database.port),
            database.engine.as_str().to_string(),
        ],
        usize::from(area.width).saturating_sub(fixed),
    );
    let mut title = vec![Span::styled(label, theme.title)];
    if !identity.is_empty() {
        title.push(Span::raw(" · "));
        title.push(Span::raw(identity));
    }
    title.push(Span::raw(" · "));
    title.push(age);
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
    let stale = panel.is_stale();

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
    // A long id (a sequence started at 1,000,000,000) leaves the mark
    // less room than its word: the short form says the same in full
    // under the column's `in db x` header, instead of a cut word.
    let time_width: u16 = if dated { 19 } else { 8 };
    let mark_room = table_area
        .width
        .saturating_sub(1 + id_width + time_width + 5 + 4);
    let mark = if usize::from(mark_room) >= Span::raw(format::REPLICATED).width() {
        format::REPLICATED
    } else {
        format::REPLICATED_SHORT
    };
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
                    if replicated { mark } else { "" },
                    if stale { theme.stale } else { theme.replicated },
                )),
            ]);
            if stale {
                row.style(theme.stale)
            } else if is_newest {
                row.style(theme.newest)
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(1),
        Constraint::Length(id_width),
        Constraint::Length(time_width),
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
