//! A throwaway PostgreSQL cluster of a test's own, for faults the shared
//! cluster must not suffer or settings it does not have: stopping and
//! starting the server, scram passwords, TLS. It listens on a free port on
//! 127.0.0.1, runs as `postgres` when the tests run as root (PostgreSQL
//! refuses root, as in `tests/run-all.sh`), and is stopped and removed when
//! dropped, also after a failed assertion.
//!
//! Needs `DMSC_TEST_PG_BIN` (the directory of initdb and pg_ctl), which
//! `tests/run-all.sh` sets.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    pub port: u16,
    pub dir: tempfile::TempDir,
    bin: PathBuf,
}

/// Settings beyond the defaults.
#[derive(Default)]
pub struct ClusterOptions {
    /// `scram-sha-256` for every TCP login instead of trust; the superuser
    /// `postgres` gets this password.
    pub scram_password: Option<String>,
    /// Files copied into the data directory and `ssl = on`: (cert, key).
    pub tls: Option<(PathBuf, PathBuf)>,
}

fn run(program: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn chown_postgres(path: &Path) {
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(path)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "chown postgres {}", path.display());
    }
}

impl Cluster {
    pub fn start(options: ClusterOptions) -> Cluster {
        let bin = PathBuf::from(std::env::var("DMSC_TEST_PG_BIN").unwrap_or_else(|_| {
            panic!("DMSC_TEST_PG_BIN is not set: run `bash tests/run-all.sh` (it sets it)")
        }));
        let dir = tempfile::Builder::new()
            .prefix("dmsc-cluster-")
            .tempdir()
            .unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let mut pwfile = None;
        if let Some(pw) = &options.scram_password {
            let path = dir.path().join("pw");
            std::fs::write(&path, pw).unwrap();
            pwfile = Some(path);
        }
        chown_postgres(dir.path());
        let mut args = vec![
            "-D".to_string(),
            data.display().to_string(),
            "-U".into(),
            "postgres".into(),
            "-E".into(),
            "UTF8".into(),
        ];
        match &pwfile {
            Some(p) => {
                args.push("--auth-host=scram-sha-256".into());
                args.push("--auth-local=trust".into());
                args.push(format!("--pwfile={}", p.display()));
            }
            None => args.push("--auth=trust".into()),
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&bin.join("initdb"), &args);
        assert!(out.status.success(), "initdb: {out:?}");
        if let Some((cert, key)) = &options.tls {
            std::fs::copy(cert, data.join("server.crt")).unwrap();
            std::fs::copy(key, data.join("server.key")).unwrap();
            chown_postgres(&data);
            let mut perms = std::fs::metadata(data.join("server.key"))
                .unwrap()
                .permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
            std::fs::set_permissions(data.join("server.key"), perms).unwrap();
            let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
            conf.push_str("\nssl = on\n");
            std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        }
        let port = free_port();
        let cluster = Cluster { port, dir, bin };
        cluster.pg_start();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the server and waits until it accepts connections.
    pub fn pg_start(&self) {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=50",
            self.port,
            self.data().display()
        );
        let log = self.dir.path().join("log");
        let out = run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data().display().to_string(),
                "-l",
                &log.display().to_string(),
                "-w",
                "-o",
                &opts,
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {out:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server (`fast`: open sessions are ended, as an operator's
    /// restart does).
    pub fn pg_stop(&self) {
        let out = run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
        assert!(out.status.success(), "pg_ctl stop: {out:?}");
    }

    /// The superuser URL over TCP (add the password for a scram cluster).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = run(
                &self.bin.join("pg_ctl"),
                &[
                    "-D",
                    &self.data().display().to_string(),
                    "-m",
                    "immediate",
                    "stop",
                ],
            );
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
