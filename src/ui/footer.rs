//! The footer: the main keys, and the user actions still in flight, so a
//! pressed key that seems to do nothing visibly is being worked on.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::keymap::FOOTER;
use crate::app::{App, Busy};

/// One line, or two when the in-flight actions do not fit beside the keys.
pub fn height(app: &App, width: u16) -> u16 {
    match busy_text(app) {
        None => 1,
        Some(busy) => {
            let needed = Span::raw(FOOTER).width() + 2 + Span::raw(busy.as_str()).width();
            if needed <= usize::from(width) { 1 } else { 2 }
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut keys = Vec::new();
    for (i, item) in FOOTER.split(' ').enumerate() {
        if i > 0 {
            keys.push(Span::raw(" "));
        }
        match item.split_once(':') {
            Some((key, what)) => {
                keys.push(Span::styled(key.to_string(), theme.key));
                keys.push(Span::raw(format!(":{what}")));
            }
            None => keys.push(Span::raw(item.to_string())),
        }
    }
    let mut lines = vec![Line::from(keys)];
    if let Some(busy) = busy_text(app) {
        let span = Span::styled(busy, theme.warn);
        if area.height >= 2 {
            lines.insert(0, Line::from(span));
        } else {
            let first = lines.first_mut().expect("one line");
            first.spans.push(Span::raw("  "));
            first.spans.push(span);
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn busy_text(app: &App) -> Option<String> {
    let copied = app
        .last_copy
        .as_ref()
        .filter(|(at, _)| (app.now - *at).num_seconds() < crate::app::copy::COPY_NOTICE_SECS)
        .map(|(_, said)| format!("✓ {said}"));
    if app.busy.is_empty() {
        return copied;
    }
    let what: Vec<String> = app
        .busy
        .iter()
        .map(|b| match b {
            Busy::Start(role) => format!("starting the {role} task"),
            Busy::Stop(role) => format!("stopping the {role} task"),
            Busy::Heartbeat(site) => match app.queued_heartbeats(*site) {
                0 => format!("heartbeat as {site}"),
                n => format!("heartbeat as {site} (+{n} queued)"),
            },
            Busy::Flip(site) => format!("flipping {site}"),
            Busy::ReloadTables(role) => format!("reloading tables of the {role} task"),
        })
        .collect();
    let busy = format!("◌ in flight: {}", what.join(", "));
    Some(match copied {
        Some(c) => format!("{c} · {busy}"),
        None => busy,
    })
}
