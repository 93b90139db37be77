//! The heartbeat table of a PostgreSQL database, through sqlx.
//!
//! The pool is created lazily so the cockpit starts (and shows a clear error
//! in the panel) while the database is down, and it reconnects by itself
//! when the database comes back.
//!
//! Round trips are what a far-away database multiplies, so the read of the
//! latest rows costs one: it is sent as a simple query (text with the limit
//! in it; `by_ids` likewise, with the ids), and connections are not pinged before use. Measured through a
//! proxy adding 100 ms per round trip (`tests/pg_faults.rs` counts them):
//! ping + cached prepared statement took 200 ms a read (300 ms on a fresh
//! connection); the prepared statement alone 100 ms (200 ms on a fresh
//! connection, which must prepare it first); the simple query 100 ms on
//! every connection, so it is the one used. sqlx still pings a connection
//! when it goes back to the pool, after the caller has its answer.
//!
//! A connection that died while idle (the server restarted) fails a read
//! with a lost-connection error; reads (the latest rows, `by_ids`) are
//! idempotent and retried, once per pooled connection, the last time on a
//! new one. The insert is not idempotent: it pings its connection first
//! (one more round trip, on a rare user action) instead of ever being
//! retried.
//!
//! Each call is bounded twice: the server cancels statements after
//! `statement_timeout` (set per connection at startup), and the whole call,
//! connecting included, is cut off client-side so a silent network never
//! makes a caller hang.
//!
//! Errors are turned into [`BackendError`]s that say what to do next (start
//! the server, check the password source, run the setup); the password is
//! never part of any message.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use futures::FutureExt;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{
    PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow, PgSslMode, Postgres,
};
use sqlx::{AssertSqlSafe, Connection, Row};

use super::heartbeat_sql::{self, HeartbeatNames, Password};
use super::{BackendError, BackendResult, DbSide, HeartbeatRow, HeartbeatStore, Site};

/// At most this many connections per database: a refresh reads the latest
/// rows, the replicated check and the validation failures at once, so a
/// database far away costs one round trip each in parallel rather than
/// one after the other on a single connection; inserts are occasional.
const MAX_CONNECTIONS: u32 = 3;

/// How long an acquire may take before a TCP probe checks whether the
/// server refuses connections (see [`PgHeartbeat::connection`]). Handing
/// out a pinged idle connection takes one round trip, far less than this
/// on any network a cockpit runs over; slower means connecting anew.
const PROBE_AFTER: Duration = Duration::from_millis(250);

/// Everything needed to reach one PostgreSQL heartbeat table.
#[derive(Debug, Clone)]
pub struct PgConnect {
    /// Which configured database this is, for the setup hint in errors.
    pub side: DbSide,
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub username: String,
    /// `None` leaves libpq's `PGPASSWORD` convention in charge.
    pub password: Option<Password>,
    pub names: HeartbeatNames,
    /// How long to try to open a connection before giving up.
    pub connect_timeout: Duration,
    /// The server-side limit for each statement.
    pub statement_timeout: Duration,
    /// libpq's `sslmode`: disable, allow, prefer, require, verify-ca or
    /// verify-full. `None` keeps sqlx's default (`prefer`, or `PGSSLMODE`).
    pub ssl_mode: Option<String>,
    /// CA bundle for verify-ca / verify-full.
    pub ssl_root_cert: Option<PathBuf>,
}

impl PgConnect {
    /// `host:port/dbname`, how messages name the database.
    pub fn address(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.dbname)
    }

    /// The sqlx connect options, checked. Exposed so the setup command can
    /// open its own pool with exactly the settings the adapter uses.
    pub fn connect_options(&self) -> Result<PgConnectOptions, BackendError> {
        // Without pgpass: sqlx would look the password up before we set the
        // host, i.e. for the wrong server.
        let mut options = PgConnectOptions::new_without_pgpass()
            .host(&self.host)
            .port(self.port)
            .database(&self.dbname)
            .username(&self.username)
            .application_name("dms-cockpit")
            .options([(
                "statement_timeout",
                format!("{}ms", self.statement_timeout.as_millis().max(1)),
            )]);
        if let Some(password) = &self.password {
            options = options.password(password.expose());
        }
        if let Some(mode) = &self.ssl_mode {
            let mode = PgSslMode::from_str(mode).map_err(|_| {
                BackendError::Other(format!(
                    "invalid ssl_mode `{mode}` for PostgreSQL at {}: expected disable, allow, prefer, require, verify-ca or verify-full",
                    self.address()
                ).into())
            })?;
            options = options.ssl_mode(mode);
        }
        if let Some(cert) = &self.ssl_root_cert {
            options = options.ssl_root_cert(cert);
        }
        Ok(options)
    }
}

