//! What `setup sql --apply` finds in a PostgreSQL database before it runs
//! the scripts, so that a heartbeat table made by the original proof of
//! concept gets an explanation and a fix instead of PostgreSQL's "index
//! heartbeat_id_uk cannot be used as replica identity because column
//! heartbeat_id is nullable".
//!
//! The original table has a nullable `heartbeat_id` and an extra
//! `description` column; its two databases' sequences start at 10000 and
//! 20000, so after 10,000 heartbeats the first database starts handing out
//! ids the second already used. Setup never drops anything: it makes the
//! column NOT NULL when no row holds a null, keeps `description`, and for
//! the sequences prints the `ALTER SEQUENCE` statements that separate them.

use std::fmt;

use sqlx::postgres::PgPool;

use crate::backend::BackendError;

use super::sql::SqlParams;

/// What the existing heartbeat table looks like (PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeartbeatShape {
    pub exists: bool,
    /// `heartbeat_id` allows NULL (the original's shape).
    pub id_nullable: bool,
    /// Rows whose `heartbeat_id` is NULL.
    pub null_ids: i64,
    /// The original's extra `description` column is there.
    pub has_description: bool,
    /// ... and must be given on insert (NOT NULL without a default), which
    /// the cockpit's insert does not do.
    pub description_required: bool,
}

/// Reads the heartbeat table's shape; nothing is changed.
pub async fn inspect(
    pool: &PgPool,
    params: &SqlParams<'_>,
) -> Result<HeartbeatShape, BackendError> {
    let schema = params
        .names
        .table_schema()
        .unwrap_or("public")
        .to_lowercase();
    let table = params.names.table_name().to_lowercase();
    let q = |e: sqlx::Error| {
        BackendError::Other(format!("reading the heartbeat table's shape: {e}").into()).caused_by(e)
    };
    let columns: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT column_name::text, is_nullable::text, column_default::text \
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
    )
    .bind(&schema)
    .bind(&table)
    .fetch_all(pool)
    .await
    .map_err(q)?;
    if columns.is_empty() {
        return Ok(HeartbeatShape::default());
    }
    let column = |name: &str| columns.iter().find(|(c, _, _)| c == name);
    let id_nullable = column("heartbeat_id").is_some_and(|(_, n, _)| n == "YES");
    let description = column("description");
    let null_ids = if id_nullable {
        // The names are validated identifiers (HeartbeatNames).
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {} WHERE heartbeat_id IS NULL",
            params.names.table()
        )))
        .fetch_one(pool)
        .await
        .map_err(q)?
    } else {
        0
    };
    Ok(HeartbeatShape {
        exists: true,
        id_nullable,
        null_ids,
        has_description: description.is_some(),
        description_required: description.is_some_and(|(_, n, d)| n == "NO" && d.is_none()),
    })
}

/// Makes the original's table fit the scripts: `heartbeat_id` NOT NULL
/// when no row holds a null (refused, with the count, otherwise). Returns
/// what it explained and did, one line each. Never drops anything.
pub async fn fit(
    pool: &PgPool,
    params: &SqlParams<'_>,
    shape: &HeartbeatShape,
) -> Result<Vec<String>, BackendError> {
    let table = params.names.table();
    let mut notes = Vec::new();
    if shape.has_description {
        notes.push(format!(
            "{table} has the original proof of concept's `description` column: kept (setup never drops anything); the cockpit does not fill it"
        ));
    }
    if shape.description_required {
        notes.push(format!(
            "warning: {table}.description is NOT NULL without a default, so the cockpit's heartbeat insert will fail: ALTER TABLE {table} ALTER COLUMN description DROP NOT NULL;"
        ));
    }
    if shape.id_nullable {
        if shape.null_ids > 0 {
            return Err(BackendError::InvalidState(format!(
                "{table} is the original proof of concept's shape: heartbeat_id allows NULL, and DMS needs the unique index on it as the table's replica identity, which PostgreSQL refuses on a nullable column. {} row(s) hold a NULL heartbeat_id, so setup cannot make it NOT NULL: give them ids (or delete them) and run setup sql --apply again. Nothing was changed.",
                shape.null_ids
            ).into()));
        }
        // The name is a validated identifier (HeartbeatNames).
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE {table} ALTER COLUMN heartbeat_id SET NOT NULL"
        )))
        .execute(pool)
        .await
        .map_err(|e| {
            BackendError::Other(format!("making {table}.heartbeat_id NOT NULL: {e}").into())
                .caused_by(e)
        })?;
        notes.push(format!(
            "{table} had the original proof of concept's nullable heartbeat_id (DMS needs its unique index as replica identity, which PostgreSQL refuses on a nullable column); no row held a NULL, so it is now NOT NULL"
        ));
    }
    Ok(notes)
}

