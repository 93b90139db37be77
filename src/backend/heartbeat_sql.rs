//! What the PostgreSQL and Oracle heartbeat adapters share: the table's
//! names, the SQL text they run, and a password type that cannot leak
//! through `Debug`.
//!
//! The table and sequence names come from the config file and cannot be
//! passed as bind parameters, so they are spliced into SQL. That is only safe
//! because [`HeartbeatNames::parse`] admits nothing but plain identifiers
//! (letters, digits, `_`, `$`, one optional `schema.` prefix): no quotes,
//! spaces or semicolons can reach a statement. Names stay unquoted on purpose,
//! so each engine folds their case the way the original setup scripts did
//! (PostgreSQL to lower case, Oracle to upper case).
//!
//! Rows are read newest first by `last_update_dt`, then `heartbeat_id`: the
//! two databases draw ids from separate sequence ranges and DMS copies rows
//! both ways, so ordering by id alone would always put the other range on
//! top instead of the newest heartbeat.

use std::fmt;

/// The longest identifier accepted: PostgreSQL's limit (Oracle allows 128
/// since 12.2), so a name valid here works on both engines.
const MAX_IDENT_LEN: usize = 63;

/// The validated, possibly schema-qualified names of the heartbeat table and
/// its sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatNames {
    table: String,
    sequence: String,
}

impl Default for HeartbeatNames {
    /// The names the original setup scripts use.
    fn default() -> Self {
        HeartbeatNames {
            table: "customer_orders.heartbeat".to_string(),
            sequence: "customer_orders.seq_heartbeat".to_string(),
        }
    }
}

impl HeartbeatNames {
    pub const DEFAULT_TABLE: &'static str = "customer_orders.heartbeat";
    pub const DEFAULT_SEQUENCE: &'static str = "customer_orders.seq_heartbeat";

    /// Checks both names; the error names the bad value and what is allowed.
    pub fn parse(table: &str, sequence: &str) -> Result<HeartbeatNames, String> {
        check_qualified("heartbeat table", table)?;
        check_qualified("heartbeat sequence", sequence)?;
        Ok(HeartbeatNames {
            table: table.to_string(),
            sequence: sequence.to_string(),
        })
    }

    /// The table as configured, e.g. `customer_orders.heartbeat`.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The sequence as configured, e.g. `customer_orders.seq_heartbeat`.
    pub fn sequence(&self) -> &str {
        &self.sequence
    }

    /// The table's schema prefix, if it has one.
    pub fn table_schema(&self) -> Option<&str> {
        split(&self.table).0
    }

    /// The table name without its schema.
    pub fn table_name(&self) -> &str {
        split(&self.table).1
    }

    pub fn sequence_schema(&self) -> Option<&str> {
        split(&self.sequence).0
    }

    pub fn sequence_name(&self) -> &str {
        split(&self.sequence).1
    }
}

impl fmt::Display for HeartbeatNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table {}, sequence {}", self.table, self.sequence)
    }
}

/// A database password. Its `Debug` prints `***` so that a config or
/// connect-options struct can derive `Debug` without leaking it; the value
/// is only reachable through [`Password::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Password {
        Password(value.into())
    }

    /// The secret itself, for the one place that hands it to a driver.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Password {
    fn from(value: String) -> Password {
        Password(value)
    }
}

fn split(qualified: &str) -> (Option<&str>, &str) {
    match qualified.split_once('.') {
        Some((schema, name)) => (Some(schema), name),
        None => (None, qualified),
    }
}

