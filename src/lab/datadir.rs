//! The lab's data directory: decide whether a directory is new, a lab this
//! build can resume, or something else that must be refused untouched; then
//! open (and for a new one, create) its three SQLite files.
//!
//! Everything that could modify a file (opening it read-write switches it
//! to WAL, for one) happens only after the directory has been recognised as
//! a lab, so pointing the lab at the wrong directory never damages it.

use std::io::Read;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection, Row};

use super::LabError;
use super::schema::{self, FORMAT_NAME, FORMAT_VERSION};
use crate::backend::{DbSide, PerDb};

pub(crate) const CONTROL_FILE: &str = "control.db";
/// Held (advisory lock) while a process has the lab open: two processes
/// running the simulated DMS on the same files would both move the tasks.
pub(crate) const LOCK_FILE: &str = "lab.lock";

pub(crate) fn site_file(side: DbSide) -> &'static str {
    match side {
        DbSide::A => "site_a.db",
        DbSide::B => "site_b.db",
    }
}

/// The open pools of one lab directory.
pub(crate) struct Pools {
    pub control: SqlitePool,
    pub sites: PerDb<SqlitePool>,
    /// The lock on the directory; released when dropped (or the process ends).
    pub lock: std::fs::File,
}

/// How long a connection waits for another writer before giving up: the
/// engine, the traffic generator and the backend calls share the files.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Each connection's page cache, in KiB (SQLite's `cache_size` takes a
/// negative number as KiB). SQLite's default is 2 MiB per connection; with
/// three databases of up to four connections each, a long lab run grew by
/// the sum of those caches as the demo tables grew (benches/soak.sh: 26.9
/// to 44.0 MiB in 10 minutes at 2 MiB, 29.3 to 33.7 MiB at 256 KiB, 29.0
/// to 29.5 MiB at 64 KiB). The pages stay in the operating system's file
/// cache, so a smaller cache costs a read from memory, not from disk.
const PAGE_CACHE_KIB: i64 = 64;

/// Opens `dir` as a lab, creating it when missing or empty. Returns the
/// pools and whether the lab was just created.
pub(crate) async fn open(dir: &Path) -> Result<(Pools, bool), LabError> {
    let mut entries = inspect_dir(dir)?;
    check_writable(dir)?;
    let lock = lock(dir)?;
    entries.retain(|n| n != LOCK_FILE);
    let fresh = entries.is_empty();
    if !fresh {
        validate_existing(dir, &entries).await?;
    }
    let control = pool(&dir.join(CONTROL_FILE), fresh).await?;
    let sites = PerDb {
        a: pool(&dir.join(site_file(DbSide::A)), fresh).await?,
        b: pool(&dir.join(site_file(DbSide::B)), fresh).await?,
    };
    let pools = Pools {
        control,
        sites,
        lock,
    };
    if fresh {
        create(dir, &pools).await?;
    }
    Ok((pools, fresh))
}

/// Creates `dir` if missing and lists what it holds, refusing anything that
/// is not one of the lab's own files.
fn inspect_dir(dir: &Path) -> Result<Vec<String>, LabError> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            return Err(LabError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|source| LabError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        Err(e) => {
            return Err(LabError::NotWritable {
                path: dir.to_path_buf(),
                detail: e.to_string(),
            });
        }
    }
    let read = std::fs::read_dir(dir).map_err(|e| LabError::NotWritable {
        path: dir.to_path_buf(),
        detail: format!("cannot list it: {e}"),
    })?;
    let mut names = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| LabError::NotWritable {
            path: dir.to_path_buf(),
            detail: format!("cannot list it: {e}"),
        })?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    let foreign: Vec<&String> = names.iter().filter(|n| !is_lab_file(n)).collect();
    if !foreign.is_empty() {
        let mut found: Vec<String> = foreign.iter().take(3).map(|n| format!("`{n}`")).collect();
        if foreign.len() > 3 {
            found.push(format!("and {} more", foreign.len() - 3));
        }
        return Err(LabError::Foreign {
            path: dir.to_path_buf(),
            found: found.join(", "),
        });
    }
    Ok(names)
}

