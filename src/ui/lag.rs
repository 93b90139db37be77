//! The lag panel: one line per direction (a→b, b→a) with its state in
//! words, the current lag and its resolution, min/avg/max over 1, 5 and 15
//! minutes as far as the width allows, and a sparkline of recent values.
//! Shown once there is something to show (automatic heartbeats on, a
//! measurement made, or read-only age), so the main screen stays as it
//! was for people who never use it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use super::{Theme, panel_block};
use crate::app::App;
use crate::app::lag::{LagBasis, LagState, WINDOWS, direction_arrow};
use crate::backend::TaskRole;
use crate::format;

/// Title rule plus one line per direction.
pub const HEIGHT: u16 = 3;
/// Columns kept for the sparkline when the line is wide enough.
const SPARK: u16 = 16;

/// Whether the panel has anything to say.
pub fn visible(app: &App) -> bool {
    let l = &app.lag;
    l.auto
        || TaskRole::ALL.iter().any(|r| app.latency[*r].data.is_some())
        || l.tracker.basis == LagBasis::Age
        || TaskRole::ALL.iter().any(|r| {
            !l.tracker.per[*r].samples.is_empty() || !l.tracker.per[*r].outstanding.is_empty()
        })
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let t = &app.lag.tracker;
    let mode = match (t.basis, app.lag.auto) {
        (LagBasis::Age, _) => {
            "read-only: age of others' heartbeats, by the database clock".to_string()
        }
        (LagBasis::Heartbeats, true) => format!(
            "automatic heartbeats every {} · h stops",
            humantime::format_duration(t.settings.every)
        ),
        (LagBasis::Heartbeats, false) => "automatic heartbeats off · h starts".to_string(),
    };
    let title = vec![
        Span::styled("lag", theme.title),
        Span::raw(" · "),
        Span::styled(mode, theme.dim),
    ];
    let block = panel_block(title, false, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).split(inner);
    for (role, row) in TaskRole::ALL.into_iter().zip(rows.iter()) {
        draw_direction(frame, *row, app, role, theme);
    }
}

fn draw_direction(frame: &mut Frame, area: Rect, app: &App, role: TaskRole, theme: &Theme) {
    let t = &app.lag.tracker;
    let now = app.now;
    let report = t.report(role, now);
    let style = match report.state {
        LagState::Replicating => theme.ok,
        LagState::Slow => theme.warn,
        LagState::NotReplicating => theme.error,
        LagState::Unknown => theme.dim,
    };
    let mut spans = vec![
        Span::styled(format!("{} ", direction_arrow(role)), theme.title),
        Span::styled(report.state.label(), style),
    ];
    if let Some(m) = report
        .missing_for_ms
        .filter(|_| report.state == LagState::NotReplicating)
    {
        spans.push(Span::styled(format!(" for {}", format::lag_ms(m)), style));
    }
    match report.last_ms {
        Some(last) => spans.push(Span::raw(format!(
            " · {} ±{}",
            format::lag_ms(last),
            format::lag_ms(report.resolution_ms)
        ))),
        None => spans.push(Span::styled(" · no measurement yet", theme.dim)),
    }
    for (name, _) in WINDOWS {
        let w = report.windows[name];
        if let (Some(min), Some(avg), Some(max)) = (w.min_ms, w.avg_ms, w.max_ms) {
            spans.push(Span::styled(
                format!(" · {name} {}/{}/{}", secs(min), secs(avg), secs(max)),
                theme.dim,
            ));
        }
    }
    // DMS's own figures beside the heartbeat's, for real backends.
    if let Some(l) = &app.latency[role].data {
        let secs_or = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.0}s"));
        spans.push(Span::raw(format!(
            " · DMS src {} tgt {}",
            secs_or(l.source_s),
            secs_or(l.target_s)
        )));
        if app.latency_suspicious(role) {
            spans.push(Span::styled(
                " ⚠ 0 with a heartbeat missing: suspicious",
                theme.warn,
            ));
        }
    }
    let text = Line::from(spans);
    let text_w = text.width() as u16;
    let spark_w = if area.width > text_w + SPARK {
        SPARK
    } else {
        0
    };
    let [text_area, _, spark_area] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(u16::from(spark_w > 0)),
        Constraint::Length(spark_w),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(text), text_area);
    if spark_w > 0 {
        let data = t.recent(role, usize::from(spark_w));
        frame.render_widget(Sparkline::default().data(&data).style(style), spark_area);
    }
}

/// Seconds with one decimal, for the compact min/avg/max triple.
fn secs(ms: i64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}
