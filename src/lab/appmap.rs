//! The lab's appmap: the DynamoDB table's items kept in `control.db`, with
//! the same attributes and the same conditional flip (one transaction that
//! changes nothing unless the stored item is still the one the operator saw).

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};

use super::{Lab, clock, db_error};
use crate::backend::ops::same_mapping;
use crate::backend::{AppMapItem, AppMapStore, BackendError, BackendResult, DatabaseRef};

/// Seeds SITEA on database a and SITEB on database b, as the original
/// setup scripts do before any flip.
pub(crate) async fn seed(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    let dbs = Lab::databases();
    for (site, db) in [("SITEA", &dbs.a), ("SITEB", &dbs.b)] {
        write(conn, &AppMapItem::new(site, db), true).await?;
    }
    Ok(())
}

async fn write(conn: &mut SqliteConnection, item: &AppMapItem, insert: bool) -> sqlx::Result<u64> {
    let extra = serde_json::to_string(&item.extra).expect("a string map always serialises");
    let sql = if insert {
        "INSERT INTO appmap (dbengine, endpoint, port, dbname, username, extra_json, site)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    } else {
        "UPDATE appmap SET dbengine = ?1, endpoint = ?2, port = ?3, dbname = ?4,
         username = ?5, extra_json = ?6 WHERE site = ?7"
    };
    let done = sqlx::query(sql)
        .bind(&item.dbengine)
        .bind(&item.endpoint)
        .bind(&item.port)
        .bind(&item.dbname)
        .bind(&item.username)
        .bind(extra)
        .bind(&item.site)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

fn item_of(row: &SqliteRow) -> BackendResult<AppMapItem> {
    let extra_json: String = row.get("extra_json");
    let site: String = row.get("site");
    let extra = serde_json::from_str(&extra_json).map_err(|e| {
        BackendError::Malformed(format!(
            "lab appmap item {site} has extra attributes that are not a JSON string map ({e})"
        ))
    })?;
    Ok(AppMapItem {
        site,
        dbengine: row.get("dbengine"),
        endpoint: row.get("endpoint"),
        port: row.get("port"),
        dbname: row.get("dbname"),
        username: row.get("username"),
        extra,
        problem: None,
    })
}

const SELECT: &str =
    "SELECT site, dbengine, endpoint, port, dbname, username, extra_json FROM appmap";
const SELECT_SITE: &str = "SELECT site, dbengine, endpoint, port, dbname, username, extra_json FROM appmap WHERE site = ?1";

/// [`AppMapStore`] over the lab's control database.
pub(crate) struct LabAppMap {
    pub(crate) pool: SqlitePool,
}

#[async_trait]
impl AppMapStore for LabAppMap {
    async fn read_all(&self) -> BackendResult<Vec<AppMapItem>> {
        let rows = sqlx::query(SELECT)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| db_error("reading the lab appmap", e))?;
        let mut items: Vec<AppMapItem> = rows.iter().map(item_of).collect::<Result<_, _>>()?;
        items.sort_by(|x, y| x.site.cmp(&y.site));
        Ok(items)
    }

    async fn flip(
        &self,
        expected: &AppMapItem,
        to: &DatabaseRef,
        who: &str,
    ) -> BackendResult<AppMapItem> {
        let err = |e| db_error(&format!("flipping {} in the lab appmap", expected.site), e);
        // IMMEDIATE takes the write lock up front, so the check and the
        // write below see the same item even with another flip racing.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(err)?;
        let row = sqlx::query(SELECT_SITE)
            .bind(&expected.site)
            .fetch_optional(&mut *tx)
            .await
            .map_err(err)?;
        let Some(row) = row else {
            return Err(BackendError::NotFound(format!(
                "the lab appmap has no item for {}: nothing was changed",
                expected.site
            )));
        };
        let current = item_of(&row)?;
        if !same_mapping(&current, expected) {
            return Err(BackendError::Conflict(format!(
                "{}'s appmap item changed underneath: expected {}, it now says {}; nothing was changed, read the appmap again and retry",
                expected.site,
                expected.describe(),
                current.describe()
            )));
        }
        let mut next = current.pointing_at(to);
        next.extra.insert("flipped_by".to_string(), who.to_string());
        next.extra
            .insert("flipped_at".to_string(), clock::now_text());
        write(&mut tx, &next, false).await.map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(next)
    }
}
