//! The event log: what the cockpit did and what it saw, oldest at the top
//! and newest at the bottom like a terminal, each line timestamped and
//! marked by a symbol as well as a colour. The view follows the newest
//! entry until the operator moves the cursor up; the cursor's entry is
//! marked when the log has focus (Enter opens it in full).

use std::collections::VecDeque;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, is_focused, panel_block, wrap};
use crate::app::{App, Focus};
use crate::format;

/// `HH:MM:SS • `: the time and the level's symbol before each entry.
const PREFIX: usize = "HH:MM:SS • ".len();

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let len = app.log.len();
    let cursor = app.log_cursor();
    let focused = is_focused(app, Focus::Log);
    let mut title = vec![
        Span::styled("event log", theme.title),
        Span::styled(" · newest at the bottom", theme.dim),
    ];
    if let Some(c) = cursor.filter(|c| c + 1 < len) {
        title.push(Span::styled(
            format!(" · {} newer below (G: newest)", len - 1 - c),
            theme.warn,
        ));
    }
    let block = panel_block(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let Some(cursor) = cursor else {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("{} nothing has happened yet", format::NONE),
                theme.dim,
            )),
            inner,
        );
        return;
    };
    let height = usize::from(inner.height);
    let text_width = usize::from(inner.width).saturating_sub(PREFIX).max(1);
    let entry_lines =
        |i: usize| entry_lines(app, i, focused && i == cursor, text_width, height, theme);

    // The cursor's entry ends the view; older entries fill it upwards. When
    // they run out before the view is full (the cursor is near the oldest
    // entry), newer ones fill it downwards, so the view never shows blank
    // lines past either end of the log.
    let mut blocks: VecDeque<Vec<Line>> = VecDeque::new();
    let mut total = 0;
    let mut oldest = cursor + 1;
    while total < height && oldest > 0 {
        oldest -= 1;
        let lines = entry_lines(oldest);
        total += lines.len();
        blocks.push_front(lines);
    }
    let mut lines: Vec<Line> = blocks.into_iter().flatten().collect();
    if total > height {
        // The oldest shown entry is cut at the top.
        lines.drain(..total - height);
    }
    let mut newest = cursor;
    while lines.len() < height && newest + 1 < len {
        newest += 1;
        lines.extend(entry_lines(newest));
    }
    lines.truncate(height);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The title and every entry's lines (at most a screenful): what the log
/// would fill.
pub fn wanted_height(app: &App, width: u16) -> u16 {
    let text_width = usize::from(width).saturating_sub(PREFIX).max(1);
    let lines: usize = app
        .log
        .iter()
        .rev()
        .take(50)
        .map(|e| wrap(&e.text, text_width, 50).len())
        .sum();
    1 + lines.min(50) as u16
}

/// One entry's lines: the first carries the time and symbol; long text
/// wraps under itself (an error's remedy is usually at its end).
fn entry_lines(
    app: &App,
    i: usize,
    marked: bool,
    text_width: usize,
    height: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let entry = &app.log[i];
    let style = theme.log(entry.level);
    let mut chunks = wrap(&entry.text, text_width, height.max(1)).into_iter();
    let first = chunks.next().unwrap_or_default();
    // The cursor is marked by reversing the time, which needs no colour.
    let time_style = if marked { theme.selected } else { theme.dim };
    let mut lines = vec![Line::from(vec![
        Span::styled(format::hms(entry.at), time_style),
        Span::raw(" "),
        Span::styled(format::log_symbol(entry.level), style),
        Span::raw(" "),
        Span::styled(first, style),
    ])];
    lines.extend(chunks.map(|chunk| {
        Line::from(vec![
            Span::raw(" ".repeat(PREFIX)),
            Span::styled(chunk, style),
        ])
    }));
    lines
}
