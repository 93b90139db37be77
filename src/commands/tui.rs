//! Opens the TUI on connected backends: the default command (config) and
//! `dms-cockpit lab` both end here.

use chrono::Utc;

use super::connect::Connected;
use super::{Failure, Outcome};
use crate::app::App;
use crate::cli::GlobalArgs;
use crate::ui::Theme;

/// Colour unless `--no-color` or `NO_COLOR` is set and non-empty.
pub fn theme(global: &GlobalArgs) -> Theme {
    let no_color = global.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if no_color {
        Theme::plain()
    } else {
        Theme::color()
    }
}

pub async fn run(global: &GlobalArgs, connected: Connected) -> Outcome {
    let mut app = App::new(
        connected.backends.mode.clone(),
        connected.backends.databases.clone(),
        connected.settings.clone(),
        Utc::now(),
    );
    app.identity_wanted = connected.backends.identity.is_some();
    app.door_wanted = true;
    let result = crate::runtime::run(
        app,
        connected.backends.clone(),
        theme(global),
        connected.audit.clone(),
    )
    .await;
    connected.close().await;
    result.map_err(|e| Failure::Failed(format!("{e:#}").into()))
}
