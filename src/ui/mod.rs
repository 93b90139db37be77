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
mod lag;
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
    /// Zero-height when the lag panel has nothing to show.
    lag: Rect,
    appmap: Rect,
    log: Rect,
}

fn draw_body(frame: &mut Frame, body: Rect, app: &App, theme: &Theme) {
    let areas = layout_body(app, body);
    tasks::draw(frame, areas.tasks, app, theme);
    heartbeats::draw(frame, areas.heartbeats, app, theme);
    if areas.lag.height > 0 {
        lag::draw(frame, areas.lag, app, theme);
    }
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
    let lag_h = if lag::visible(app) { lag::HEIGHT } else { 0 };
    let room = h.saturating_sub(bottom + log_reserved + lag_h);
    let mut heartbeats_h = heartbeats_want.min(5.max(room.saturating_sub(tasks_min) / 2));
    // Room the log would leave empty goes to the heartbeats: a tall screen
    // shows every fetched row rather than blank log lines.
    if !wide {
        let log_need = log::wanted_height(app, body.width).max(log_min);
        let tasks_take = tasks_want.min(tasks_min.max(room * 3 / 5));
        let spare = h.saturating_sub(bottom + tasks_take + heartbeats_h + lag_h + log_need);
        heartbeats_h = heartbeats_want.min(heartbeats_h + spare);
    }
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
    let [tasks, heartbeats, lag, rest] = Layout::vertical([
        Constraint::Length(tasks_h),
        Constraint::Length(heartbeats_h),
        Constraint::Length(lag_h),
        Constraint::Fill(1),
    ])
    .areas(body);
    if wide {
        let [appmap, log] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
            .spacing(1)
            .areas(rest);
        Areas {
            tasks,
            heartbeats,
            lag,
            appmap,
            log,
        }
    } else {
        let [appmap, log] =
            Layout::vertical([Constraint::Length(appmap_want), Constraint::Fill(1)]).areas(rest);
        Areas {
            tasks,
            heartbeats,
            lag,
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

/// What stale data says next to it: a marker that needs no colour, and
/// how old the data is.
fn stale_label(app: &App, fetched_at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{}, {} old",
        format::STALE,
        format::duration_short(app.now - fetched_at)
    )
}

fn is_focused(app: &App, focus: Focus) -> bool {
    app.focus == focus
}

/// `3s ago`, `⚠ stale, 19s old`, `loading`, `never fetched`: how old a
/// panel's data is, and whether the last fetch failed.
fn age_span<T>(panel: &Panel<T>, app: &App, theme: &Theme) -> Span<'static> {
    match panel.fetched_at {
        Some(at) if panel.is_stale() => Span::styled(stale_label(app, at), theme.warn),
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
        for l in wrap_error(&text, usize::from(width), ERROR_LINES) {
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

/// `s` in at most `width` columns: whole when it fits, else its start and
/// its end around a `…`, so both the kind of thing (a host's first label)
/// and what tells it apart (a port, a database name, a path's last part)
/// stay visible.
fn shorten_middle(s: &str, width: usize) -> String {
    let full = Span::raw(s).width();
    if full <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let keep = width - 1;
    let tail_w = keep / 2;
    let head = take_width(s, keep - tail_w);
    let rev: String = s.chars().rev().collect();
    let tail: String = take_width(&rev, tail_w).chars().rev().collect();
    format!("{head}…{tail}")
}

/// Parts of a title, most telling first, joined by ` · ` within `width`
/// columns: a part that does not fit whole is shortened in the middle
/// (when at least a few columns remain), the rest are dropped.
fn fit_parts(parts: &[String], width: usize) -> String {
    let mut out = String::new();
    for part in parts {
        let sep = if out.is_empty() { 0 } else { 3 };
        let used = Span::raw(out.as_str()).width();
        let room = width.saturating_sub(used + sep);
        // A part shortened to a few columns says nothing: drop it instead.
        if room < 8.min(Span::raw(part.as_str()).width()) || room == 0 {
            break;
        }
        if sep > 0 {
            out.push_str(" · ");
        }
        let shown = shorten_middle(part, room);
        let cut = shown != *part;
        out.push_str(&shown);
        if cut {
            break;
        }
    }
    out
}

/// Column widths for a table whose natural widths (the widest value of
/// each column) may not fit in `available` columns (spacing excluded):
/// the widest columns give up room first, down to `min`, so every column
/// keeps a share instead of the last ones being cut.
fn share_widths(natural: &[u16], min: &[u16], available: u16) -> Vec<u16> {
    let mut widths = natural.to_vec();
    let mut total: u16 = widths.iter().sum();
    while total > available {
        let widest = widths
            .iter()
            .enumerate()
            .filter(|(i, w)| **w > min[*i])
            .max_by_key(|(_, w)| **w)
            .map(|(i, _)| i);
        let Some(i) = widest else { break };
        widths[i] -= 1;
        total -= 1;
    }
    widths
}

/// [`wrap`] for an error or failure message: a cut one ends in
/// `… e: full text`, saying where the rest is (the cause is often at the
/// end, where a cut falls).
fn wrap_error(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines = wrap(text, width, usize::MAX);
    if lines.len() > max_lines && max_lines > 0 {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        let hint = "… e: full text";
        let keep = take_width(last, width.saturating_sub(Span::raw(hint).width()));
        *last = format!("{keep}{hint}");
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
    fn shorten_middle_keeps_both_ends() {
        assert_eq!(shorten_middle("abc", 5), "abc");
        assert_eq!(
            shorten_middle("127.0.0.1:43210/site_a", 13),
            "127.0.…site_a"
        );
        assert_eq!(shorten_middle("abcdef", 1), "…");
        assert_eq!(
            Span::raw(shorten_middle("abcdefghij", 7).as_str()).width(),
            7
        );
    }

    #[test]
    fn fit_parts_keeps_the_first_parts_and_shortens_the_one_that_does_not_fit() {
        let parts = [
            "site_a".to_string(),
            "127.0.0.1:43210".into(),
            "postgresql".into(),
        ];
        assert_eq!(
            fit_parts(&parts, 80),
            "site_a · 127.0.0.1:43210 · postgresql"
        );
        assert_eq!(fit_parts(&parts, 20), "site_a · 127.0…43210");
        assert_eq!(fit_parts(&parts, 6), "site_a");
    }

    #[test]
    fn share_widths_takes_from_the_widest_first() {
        assert_eq!(share_widths(&[5, 30, 10], &[5, 8, 8], 60), vec![5, 30, 10]);
        assert_eq!(share_widths(&[5, 30, 20], &[5, 8, 8], 35), vec![5, 15, 15]);
        assert_eq!(share_widths(&[5, 30, 20], &[5, 8, 8], 10), vec![5, 8, 8]);
    }

    #[test]
    fn wrap_breaks_on_words_and_cuts_with_an_ellipsis() {
        assert_eq!(wrap("a bb ccc", 4, 5), vec!["a bb", "ccc"]);
        assert_eq!(wrap("", 4, 2), vec![""]);
        assert_eq!(wrap("abcdefgh", 3, 5), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("one two three four", 7, 2), vec!["one two", "three…"]);
    }
}
