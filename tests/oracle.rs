//! The Oracle adapter on this machine, for real: no Oracle server exists
//! here and normally no Instant Client either, so the first call must fail
//! fast with the message that says what to install (DPI-1047, the driver's
//! own error, not a simulated one). Where Instant Client is installed the
//! library loads, and the same call must instead report the closed port.

use std::time::{Duration, Instant};

use dms_cockpit::backend::heartbeat_sql::{HeartbeatNames, Password};
use dms_cockpit::backend::oracle::{OracleConnect, OracleHeartbeat};
use dms_cockpit::backend::{BackendError, DbSide, HeartbeatStore, Site};

/// True when the dynamic loader can find the Oracle client library.
fn instant_client_present() -> bool {
    let in_ld_path = std::env::var("LD_LIBRARY_PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.is_empty())
        .any(|dir| std::path::Path::new(dir).join("libclntsh.so").exists());
    let in_cache = std::process::Command::new("ldconfig")
        .arg("-p")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("libclntsh.so"))
        .unwrap_or(false);
    in_ld_path || in_cache
}

#[tokio::test]
async fn first_call_reports_the_missing_client_or_the_closed_port() {
    // Port 1 on loopback: nothing listens there.
    let hb = OracleHeartbeat::new(OracleConnect {
        side: DbSide::A,
        host: "127.0.0.1".into(),
        port: 1,
        service: "ORCLPDB1".into(),
        username: "customer_orders".into(),
        password: Some(Password::new("tiger-not-printed")),
        names: HeartbeatNames::default(),
        connect_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(2),
    });
    for attempt in 0..2 {
        let started = Instant::now();
        let err = if attempt == 0 {
            hb.latest(5).await.unwrap_err()
        } else {
            hb.insert(Site::A).await.unwrap_err()
        };
        eprintln!("attempt {attempt}: {err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "took {:?}",
            started.elapsed()
        );
        assert!(!format!("{err:?}").contains("tiger-not-printed"));
        if instant_client_present() {
            let BackendError::Unavailable(msg) = &err else {
                panic!("expected Unavailable, got {err:?}")
            };
            assert!(msg.contains("127.0.0.1:1/ORCLPDB1"), "{msg}");
        } else {
            assert_eq!(
                err,
                BackendError::Unavailable(
                    "Oracle client library not found (DPI-1047): install Oracle Instant Client and set LD_LIBRARY_PATH to its directory"
                        .into()
                )
            );
        }
    }
}
