//! Throttling (issue 11): DMS `ThrottlingException` on
//! DescribeReplicationTasks and DynamoDB
//! `ProvisionedThroughputExceededException` on the appmap's Scan, produced
//! with `aws-smithy-mocks` (moto never throttles). The adapters call it
//! `Throttled`; the app shows "throttled" in the panel with when it asks
//! again, skips that backend's polls for a doubling delay (capped at 30 s)
//! and never has two identical polls in flight.

use std::time::Duration;

use aws_smithy_mocks::{RuleMode, mock, mock_client};
use chrono::{DateTime, TimeZone, Utc};
use dms_cockpit::app::{App, Command, Msg, Settings};
use dms_cockpit::backend::aws::dms::DmsReplication;
use dms_cockpit::backend::aws::dynamo::DynamoAppMap;
use dms_cockpit::backend::{
    AppMapStore, BackendError, BackendResult, DatabaseRef, DbSide, Engine, ModeInfo, PerDb,
    PerTask, Replication, TaskRole,
};
use dms_cockpit::ui::{Theme, render_to_string};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

fn databases() -> PerDb<DatabaseRef> {
    let db = |side, engine, endpoint: &str, port| DatabaseRef {
        side,
        engine,
        endpoint: endpoint.into(),
        port,
        dbname: "orders".into(),
        username: "customer_orders".into(),
    };
    PerDb {
        a: db(DbSide::A, Engine::Oracle, "ora.example", 1521),
        b: db(DbSide::B, Engine::Postgresql, "pg.example", 5432),
    }
}

fn app() -> App {
    let mode = ModeInfo {
        name: "LIVE".into(),
        description: "test".into(),
        read_only: false,
    };
    App::new(mode, databases(), Settings::default(), t0())
}

/// DescribeReplicationTasks answered with `ThrottlingException`, through
/// the real DMS adapter (the SDK's own retries off: they would only repeat
/// the same answer).
async fn throttled_describe() -> BackendResult<dms_cockpit::backend::TaskSnapshot> {
    use aws_sdk_databasemigration::Client;
    use aws_sdk_databasemigration::config::retry::RetryConfig;
    use aws_sdk_databasemigration::error::ErrorMetadata;
    use aws_sdk_databasemigration::operation::describe_replication_tasks::DescribeReplicationTasksError;
    let rule = mock!(Client::describe_replication_tasks).then_error(|| {
        DescribeReplicationTasksError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    });
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        &[&rule],
        |c| c.retry_config(RetryConfig::disabled())
    );
    let tasks = PerTask {
        forward: "fwd-task".to_string(),
        backward: "bwd-task".to_string(),
    };
    DmsReplication::new(client, tasks)
        .describe(TaskRole::Forward)
        .await
}

