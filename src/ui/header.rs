//! The header: which mode this is (drawn as a badge, never to be mistaken),
//! what stands in for what, `READ-ONLY`, how old each panel's data is, and
//! which backends are failing right now.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::door::DoorBadge;
use crate::app::{App, Panel};
use crate::backend::{DbSide, TaskRole};
use crate::format;

pub const HEIGHT: u16 = 2;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut first = vec![
        Span::styled(format!(" {} ", app.mode.name), theme.mode),
        Span::raw(" "),
    ];
    if app.mode.read_only {
        first.push(Span::styled(" READ-ONLY ", theme.read_only));
        first.push(Span::raw(" "));
    }
    first.push(Span::styled("dms-cockpit", theme.title));
    first.push(Span::raw(" · "));
    // Which account first, so nobody operates on the wrong one, then
    // the region, profile and the rest.
    if let Some(identity) = format::identity(app) {
        first.push(Span::raw(identity));
        first.push(Span::raw(" · "));
    }
    first.push(Span::raw(app.mode.description.clone()));

    let mut items: Vec<(String, String)> = Vec::new();
    for role in TaskRole::ALL {
        let short = match role {
            TaskRole::Forward => "fwd",
            TaskRole::Backward => "bwd",
        };
        let panel = &app.tasks[role];
        items.push((short.to_string(), age(panel, app)));
    }
    for db in DbSide::ALL {
        let panel = &app.heartbeats[db];
        items.push((format::db_label(db), age(panel, app)));
    }
    items.push(("appmap".to_string(), age(&app.appmap, app)));

    // Every failing call counts, also those without an age of their own
    // here (table statistics, the replicated check): the same list that
    // makes `status` exit 1.
    let failing: Vec<String> = app
        .failures()
        .iter()
        .map(|f| short_name(&f.which))
        .collect();
    // The error marker comes first so a narrow screen never cuts it off.
    let mut second = if failing.is_empty() {
        vec![Span::styled("✓ backends ok", theme.ok)]
    } else {
        vec![Span::styled(
            format!("✖ error: {}", failing.join(", ")),
            theme.error,
        )]
    };
    if app.door_wanted {
        second.push(Span::styled(" │ ", theme.dim));
        second.push(door_badge(app, theme));
    }
    second.push(Span::styled(" │ data age ", theme.dim));
    for (i, (name, age)) in items.iter().enumerate() {
        if i > 0 {
            second.push(Span::styled(" · ", theme.dim));
        }
        second.push(Span::raw(format!("{name} {age}")));
    }
    let lines = vec![Line::from(first), Line::from(second)];
    frame.render_widget(Paragraph::new(lines), area);
}

/// The door check (`doctor`'s rules) in a few characters; the event log
/// holds each finding in full.
fn door_badge(app: &App, theme: &Theme) -> Span<'static> {
    match app.door_badge() {
        DoorBadge::Unknown => Span::styled("door …", theme.dim),
        DoorBadge::Ok => Span::styled("✓ door ok", theme.ok),
        DoorBadge::Findings(rules) => {
            let more = match rules.len() {
                1 => String::new(),
                n => format!(" +{}", n - 1),
            };
            Span::styled(format!("✖ door: {}{more}", rules[0]), theme.error)
        }
        DoorBadge::Unreadable => Span::styled("? door unreadable", theme.warn),
    }
}

/// The header's short name for a failing call: `tasks.forward.tables` is
/// `fwd tables`, `heartbeats.a` is `db a`.
fn short_name(which: &str) -> String {
    which
        .replace("tasks.forward", "fwd")
        .replace("tasks.backward", "bwd")
        .replace("heartbeats.", "db ")
        .replace('.', " ")
}

/// `2s`, `…` while the first fetch is out, `never` before any.
fn age<T>(panel: &Panel<T>, app: &App) -> String {
    match panel.fetched_at {
        Some(at) => format::duration_short(app.now - at),
        None if panel.loading => "…".to_string(),
        None => "never".to_string(),
    }
}
