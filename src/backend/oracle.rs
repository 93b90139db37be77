//! The heartbeat table of an Oracle database, through the `oracle` crate
//! (ODPI-C over Oracle Instant Client, loaded at run time).
//!
//! The driver is blocking, so every call runs on tokio's blocking pool and
//! is cut off client-side after the connect plus statement timeouts: a dead
//! listener or a hung network never stalls the runtime or the caller. One
//! connection is cached behind a mutex (the cockpit issues one call at a
//! time per database) and thrown away after any error, so the next call
//! starts from a fresh connection instead of reusing a broken one.
//!
//! Oracle and ODPI-C errors arrive as codes (`ORA-01017`, `DPI-1047`, …);
//! [`classify`] turns them into [`BackendError`]s that say what to do. It is
//! a pure function over the code and message so every branch is unit-tested
//! without an Oracle server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use oracle::sql_type::{OracleType, Timestamp};
use oracle::{Connection, Connector};

use super::heartbeat_sql::{self, HeartbeatNames, Password};
use super::{BackendError, BackendResult, DbSide, HeartbeatRow, HeartbeatStore, Site};

/// Everything needed to reach one Oracle heartbeat table.
#[derive(Debug, Clone)]
pub struct OracleConnect {
    /// Which configured database this is, for the setup hint in errors.
    pub side: DbSide,
    pub host: String,
    pub port: u16,
    /// The service name (`//host:port/service`).
    pub service: String,
    pub username: String,
    pub password: Option<Password>,
    pub names: HeartbeatNames,
    pub connect_timeout: Duration,
    /// Limit of each round trip (ODPI-C's call timeout).
    pub statement_timeout: Duration,
}

impl OracleConnect {
    /// `host:port/service`, how messages name the database.
    pub fn address(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.service)
    }

    /// The Easy Connect form, `//host:port/service`.
    pub fn easy_connect(&self) -> String {
        format!("//{}", self.address())
    }

    /// The connect descriptor actually used: the same address as
    /// [`easy_connect`](Self::easy_connect), written out so it can carry a
    /// connect timeout on every client version (Easy Connect only takes
    /// parameters from 19c on).
    pub fn descriptor(&self) -> String {
        let secs = self.connect_timeout.as_secs().max(1);
        format!(
            "(DESCRIPTION=(CONNECT_TIMEOUT={secs})(TRANSPORT_CONNECT_TIMEOUT={secs})(RETRY_COUNT=0)\
             (ADDRESS=(PROTOCOL=TCP)(HOST={})(PORT={}))(CONNECT_DATA=(SERVICE_NAME={})))",
            self.host, self.port, self.service
        )
    }

    /// Client-side bound of one call: connecting plus one round trip, with
    /// slack so Oracle's own timeouts, with better messages, fire first.
    pub fn call_limit(&self) -> Duration {
        self.connect_timeout + self.statement_timeout + Duration::from_secs(1)
    }
}

struct Inner {
    opts: OracleConnect,
    conn: Mutex<Option<Connection>>,
    latest_sql: String,
    insert_sql: String,
}

/// The [`HeartbeatStore`] of one Oracle database.
#[derive(Clone)]
pub struct OracleHeartbeat {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for OracleHeartbeat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OracleHeartbeat")
            .field("opts", &self.inner.opts)
            .finish_non_exhaustive()
    }
}

impl OracleHeartbeat {
    /// Builds the adapter without connecting (and without loading the
    /// client library): the first call does both, so the cockpit starts
    /// and shows the error in the panel when either is missing.
    pub fn new(opts: OracleConnect) -> OracleHeartbeat {
        OracleHeartbeat {
            inner: Arc::new(Inner {
                latest_sql: heartbeat_sql::oracle_latest(&opts.names),
                insert_sql: heartbeat_sql::oracle_insert(&opts.names),
                opts,
                conn: Mutex::new(None),
            }),
        }
    }

