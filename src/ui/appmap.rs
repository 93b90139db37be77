//! The appmap: each site's item (engine, endpoint:port/dbname, username)
//! and which configured database it names, so a flip's effect, or an item
//! that matches neither database, is plain to see. A malformed item is
//! shown with what is wrong with it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{
    Theme, age_span, is_focused, notice_height, panel_block, panel_with_notices, share_widths,
    shorten_middle,
};
use crate::app::{App, Focus};
use crate::format;

/// Items shown before the panel scrolls rather than grows.
const MAX_ROWS: u16 = 6;

pub fn wanted_height(app: &App, width: u16) -> u16 {
    let rows = app
        .appmap
        .data
        .as_ref()
        .map_or(0, |items| (items.len() as u16).clamp(1, MAX_ROWS));
    let notices = notice_height(&app.appmap, app, width);
    1 + (notices + rows).max(1)
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let panel = &app.appmap;
    let title = vec![
        Span::styled("appmap", theme.title),
        Span::raw(" · which database each site writes to · "),
        age_span(panel, app, theme),
    ];
    let block = panel_block(title, is_focused(app, Focus::AppMap), theme);
    let table_area = panel_with_notices(frame, area, block, panel, app, theme);

    let Some(items) = &panel.data else {
        return;
    };
    if items.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    "{} the appmap has no items: create them with `dms-cockpit setup appmap`",
                    format::NONE
                ),
                theme.warn,
            )),
            table_area,
        );
        return;
    }
    let stale = panel.is_stale();
    let visible = usize::from(table_area.height.max(1));
    let offset = app.scroll.appmap.min(items.len().saturating_sub(visible));
    let shown: Vec<_> = items.iter().skip(offset).collect();
    // Each column's text, then widths shared out so a narrow screen
    // shortens the longest values in the middle (`ora…:1521/ORCL`) rather
    // than cutting the last columns off.
    let texts: Vec<[String; 5]> = shown
        .iter()
        .map(|item| {
            [
                item.site.clone(),
                item.dbengine.clone(),
                format!("{}:{}/{}", item.endpoint, item.port, item.dbname),
                format!("user {}", item.username),
                match (&item.problem, app.database_of(item)) {
                    // Never routed: what is wrong, in words (not colour).
                    (Some(problem), _) => format!("✖ malformed: {problem}"),
                    (None, Some(db)) => format!("→ {}", format::matches_label(Some(db))),
                    (None, None) => format::matches_label(None),
                },
            ]
        })
        .collect();
    let natural: Vec<u16> = (0..5)
        .map(|i| {
            texts
                .iter()
                .map(|t| Span::raw(t[i].as_str()).width())
                .max()
                .unwrap_or(0) as u16
        })
        .collect();
    // A malformed item's problem gives way first (its full text is in the
    // panel's detail, Enter): `✖ malformed` stays readable.
    let min = [natural[0], natural[1].min(4), 12, 8, natural[4].min(14)];
    let widths = share_widths(&natural, &min, table_area.width.saturating_sub(2 * 4));
    let rows: Vec<Row> = texts
        .iter()
        .zip(&shown)
        .map(|(t, item)| {
            let cell = |i: usize| shorten_middle(&t[i], usize::from(widths[i]));
            let matched = match app.database_of(item) {
                Some(_) => Span::raw(cell(4)),
                None => Span::styled(cell(4), theme.warn),
            };
            let row = Row::new(vec![
                Cell::from(Span::styled(cell(0), theme.title)),
                Cell::from(cell(1)),
                Cell::from(cell(2)),
                Cell::from(cell(3)),
                Cell::from(matched),
            ]);
            if stale { row.style(theme.stale) } else { row }
        })
        .collect();
    let constraints: Vec<Constraint> = widths.iter().map(|w| Constraint::Length(*w)).collect();
    frame.render_widget(Table::new(rows, constraints).column_spacing(2), table_area);
}
