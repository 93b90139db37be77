//! The event log: what the cockpit did and what came back, oldest at the
//! top and newest at the bottom like a terminal, each line timestamped and
//! marked by a symbol as well as a colour.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, is_focused, panel_block, wrap};
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
    // Entries wrap (an error's remedy is usually at its end); the newest
    // entries that fit are shown, the oldest of them possibly cut at the top.
    let prefix = "HH:MM:SS • ".len();
    let text_width = usize::from(inner.width).saturating_sub(prefix).max(1);
    let height = usize::from(inner.height);
    let end = len - up;
    let mut lines: Vec<Line> = Vec::new();
    for entry in app.log.range(..end).rev() {
        if lines.len() >= height {
            break;
        }
        let style = theme.log(entry.level);
        let mut chunks = wrap(&entry.text, text_width, height).into_iter();
        let first = chunks.next().unwrap_or_default();
        let mut entry_lines = vec![Line::from(vec![
            Span::styled(format::hms(entry.at), theme.dim),
            Span::raw(" "),
            Span::styled(format::log_symbol(entry.level), style),
            Span::raw(" "),
            Span::styled(first, style),
        ])];
        entry_lines.extend(chunks.map(|chunk| {
            Line::from(vec![
                Span::raw(" ".repeat(prefix)),
                Span::styled(chunk, style),
            ])
        }));
        for line in entry_lines.into_iter().rev() {
            lines.push(line);
        }
    }
    lines.truncate(height);
    lines.reverse();
    frame.render_widget(Paragraph::new(lines), inner);
}
