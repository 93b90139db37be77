//! Which configured database an appmap item names. One place for the rule,
//! so the TUI, the headless commands and the status output agree.

use super::{AppMapItem, DatabaseRef, DbSide, PerDb, Site};

/// The configured database `item` points at, if any.
pub fn database_of(item: &AppMapItem, databases: &PerDb<DatabaseRef>) -> Option<DbSide> {
    DbSide::ALL
        .into_iter()
        .find(|side| item.matches(&databases[*side]))
}

/// Marks what is wrong across items, which no single item shows: a site
/// other than SITEA/SITEB, and two items for one site (possible with the
/// original scripts' `site` + `dbengine` key). Each adapter marks what is
/// wrong inside one item itself (a missing or non-string attribute).
pub fn mark_problems(mut items: Vec<AppMapItem>) -> Vec<AppMapItem> {
    let sites: Vec<String> = items.iter().map(|i| i.site.clone()).collect();
    for item in &mut items {
        if item.problem.is_some() {
            continue;
        }
        if let Err(e) = Site::parse(&item.site).and_then(|s| {
            (s.as_str() == item.site)
                .then_some(())
                .ok_or_else(|| format!("site `{}` is not written as {s}", item.site))
        }) {
            item.problem = Some(format!("{e}; the cockpit routes SITEA and SITEB only"));
            continue;
        }
        let same = sites.iter().filter(|s| **s == item.site).count();
        if same > 1 {
            item.problem = Some(format!(
                "{same} items for {}: keep exactly one (delete the others, or run dms-cockpit setup appmap)",
                item.site
            ));
        }
    }
    items
}

/// The item for `site` (sites compare case-sensitively, as DynamoDB keys do).
/// A malformed item is never used: its problem is the error.
pub fn item_for(items: &[AppMapItem], site: Site) -> Result<&AppMapItem, String> {
    let mut found = items.iter().filter(|i| i.site == site.as_str());
    match (found.next(), found.next()) {
        (Some(item), None) => match &item.problem {
            Some(problem) => Err(format!(
                "the appmap item for {site} is malformed ({problem}): fix it before writing as {site} or flipping it"
            )),
            None => Ok(item),
        },
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
