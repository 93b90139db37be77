//! The drawing layer: turns `&App` into a frame and nothing else. It reads
//! no clock (ages are measured against `app.now`), does no I/O and keeps no
//! state, so a frame is a pure function of the app and can be snapshot-tested
//! with ratatui's `TestBackend`.
//!
//! Layout, top to bottom: header (mode, ages, errors), both DMS tasks, the
//! heartbeats of both databases side by side, the appmap, the event log and
//! the footer. From [`WIDE`] columns on, the two tasks' statistics tables
//! sit side by side and the appmap shares a row with the log.

mod appmap;
mod footer;
mod header;
mod heartbeats;
mod help;
mod log;
mod logs;
mod popup;
mod table_detail;
mod tasks;
mod theme;

use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

pub use theme::Theme;

use crate::app::{App, Focus, MIN_HEIGHT, MIN_WIDTH, Panel};
use crate::format;

/// From this width on, both tasks' tables are drawn side by side.
pub const WIDE: u16 = 160;
/// Lines an error message may take inside a panel before it is cut.
const ERROR_LINES: usize = 2;

/// Draws the whole screen for `app`.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    // The frame's own size is checked too: panels squeezed below the
    // minimum would only draw garbage, whatever the app last heard.
    if app.too_small() || area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area, theme);
        return;
    }
    let footer_height = footer::height(app, area.width);
    let [header_area, body, footer_area] = Layout::vertical([
        Constraint::Length(header::HEIGHT),
        Constraint::Fill(1),
        Constraint::Length(footer_height),
    ])
    .areas(area);
    header::draw(frame, header_area, app, theme);
    draw_body(frame, body, app, theme);
    footer::draw(frame, footer_area, app, theme);
    if let (Some(crate::app::Popup::Logs), Some(view)) = (&app.popup, &app.logs_view) {
        logs::draw(frame, body, app, view, theme);
    }
    match &app.popup {
        Some(crate::app::Popup::Help) => help::draw(frame, area, theme),
        // The filter is typed into the tasks panel's title.
        Some(crate::app::Popup::Filter | crate::app::Popup::Logs) => {}
        Some(crate::app::Popup::TableDetail(key)) => {
            table_detail::draw(frame, area, app, key, theme)
        }
        Some(p) => popup::draw(frame, area, app, p, theme),
        None => {}
    }
}

/// Renders `app` into a `width` x `height` text grid, one line per row
/// with trailing spaces trimmed: what tests snapshot and the README shows.
pub fn render_to_string(app: &App, theme: &Theme, width: u16, height: u16) -> String {
    buffer_to_string(&render_to_buffer(app, theme, width, height))
}

/// Renders `app` into a buffer, for tests that look at styles as well.
pub fn render_to_buffer(app: &App, theme: &Theme, width: u16, height: u16) -> Buffer {
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).expect("a TestBackend never fails");
    terminal
        .draw(|frame| draw(frame, app, theme))
        .expect("a TestBackend never fails");
    terminal.backend().buffer().clone()
}

