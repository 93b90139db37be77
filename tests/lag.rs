//! The lag meter end to end: on the lab (a real simulated DMS over SQLite,
//! with `apply_delay` holding every change back) and on two real
//! PostgreSQL databases routed by a moto appmap, through the very function
//! the `lag` command runs.

#[path = "support/live.rs"]
mod live;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dms_cockpit::app::Settings;
use dms_cockpit::app::lag::{LagSettings, LagState};
use dms_cockpit::backend::{Backends, StartRequest, StartType, TaskRole, TaskStatus};
use dms_cockpit::commands::lag::{LagLine, measure_with};
use dms_cockpit::lab::{Lab, LabOptions};

async fn open_lab(dir: &std::path::Path, apply_delay: Duration) -> (Lab, Backends) {
    let lab = Lab::open(LabOptions {
        data_dir: dir.to_path_buf(),
        traffic: None,
        transition_delay: Duration::from_millis(50),
        apply_interval: Duration::from_millis(20),
        apply_delay,
    })
    .await
    .expect("lab opens");
    let backends = lab.backends(Duration::from_secs(5), false);
    (lab, backends)
}

async fn wait_status(b: &Backends, role: TaskRole, status: TaskStatus) {
    for _ in 0..400 {
        if b.describe_task(role).await.unwrap().status == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the {role} task never became {status}");
}

async fn start(b: &Backends, role: TaskRole, start_type: StartType) {
    b.replication
        .start(
            role,
            StartRequest {
                start_type,
                cdc_start_time: None,
            },
        )
        .await
        .unwrap();
    wait_status(b, role, TaskStatus::Running).await;
}

/// Both tasks running and the forward full load done, so every later
/// heartbeat travels by change capture (the one `apply_delay` delays).
async fn both_running(b: &Backends) {
    start(b, TaskRole::Forward, StartType::StartReplication).await;
    start(b, TaskRole::Backward, StartType::StartReplication).await;
    for _ in 0..400 {
        let t = b.describe_task(TaskRole::Forward).await.unwrap();
        if t.progress.full_load_percent == Some(100) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the forward full load never finished");
}

fn settings(lag: LagSettings) -> Settings {
    Settings {
        lag,
        ..Settings::default()
    }
}

fn measured(lines: &[LagLine], direction: &str) -> Vec<i64> {
    lines
        .iter()
        .filter(|l| l.direction == direction)
        .filter_map(|l| l.lag_ms)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_delay_of_2s_is_measured_within_one_polling_interval() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open_lab(dir.path(), Duration::from_secs(2)).await;
    both_running(&b).await;
    let lag = LagSettings {
        every: Duration::from_millis(500),
        poll: Duration::from_millis(250),
        ..LagSettings::default()
    };
    let mut lines = Vec::new();
    let (down, _) = measure_with(&b, settings(lag), Some(3), true, |l| lines.push(l.clone())).await;
    lab.shutdown().await;
    assert!(
        down.is_empty(),
        "nothing should stop replicating: {lines:?}"
    );
    // The lab applies on a 20 ms clock; a look costs a few ms on SQLite.
    let slack = 20 + 100;
    for direction in ["a_to_b", "b_to_a"] {
        let lags = measured(&lines, direction);
        assert_eq!(lags.len(), 3, "three heartbeats {direction}: {lines:?}");
        for lag in lags {
            assert!(
                (2000..=2000 + 250 + slack).contains(&lag),
                "{direction}: {lag} ms is not within one 250 ms polling interval of 2 s: {lines:?}"
            );
        }
    }
    assert!(lines.iter().all(|l| l.resolution_ms == 250));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_task_turns_its_direction_not_replicating_and_resuming_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, b) = open_lab(dir.path(), Duration::ZERO).await;
    both_running(&b).await;
    let lag = LagSettings {
        every: Duration::from_millis(200),
        poll: Duration::from_millis(100),
        warn: Duration::from_millis(600),
        not_replicating: Duration::from_millis(1500),
        auto: true,
    };
    let lines = Arc::new(Mutex::new(Vec::<LagLine>::new()));
    let sink = lines.clone();
    let backends = b.clone();
    let meter = tokio::spawn(async move {
        measure_with(&backends, settings(lag), Some(25), true, move |l| {
            sink.lock().unwrap().push(l.clone())
        })
        .await
        .0
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    b.replication.stop(TaskRole::Backward).await.unwrap();
    wait_status(&b, TaskRole::Backward, TaskStatus::Stopped).await;
    // Wait until the meter says so, then resume.
    for _ in 0..200 {
        let said = lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.direction == "b_to_a" && l.state == LagState::NotReplicating);
        if said {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let a_to_b_meanwhile = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.direction == "a_to_b")
        .all(|l| l.state != LagState::NotReplicating);
    start(&b, TaskRole::Backward, StartType::ResumeProcessing).await;
    let down = meter.await.unwrap();
    lab.shutdown().await;
    let lines = lines.lock().unwrap().clone();
    let down_line = lines
        .iter()
        .position(|l| l.direction == "b_to_a" && l.lag_ms.is_none())
        .unwrap_or_else(|| panic!("no not-replicating line for b→a: {lines:?}"));
    assert_eq!(lines[down_line].state, LagState::NotReplicating);
    assert!(lines[down_line].missing_for_ms.unwrap() >= 1500);
    assert!(a_to_b_meanwhile, "a→b kept replicating: {lines:?}");
    assert_eq!(
        down.into_iter().collect::<Vec<_>>(),
        vec![TaskRole::Backward]
    );
    // After the resume the backlog arrives, and the last measurements are
    // healthy again.
    let last = lines
        .iter()
        .rev()
        .find(|l| l.direction == "b_to_a")
        .unwrap();
    assert_eq!(last.state, LagState::Replicating, "{lines:?}");
    assert!(
        lines[down_line..]
            .iter()
            .any(|l| l.direction == "b_to_a" && l.lag_ms.is_some())
    );
}

/// The heartbeat part on real PostgreSQL: the cockpit writes as SITEA and
/// SITEB into the databases a moto appmap names, and watches for the exact
/// rows in the other one. DMS is played by this test, copying a's rows to b
/// (moto's DMS replicates nothing); nothing copies b to a, so b→a is not
/// replicating.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL/moto/tmux: run tests/run-all.sh"]
async fn heartbeat_lag_on_real_postgresql() {
    let door = live::Door::new().await;
    door.ok(&["setup", "sql", "--database", "a", "--apply"]);
    door.ok(&["setup", "sql", "--database", "b", "--apply"]);
    door.ok(&["setup", "appmap"]);
    let (pa, pb) = (door.pool('a').await, door.pool('b').await);
    let copier = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let rows: Vec<(i64, chrono::NaiveDateTime, String)> = sqlx::query_as(
                "SELECT heartbeat_id, last_update_dt, last_update_site FROM customer_orders.heartbeat",
            )
            .fetch_all(&pa)
            .await
            .unwrap();
            for (id, at, site) in rows {
                sqlx::query(
                    "INSERT INTO customer_orders.heartbeat (heartbeat_id, last_update_dt, last_update_site)
                     SELECT $1, $2, $3 WHERE NOT EXISTS
                       (SELECT 1 FROM customer_orders.heartbeat WHERE heartbeat_id = $1)",
                )
                .bind(id)
                .bind(at)
                .bind(site)
                .execute(&pb)
                .await
                .unwrap();
            }
        }
    });
    let run = door.run(&[
        "lag",
        "--every",
        "500ms",
        "--count",
        "3",
        "--json",
        "--warn",
        "1s",
        "--not-replicating",
        "3s",
    ]);
    copier.abort();
    assert_eq!(run.code, Some(1), "b→a never replicates: {run}");
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let a_to_b: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["direction"] == "a_to_b" && l["lag_ms"].is_i64())
        .collect();
    assert_eq!(a_to_b.len(), 3, "{run}");
    for l in &a_to_b {
        let lag = l["lag_ms"].as_i64().unwrap();
        // The copier runs every 300 ms; the meter looks every 250 ms.
        assert!(lag <= 300 + 250 + 400, "{l}");
        assert_eq!(l["site"], "SITEA");
        assert_eq!(l["basis"], "heartbeats");
    }
    assert!(
        lines
            .iter()
            .any(|l| l["direction"] == "b_to_a" && l["state"] == "not_replicating"),
        "{run}"
    );
    assert!(run.stderr.contains("not replicating: b→a"), "{run}");
}
