//! The logs view (`l`): the selected task's log over the whole body of the
//! screen. Each line shows its time, DMS's severity letter (`E:`, `W:`,
//! `I:`) as text and in colour, and the message; the title says where the
//! lines come from, whether the view follows or is scrolled back, and the
//! severity filter and search in force.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use super::{Theme, wrap};
use crate::app::App;
use crate::app::logs::{LogsView, SeverityFilter};
use crate::backend::logs::Severity;
use crate::format;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, view: &LogsView, theme: &Theme) {
    frame.render_widget(Clear, area);
    let task = app.tasks[view.role]
        .data
        .as_ref()
        .map_or_else(String::new, |t| format!(" {}", t.id));
    let shown = view.shown();
    let mut title = vec![
        Span::styled(format!(" task log · {} task{task}", view.role), theme.title),
        Span::styled(
            format!(" · {}", view.source.as_deref().unwrap_or("…")),
            theme.dim,
        ),
    ];
    title.push(Span::raw(match view.scroll {
        None => " · following".to_string(),
        Some(_) => format!(
            " · scrolled back ({} of {})",
            view.cursor().map_or(0, |c| c + 1),
            shown.len()
        ),
    }));
    if view.severity != SeverityFilter::All {
        title.push(Span::raw(format!(" · showing {}", view.severity.label())));
    }
    if view.searching {
        title.push(Span::styled(format!(" · /{}▏", view.search), theme.key));
    } else if !view.search.is_empty() {
        title.push(Span::raw(format!(" · /{}", view.search)));
    }
    title.push(Span::raw(" "));
    let block = Block::new()
        .borders(Borders::TOP | Borders::BOTTOM)
        .border_type(BorderType::Double)
        .border_style(theme.focus_border)
        .title(Line::from(title))
        .title_bottom(Line::styled(
            " Esc or l closes · j k PgUp PgDn g scroll back · G follows · e severity · / search ",
            theme.dim,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut notices = Vec::new();
    if let Some(e) = &view.error {
        let age = view
            .fetched_at
            .map(|at| format!(" (lines below: {})", format::age(app.now, at)))
            .unwrap_or_default();
        for l in wrap(&format!("✖ {e}{age}"), usize::from(inner.width), 3) {
            notices.push(Line::styled(l, theme.error));
        }
    }
    if view.lines.is_empty() && view.error.is_none() {
        notices.push(Line::styled(
            if view.fetched_at.is_none() {
                format::LOADING.to_string()
            } else {
                format!(
                    "{} no log lines in the last {} minutes yet; new ones appear here",
                    format::NONE,
                    crate::app::logs::LOG_LOOKBACK_MINUTES
                )
            },
            theme.dim,
        ));
    } else if shown.is_empty() && !view.lines.is_empty() {
        notices.push(Line::styled(
            format!(
                "{} none of the {} lines matches the severity filter or the search",
                format::NONE,
                view.lines.len()
            ),
            theme.dim,
        ));
    }
    let [notice_area, rows] = Layout::vertical([
        Constraint::Length(notices.len() as u16),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(notices), notice_area);

    let height = usize::from(rows.height);
    let Some(cursor) = view.cursor() else {
        return;
    };
    let first = (cursor + 1).saturating_sub(height);
    let lines: Vec<Line> = shown[first..=cursor]
        .iter()
        .map(|l| {
            let style = severity_style(l.severity, theme);
            Line::from(vec![
                Span::styled(format::short_time(app.now, l.at), theme.dim),
                Span::raw(" "),
                Span::styled(l.severity.symbol(), style),
                Span::raw(" "),
                Span::styled(message_of(&l.text), style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), rows);
}

/// `COMPONENT message`: DMS's line without its timestamp and severity
/// letter, which the view shows in columns of their own. A line in any
/// other shape is shown whole.
fn message_of(text: &str) -> String {
    let (Some(open), Some(close)) = (text.find('['), text.find(']')) else {
        return text.to_string();
    };
    let stamp = text[..open].trim();
    let looks_like_time = !stamp.is_empty()
        && stamp
            .chars()
            .all(|c| c.is_ascii_digit() || "-:T.Z ".contains(c));
    if close < open || !looks_like_time {
        return text.to_string();
    }
    let component = text[open + 1..close].trim();
    let rest = text[close + 1..].trim_start();
    let rest = match rest.as_bytes().get(1) {
        Some(b':') => &rest[2..],
        _ => rest,
    };
    format!("{component} {}", rest.trim_start())
}

fn severity_style(s: Severity, theme: &Theme) -> Style {
    match s {
        Severity::Error => theme.error,
        Severity::Warning => theme.warn,
        Severity::Info => Style::default(),
        Severity::Debug | Severity::Unknown => theme.dim,
    }
}

#[cfg(test)]
mod tests {
    use super::message_of;

    #[test]
    fn the_message_keeps_the_component_and_drops_the_stamp_and_letter() {
        assert_eq!(
            message_of("2026-11-27T10:00:00 [TARGET_LOAD     ]E:  Load failed"),
            "TARGET_LOAD Load failed"
        );
        assert_eq!(message_of("plain text [x] here"), "plain text [x] here");
    }
}
