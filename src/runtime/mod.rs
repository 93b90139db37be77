//! Runs the TUI: owns the terminal, the one inbound queue (keys, ticks and
//! backend results), and the spawned backend calls. `app` decides, `ui`
//! draws, this module only connects them.

pub mod clipboard;
pub mod events;
pub mod executor;
pub mod terminal;

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::mpsc;

use crate::app::keymap::action_for;
use crate::app::{Action, App, Command, Input, Msg};
use crate::backend::Backends;
use crate::ui::{self, Theme};
use events::Event;

/// Runs the cockpit until the user quits. The terminal is restored on
/// return, on error and on panic.
pub async fn run(
    app: App,
    backends: Backends,
    theme: Theme,
    audit: crate::audit::AuditLog,
) -> anyhow::Result<()> {
    let mut terminal = terminal::TerminalGuard::enter()?;
    let (tx, rx) = mpsc::unbounded_channel();
    events::spawn_input(tx.clone());
    events::spawn_signals(tx.clone());
    events::spawn_ticks(tx.clone(), app.settings.refresh_every);
    events::spawn_lag_ticks(tx.clone(), app.settings.lag.poll);
    let size = terminal.size()?;
    let result = event_loop(&mut terminal, app, backends, theme, audit, tx, rx, size).await;
    drop(terminal);
    result
}

/// At most one frame per this: the answers of one refresh arrive one by
/// one over tens of milliseconds (and each used to cost a frame); a key
/// after a quiet moment is still drawn at once. Well under what a person
/// notices.
const FRAME: Duration = Duration::from_millis(50);

#[allow(clippy::too_many_arguments)]
async fn event_loop(
    terminal: &mut terminal::TerminalGuard,
    mut app: App,
    backends: Backends,
    theme: Theme,
    audit: crate::audit::AuditLog,
    tx: mpsc::UnboundedSender<Event>,
    mut rx: mpsc::UnboundedReceiver<Event>,
    size: (u16, u16),
) -> anyhow::Result<()> {
    let context = executor::Context {
        operator: app.settings.operator.clone(),
        heartbeat_rows: app.settings.heartbeat_rows,
        audit: Some(audit),
    };
    let executor = executor::Executor::new(backends, tx, context);
    app.update(Utc::now(), Action::Resize(size.0, size.1));
    for command in app.update(Utc::now(), Msg::Tick) {
        executor.spawn(command);
    }
    terminal.draw(|f| ui::draw(f, &app, &theme))?;
    let mut drawn_at = Instant::now();
    let mut logged = trace_log(&app, 0);
    app.take_redraw();
    // Something shown changed and is not drawn yet.
    let mut stale = false;
    loop {
        let event = if stale {
            // A frame is owed: wait for more events only until it is due.
            match tokio::time::timeout(FRAME.saturating_sub(drawn_at.elapsed()), rx.recv()).await {
                Ok(Some(event)) => Some(event),
                Ok(None) => break,
                Err(_) => None,
            }
        } else {
            match rx.recv().await {
                Some(event) => Some(event),
                None => break,
            }
        };
        if let Some(event) = event {
            handle(&mut app, &executor, event)?;
            // Drain what else is queued before drawing once: bursts of
            // results or key repeats cost one frame, not one each.
            while let Ok(event) = rx.try_recv() {
                handle(&mut app, &executor, event)?;
            }
            logged = trace_log(&app, logged);
            if app.should_quit {
                break;
            }
            // Only when something shown changed: a tick that moves no age
            // on screen, or a key that means nothing, draws nothing.
            stale |= app.take_redraw();
        }
        if stale && drawn_at.elapsed() >= FRAME {
            terminal.draw(|f| ui::draw(f, &app, &theme))?;
            drawn_at = Instant::now();
            stale = false;
        }
    }
    tracing::info!("cockpit closed");
    Ok(())
}

/// Writes the event-log entries pushed since the first `seen` ones to the
/// log file, so it holds the same lines as the screen's event log; returns
/// the new count.
fn trace_log(app: &App, seen: u64) -> u64 {
    use crate::app::LogLevel;
    for entry in app.log_since(seen) {
        match entry.level {
            LogLevel::Error => tracing::warn!(target: "event_log", "{}", entry.text),
            LogLevel::Info | LogLevel::Success => {
                tracing::info!(target: "event_log", "{}", entry.text)
            }
        }
    }
    app.log_pushed
}

/// Feeds one event to the app and spawns what it asks for; an error ends
/// the cockpit.
fn handle(app: &mut App, executor: &executor::Executor, event: Event) -> anyhow::Result<()> {
    let input: Input = match event {
        Event::Key(key) => match action_for(app, key) {
            Some(action) => action.into(),
            None => return Ok(()),
        },
        Event::Resize(w, h) => Action::Resize(w, h).into(),
        Event::Msg(msg) => Input::Msg(msg),
        Event::InputClosed(reason) => {
            tracing::error!("terminal input closed: {reason}");
            Action::Quit.into()
        }
        // The panic hook has restored the terminal already: drawing on
        // would scribble over the shell, so the cockpit ends here.
        Event::Panicked(what) => anyhow::bail!("{what} panicked; see the log file for details"),
    };
    for command in app.update(Utc::now(), input) {
        match command {
            // The clipboard is the terminal's: written here, not spawned.
            Command::Copy(text) => clipboard::copy(&text),
            other => executor.spawn(other),
        }
    }
    Ok(())
}
