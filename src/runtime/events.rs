//! The one inbound queue: terminal input and refresh ticks become
//! [`Event`]s on the same channel as backend results.

use std::time::Duration;

use futures::StreamExt;
use ratatui::crossterm::event::{
    Event as TermEvent, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use tokio::sync::mpsc::UnboundedSender;

use crate::app::Msg;
use crate::app::keymap::Key;

#[derive(Debug)]
pub enum Event {
    Key(Key),
    Resize(u16, u16),
    /// Boxed: a task snapshot is large and key events are tiny.
    Msg(Box<Msg>),
    /// The terminal's input stream ended or failed: the loop quits.
    InputClosed(String),
    /// A spawned backend call panicked (a bug): the loop ends with an error.
    Panicked(String),
}

/// Reads terminal events on a task of its own, so input is never blocked
/// by anything else.
pub fn spawn_input(tx: UnboundedSender<Event>) {
    tokio::spawn(async move {
        let mut stream = EventStream::new();
        while let Some(event) = stream.next().await {
            let event = match event {
                Ok(TermEvent::Key(key)) => match to_key(key) {
                    Some(key) => Event::Key(key),
                    None => continue,
                },
                Ok(TermEvent::Resize(w, h)) => Event::Resize(w, h),
                Ok(_) => continue,
                Err(e) => Event::InputClosed(e.to_string()),
            };
            let closing = matches!(event, Event::InputClosed(_));
            if tx.send(event).is_err() || closing {
                return;
            }
        }
        let _ = tx.send(Event::InputClosed("end of input".into()));
    });
}

/// Turns SIGTERM and SIGHUP into a normal quit, so a killed or hung-up
/// cockpit still restores the terminal on its way out.
pub fn spawn_signals(tx: UnboundedSender<Event>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            tracing::warn!("cannot listen for SIGTERM/SIGHUP");
            return;
        };
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
        };
        let _ = tx.send(Event::InputClosed(format!("{name} received")));
    });
}

/// Sends `Msg::Tick` every `every`; the app polls whatever is not in flight.
pub fn spawn_ticks(tx: UnboundedSender<Event>, every: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        interval.tick().await; // the first tick fires at once; the loop polls at start itself
        loop {
            interval.tick().await;
            if tx.send(Event::Msg(Box::new(Msg::Tick))).is_err() {
                return;
            }
        }
    });
}

/// Terminal key to the app's [`Key`]; releases and repeats of modifiers
/// are dropped.
pub fn to_key(key: KeyEvent) -> Option<Key> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char(c) if ctrl => Key::Ctrl(c.to_ascii_lowercase()),
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Tab if key.modifiers.contains(KeyModifiers::SHIFT) => Key::BackTab,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        _ => return None,
    })
}