/// The [`HeartbeatStore`] of one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgHeartbeat {
    pool: PgPool,
    opts: PgConnect,
    // Arc<str>: each query clones the text cheaply into sqlx.
    insert_sql: Arc<str>,
}

impl PgHeartbeat {
    /// Builds the adapter without connecting: the first call connects.
    pub fn connect_lazy(opts: PgConnect) -> Result<Self, BackendError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(opts.connect_timeout)
            .idle_timeout(Duration::from_secs(120))
            // Pinging every connection before use would double each
            // read's round trips; see the module comment.
            .test_before_acquire(false)
            .connect_lazy_with(opts.connect_options()?);
        Ok(PgHeartbeat {
            pool,
            insert_sql: heartbeat_sql::pg_insert(&opts.names).into(),
            opts,
        })
    }

    /// The pool, for the setup command to apply the DDL through.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Client-side bound of one call: connecting plus one statement, with a
    /// little slack so the server's own statement timeout wins when it can
    /// (its message is the better one).
    fn call_limit(&self) -> Duration {
        self.opts.connect_timeout + self.opts.statement_timeout + Duration::from_millis(500)
    }

    /// A TCP connect to the server's port: the refusal as an error when
    /// it refuses, `None` for anything else (connected, slow,
    /// unresolvable), which is left to the real connection attempt and its
    /// own, more specific, errors.
    async fn refused(&self) -> Option<BackendError> {
        let target = (self.opts.host.as_str(), self.opts.port);
        match tokio::time::timeout(
            self.opts.connect_timeout,
            tokio::net::TcpStream::connect(target),
        )
        .await
        {
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                Some(map_error(sqlx::Error::Io(e), &self.opts))
            }
            _ => None,
        }
    }

    /// A connection from the pool, or at once the reason there is none.
    ///
    /// sqlx's pool retries a refused connection until its acquire timeout,
    /// which would make a stopped server look like a slow one for the whole
    /// timeout. So: with no connection open, a TCP probe first (nothing to
    /// reuse, a connect is needed anyway). With idle connections the pool
    /// hands one out, and a write pings it ([`Self::live_connection`]);
    /// when the server has gone, a new connection is needed and the pool
    /// falls into the same retry loop. So an
    /// acquire that has not finished after [`PROBE_AFTER`] races a probe,
    /// and a refusal ends the wait. Nothing has been sent to the server
    /// while acquiring, so giving up there never leaves a write half done;
    /// the statement itself is never raced.
    async fn connection(&self) -> BackendResult<PoolConnection<Postgres>> {
        if self.pool.size() == 0
            && let Some(refused) = self.refused().await
        {
            return Err(refused);
        }
        let acquire = self.pool.acquire();
        tokio::pin!(acquire);
        if let Ok(result) = tokio::time::timeout(PROBE_AFTER, &mut acquire).await {
            return result.map_err(|e| map_error(e, &self.opts));
        }
        let refused = async {
            match self.refused().await {
                Some(e) => e,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = &mut acquire => result.map_err(|e| map_error(e, &self.opts)),
            refused = refused => Err(refused),
        }
    }

    /// A pooled connection that just answered a ping: a write must not go
    /// out on a connection that died while idle (connections are not
    /// pinged before use, see the module comment), because a failed write
    /// cannot be retried blindly. Dead ones are closed, not returned.
    async fn live_connection(&self) -> BackendResult<PoolConnection<Postgres>> {
        for _ in 0..MAX_CONNECTIONS {
            let mut conn = self.connection().await?;
            if conn.ping().await.is_ok() {
                return Ok(conn);
            }
            conn.close_on_drop();
        }
        // Every idle connection was dead: this one is new.
        self.connection().await
    }

    /// Runs an idempotent read on a pooled connection, again on another
    /// when the connection broke under it (every idle connection may have
    /// died with the server; the last attempt gets a new one). The whole
    /// call is bounded by [`call_limit`](Self::call_limit).
    async fn bounded_read<T, F>(&self, query: F) -> BackendResult<T>
    where
        F: for<'c> Fn(
            &'c mut PgConnection,
        ) -> futures::future::BoxFuture<'c, Result<T, sqlx::Error>>,
    {
        let limit = self.call_limit();
        let call = async {
            let mut attempts = 0;
            loop {
                attempts += 1;
                let mut conn = self.connection().await?;
                match query(&mut conn).await {
                    Err(e) if lost_connection(&e) && attempts <= MAX_CONNECTIONS => {
                        conn.close_on_drop();
                    }
                    done => return done.map_err(|e| map_error(e, &self.opts)),
                }
            }
        };
        match tokio::time::timeout(limit, call).await {
            Ok(result) => result,
            Err(_) => Err(BackendError::Timeout(limit)),
        }
    }

    /// Runs `query` (a write) on a pooled connection that answered a ping,
    /// the whole call (acquiring included) bounded by
    /// [`call_limit`](Self::call_limit).
    async fn bounded<T, F>(&self, query: F) -> BackendResult<T>
    where
        F: for<'c> FnOnce(
            &'c mut PgConnection,
        ) -> futures::future::BoxFuture<'c, Result<T, sqlx::Error>>,
    {
        let limit = self.call_limit();
        let call = async {
            let mut conn = self.live_connection().await?;
            query(&mut conn).await.map_err(|e| map_error(e, &self.opts))
        };
        match tokio::time::timeout(limit, call).await {
            Ok(result) => result,
            Err(_) => Err(BackendError::Timeout(limit)),
        }
    }
}

