//! The event log: what the cockpit did and what came back, oldest at the
//! top and newest at the bottom like a terminal, each line timestamped and
//! marked by a symbol as well as a colour.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, is_focused, panel_block};
use crate::app::{App, Focus};
use crate::format;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let len = app.log.len();
    let up = app.scroll.log.min(len.saturating_sub(1));
    let mut title = vec![
        Span::styled("event log", theme.title),
        Span::styled(" · newest at the bottom", theme.dim),
    ];
    if up > 0 {
        title.push(Span::styled(
            format!(" · scrolled up {up} (g: newest)"),
            theme.warn,
        ));
    }
    let block = panel_block(title, is_focused(app, Focus::Log), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if len == 0 {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("{} nothing has happened yet", format::NONE),
                theme.dim,
            )),
            inner,
        );
        return;
    }
    let end = len - up;
    let start = end.saturating_sub(usize::from(inner.height));
    let lines: Vec<Line> = app
        .log
        .range(start..end)
        .map(|entry| {
            let style = theme.log(entry.level);
            Line::from(vec![
                Span::styled(format::hms(entry.at), theme.dim),
                Span::raw(" "),
                Span::styled(format::log_symbol(entry.level), style),
                Span::raw(" "),
                Span::styled(entry.text.clone(), style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