/// Takes the directory's lock, or says which directory is busy.
fn lock(dir: &Path) -> Result<std::fs::File, LabError> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| LabError::NotWritable {
            path: dir.to_path_buf(),
            detail: format!("cannot create {LOCK_FILE}: {e}"),
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(LabError::InUse {
            path: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(LabError::NotWritable {
            path: dir.to_path_buf(),
            detail: format!("cannot lock {LOCK_FILE}: {e}"),
        }),
    }
}

fn is_lab_file(name: &str) -> bool {
    if name == LOCK_FILE {
        return true;
    }
    let base = ["-wal", "-shm", "-journal"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name);
    base == CONTROL_FILE || base == site_file(DbSide::A) || base == site_file(DbSide::B)
}

fn check_writable(dir: &Path) -> Result<(), LabError> {
    // A real write, because permission bits do not tell the whole story
    // (read-only mounts, ACLs); the probe file deletes itself.
    tempfile::NamedTempFile::new_in(dir)
        .map(drop)
        .map_err(|e| LabError::NotWritable {
            path: dir.to_path_buf(),
            detail: e.to_string(),
        })
}

async fn validate_existing(dir: &Path, entries: &[String]) -> Result<(), LabError> {
    if !entries.iter().any(|n| n == CONTROL_FILE) {
        return Err(LabError::Foreign {
            path: dir.to_path_buf(),
            found: format!(
                "{} but no {CONTROL_FILE}",
                entries
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    validate_file(&dir.join(CONTROL_FILE), "control").await?;
    for side in DbSide::ALL {
        let path = dir.join(site_file(side));
        if !path.exists() {
            return Err(LabError::Incomplete {
                path: dir.to_path_buf(),
                missing: site_file(side).to_string(),
            });
        }
        validate_file(&path, &format!("site_{side}")).await?;
    }
    Ok(())
}

/// Checks one file is an intact SQLite database carrying this build's lab
/// marker for `role`, reading only.
async fn validate_file(path: &Path, role: &str) -> Result<(), LabError> {
    let corrupt = |detail: String| LabError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| corrupt(format!("cannot read its SQLite header: {e}")))?;
    if &header != b"SQLite format 3\0" {
        return Err(corrupt("it is not an SQLite database".to_string()));
    }
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT);
    let mut conn = SqliteConnection::connect_with(&opts)
        .await
        .map_err(|e| corrupt(e.to_string()))?;
    let result = read_marker(&mut conn, role).await;
    let _ = conn.close().await;
    result.map_err(|e| match e {
        MarkerError::Version(found) => LabError::WrongVersion {
            path: path.to_path_buf(),
            found,
            expected: FORMAT_VERSION,
        },
        MarkerError::Invalid(detail) => corrupt(detail),
    })
}

enum MarkerError {
    Version(String),
    Invalid(String),
}

async fn read_marker(conn: &mut SqliteConnection, role: &str) -> Result<(), MarkerError> {
    let check: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| MarkerError::Invalid(e.to_string()))?;
    if check != "ok" {
        return Err(MarkerError::Invalid(format!("integrity check: {check}")));
    }
    let rows = sqlx::query("SELECT key, value FROM lab_meta")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| {
            MarkerError::Invalid(format!(
                "no lab marker ({e}): it was not written by `dms-cockpit lab`, or its creation was interrupted"
            ))
        })?;
    let get = |key: &str| {
        rows.iter()
            .find(|r| r.get::<String, _>("key") == key)
            .map(|r| r.get::<String, _>("value"))
    };
    if get("format").as_deref() != Some(FORMAT_NAME) {
        return Err(MarkerError::Invalid(format!(
            "its lab_meta.format is {:?}, expected {FORMAT_NAME:?}",
            get("format")
        )));
    }
    let version = get("format_version").unwrap_or_else(|| "(none)".to_string());
    if u32::from_str(&version).ok() != Some(FORMAT_VERSION) {
        return Err(MarkerError::Version(version));
    }
    match get("role") {
        Some(r) if r == role => Ok(()),
        other => Err(MarkerError::Invalid(format!(
            "it is marked as {other:?}, expected {role:?}: files were swapped or renamed"
        ))),
    }
}

async fn pool(path: &Path, create: bool) -> Result<SqlitePool, LabError> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("cache_size", format!("-{PAGE_CACHE_KIB}"))
        .busy_timeout(BUSY_TIMEOUT);
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(opts)
        .await
        .map_err(|e| LabError::Database {
            path: path.to_path_buf(),
            detail: format!("cannot open it: {e}"),
            source: Box::new(e),
        })
}

/// Creates the schema of a new lab: the sites first, the control database
/// (whose marker says "complete") last, so an interrupted creation is
/// recognised as incomplete rather than half-used.
async fn create(dir: &Path, pools: &Pools) -> Result<(), LabError> {
    for side in DbSide::ALL {
        let path = dir.join(site_file(side));
        in_tx(&pools.sites[side], &path, |conn| {
            Box::pin(schema::create_site(conn, side))
        })
        .await?;
    }
    let path = dir.join(CONTROL_FILE);
    in_tx(&pools.control, &path, |conn| {
        Box::pin(async move {
            schema::create_control(conn).await?;
            super::dms::seed_tasks(conn).await?;
            super::appmap::seed(conn).await?;
            schema::write_marker(conn, None).await
        })
    })
    .await
}

type TxFuture<'c> = std::pin::Pin<Box<dyn Future<Output = sqlx::Result<()>> + Send + 'c>>;

async fn in_tx(
    pool: &SqlitePool,
    path: &Path,
    f: impl for<'c> FnOnce(&'c mut SqliteConnection) -> TxFuture<'c>,
) -> Result<(), LabError> {
    let err = |e: sqlx::Error| LabError::Database {
        path: path.to_path_buf(),
        detail: format!("cannot create the lab schema: {e}"),
        source: Box::new(e),
    };
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(err)?;
    f(&mut tx).await.map_err(err)?;
    tx.commit().await.map_err(err)
}