    /// Runs `work` on the cached connection (connecting first if needed) on
    /// a blocking thread, bounded by the call limit.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection, &Inner) -> oracle::Result<T> + Send + 'static,
    ) -> BackendResult<T> {
        let inner = Arc::clone(&self.inner);
        let limit = inner.opts.call_limit();
        let task = tokio::task::spawn_blocking(move || {
            // A panic in an earlier call leaves at worst a connection we
            // then drop: the data behind the mutex stays usable.
            let mut guard = inner.conn.lock().unwrap_or_else(|p| p.into_inner());
            let conn = match guard.take() {
                Some(conn) => conn,
                None => connect(&inner.opts).map_err(|e| classify_error(e, &inner.opts))?,
            };
            match work(&conn, &inner) {
                Ok(value) => {
                    *guard = Some(conn);
                    Ok(value)
                }
                // The connection is dropped here: the next call reconnects.
                Err(err) => Err(classify_error(err, &inner.opts)),
            }
        });
        match tokio::time::timeout(limit, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(BackendError::Other(
                format!(
                    "the Oracle call to {} failed inside the driver: {join}",
                    self.inner.opts.address()
                )
                .into(),
            )),
            Err(_) => Err(BackendError::Timeout(limit)),
        }
    }
}

fn connect(opts: &OracleConnect) -> oracle::Result<Connection> {
    let password = opts.password.as_ref().map(Password::expose).unwrap_or("");
    let conn = Connector::new(opts.username.as_str(), password, opts.descriptor()).connect()?;
    conn.set_call_timeout(Some(opts.statement_timeout))?;
    Ok(conn)
}

#[async_trait]
impl HeartbeatStore for OracleHeartbeat {
    async fn validation_failures(
        &self,
        _of: &super::validation::FailuresOf,
        _latest: usize,
    ) -> BackendResult<super::validation::ValidationSummary> {
        Ok(super::validation::ValidationSummary {
            unavailable: Some(format!(
                "not read: reading DMS validation failures (awsdms_validation_failures_v1) is implemented for PostgreSQL targets only; database {} is Oracle",
                self.inner.opts.side
            )),
            ..Default::default()
        })
    }

    async fn latest(&self, n: usize) -> BackendResult<Vec<HeartbeatRow>> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let raw = self
            .run(move |conn, inner| {
                let rows = conn.query_named(&inner.latest_sql, &[("n", &n)])?;
                let mut out = Vec::new();
                for row in rows {
                    let row = row?;
                    out.push((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Timestamp>(1)?,
                        row.get::<_, String>(2)?,
                    ));
                }
                Ok(out)
            })
            .await?;
        raw.into_iter()
            .map(|(id, ts, site)| self.row(id, &ts, site))
            .collect()
    }

    async fn insert(&self, site: Site) -> BackendResult<HeartbeatRow> {
        let (id, ts) = self
            .run(move |conn, inner| {
                let mut stmt = conn.statement(&inner.insert_sql).build()?;
                stmt.execute_named(&[
                    ("site", &site.as_str()),
                    ("id", &None::<i64>),
                    ("dt", &OracleType::Timestamp(6)),
                ])?;
                let ids: Vec<i64> = stmt.returned_values("id")?;
                let dts: Vec<Timestamp> = stmt.returned_values("dt")?;
                conn.commit()?;
                match (ids.first(), dts.first()) {
                    (Some(id), Some(dt)) => Ok((*id, *dt)),
                    _ => Err(oracle::Error::new(
                        oracle::ErrorKind::NoDataFound,
                        "the INSERT returned no heartbeat_id/last_update_dt",
                    )),
                }
            })
            .await?;
        self.row(id, &ts, site.as_str().to_string())
    }

    async fn by_ids(&self, ids: &[i64]) -> BackendResult<Vec<HeartbeatRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = ids.to_vec();
        let raw = self
            .run(move |conn, inner| {
                let mut out = Vec::new();
                // One statement per 1,000 ids (Oracle's IN-list limit); the
                // screen asks for tens, so in practice this is one query.
                for chunk in ids.chunks(heartbeat_sql::ORACLE_IN_LIMIT) {
                    let sql = heartbeat_sql::oracle_by_ids(&inner.opts.names, chunk.len());
                    let binds: Vec<&dyn oracle::sql_type::ToSql> = chunk
                        .iter()
                        .map(|id| id as &dyn oracle::sql_type::ToSql)
                        .collect();
                    for row in conn.query(&sql, &binds)? {
                        let row = row?;
                        out.push((
                            row.get::<_, i64>(0)?,
                            row.get::<_, Timestamp>(1)?,
                            row.get::<_, String>(2)?,
                        ));
                    }
                }
                Ok(out)
            })
            .await?;
        raw.into_iter()
            .map(|(id, ts, site)| self.row(id, &ts, site))
            .collect()
    }
}