/// Where a heartbeat sequence is: the next id it hands out and how far it
/// may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    pub next: i64,
    pub increment: i64,
    pub max: i64,
}

/// Two databases' sequences that will hand out the same ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// Rows the lower sequence can still hand out before it reaches the
    /// higher one's next id.
    pub after_rows: i64,
    /// The statements that keep them apart.
    pub statements: Vec<String>,
}

impl fmt::Display for Collision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "warning: the two databases' heartbeat sequences will collide after {} more row(s) on the lower one (DMS does not replicate sequences, so each database needs its own range); separate them with:",
            self.after_rows
        )?;
        for s in &self.statements {
            write!(f, "\n    {s}")?;
        }
        Ok(())
    }
}

/// Where the higher range is moved when two ranges would meet.
pub const SEPARATE_AT: i64 = 1_000_000_000;

/// Whether `this` (sequence `this_name`, in this database) and `other`
/// (sequence `other_name` in the other one) will hand out the same ids,
/// and the `ALTER SEQUENCE`s that prevent it: the lower range gets a
/// MAXVALUE below the higher one's start, so it fails loudly instead of
/// colliding, and the higher range moves up to [`SEPARATE_AT`] when it is
/// below that.
pub fn collision(this: (&str, SeqRange), other: (&str, SeqRange)) -> Option<Collision> {
    let (low, high) = if this.1.next <= other.1.next {
        (this, other)
    } else {
        (other, this)
    };
    let (low_name, l) = low;
    let (high_name, h) = high;
    if l.increment <= 0 || l.max < h.next {
        return None;
    }
    let after_rows = (h.next - l.next) / l.increment;
    let mut statements = Vec::new();
    let high_start = h.next.max(SEPARATE_AT);
    if high_start != h.next {
        statements.push(format!(
            "ALTER SEQUENCE {high_name} MINVALUE {high_start} START WITH {high_start} RESTART WITH {high_start};  -- in the database of {high_name}'s range"
        ));
    }
    statements.push(format!(
        "ALTER SEQUENCE {low_name} MAXVALUE {};  -- in the database of {low_name}'s range",
        high_start - 1
    ));
    Some(Collision {
        after_rows,
        statements,
    })
}

/// The range of the heartbeat sequence in the database `pool` reaches, or
/// `None` when it does not exist yet.
pub async fn sequence_range(
    pool: &PgPool,
    params: &SqlParams<'_>,
) -> Result<Option<SeqRange>, BackendError> {
    let schema = params
        .names
        .sequence_schema()
        .unwrap_or("public")
        .to_lowercase();
    let name = params.names.sequence_name().to_lowercase();
    let row: Option<(i64, Option<i64>, i64, i64)> = sqlx::query_as(
        "SELECT start_value, last_value, increment_by, max_value FROM pg_sequences \
         WHERE schemaname = $1 AND sequencename = $2",
    )
    .bind(&schema)
    .bind(&name)
    .fetch_optional(pool)
    .await
    .map_err(|e| {
        BackendError::Other(format!("reading sequence {schema}.{name}: {e}").into()).caused_by(e)
    })?;
    Ok(row.map(|(start, last, increment, max)| SeqRange {
        next: last.map(|l| l + increment).unwrap_or(start),
        increment,
        max,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(next: i64) -> SeqRange {
        SeqRange {
            next,
            increment: 1,
            max: i64::MAX,
        }
    }

    #[test]
    fn the_originals_ranges_collide_after_ten_thousand_rows() {
        let c = collision(("a_seq", range(10_000)), ("b_seq", range(20_000))).unwrap();
        assert_eq!(c.after_rows, 10_000);
        assert_eq!(
            c.statements,
            [
                "ALTER SEQUENCE b_seq MINVALUE 1000000000 START WITH 1000000000 RESTART WITH 1000000000;  -- in the database of b_seq's range",
                "ALTER SEQUENCE a_seq MAXVALUE 999999999;  -- in the database of a_seq's range",
            ]
        );
        // Symmetric: the order of the arguments does not matter.
        let d = collision(("b_seq", range(20_000)), ("a_seq", range(10_000))).unwrap();
        assert_eq!(c, d);
        assert!(c.to_string().contains("after 10000 more row(s)"));
    }

    #[test]
    fn separated_ranges_do_not_warn() {
        let capped = SeqRange {
            max: 999_999_999,
            ..range(1)
        };
        assert_eq!(collision(("a", capped), ("b", range(1_000_000_000))), None);
    }

    #[test]
    fn the_default_ranges_still_get_a_cap() {
        // setup's defaults (1 and 1e9) meet only after a billion rows, but
        // without a MAXVALUE they would: say so, and cap the lower one.
        let c = collision(("a", range(1)), ("b", range(1_000_000_000))).unwrap();
        assert_eq!(c.after_rows, 999_999_999);
        assert_eq!(c.statements.len(), 1);
    }
}