#[async_trait]
impl HeartbeatStore for PgHeartbeat {
    async fn validation_failures(
        &self,
        of: &super::validation::FailuresOf,
        latest: usize,
    ) -> BackendResult<super::validation::ValidationSummary> {
        // The control schema the task's settings name, else DMS's default
        // on a PostgreSQL target.
        let schema = super::validation::pg_control_schema(of.control_schema.as_deref());
        let latest = i64::try_from(latest).unwrap_or(i64::MAX);
        let call = async {
            // Connect through the adapter first: a database that cannot be
            // reached is named (host, port, why) as for the heartbeats.
            drop(self.connection().await?);
            super::validation::read_pg(&self.pool, schema, of.task_name(), latest).await
        };
        match tokio::time::timeout(self.call_limit(), call).await {
            Ok(result) => result,
            Err(_) => Err(BackendError::Timeout(self.call_limit())),
        }
    }

    async fn latest(&self, n: usize) -> BackendResult<Vec<HeartbeatRow>> {
        // Built from checked names and a number: see `trusted`.
        let sql: Arc<str> = heartbeat_sql::pg_latest(&self.opts.names, n).into();
        let rows = self
            .bounded_read(|conn| sqlx::raw_sql(trusted(&sql)).fetch_all(conn).boxed())
            .await?;
        rows.iter().map(|row| decode_row(row, &self.opts)).collect()
    }

    async fn insert(&self, site: Site) -> BackendResult<HeartbeatRow> {
        let sql = trusted(&self.insert_sql);
        let row = self
            .bounded(|conn| sqlx::query(sql).bind(site.as_str()).fetch_one(conn).boxed())
            .await?;
        decode_row(&row, &self.opts)
    }

    async fn by_ids(&self, ids: &[i64]) -> BackendResult<Vec<HeartbeatRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Built from checked names and numbers: see `trusted`.
        let sql: Arc<str> = heartbeat_sql::pg_by_ids(&self.opts.names, ids).into();
        let rows = self
            .bounded_read(|conn| sqlx::raw_sql(trusted(&sql)).fetch_all(conn).boxed())
            .await?;
        rows.iter().map(|row| decode_row(row, &self.opts)).collect()
    }
}

/// The connection broke under the call (the server restarted or a network
/// hop dropped it), as opposed to the server refusing the statement.
fn lost_connection(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(io) => !is_tls_failure(io),
        sqlx::Error::Protocol(_) => true,
        // admin_shutdown, crash_shutdown: sent to the open sessions of a
        // server that is going down.
        sqlx::Error::Database(db) => matches!(db.code().as_deref(), Some("57P01" | "57P02")),
        _ => false,
    }
}

/// The heartbeat SQL is built from names that [`HeartbeatNames::parse`]
/// restricted to plain identifiers, which is what makes splicing them safe.
fn trusted(sql: &Arc<str>) -> AssertSqlSafe<Arc<str>> {
    AssertSqlSafe(Arc::clone(sql))
}