impl OracleHeartbeat {
    fn row(&self, id: i64, ts: &Timestamp, site: String) -> BackendResult<HeartbeatRow> {
        let at = timestamp_to_utc(ts).ok_or_else(|| {
            BackendError::Malformed(
                format!(
                    "heartbeat {id} in {} at {} has an impossible last_update_dt {ts}",
                    self.inner.opts.names.table(),
                    self.inner.opts.address()
                )
                .into(),
            )
        })?;
        Ok(HeartbeatRow {
            id,
            at,
            site: site.trim_end().to_string(),
        })
    }
}

/// The column is a `TIMESTAMP` holding UTC (written with
/// `SYS_EXTRACT_UTC(SYSTIMESTAMP)`), so its fields are read as UTC.
fn timestamp_to_utc(ts: &Timestamp) -> Option<DateTime<Utc>> {
    let naive = NaiveDate::from_ymd_opt(ts.year(), ts.month(), ts.day())?.and_hms_nano_opt(
        ts.hour(),
        ts.minute(),
        ts.second(),
        ts.nanosecond(),
    )?;
    Some(naive.and_utc())
}

/// [`classify`] of a driver error, which stays as the cause (for the log
/// file).
fn classify_error(err: oracle::Error, opts: &OracleConnect) -> BackendError {
    let phrased = classify(
        &OracleFailure {
            ora_code: err.oci_code(),
            dpi_code: err.dpi_code(),
            message: err.to_string(),
        },
        opts,
    );
    phrased.caused_by(err)
}

/// The parts of a driver error that decide what to tell a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleFailure {
    /// `ORA-nnnnn` as a number, when the server or client library sent one.
    pub ora_code: Option<i32>,
    /// `DPI-nnnn` as a number, when ODPI-C raised the error.
    pub dpi_code: Option<i32>,
    pub message: String,
}

