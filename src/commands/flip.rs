//! `dms-cockpit flip SITE`: the TUI's `f` key for scripts. Computes the
//! same checklist as the TUI's confirmation from live state (lag by the
//! age of the heartbeats each database received), prints it, refuses a failed
//! check without `--force`, asks (or `--yes`), then flips conditionally on
//! exactly what was shown.

use super::connect;
use super::guarded::{self, Decision};
use super::{Failure, Outcome, after_change};
use crate::app::{checklist, guard};
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
    let audit = super::audit_log(connected);
    let request = format!("flip {site}");
    if let Err(e) = guard::check_writable(&backends.mode, "flip a site") {
        audit.refused(connected, &request, None, &e);
        return Err(Failure::BadInput(e));
    }
    let app = guarded::live_app(connected).await;
    let items = backends.read_appmap().await?;
    let (seen, to) = routing::flip_target(&items, site, &backends.databases)
        .map_err(|e| Failure::Failed(e.into()))?;
    let list = checklist::flip(&app, site, to);
    let from = backends.databases[to.other()].clone();
    let question = format!(
        "Flip {site} from {} to {}?",
        format::db_long(&from),
        format::db_long(&backends.databases[to])
    );
    let decision = match guarded::decide(&list, &question, args.guard.yes, args.guard.force) {
        Ok(d) => d,
        Err(e) => {
            audit.refused_app(&app, &request, Some(&list), &e.to_string());
            return Err(e);
        }
    };
    let outcome = backends
        .flip_site(site, Some(seen), &connected.settings.operator)
        .await;
    audit.outcome(
        &app,
        &request,
        &list,
        decision == Decision::Forced,
        &outcome,
    );
    let (item, db) = match outcome {
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