fn decode_row(row: &PgRow, opts: &PgConnect) -> BackendResult<HeartbeatRow> {
    let malformed = |err: sqlx::Error| {
        let text = format!(
            "heartbeat table {} at {} has an unexpected shape: {err}; expected heartbeat_id number, last_update_dt timestamp, last_update_site text",
            opts.names.table(),
            opts.address()
        );
        BackendError::Malformed(crate::backend::Reason::caused(text, err))
    };
    let id: i64 = row.try_get("heartbeat_id").map_err(malformed)?;
    // The original scripts declare `timestamp` (no time zone) and write UTC
    // into it; a deployment that chose `timestamptz` is read as what it is.
    let at = match row.try_get::<NaiveDateTime, _>("last_update_dt") {
        Ok(naive) => naive.and_utc(),
        Err(_) => row
            .try_get::<DateTime<Utc>, _>("last_update_dt")
            .map_err(malformed)?,
    };
    let site: String = row.try_get("last_update_site").map_err(malformed)?;
    Ok(HeartbeatRow {
        id,
        at,
        site: site.trim_end().to_string(),
    })
}

fn is_tls_failure(io: &std::io::Error) -> bool {
    io.kind() == std::io::ErrorKind::InvalidData
}

fn tls_failed(cause: &dyn std::fmt::Display, opts: &PgConnect) -> BackendError {
    BackendError::Unavailable(format!(
        "TLS with PostgreSQL at {} failed ({cause}): check ssl_mode ({}) and ssl_root_cert ({})",
        opts.address(),
        opts.ssl_mode.as_deref().unwrap_or("default prefer"),
        opts.ssl_root_cert
            .as_ref()
            .map_or("not set".to_string(), |p| p.display().to_string())
    ).into())
}

/// Turns a sqlx error into a message that says what to check. Pure apart
/// from reading the error, so every branch is unit-tested. The sqlx error
/// stays as the cause, for the log file.
pub fn map_error(err: sqlx::Error, opts: &PgConnect) -> BackendError {
    phrase_error(&err, opts).caused_by(err)
}

