//! A PostgreSQL-to-PostgreSQL two-way door per test, for running the real
//! `dms-cockpit` binary against real peers: two fresh databases on the
//! cluster `tests/run-all.sh` starts, moto (started by the same script) for
//! DMS and DynamoDB, and a config file in a temp dir that names them with
//! identifiers no other test uses (moto and the cluster are shared by tests
//! running in parallel).
//!
//! The binary is pointed at moto the way any user would point it at an AWS
//! look-alike: `AWS_ENDPOINT_URL` and static credentials in its
//! environment. Nothing in the product knows it is talking to moto.
//!
//! Both databases are given `password_env`: DMS endpoints cannot be created
//! without a password, and the test cluster's trust authentication ignores
//! the one sent. The value is unique per door so tests can check it is never
//! printed.
//!
//! The databases are dropped when the door is dropped (best effort, also
//! when the test panicked); moto's resources are left, under unique names.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Executor};

pub const IGNORE_HINT: &str = "needs PostgreSQL and moto; run bash tests/run-all.sh";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dms-cockpit")
}

/// The superuser URL of the test cluster; panics with what to do when unset.
pub fn pg_url() -> String {
    std::env::var("DMSC_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "DMSC_TEST_PG_URL is not set: these tests {IGNORE_HINT} (it starts a throwaway PostgreSQL and moto and sets DMSC_TEST_PG_URL / DMSC_TEST_MOTO_URL)"
        )
    })
}

/// moto's base URL; panics with what to do when unset.
pub fn moto_url() -> String {
    std::env::var("DMSC_TEST_MOTO_URL").unwrap_or_else(|_| {
        panic!(
            "DMSC_TEST_MOTO_URL is not set: these tests {IGNORE_HINT} (it starts a throwaway PostgreSQL and moto and sets DMSC_TEST_PG_URL / DMSC_TEST_MOTO_URL)"
        )
    })
}

/// A port on 127.0.0.1 where nothing listens: bound, then released.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}

/// Lower-case letters and digits only, starting with a letter, so it fits
/// DMS identifiers, DynamoDB table names and PostgreSQL database names.
fn unique_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "l{}x{nanos}x{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// What to vary between doors.
#[derive(Debug, Clone, Default)]
pub struct DoorOptions {
    /// Point database b at this port instead of the cluster's (a closed
    /// port makes b unreachable).
    pub b_port: Option<u16>,
}

/// One side of the door as the config names it.
#[derive(Debug, Clone)]
pub struct Side {
    pub dbname: String,
    pub port: u16,
}

pub struct Door {
    pub id: String,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub log: PathBuf,
    pub host: String,
    pub a: Side,
    pub b: Side,
    pub appmap_table: String,
    pub instance: String,
    pub forward: String,
    pub backward: String,
    pub password_var: String,
    pub password: String,
    admin: PgConnectOptions,
    moto: String,
}

impl Door {
    pub async fn new() -> Door {
        Door::with(DoorOptions::default()).await
    }

    pub async fn with(options: DoorOptions) -> Door {
        let moto = moto_url();
        let admin =
            PgConnectOptions::from_str(&pg_url()).expect("DMSC_TEST_PG_URL is a postgres:// URL");
        let id = unique_id();
        let dir = tempfile::Builder::new()
            .prefix("dmsc-live-")
            .tempdir()
            .unwrap();
        let host = admin.get_host().to_string();
        let a = Side {
            dbname: format!("dmsc_{id}_a"),
            port: admin.get_port(),
        };
        let b = Side {
            dbname: format!("dmsc_{id}_b"),
            port: options.b_port.unwrap_or(admin.get_port()),
        };
        let server = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(admin.clone())
            .await
            .expect("connect to the test cluster (DMSC_TEST_PG_URL)");
        for side in [&a, &b] {
            server
                .execute(AssertSqlSafe(format!("CREATE DATABASE {}", side.dbname)))
                .await
                .expect("create a test database");
        }
        server.close().await;
        let door = Door {
            config: dir.path().join("dms-cockpit.toml"),
            log: dir.path().join("cockpit.log"),
            appmap_table: format!("dmsc-{id}-appmap"),
            instance: format!("dmsc-{id}"),
            forward: format!("{id}-fwd"),
            backward: format!("{id}-bwd"),
            password_var: "DMSC_LIVE_TEST_PASSWORD".into(),
            password: format!("pw-{id}-do-not-print"),
            id,
            dir,
            host,
            a,
            b,
            admin,
            moto,
        };
        std::fs::write(&door.config, door.config_text()).unwrap();
        door
    }

    pub fn config_text(&self) -> String {
        let db = |side: &Side| {
            format!(
                "engine = \"postgresql\"\nendpoint = \"{}\"\nport = {}\ndbname = \"{}\"\nusername = \"postgres\"\npassword_env = \"{}\"\ndms_password_env = \"{}\"\nssl_mode = \"disable\"\n",
                self.host, side.port, side.dbname, self.password_var, self.password_var
            )
        };
        format!(
            "# written by tests/support/live.rs\n[tasks]\nforward = \"{}\"\nbackward = \"{}\"\n\n[appmap]\ntable = \"{}\"\n\n[databases.a]\n{}\n[databases.b]\n{}\n[refresh]\nevery = \"500ms\"\ntimeout = \"3s\"\n\n[dms]\nreplication_instance = \"{}\"\ninstance_class = \"dms.t3.micro\"\nallocated_storage = 20\n",
            self.forward,
            self.backward,
            self.appmap_table,
            db(&self.a),
            db(&self.b),
            self.instance
        )
    }

