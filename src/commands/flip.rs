//! `dms-cockpit flip SITE`: the TUI's `f` key for scripts. Shows what the
//! site points at now and where it will point, asks (or `--yes`), then
//! flips conditionally on exactly what was shown.

use super::confirm::confirm;
use super::connect;
use super::{Failure, Outcome, after_change};
use crate::app::guard;
use crate::backend::ops::Mutation;
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
        routing::flip_target(&items, site, &backends.databases).map_err(Failure::Failed)?;
    let from = backends.databases[to.other()].clone();
    let question = format!(
        "Flip {site} from {} to {}?",
        format::db_long(&from),
        format::db_long(&backends.databases[to])
    );
    if !confirm(&question, args.yes)? {
        return Err(Failure::Failed("cancelled: nothing was changed".into()));
    }
    let (item, db) = match backends
        .flip_site(site, Some(seen), &connected.settings.operator)
        .await
    {
        Ok(done) => done,
        Err(e) => {
            let failed = |e: &crate::backend::BackendError| format!("flip of {site} failed: {e}");
            return Err(after_change(backends, Mutation::Flip(site, to), e, failed).await);
        }
    };
    // What the flip returned, not what was read before it.
    super::output::say(format!(
        "{site} now writes to {} (appmap item: {})",
        format::db_long(&backends.databases[db]),
        item.describe()
    ))?;
    Ok(())
}
