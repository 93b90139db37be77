//! Which configured database an appmap item names. One place for the rule,
//! so the TUI, the headless commands and the status output agree.

use super::{AppMapItem, DatabaseRef, DbSide, PerDb, Site};

/// The configured database `item` points at, if any.
pub fn database_of(item: &AppMapItem, databases: &PerDb<DatabaseRef>) -> Option<DbSide> {
    DbSide::ALL
        .into_iter()
        .find(|side| item.matches(&databases[*side]))
}

/// The item for `site` (sites compare case-sensitively, as DynamoDB keys do).
pub fn item_for(items: &[AppMapItem], site: Site) -> Result<&AppMapItem, String> {
    let mut found = items.iter().filter(|i| i.site == site.as_str());
    match (found.next(), found.next()) {
        (Some(item), None) => Ok(item),
        (None, _) => Err(format!(
            "the appmap has no item for {site}: add one (dms-cockpit setup appmap) before writing as {site}"
        )),
        (Some(_), Some(_)) => Err(format!(
            "the appmap has more than one item for {site}: keep exactly one, then retry"
        )),
    }
}

/// Where a heartbeat written as `site` must go, with a message naming what
/// the item says when it matches neither configured database.
pub fn route(
    items: &[AppMapItem],
    site: Site,
    databases: &PerDb<DatabaseRef>,
) -> Result<DbSide, String> {
    let item = item_for(items, site)?;
    database_of(item, databases).ok_or_else(|| {
        format!(
            "{site} points at {} which is neither configured database (a: {} {}, b: {} {}); fix the appmap item or the config",
            item.describe(),
            databases.a.engine,
            databases.a.address(),
            databases.b.engine,
            databases.b.address(),
        )
    })
}

/// The database a flip of `site` moves it to: the one it does not point at.
pub fn flip_target(
    items: &[AppMapItem],
    site: Site,
    databases: &PerDb<DatabaseRef>,
) -> Result<(AppMapItem, DbSide), String> {
    let item = item_for(items, site)?;
    let current = database_of(item, databases).ok_or_else(|| {
        format!(
            "{site} points at {} which is neither configured database; fix the item by hand before flipping",
            item.describe()
        )
    })?;
    Ok((item.clone(), current.other()))
}
