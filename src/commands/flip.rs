//! `dms-cockpit flip SITE`: the TUI's `f` key for scripts. Shows what the
//! site points at now and where it will point, asks (or `--yes`), then
//! flips conditionally on exactly what was shown.

use super::confirm::confirm;
use super::connect;
use super::{Failure, Outcome};
use crate::app::guard;
use crate::backend::routing;
use crate::cli::{FlipArgs, GlobalArgs};
use crate::format;

pub async fn run(global: &GlobalArgs, args: &FlipArgs) -> Outcome {
    let connected = connect::target(global, &args.target).await?;
    let result = flip_on(&connected, args).await;
    connected.close().await;
    result
}

async fn flip_on(connected: &connect::Connected, args: &FlipArgs) -> Outcome {
    let backends = &connected.backends;
    let site = args.site;
    guard::check_writable(&backends.mode, "flip a site").map_err(Failure::BadInput)?;
    let items = backends.read_appmap().await?;
    let (seen, to) =
        routing::flip_target(&items, site, &backends.databases).map_err(Failure::BadInput)?;
    let from = backends.databases[to.other()].clone();
    let question = format!(
        "Flip {site} from {} to {}?",
        format::db_long(&from),
        format::db_long(&backends.databases[to])
    );
    if !confirm(&question, args.yes)? {
        return Err(Failure::Failed("cancelled: nothing was changed".into()));
    }
    let (_, db) = backends
        .flip_site(site, Some(seen), &connected.settings.operator)
        .await
        .map_err(|e| Failure::Failed(format!("flip of {site} failed: {e}")))?;
    println!(
        "{site} now writes to {}",
        format::db_long(&backends.databases[db])
    );
    Ok(())
}