/// Finds `PREFIX-nnnn` in a message (e.g. `DPI-1080: connection was closed
/// by ORA-3113`), for codes the driver did not hand over as numbers.
fn code_in(message: &str, prefix: &str) -> Option<i32> {
    let start = message.find(prefix)? + prefix.len();
    let digits: String = message[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// Turns an Oracle failure into an error that says what to do.
pub fn classify(failure: &OracleFailure, opts: &OracleConnect) -> BackendError {
    let msg = failure.message.as_str();
    let ora = failure.ora_code.or_else(|| code_in(msg, "ORA-"));
    let dpi = failure.dpi_code.or_else(|| code_in(msg, "DPI-"));
    let addr = opts.address();
    let first_line = msg.lines().next().unwrap_or(msg).trim();

    if dpi == Some(1047) {
        return BackendError::Unavailable(
            "Oracle client library not found (DPI-1047): install Oracle Instant Client and set LD_LIBRARY_PATH to its directory"
                .into(),
        );
    }
    // DPI-1067: call timeout exceeded; ORA-03156: OCI call timed out.
    if dpi == Some(1067) || ora == Some(3156) {
        return BackendError::Timeout(opts.statement_timeout);
    }
    // DPI-1010 not connected, DPI-1080 closed by ORA-3113.
    if matches!(dpi, Some(1010) | Some(1080)) {
        return lost(&addr, first_line);
    }
    match ora {
        // no listener, unknown service, connect timeout, host unreachable,
        // host unknown, TNS unresolvable
        Some(12541 | 12514 | 12170 | 12543 | 12545 | 12154 | 12505) => {
            BackendError::Unavailable(format!(
                "cannot connect to Oracle at {addr} ({first_line}): is the listener running and the service name right?"
            ).into())
        }
        // end-of-file on channel, not connected, lost contact, connection closed
        Some(3113 | 3114 | 3135 | 12537 | 12547 | 28) => lost(&addr, first_line),
        Some(1017) => BackendError::Denied(format!(
            "Oracle at {addr} refused user `{}` (ORA-01017 invalid username or password): check the username and the password source (config, environment or secret) for database {}",
            opts.username, opts.side
        ).into()),
        Some(28000 | 28001) => BackendError::Denied(format!(
            "Oracle at {addr} refused user `{}` ({first_line}): ask the DBA to unlock the account or reset its password",
            opts.username
        ).into()),
        Some(942) => missing(
            &format!("table {}", opts.names.table()),
            &addr,
            first_line,
            opts.side,
        ),
        Some(2289) => missing(
            &format!("sequence {}", opts.names.sequence()),
            &addr,
            first_line,
            opts.side,
        ),
        Some(1031) => BackendError::Denied(format!(
            "user `{}` may not use the heartbeat objects at {addr} ({first_line}): grant it SELECT, INSERT on {} and SELECT on {}",
            opts.username,
            opts.names.table(),
            opts.names.sequence()
        ).into()),
        _ => BackendError::Other(format!("Oracle at {addr} failed: {first_line}").into()),
    }
}

fn lost(addr: &str, detail: &str) -> BackendError {
    BackendError::Unavailable(
        format!("lost the connection to Oracle at {addr} ({detail}); the next call reconnects")
            .into(),
    )
}

fn missing(what: &str, addr: &str, detail: &str, side: DbSide) -> BackendError {
    BackendError::NotFound(format!(
        "{what} does not exist in Oracle at {addr} ({detail}): create it with the scripts from `dms-cockpit setup sql --database {side}` (run them with SQL*Plus or SQLcl)"
    ).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> OracleConnect {
        OracleConnect {
            side: DbSide::A,
            host: "ora.example".into(),
            port: 1521,
            service: "ORCLPDB1".into(),
            username: "customer_orders".into(),
            password: Some(Password::new("tiger-secret")),
            names: HeartbeatNames::default(),
            connect_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
        }
    }

    fn ora(code: i32, message: &str) -> BackendError {
        classify(
            &OracleFailure {
                ora_code: Some(code),
                dpi_code: None,
                message: message.into(),
            },
            &opts(),
        )
    }

    fn dpi(message: &str) -> BackendError {
        classify(
            &OracleFailure {
                ora_code: None,
                dpi_code: code_in(message, "DPI-"),
                message: message.into(),
            },
            &opts(),
        )
    }

    #[test]
    fn connect_strings() {
        let o = opts();
        assert_eq!(o.easy_connect(), "//ora.example:1521/ORCLPDB1");
        assert_eq!(
            o.descriptor(),
            "(DESCRIPTION=(CONNECT_TIMEOUT=3)(TRANSPORT_CONNECT_TIMEOUT=3)(RETRY_COUNT=0)\
             (ADDRESS=(PROTOCOL=TCP)(HOST=ora.example)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=ORCLPDB1)))"
        );
        assert!(!format!("{o:?}").contains("tiger-secret"));
    }

    #[test]
    fn missing_client_library() {
        let err = dpi(
            // Verbatim what oracle 0.6 returns on a machine without Instant Client.
            "DPI Error: DPI-1047: Cannot locate a 64-bit Oracle Client library: \"libclntsh.so: cannot open shared object file: No such file or directory\". See https://oracle.github.io/odpi/doc/installation.html#linux for help",
        );
        assert_eq!(
            err,
            BackendError::Unavailable(
                "Oracle client library not found (DPI-1047): install Oracle Instant Client and set LD_LIBRARY_PATH to its directory".into()
            )
        );
    }

    #[test]
    fn unreachable_listener_or_service() {
        for (code, text) in [
            (12541, "ORA-12541: TNS:no listener"),
            (
                12514,
                "ORA-12514: TNS:listener does not currently know of service requested in connect descriptor",
            ),
            (12170, "ORA-12170: TNS:Connect timeout occurred"),
        ] {
            let BackendError::Unavailable(msg) = ora(code, text) else {
                panic!("{code} must be Unavailable")
            };
            assert!(
                msg.starts_with("cannot connect to Oracle at ora.example:1521/ORCLPDB1"),
                "{msg}"
            );
            assert!(msg.contains(text), "{msg}");
        }
    }

    #[test]
    fn bad_credentials_are_denied_without_the_password() {
        let err = ora(1017, "ORA-01017: invalid username/password; logon denied");
        let BackendError::Denied(msg) = &err else {
            panic!("expected Denied, got {err:?}")
        };
        assert!(msg.contains("user `customer_orders`"), "{msg}");
        assert!(
            msg.contains("check the username and the password source"),
            "{msg}"
        );
        assert!(!msg.contains("tiger-secret"));
        assert!(
            matches!(ora(28000, "ORA-28000: the account is locked"), BackendError::Denied(m) if m.contains("unlock"))
        );
    }

    #[test]
    fn missing_objects_point_at_setup() {
        let BackendError::NotFound(msg) = ora(942, "ORA-00942: table or view does not exist")
        else {
            panic!("942 must be NotFound")
        };
        assert!(
            msg.starts_with("table customer_orders.heartbeat does not exist"),
            "{msg}"
        );
        assert!(msg.contains("dms-cockpit setup sql --database a"), "{msg}");
        let BackendError::NotFound(msg) = ora(2289, "ORA-02289: sequence does not exist") else {
            panic!("2289 must be NotFound")
        };
        assert!(
            msg.starts_with("sequence customer_orders.seq_heartbeat does not exist"),
            "{msg}"
        );
    }

    #[test]
    fn codes_embedded_in_messages_are_found() {
        // The driver reports some server codes only inside a DPI message.
        let err = dpi("DPI-1080: connection was closed by ORA-3113");
        let BackendError::Unavailable(msg) = &err else {
            panic!("expected Unavailable, got {err:?}")
        };
        assert!(
            msg.starts_with("lost the connection to Oracle at ora.example:1521/ORCLPDB1"),
            "{msg}"
        );
        let no_numbers = classify(
            &OracleFailure {
                ora_code: None,
                dpi_code: None,
                message: "OCI Error: ORA-12541: TNS:no listener".into(),
            },
            &opts(),
        );
        assert!(
            matches!(no_numbers, BackendError::Unavailable(m) if m.contains("listener running"))
        );
        assert_eq!(code_in("ORA-00942: x", "ORA-"), Some(942));
        assert_eq!(code_in("nothing here", "ORA-"), None);
    }

    #[test]
    fn call_timeouts_and_the_rest() {
        assert_eq!(
            dpi("DPI-1067: call timeout of 5000 ms exceeded with ORA-3156"),
            BackendError::Timeout(Duration::from_secs(5))
        );
        assert_eq!(
            ora(1, "ORA-00001: unique constraint (X) violated\nmore"),
            BackendError::Other(
                "Oracle at ora.example:1521/ORCLPDB1 failed: ORA-00001: unique constraint (X) violated".into()
            )
        );
    }

    #[test]
    fn timestamps_are_read_as_utc() {
        let ts = Timestamp::new(2024, 2, 29, 23, 59, 58, 123_000_000).unwrap();
        assert_eq!(
            timestamp_to_utc(&ts).unwrap().to_rfc3339(),
            "2024-02-29T23:59:58.123+00:00"
        );
    }
}