/// The appmap's Scan answered with `ProvisionedThroughputExceededException`
/// through the real DynamoDB adapter.
async fn throttled_appmap() -> BackendResult<Vec<dms_cockpit::backend::AppMapItem>> {
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::scan::ScanError;
    use aws_sdk_dynamodb::types::error::ProvisionedThroughputExceededException;
    let rule = mock!(Client::scan).then_error(|| {
        ScanError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message(
                    "The level of configured provisioned throughput for the table was exceeded",
                )
                .meta(
                    ErrorMetadata::builder()
                        .code("ProvisionedThroughputExceededException")
                        .build(),
                )
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[&rule], |c| c
        .retry_config(RetryConfig::disabled()));
    DynamoAppMap::new(client, "appmap").read_all().await
}

fn fetches_task(commands: &[Command]) -> bool {
    commands
        .iter()
        .any(|c| matches!(c, Command::FetchTask(_) | Command::FetchTables(_)))
}

fn fetches_appmap(commands: &[Command]) -> bool {
    commands.iter().any(|c| matches!(c, Command::FetchAppMap))
}

#[tokio::test]
async fn dms_throttling_is_shown_and_backs_off() {
    let err = throttled_describe().await.unwrap_err();
    let BackendError::Throttled(msg) = &err else {
        panic!("expected Throttled, got {err:?}")
    };
    assert!(
        msg.contains("DMS throttled dms:DescribeReplicationTasks"),
        "{msg}"
    );
    assert!(msg.contains("ThrottlingException"), "{msg}");

    let mut app = app();
    let first = app.update(t0(), Msg::Tick);
    assert!(fetches_task(&first));
    // Polls never pile up: while the describe is in flight, ticks add none.
    for s in 0..5 {
        let again = app.update(at(s), Msg::Tick);
        assert!(
            !again.iter().any(|c| matches!(c, Command::FetchTask(_))),
            "{again:?}"
        );
    }
    app.update(at(5), Msg::Task(TaskRole::Forward, Err(err.clone())));
    app.update(at(5), Msg::Task(TaskRole::Backward, Err(err.clone())));
    let shown = app.tasks.forward.error.clone().unwrap();
    assert!(shown.contains("throttled"), "{shown}");
    assert!(shown.contains("next try in 2s"), "{shown}");
    // The panel says it (and status --json's failures carry the same text).
    let screen = render_to_string(&app, &Theme::color(), 160, 48);
    assert!(screen.contains("throttled"), "{screen}");
    assert!(
        app.failures()
            .iter()
            .any(|f| f.which == "tasks.forward" && f.message.contains("throttled"))
    );

    // Both tasks answered in the same round: one delay of 2 s, not 4.
    // The tables (whose polls are in flight) answer throttled too.
    app.update(at(5), Msg::Tables(TaskRole::Forward, Err(err.clone())));
    app.update(at(5), Msg::Tables(TaskRole::Backward, Err(err.clone())));
    assert!(!fetches_task(&app.update(at(6), Msg::Tick)));
    let after = app.update(at(7), Msg::Tick);
    assert!(fetches_task(&after), "{after:?}");
    // Throttled again: 4 s this time, then 8, 16, 30, 30.
    let mut now = 7;
    for expected in [4, 8, 16, 30, 30] {
        app.update(at(now), Msg::Task(TaskRole::Forward, Err(err.clone())));
        app.update(at(now), Msg::Task(TaskRole::Backward, Err(err.clone())));
        app.update(at(now), Msg::Tables(TaskRole::Forward, Err(err.clone())));
        app.update(at(now), Msg::Tables(TaskRole::Backward, Err(err.clone())));
        let shown = app.tasks.forward.error.clone().unwrap();
        assert!(
            shown.contains(&format!("next try in {expected}s")),
            "{shown}"
        );
        assert!(!fetches_task(
            &app.update(at(now + expected - 1), Msg::Tick)
        ));
        now += expected;
        assert!(fetches_task(&app.update(at(now), Msg::Tick)), "at +{now}s");
    }
    // The heartbeats and the appmap kept their pace meanwhile (their
    // polls are in flight from the first tick, so none is added).
    // An answer resets the backoff: the next tick polls at once.
    let task = dms_cockpit::backend::TaskSnapshot {
        role: TaskRole::Forward,
        id: "fwd-task".into(),
        arn: "arn:aws:dms:us-east-1:1:task:F".into(),
        status: dms_cockpit::backend::TaskStatus::Running,
        migration_type: "cdc".into(),
        progress: Default::default(),
        stop_reason: None,
        last_failure: None,
        start_date: None,
        recovery_checkpoint: None,
        control_schema: None,
    };
    app.update(at(now), Msg::Task(TaskRole::Forward, Ok(task.clone())));
    let mut backward = task;
    backward.role = TaskRole::Backward;
    app.update(at(now), Msg::Task(TaskRole::Backward, Ok(backward)));
    app.update(at(now), Msg::Tables(TaskRole::Forward, Ok(vec![])));
    app.update(at(now), Msg::Tables(TaskRole::Backward, Ok(vec![])));
    assert!(fetches_task(&app.update(at(now + 1), Msg::Tick)));
}

#[tokio::test]
async fn dynamodb_throttling_is_shown_and_backs_off() {
    let err = throttled_appmap().await.unwrap_err();
    let BackendError::Throttled(msg) = &err else {
        panic!("expected Throttled, got {err:?}")
    };
    assert!(msg.contains("DynamoDB throttled dynamodb:Scan"), "{msg}");
    assert!(
        msg.contains("ProvisionedThroughputExceededException"),
        "{msg}"
    );

    let mut app = app();
    assert!(fetches_appmap(&app.update(t0(), Msg::Tick)));
    assert!(
        !fetches_appmap(&app.update(at(1), Msg::Tick)),
        "one in flight"
    );
    app.update(at(1), Msg::AppMap(Err(err.clone())));
    let shown = app.appmap.error.clone().unwrap();
    assert!(shown.contains("throttled"), "{shown}");
    assert!(shown.contains("next try in 2s"), "{shown}");
    let screen = render_to_string(&app, &Theme::color(), 160, 48);
    assert!(screen.contains("throttled"), "{screen}");
    let tick = app.update(at(2), Msg::Tick);
    assert!(!fetches_appmap(&tick));
    assert!(fetches_appmap(&app.update(at(3), Msg::Tick)));
    app.update(at(3), Msg::AppMap(Err(err.clone())));
    assert!(
        app.appmap
            .error
            .as_deref()
            .unwrap()
            .contains("next try in 4s")
    );
    assert!(!fetches_appmap(&app.update(at(6), Msg::Tick)));
    assert!(fetches_appmap(&app.update(at(7), Msg::Tick)));
    app.update(at(7), Msg::AppMap(Ok(vec![])));
    assert!(app.appmap.error.is_none());
    assert!(fetches_appmap(&app.update(at(8), Msg::Tick)));
}

/// "Never pile up" over time: the app's loop (ticks and answers on one
/// queue, as the runtime has them) against an appmap that answers in
/// 300 ms, with a tick every 10 ms for a second (tokio's paused clock, so
/// no wall-clock time passes): never two reads in flight, and one read per
/// answer, not one per tick.
#[tokio::test(start_paused = true)]
async fn polls_never_pile_up_behind_a_slow_backend() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let asked = Arc::new(AtomicUsize::new(0));
    let mut app = app();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let start = tokio::time::Instant::now();
    let mut clock = tokio::time::interval(Duration::from_millis(10));
    while start.elapsed() < Duration::from_secs(1) {
        let input = tokio::select! {
            _ = clock.tick() => Msg::Tick,
            Some(msg) = rx.recv() => msg,
        };
        let now = t0() + chrono::Duration::from_std(start.elapsed()).unwrap();
        for command in app.update(now, input) {
            if let Command::FetchAppMap = command {
                let (tx, in_flight, most) = (tx.clone(), in_flight.clone(), most.clone());
                asked.fetch_add(1, Ordering::SeqCst);
                let n = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let _ = tx.send(Msg::AppMap(Ok(vec![])));
                });
            }
        }
    }
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "never two appmap reads at once"
    );
    let asked = asked.load(Ordering::SeqCst);
    assert!((3..=4).contains(&asked), "asked {asked} times in 1 s");
}