/// The buffer's symbols, row by row, skipping the cells hidden behind a
/// double-width symbol.
pub fn buffer_to_string(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width.max(1));
    let mut out = String::new();
    for row in buffer.content.chunks(width) {
        let mut line = String::new();
        let mut skip = 0usize;
        for cell in row {
            if skip == 0 {
                line.push_str(cell.symbol());
            }
            skip = skip.max(Span::raw(cell.symbol()).width()).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Where each panel goes.
struct Areas {
    tasks: Rect,
    heartbeats: Rect,
    appmap: Rect,
    log: Rect,
}

fn draw_body(frame: &mut Frame, body: Rect, app: &App, theme: &Theme) {
    let areas = layout_body(app, body);
    tasks::draw(frame, areas.tasks, app, theme);
    heartbeats::draw(frame, areas.heartbeats, app, theme);
    appmap::draw(frame, areas.appmap, app, theme);
    log::draw(frame, areas.log, app, theme);
}

/// Heights follow what each panel holds: the appmap and the heartbeats
/// take what their rows need (within bounds), the tasks up to a bit more
/// than half, and the log whatever is left, at least three lines.
fn layout_body(app: &App, body: Rect) -> Areas {
    let wide = body.width >= WIDE;
    let h = body.height;
    let appmap_want = appmap::wanted_height(app, if wide { body.width / 2 } else { body.width });
    let heartbeats_want = heartbeats::wanted_height(app, body.width);
    let tasks_min = tasks::min_height(app, body.width);
    let tasks_want = tasks::wanted_height(app, body.width);
    let log_min: u16 = if wide { 6 } else { 3 };

    // The bottom band: the appmap alone, or the appmap beside the log.
    let bottom = if wide {
        appmap_want.max(log_min)
    } else {
        appmap_want
    };
    let log_reserved = if wide { 0 } else { log_min };
    let room = h.saturating_sub(bottom + log_reserved);
    let mut heartbeats_h = heartbeats_want.min(5.max(room.saturating_sub(tasks_min) / 3));
    // Long failure messages make the tasks tall: the heartbeats give up a
    // row so the statistics keep at least one.
    let tasks_least = tasks_min.saturating_sub(2);
    if room.saturating_sub(heartbeats_h) < tasks_least {
        heartbeats_h = heartbeats_h.min(4.max(room.saturating_sub(tasks_least)));
    }
    let tasks_cap = tasks_min.max(room * 3 / 5);
    let tasks_h = tasks_want
        .min(tasks_cap)
        .max(tasks_min)
        .min(room.saturating_sub(heartbeats_h));
    let [tasks, heartbeats, rest] = Layout::vertical([
        Constraint::Length(tasks_h),
        Constraint::Length(heartbeats_h),
        Constraint::Fill(1),
    ])
    .areas(body);
    if wide {
        let [appmap, log] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(rest);
        Areas {
            tasks,
            heartbeats,
            appmap,
            log,
        }
    } else {
        let [appmap, log] =
            Layout::vertical([Constraint::Length(appmap_want), Constraint::Fill(1)]).areas(rest);
        Areas {
            tasks,
            heartbeats,
            appmap,
            log,
        }
    }
}

/// A panel's frame: a rule along the top carrying the title. The focused
/// panel's rule is doubled and its title starts with `▶`, so focus shows
/// without colour.
fn panel_block<'a>(title: Vec<Span<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let mut spans = Vec::with_capacity(title.len() + 2);
    spans.push(if focused {
        Span::styled("▶ ", theme.focus_border)
    } else {
        Span::raw(" ")
    });
    spans.extend(title);
    spans.push(Span::raw(" "));
    Block::new()
        .borders(Borders::TOP)
        .border_type(if focused {
            BorderType::Double
        } else {
            BorderType::Plain
        })
        .border_style(if focused {
            theme.focus_border
        } else {
            theme.border
        })
        .title(Line::from(spans))
}

/// Draws a data panel's frame and its notices (error, loading) and returns
/// the area left for its rows.
fn panel_with_notices<T>(
    frame: &mut Frame,
    area: Rect,
    block: Block<'_>,
    panel: &Panel<T>,
    app: &App,
    theme: &Theme,
) -> Rect {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let notices = notice_lines(panel, app, theme, inner.width);
    let [notice_area, rest] = Layout::vertical([
        Constraint::Length(notices.len() as u16),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(notices), notice_area);
    rest
}

fn is_focused(app: &App, focus: Focus) -> bool {
    app.focus == focus
}

/// `3s ago`, `loading`, `never fetched`: how old a panel's data is.
fn age_span<T>(panel: &Panel<T>, app: &App, theme: &Theme) -> Span<'static> {
    match panel.fetched_at {
        Some(at) => Span::styled(format::age(app.now, at), theme.dim),
        None if panel.loading => Span::styled("loading", theme.dim),
        None => Span::styled("never fetched", theme.dim),
    }
}

/// The lines a panel shows above its data: its last error (with its age),
/// `… loading` while the first fetch is out, or a note that nothing came yet.
fn notice_lines<T>(panel: &Panel<T>, app: &App, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(error) = &panel.error {
        let when = panel
            .error_at
            .map(|at| format!(" ({})", format::age(app.now, at)))
            .unwrap_or_default();
        let text = format!("✖ {error}{when}");
        for l in wrap(&text, usize::from(width), ERROR_LINES) {
            lines.push(Line::styled(l, theme.error));
        }
    }
    if panel.data.is_none() {
        if panel.loading {
            lines.push(Line::styled(format::LOADING, theme.dim));
        } else if panel.error.is_none() {
            lines.push(Line::styled(
                format!(
                    "{} no data yet: it comes with the next refresh",
                    format::NONE
                ),
                theme.dim,
            ));
        }
    }
    lines
}

/// How many lines [`notice_lines`] takes.
fn notice_height<T>(panel: &Panel<T>, app: &App, width: u16) -> u16 {
    let plain = Theme::plain();
    notice_lines(panel, app, &plain, width).len() as u16
}

/// Word-wraps `text` to `width` columns, at most `max_lines` lines; a cut
/// last line ends in `…` so nobody mistakes it for the whole message.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_w = 0usize;
    // Only plain spaces break lines: a no-break space keeps words together.
    for word in text.split([' ', '\n', '\t']).filter(|w| !w.is_empty()) {
        let mut word = word.to_string();
        let mut w = Span::raw(word.as_str()).width();
        // A word longer than a line is split where the line ends.
        while w > width {
            if current_w > 0 {
                lines.push(std::mem::take(&mut current));
                current_w = 0;
            }
            let head: String = take_width(&word, width);
            word = word[head.len()..].to_string();
            lines.push(head);
            w = Span::raw(word.as_str()).width();
        }
        let needed = if current_w == 0 { w } else { current_w + 1 + w };
        if needed > width {
            lines.push(std::mem::take(&mut current));
            current_w = 0;
        }
        if current_w > 0 {
            current.push(' ');
            current_w += 1;
        }
        current.push_str(&word);
        current_w += w;
    }
    if current_w > 0 || lines.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        let cut = take_width(last, width.saturating_sub(1));
        *last = format!("{cut}…");
    }
    lines
}

/// The longest prefix of `s` at most `width` columns wide.
fn take_width(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = Span::raw(c.to_string()).width();
        if w + cw > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out
}

fn draw_too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    frame.render_widget(Clear, area);
    let paras = [
        ("Window too small".to_string(), theme.warn),
        (
            format!(
                "Enlarge it to at least {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{}).",
                area.width, area.height
            ),
            Style::default(),
        ),
        (
            "Action keys are off until then; q quits.".to_string(),
            Style::default(),
        ),
    ];
    let lines: Vec<Line> = paras
        .iter()
        .flat_map(|(text, style)| {
            wrap(text, usize::from(area.width), usize::MAX)
                .into_iter()
                .map(|l| Line::styled(l, *style))
        })
        .collect();
    let height = (lines.len() as u16).min(area.height);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lines).alignment(Alignment::Center), middle);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_on_words_and_cuts_with_an_ellipsis() {
        assert_eq!(wrap("a bb ccc", 4, 5), vec!["a bb", "ccc"]);
        assert_eq!(wrap("", 4, 2), vec![""]);
        assert_eq!(wrap("abcdefgh", 3, 5), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("one two three four", 7, 2), vec!["one two", "three…"]);
    }
}
