//! The appmap: each site's item (engine, endpoint:port/dbname, username)
//! and which configured database it names, so a flip's effect, or an item
//! that matches neither database, is plain to see.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{Theme, age_span, is_focused, notice_height, panel_block, panel_with_notices};
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
    let rows: Vec<Row> = items
        .iter()
        .skip(offset)
        .map(|item| {
            let db = app.database_of(item);
            let matched = match db {
                Some(_) => Span::raw(format!("→ {}", format::matches_label(db))),
                None => Span::styled(format::matches_label(db), theme.warn),
            };
            let row = Row::new(vec![
                Cell::from(Span::styled(item.site.clone(), theme.title)),
                Cell::from(item.dbengine.clone()),
                Cell::from(format!("{}:{}/{}", item.endpoint, item.port, item.dbname)),
                Cell::from(format!("user {}", item.username)),
                Cell::from(matched),
            ]);
            if stale { row.style(theme.stale) } else { row }
        })
        .collect();
    let longest = |f: &dyn Fn(&crate::backend::AppMapItem) -> usize| {
        items.iter().map(f).max().unwrap_or(0) as u16
    };
    let widths = [
        Constraint::Length(longest(&|i| i.site.len())),
        Constraint::Length(longest(&|i| i.dbengine.len())),
        Constraint::Fill(1),
        Constraint::Length(longest(&|i| i.username.len() + 5)),
        Constraint::Length(17),
    ];
    frame.render_widget(Table::new(rows, widths).column_spacing(2), table_area);
}
