//! The default keys, and what each means in the current context (a prompt
//! takes `y`/`n`/`Esc`; the site question takes `a`/`b`). The runtime turns
//! terminal key events into [`Key`]s, so this module knows no terminal
//! library.

use super::{Action, App, Focus, Popup};
use crate::backend::{Site, TaskRole};

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
    ("R", "reload the selected task's target (asks twice)"),
    ("a  b", "insert a heartbeat as SITEA / as SITEB"),
    ("f", "flip a site's mapping (asks a/b, then y/n)"),
    ("r", "refresh everything now"),
    ("Enter", "event log: the focused entry's full text"),
    ("e", "full text of the focused panel's errors (log: entry)"),
    ("y  n Esc", "in a prompt: confirm / cancel"),
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
        Some(Popup::Detail { .. }) => match key {
            Key::Esc | Key::Enter | Key::Char('e') | Key::Char('q') => Some(Action::Cancel),
            _ => None,
        },
        Some(Popup::Confirm(_)) => match key {
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
            // Enter elsewhere is another panel's (a table row's detail).
            Key::Enter if app.focus == Focus::Log => Some(Action::OpenDetail),
            Key::Char('e') => Some(Action::OpenDetail),
            _ => None,
        },
    }
}
