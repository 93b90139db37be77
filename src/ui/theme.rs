//! Every style the screen uses, in one place, so `NO_COLOR` / `--no-color`
//! is one switch: [`Theme::plain`] has no colour at all, only bold and
//! reversed. Meaning never rests on colour: the symbols and words drawn
//! next to these styles say it on their own.

use ratatui::style::{Color, Modifier, Style};

use crate::app::LogLevel;
use crate::format::StatusKind;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// The mode badge (`LAB`, `LIVE`).
    pub mode: Style,
    pub read_only: Style,
    pub title: Style,
    pub border: Style,
    pub focus_border: Style,
    pub table_header: Style,
    pub totals: Style,
    /// The selected task's label.
    pub selected: Style,
    /// The newest heartbeat row.
    pub newest: Style,
    pub replicated: Style,
    pub error: Style,
    pub warn: Style,
    pub ok: Style,
    pub dim: Style,
    pub key: Style,
    pub gauge_filled: Style,
    pub gauge_unfilled: Style,
    pub running: Style,
    pub idle: Style,
    pub changing: Style,
    pub failed: Style,
    pub unknown: Style,
    /// Data whose last fetch failed: never its healthy colour. The words
    /// `⚠ stale` next to it say the same without colour.
    pub stale: Style,
}

impl Theme {
    pub fn color() -> Theme {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        Theme {
            mode: bold.fg(Color::Black).bg(Color::Yellow),
            read_only: bold.fg(Color::White).bg(Color::Red),
            title: bold,
            border: Style::default().fg(Color::DarkGray),
            focus_border: bold.fg(Color::Cyan),
            table_header: bold.fg(Color::Blue),
            totals: bold,
            selected: bold.fg(Color::Black).bg(Color::Cyan),
            newest: bold.fg(Color::Yellow),
            replicated: Style::default().fg(Color::Green),
            error: bold.fg(Color::Red),
            warn: bold.fg(Color::Yellow),
            ok: Style::default().fg(Color::Green),
            dim: Style::default().fg(Color::DarkGray),
            key: bold.fg(Color::Cyan),
            gauge_filled: Style::default().fg(Color::Green),
            gauge_unfilled: Style::default().fg(Color::DarkGray),
            running: bold.fg(Color::Green),
            idle: Style::default().fg(Color::Blue),
            changing: Style::default().fg(Color::Yellow),
            failed: bold.fg(Color::Red),
            unknown: Style::default().fg(Color::Magenta),
            stale: Style::default()
                .fg(Color::DarkGray)
                .add_modifier(Modifier::ITALIC),
        }
    }

    /// No colour anywhere: what `NO_COLOR` asks for.
    pub fn plain() -> Theme {
        let none = Style::default();
        let bold = none.add_modifier(Modifier::BOLD);
        let reversed = none.add_modifier(Modifier::REVERSED);
        Theme {
            mode: reversed.add_modifier(Modifier::BOLD),
            read_only: reversed.add_modifier(Modifier::BOLD),
            title: bold,
            border: none,
            focus_border: bold,
            table_header: bold,
            totals: bold,
            selected: reversed,
            newest: bold,
            replicated: none,
            error: bold,
            warn: bold,
            ok: none,
            dim: none,
            key: bold,
            gauge_filled: none,
            gauge_unfilled: none,
            running: bold,
            idle: none,
            changing: none,
            failed: bold,
            unknown: none,
            stale: none,
        }
    }

    pub fn status(&self, kind: StatusKind) -> Style {
        match kind {
            StatusKind::Running => self.running,
            StatusKind::Idle => self.idle,
            StatusKind::Changing => self.changing,
            StatusKind::Failed => self.failed,
            StatusKind::Unknown => self.unknown,
        }
    }

    pub fn log(&self, level: LogLevel) -> Style {
        match level {
            LogLevel::Info => Style::default(),
            LogLevel::Success => self.ok,
            LogLevel::Error => self.error,
        }
    }
}