fn check_qualified(what: &str, value: &str) -> Result<(), String> {
    let allowed = "expected an identifier of letters, digits, `_` and `$` starting with a letter or `_` \
                   (at most 63 characters), optionally prefixed by `schema.`, e.g. `customer_orders.heartbeat`";
    let parts: Vec<&str> = value.split('.').collect();
    let ok = parts.len() <= 2 && parts.iter().all(|p| is_identifier(p));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid {what} name `{value}`: {allowed}"))
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    s.len() <= MAX_IDENT_LEN
        && (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// PostgreSQL: the latest `n` rows, newest first. Casts make the query
/// work whether the original scripts declared the id `numeric`, `integer` or
/// `bigint` and the site `char` or `varchar`.
///
/// The limit is part of the text, not a parameter: the adapter sends this
/// as a simple query, which costs one round trip where a prepared statement
/// costs two on a connection that has not prepared it yet (see
/// `backend/postgres.rs`). A `usize` rendered by us cannot inject anything.
pub fn pg_latest(names: &HeartbeatNames, n: usize) -> String {
    format!(
        "SELECT heartbeat_id::bigint AS heartbeat_id, last_update_dt, last_update_site::text AS last_update_site \
         FROM {table} ORDER BY last_update_dt DESC, heartbeat_id DESC LIMIT {n}",
        table = names.table()
    )
}

/// PostgreSQL: insert `(nextval, now in UTC, $1)` and return the row. The
/// column is `timestamp` without time zone, so the value is written as UTC
/// wall-clock time whatever the session's time zone.
pub fn pg_insert(names: &HeartbeatNames) -> String {
    format!(
        "INSERT INTO {table} (heartbeat_id, last_update_dt, last_update_site) \
         VALUES (nextval('{seq}'), (now() AT TIME ZONE 'UTC'), $1) \
         RETURNING heartbeat_id::bigint AS heartbeat_id, last_update_dt, last_update_site::text AS last_update_site",
        table = names.table(),
        seq = names.sequence()
    )
}

/// PostgreSQL: exactly the rows whose id is one of `ids` (non-empty). The
/// ids are numbers rendered by us, in the text, so the adapter can send it
/// as a simple query: one round trip on any connection, like the latest
/// rows (see `backend/postgres.rs`). The column is compared as it is
/// declared (`bigint` in the setup scripts), so the unique index on it
/// serves the lookup.
pub fn pg_by_ids(names: &HeartbeatNames, ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!(
        "SELECT heartbeat_id::bigint AS heartbeat_id, last_update_dt, last_update_site::text AS last_update_site \
         FROM {table} WHERE heartbeat_id IN ({list})",
        table = names.table(),
        list = list.join(", ")
    )
}

/// Oracle allows at most 1,000 expressions in an `IN` list (ORA-01795).
pub const ORACLE_IN_LIMIT: usize = 1000;

/// Oracle: exactly the rows whose id is one of `n` binds `:1` … `:n`
/// (`1 <= n <= ORACLE_IN_LIMIT`; the caller splits longer lists). Oracle
/// has no array bind without a SQL collection type the setup would have to
/// create, and an `IN` list of binds keeps the statement shareable per size.
pub fn oracle_by_ids(names: &HeartbeatNames, n: usize) -> String {
    let binds: Vec<String> = (1..=n.clamp(1, ORACLE_IN_LIMIT))
        .map(|i| format!(":{i}"))
        .collect();
    format!(
        "SELECT heartbeat_id, last_update_dt, last_update_site FROM {table} \
         WHERE heartbeat_id IN ({binds})",
        table = names.table(),
        binds = binds.join(", ")
    )
}

/// Oracle (12c and later): the latest `:n` rows, newest first.
pub fn oracle_latest(names: &HeartbeatNames) -> String {
    format!(
        "SELECT heartbeat_id, last_update_dt, last_update_site FROM {table} \
         ORDER BY last_update_dt DESC, heartbeat_id DESC FETCH FIRST :n ROWS ONLY",
        table = names.table()
    )
}

/// Oracle: insert `(NEXTVAL, now in UTC, :site)` and hand the id and time
/// back through `:id` and `:dt` in the same round trip.
pub fn oracle_insert(names: &HeartbeatNames) -> String {
    format!(
        "INSERT INTO {table} (heartbeat_id, last_update_dt, last_update_site) \
         VALUES ({seq}.NEXTVAL, SYS_EXTRACT_UTC(SYSTIMESTAMP), :site) \
         RETURNING heartbeat_id, last_update_dt INTO :id, :dt",
        table = names.table(),
        seq = names.sequence()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_debug_hides_the_value() {
        let p = Password::new("hunter2");
        assert_eq!(format!("{p:?}"), "***");
        assert_eq!(format!("{:?}", Some(p.clone())), "Some(***)");
        assert_eq!(p.expose(), "hunter2");
    }

    #[test]
    fn default_names_are_the_original_ones() {
        let names = HeartbeatNames::default();
        assert_eq!(names.table(), "customer_orders.heartbeat");
        assert_eq!(names.sequence(), "customer_orders.seq_heartbeat");
        assert_eq!(names.table_schema(), Some("customer_orders"));
        assert_eq!(names.table_name(), "heartbeat");
        assert_eq!(names.sequence_name(), "seq_heartbeat");
        assert_eq!(
            HeartbeatNames::parse(
                HeartbeatNames::DEFAULT_TABLE,
                HeartbeatNames::DEFAULT_SEQUENCE
            ),
            Ok(names)
        );
    }

    #[test]
    fn accepts_plain_and_qualified_identifiers() {
        let names = HeartbeatNames::parse("hb$1", "app_2.SEQ_HB").unwrap();
        assert_eq!(names.table_schema(), None);
        assert_eq!(names.table_name(), "hb$1");
        assert_eq!(names.sequence_schema(), Some("app_2"));
        assert!(HeartbeatNames::parse("_x.y", "z").is_ok());
    }

    #[test]
    fn rejects_anything_that_could_change_the_statement() {
        for bad in [
            "",
            "a.b.c",
            "x; DROP TABLE t",
            "\"quoted\"",
            "1abc",
            "a..b",
            ".a",
            "a.",
            "sch ema.t",
            "t--",
            "t'",
            "tä",
        ] {
            let err = HeartbeatNames::parse(bad, "s").unwrap_err();
            assert!(err.contains(&format!("`{bad}`")), "{err}");
            assert!(err.contains("heartbeat table"), "{err}");
            assert!(err.contains("letters, digits"), "{err}");
        }
        let err = HeartbeatNames::parse("t", "seq;").unwrap_err();
        assert!(
            err.starts_with("invalid heartbeat sequence name `seq;`"),
            "{err}"
        );
        let long = "a".repeat(64);
        assert!(HeartbeatNames::parse(&long, "s").is_err());
        assert!(HeartbeatNames::parse(&long[..63], "s").is_ok());
    }

    #[test]
    fn postgres_sql_uses_the_configured_names() {
        let names = HeartbeatNames::parse("app.hb", "app.hb_seq").unwrap();
        let latest = pg_latest(&names, 5);
        assert!(
            latest.ends_with("FROM app.hb ORDER BY last_update_dt DESC, heartbeat_id DESC LIMIT 5")
        );
        let insert = pg_insert(&names);
        assert!(
            insert
                .starts_with("INSERT INTO app.hb (heartbeat_id, last_update_dt, last_update_site)")
        );
        assert!(insert.contains("nextval('app.hb_seq')"));
        assert!(insert.contains("now() AT TIME ZONE 'UTC'"));
        assert!(insert.contains("RETURNING heartbeat_id"));
    }

    #[test]
    fn by_ids_sql_asks_for_exactly_the_ids() {
        let names = HeartbeatNames::default();
        assert_eq!(
            pg_by_ids(&names, &[7, -1, 1_000_000_000]),
            "SELECT heartbeat_id::bigint AS heartbeat_id, last_update_dt, last_update_site::text AS last_update_site \
             FROM customer_orders.heartbeat WHERE heartbeat_id IN (7, -1, 1000000000)"
        );
        assert_eq!(
            oracle_by_ids(&names, 3),
            "SELECT heartbeat_id, last_update_dt, last_update_site FROM customer_orders.heartbeat \
             WHERE heartbeat_id IN (:1, :2, :3)"
        );
        let most = oracle_by_ids(&names, 5000);
        assert!(most.ends_with(":999, :1000)"), "{most}");
        assert_eq!(most.matches(':').count(), ORACLE_IN_LIMIT);
    }

    #[test]
    fn oracle_sql_uses_the_configured_names() {
        let names = HeartbeatNames::default();
        assert_eq!(
            oracle_latest(&names),
            "SELECT heartbeat_id, last_update_dt, last_update_site FROM customer_orders.heartbeat \
             ORDER BY last_update_dt DESC, heartbeat_id DESC FETCH FIRST :n ROWS ONLY"
        );
        assert_eq!(
            oracle_insert(&names),
            "INSERT INTO customer_orders.heartbeat (heartbeat_id, last_update_dt, last_update_site) \
             VALUES (customer_orders.seq_heartbeat.NEXTVAL, SYS_EXTRACT_UTC(SYSTIMESTAMP), :site) \
             RETURNING heartbeat_id, last_update_dt INTO :id, :dt"
        );
    }
}