/// The sentence [`map_error`] says about `err`.
fn phrase_error(err: &sqlx::Error, opts: &PgConnect) -> BackendError {
    let addr = opts.address();
    let setup_hint = format!(
        "run `dms-cockpit setup sql --database {} --apply`",
        opts.side
    );
    match err {
        sqlx::Error::PoolTimedOut => BackendError::Unavailable(
            format!(
                "cannot connect to PostgreSQL at {addr} within {}: is it running and reachable?",
                humantime::format_duration(opts.connect_timeout)
            )
            .into(),
        ),
        // rustls reports a refused certificate (unknown issuer, wrong name)
        // as an I/O error of kind InvalidData during the handshake.
        sqlx::Error::Io(io) if is_tls_failure(io) => tls_failed(io, opts),
        sqlx::Error::Io(io) => {
            use std::io::ErrorKind::*;
            match io.kind() {
                ConnectionRefused | NotFound | AddrNotAvailable | HostUnreachable
                | NetworkUnreachable => BackendError::Unavailable(format!(
                    "cannot connect to PostgreSQL at {addr} ({io}): is it running and reachable?"
                ).into()),
                TimedOut => BackendError::Timeout(opts.connect_timeout),
                _ => BackendError::Unavailable(format!(
                    "lost the connection to PostgreSQL at {addr} ({io}); the next call reconnects"
                ).into()),
            }
        }
        sqlx::Error::Tls(tls) => tls_failed(tls, opts),
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let msg = db.message();
            match code.as_str() {
                // invalid_password, invalid_authorization_specification
                "28P01" | "28000" => BackendError::Denied(format!(
                    "PostgreSQL at {addr} refused user `{}` ({msg}, SQLSTATE {code}): check the username and the password source (config, environment or secret) for database {}",
                    opts.username, opts.side
                ).into()),
                // invalid_catalog_name: the database itself is missing
                "3D000" => BackendError::NotFound(format!(
                    "PostgreSQL at {}:{} has no database `{}` ({msg}): check dbname in the config",
                    opts.host, opts.port, opts.dbname
                ).into()),
                // undefined_table (also a missing sequence), invalid_schema_name
                "42P01" | "3F000" => BackendError::NotFound(format!(
                    "{msg} in PostgreSQL at {addr} (heartbeat {}): {setup_hint}",
                    opts.names
                ).into()),
                "42501" => BackendError::Denied(format!(
                    "user `{}` may not use the heartbeat objects at {addr} ({msg}): grant it access, see sql/postgresql/ or {setup_hint}",
                    opts.username
                ).into()),
                // query_canceled: statement_timeout fired
                "57014" => BackendError::Timeout(opts.statement_timeout),
                // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
                "57P01" | "57P02" | "57P03" | "53300" => BackendError::Unavailable(format!(
                    "PostgreSQL at {addr} is not accepting work ({msg}); retry when it is back"
                ).into()),
                _ => BackendError::Other(format!(
                    "PostgreSQL at {addr} failed: {msg} (SQLSTATE {code})"
                ).into()),
            }
        }
        sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::RowNotFound => BackendError::Malformed(
            format!(
                "heartbeat table {} at {addr} answered in an unexpected shape: {err}",
                opts.names.table()
            )
            .into(),
        ),
        other => BackendError::Other(format!("PostgreSQL at {addr}: {other}").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> PgConnect {
        PgConnect {
            side: DbSide::B,
            host: "db.example".into(),
            port: 5433,
            dbname: "orders".into(),
            username: "app".into(),
            password: Some(Password::new("s3cret-value")),
            names: HeartbeatNames::default(),
            connect_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
            ssl_mode: Some("require".into()),
            ssl_root_cert: None,
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let text = format!("{:?}", opts());
        assert!(!text.contains("s3cret-value"), "{text}");
        assert!(text.contains("***"), "{text}");
    }

    #[test]
    fn bad_ssl_mode_is_named() {
        let mut o = opts();
        o.ssl_mode = Some("sometimes".into());
        let err = PgHeartbeat::connect_lazy(o).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid ssl_mode `sometimes` for PostgreSQL at db.example:5433/orders: expected disable, allow, prefer, require, verify-ca or verify-full"
        );
    }

    #[tokio::test]
    async fn connect_lazy_does_not_connect() {
        // Nothing listens on db.example; building must still succeed.
        assert!(PgHeartbeat::connect_lazy(opts()).is_ok());
    }

    #[test]
    fn pool_timeout_and_refused_say_where() {
        let o = opts();
        assert_eq!(
            map_error(sqlx::Error::PoolTimedOut, &o),
            BackendError::Unavailable(
                "cannot connect to PostgreSQL at db.example:5433/orders within 3s: is it running and reachable?".into()
            )
        );
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let BackendError::Unavailable(msg) = map_error(refused, &o) else {
            panic!("refused must be Unavailable")
        };
        assert!(
            msg.starts_with("cannot connect to PostgreSQL at db.example:5433/orders"),
            "{msg}"
        );
        let reset = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        let BackendError::Unavailable(msg) = map_error(reset, &o) else {
            panic!("reset must be Unavailable")
        };
        assert!(msg.starts_with("lost the connection"), "{msg}");
    }

    /// A real refused connection: the backend error phrased from it keeps
    /// sqlx's error (and the I/O error under it) as its source chain, and
    /// [`crate::backend::reason::chain`] writes them under the message.
    #[tokio::test]
    async fn a_refused_connection_keeps_the_sqlx_error_as_its_cause() {
        use sqlx::Connection;
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let real = sqlx::PgConnection::connect_with(
            &sqlx::postgres::PgConnectOptions::new()
                .host("127.0.0.1")
                .port(port)
                .username("app"),
        )
        .await
        .expect_err("nothing listens on a closed port");
        let mut o = opts();
        o.host = "127.0.0.1".into();
        o.port = port;
        let err = map_error(real, &o);
        let message = err.to_string();
        assert!(
            message.starts_with("cannot connect to PostgreSQL at 127.0.0.1"),
            "{message}"
        );

        let sources: Vec<_> = crate::backend::reason::causes(&err).collect();
        assert!(
            sources
                .iter()
                .any(|e| e.downcast_ref::<sqlx::Error>().is_some()),
            "no sqlx::Error in the chain: {sources:?}"
        );
        let io = sources
            .iter()
            .find_map(|e| e.downcast_ref::<std::io::Error>())
            .expect("the I/O error under sqlx's");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);

        let logged = crate::backend::reason::chain(&err);
        let mut lines = logged.lines();
        assert_eq!(lines.next(), Some(message.as_str()));
        let cause = lines.next().expect("a cause line under the message");
        assert!(cause.starts_with("  caused by: "), "{logged}");
        assert!(
            logged.to_lowercase().contains("refused"),
            "the OS error is in the log text: {logged}"
        );
    }
}