    /// The binary with this door's config, log file and AWS settings; the
    /// caller adds the subcommand.
    pub fn command(&self) -> Command {
        let mut c = Command::new(bin());
        c.arg("--config")
            .arg(&self.config)
            .arg("--log-file")
            .arg(&self.log)
            .current_dir(self.dir.path());
        for (k, v) in self.env() {
            c.env(k, v);
        }
        for k in [
            "DMS_COCKPIT_CONFIG",
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL_DYNAMODB",
            "AWS_ENDPOINT_URL_DATABASE_MIGRATION_SERVICE",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            "AWS_SESSION_TOKEN",
        ] {
            c.env_remove(k);
        }
        c
    }

    /// The environment the binary runs with: moto as the AWS endpoint, a
    /// home of its own (no ~/.aws of the machine's), the password variable.
    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.dir.path().display().to_string();
        vec![
            ("AWS_ENDPOINT_URL".into(), self.moto.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("HOME".into(), home.clone()),
            ("XDG_CONFIG_HOME".into(), format!("{home}/xdg")),
            (self.password_var.clone(), self.password.clone()),
        ]
    }

    /// Runs `args` (stdin closed) and returns what happened.
    pub fn run(&self, args: &[&str]) -> Run {
        let started = std::time::Instant::now();
        let out = self
            .command()
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run dms-cockpit");
        Run::new(args, out, started.elapsed())
    }

    /// Like [`Door::run`], asserting exit code 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, Some(0), "{r}");
        r
    }

    /// A shell line that runs the cockpit with `args` in this door's
    /// environment (for tmux).
    pub fn shell_line(&self, args: &str) -> String {
        let env: Vec<String> = self
            .env()
            .into_iter()
            .map(|(k, v)| format!("{k}='{v}'"))
            .collect();
        format!(
            "env -u DMS_COCKPIT_CONFIG -u AWS_PROFILE {} {} --config {} --log-file {} {args}",
            env.join(" "),
            bin(),
            self.config.display(),
            self.log.display()
        )
    }

    /// setup sql for both databases, the appmap and the DMS resources, as a
    /// person would run them; the task ARNs end up in the config.
    pub fn setup_all(&self) {
        self.ok(&["setup", "sql", "--database", "a", "--apply"]);
        if self.reachable_b() {
            self.ok(&["setup", "sql", "--database", "b", "--apply"]);
        }
        self.ok(&["setup", "appmap"]);
        self.ok(&["setup", "dms", "--write-config"]);
    }

    pub fn reachable_b(&self) -> bool {
        self.b.port == self.admin.get_port()
    }

    pub fn side(&self, side: char) -> &Side {
        match side {
            'a' => &self.a,
            'b' => &self.b,
            _ => panic!("side is a or b"),
        }
    }

    /// A superuser pool on database `side` ('a' or 'b').
    pub async fn pool(&self, side: char) -> PgPool {
        PgPoolOptions::new()
            .max_connections(1)
            .connect_with(
                self.admin
                    .clone()
                    .port(self.side(side).port)
                    .database(&self.side(side).dbname),
            )
            .await
            .expect("connect to a test database")
    }

    /// Every heartbeat row of database `side`, oldest id first; empty when
    /// the table does not exist yet.
    pub async fn heartbeats(&self, side: char) -> Vec<(i64, String)> {
        let pool = self.pool(side).await;
        let exists: bool =
            sqlx::query_scalar("SELECT to_regclass('customer_orders.heartbeat') IS NOT NULL")
                .fetch_one(&pool)
                .await
                .unwrap();
        let rows = if exists {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT heartbeat_id::bigint, last_update_site::text FROM customer_orders.heartbeat ORDER BY heartbeat_id",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        } else {
            Vec::new()
        };
        pool.close().await;
        rows
    }

    /// SDK configuration for moto, for the test's own checks.
    pub async fn sdk(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.moto)
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await
    }

    pub async fn dynamo(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk().await)
    }

    pub async fn dms(&self) -> aws_sdk_databasemigration::Client {
        aws_sdk_databasemigration::Client::new(&self.sdk().await)
    }

    /// The status of task `identifier` in moto.
    pub async fn task_status(&self, identifier: &str) -> String {
        // Filtered by id: moto is shared, and past its first page of 100
        // tasks an unfiltered describe would not list this one.
        let filter = aws_sdk_databasemigration::types::Filter::builder()
            .name("replication-task-id")
            .values(identifier)
            .build()
            .unwrap();
        let out = self
            .dms()
            .await
            .describe_replication_tasks()
            .filters(filter)
            .send()
            .await
            .expect("describe tasks in moto");
        out.replication_tasks()
            .iter()
            .find(|t| t.replication_task_identifier() == Some(identifier))
            .and_then(|t| t.status())
            .unwrap_or_else(|| panic!("task {identifier} not in moto"))
            .to_string()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Door {
    fn drop(&mut self) {
        // Best effort, on a thread of its own: Drop may run inside the
        // test's runtime (which cannot block on another) or while panicking.
        let admin = self.admin.clone();
        let names = [self.a.dbname.clone(), self.b.dbname.clone()];
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let server = PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(admin)
                    .await
                    .ok()?;
                for name in names {
                    let _ = server
                        .execute(AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                }
                server.close().await;
                Some(())
            })
        })
        .join();
    }
}

/// One finished run of the binary.
pub struct Run {
    pub args: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Run {
    pub fn new(args: &[&str], out: Output, took: Duration) -> Run {
        Run {
            args: args.join(" "),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took,
        }
    }

    /// stdout and stderr together, for "never printed" checks.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`dms-cockpit {}` exited {:?} after {:?}\n--- stdout\n{}--- stderr\n{}",
            self.args, self.code, self.took, self.stdout, self.stderr
        )
    }
}

/// Reads `path` as a file in the door's directory or anywhere.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
