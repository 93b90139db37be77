//! The default keys, and what each means in the current context (a prompt
//! takes `y`/`n`/`Esc`; the site question takes `a`/`b`). The runtime turns
//! terminal key events into [`Key`]s, so this module knows no terminal
//! library.

use super::{Action, App, Focus, Pending, Popup};
use crate::backend::{ReloadOption, Site, TaskRole};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Tab,
    BackTab,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Esc,
    Backspace,
}

/// Key help, in the order the help overlay shows it: (keys, what they do).
pub const HELP: &[(&str, &str)] = &[
    ("?", "help: this overlay (Esc or ? closes it)"),
    ("q  Ctrl-C", "quit"),
    ("Tab  Shift-Tab", "move focus between panels"),
    (
        "j k  Down Up",
        "scroll down / up (event log: newer / older)",
    ),
    (
        "PgDn PgUp  g G",
        "page down / up; top / bottom (log: oldest / newest)",
    ),
    ("1  2", "select the forward / the backward task"),
    (
        "s",
        "start the selected task (start, or resume after a stop)",
    ),
    ("x", "stop the selected task (asks y/n)"),
    (
        "R",
        "reload the selected task's target (type its id, Enter)",
    ),
    ("a  b", "insert a heartbeat as SITEA / as SITEB"),
    ("f", "flip a site's mapping (asks a/b, then y/n)"),
    ("r", "refresh everything now"),
    ("h", "automatic heartbeats on/off: lag a→b and b→a"),
    (
        "Enter",
        "table row: all its statistics; event log: entry in full",
    ),
    ("e", "full text of the focused panel's errors (log: entry)"),
    (
        "/  o",
        "filter tables by name (Esc clears) / cycle their sort",
    ),
    (
        "l",
        "the selected task's log: follows; e severity, / search",
    ),
    ("y", "copy the selected row, log line or detail (OSC 52)"),
    (
        "L  V  Space",
        "reload (type name) / revalidate; Space marks several",
    ),
    (
        "✖ ‖ ≠ …",
        "table marks: error, suspended, failed validation, loading",
    ),
    (
        "y  n Esc  !",
        "in a prompt: confirm / cancel / override failed checks",
    ),
];

/// The footer's short list of main keys.
pub const FOOTER: &str =
    "?:help q:quit Tab:focus 1/2:task s:start x:stop a/b:heartbeat f:flip r:refresh";

