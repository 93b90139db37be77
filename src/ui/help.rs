//! The help overlay: every key from the keymap's own table, so the help
//! can never drift from what the keys do.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Row, Table};

use super::Theme;
use super::popup::centered;
use crate::app::keymap::HELP;

pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme) {
    let key_width = HELP
        .iter()
        .map(|(k, _)| Span::raw(*k).width())
        .max()
        .unwrap_or(0) as u16;
    let text_width = HELP
        .iter()
        .map(|(_, t)| Span::raw(*t).width())
        .max()
        .unwrap_or(0) as u16;
    // Border, padding and the gap between the columns.
    let width = (key_width + text_width + 2 + 2 + 2).min(area.width.saturating_sub(2));
    let height = (HELP.len() as u16 + 4).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let rows = HELP
        .iter()
        .map(|(keys, what)| Row::new(vec![Line::styled(*keys, theme.key), Line::raw(*what)]));
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.focus_border)
        .title(Line::styled(" help: keys ", theme.title))
        .title_bottom(Line::styled(" Esc or ? closes ", theme.dim))
        .padding(Padding::new(1, 1, 1, 0));
    let table = Table::new(rows, [Constraint::Length(key_width), Constraint::Fill(1)])
        .column_spacing(2)
        .block(block);
    frame.render_widget(table, rect);
}