/// What `key` means now, if anything.
pub fn action_for(app: &App, key: Key) -> Option<Action> {
    if key == Key::Ctrl('c') {
        return Some(Action::Quit);
    }
    match &app.popup {
        Some(Popup::Help) => match key {
            Key::Esc | Key::Char('?') => Some(Action::ToggleHelp),
            Key::Char('q') => Some(Action::Quit),
            _ => None,
        },
        Some(Popup::ChooseFlipSite) => match key {
            Key::Char('a') | Key::Char('A') => Some(Action::FlipChoose(Site::A)),
            Key::Char('b') | Key::Char('B') => Some(Action::FlipChoose(Site::B)),
            Key::Esc | Key::Char('n') => Some(Action::Cancel),
            _ => None,
        },
        Some(Popup::Filter) => match key {
            Key::Char(c) => Some(Action::Type(c)),
            Key::Backspace => Some(Action::Backspace),
            Key::Enter => Some(Action::Submit),
            Key::Esc => Some(Action::FilterClear),
            _ => None,
        },
        Some(Popup::Logs) if app.logs_view.as_ref().is_some_and(|v| v.searching) => match key {
            Key::Char(c) => Some(Action::Type(c)),
            Key::Backspace => Some(Action::Backspace),
            Key::Enter => Some(Action::Submit),
            Key::Esc => Some(Action::Cancel),
            _ => None,
        },
        Some(Popup::Logs) => match key {
            Key::Esc => Some(Action::Cancel),
            Key::Char('l') => Some(Action::OpenLogs),
            Key::Char('q') => Some(Action::Quit),
            Key::Char('j') | Key::Down => Some(Action::ScrollDown),
            Key::Char('k') | Key::Up => Some(Action::ScrollUp),
            Key::PageDown => Some(Action::PageDown),
            Key::PageUp => Some(Action::PageUp),
            Key::Char('g') | Key::Home => Some(Action::ScrollTop),
            Key::Char('G') | Key::End => Some(Action::ScrollBottom),
            Key::Char('e') => Some(Action::CycleSeverity),
            Key::Char('y') => Some(Action::Copy),
            Key::Char('/') => Some(Action::FilterStart),
            Key::Char('r') => Some(Action::Refresh),
            _ => None,
        },
        Some(Popup::TableDetail(_)) => match key {
            Key::Esc | Key::Enter => Some(Action::Cancel),
            Key::Char('q') => Some(Action::Quit),
            Key::Char('L') => Some(Action::ReloadTable(ReloadOption::DataReload)),
            Key::Char('V') => Some(Action::ReloadTable(ReloadOption::ValidateOnly)),
            Key::Char('y') => Some(Action::Copy),
            _ => None,
        },
        // A data-reload is confirmed by typing the table's name: every
        // character is text, Enter submits it.
        Some(Popup::Confirm(Pending::ReloadTables {
            option: ReloadOption::DataReload,
            ..
        })) => match key {
            Key::Char(c) => Some(Action::Type(c)),
            Key::Backspace => Some(Action::Backspace),
            Key::Enter => Some(Action::Submit),
            Key::Esc => Some(Action::Cancel),
            _ => None,
        },
        Some(Popup::Detail { .. }) => match key {
            Key::Esc | Key::Enter | Key::Char('e') | Key::Char('q') => Some(Action::Cancel),
            _ => None,
        },
        Some(Popup::Confirm(Pending::Reload(_))) => match key {
            Key::Enter => Some(Action::Confirm),
            Key::Char('!') => Some(Action::Override),
            Key::Char(c) if c.is_ascii_alphanumeric() || c == '-' => Some(Action::Type(c)),
            Key::Backspace => Some(Action::Backspace),
            Key::Esc => Some(Action::Cancel),
            _ => None,
        },
        Some(Popup::Confirm(_)) => match key {
            Key::Char('!') => Some(Action::Override),
            Key::Char('y') | Key::Char('Y') => Some(Action::Confirm),
            Key::Char('n') | Key::Char('N') | Key::Esc => Some(Action::Cancel),
            _ => None,
        },
        None => match key {
            Key::Char('?') => Some(Action::ToggleHelp),
            Key::Char('q') => Some(Action::Quit),
            Key::Tab => Some(Action::FocusNext),
            Key::BackTab => Some(Action::FocusPrev),
            Key::Char('j') | Key::Down => Some(Action::ScrollDown),
            Key::Char('k') | Key::Up => Some(Action::ScrollUp),
            Key::PageDown => Some(Action::PageDown),
            Key::PageUp => Some(Action::PageUp),
            Key::Char('g') | Key::Home => Some(Action::ScrollTop),
            Key::Char('G') | Key::End => Some(Action::ScrollBottom),
            Key::Char('1') => Some(Action::SelectTask(TaskRole::Forward)),
            Key::Char('2') => Some(Action::SelectTask(TaskRole::Backward)),
            Key::Char('s') => Some(Action::StartSelected),
            Key::Char('x') => Some(Action::StopSelected),
            Key::Char('R') => Some(Action::ReloadSelected),
            Key::Char('a') => Some(Action::Heartbeat(Site::A)),
            Key::Char('b') => Some(Action::Heartbeat(Site::B)),
            Key::Char('f') => Some(Action::FlipPrompt),
            Key::Char('r') => Some(Action::Refresh),
            Key::Char('h') => Some(Action::ToggleLag),
            Key::Char('/') => Some(Action::FilterStart),
            Key::Char('l') => Some(Action::OpenLogs),
            Key::Char('L') => Some(Action::ReloadTable(ReloadOption::DataReload)),
            Key::Char('V') => Some(Action::ReloadTable(ReloadOption::ValidateOnly)),
            Key::Char('o') => Some(Action::CycleSort),
            Key::Char(' ') => Some(Action::ToggleMark),
            Key::Char('y') => Some(Action::Copy),
            Key::Enter if app.focus == Focus::Tasks => Some(Action::OpenTableDetail),
            // Enter elsewhere is another panel's (a table row's detail).
            Key::Enter if app.focus == Focus::Log => Some(Action::OpenDetail),
            Key::Char('e') => Some(Action::OpenDetail),
            _ => None,
        },
    }
}
