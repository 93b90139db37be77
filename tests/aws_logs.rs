//! Task logs from CloudWatch Logs, against moto over HTTP with the real SDK
//! clients: a task created in moto's DMS with logging enabled, its log
//! group `dms-tasks-<instance identifier>` and stream `dms-task-<resource
//! id>` filled with DMS-shaped lines; the adapter finds and reads them,
//! tells severities apart, and a follow picks up a line added while it
//! runs. A task without logging says which setting to turn on.

#[path = "support/moto.rs"]
mod moto;

use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use chrono::Utc;
use dms_cockpit::backend::aws::logs::CloudWatchTaskLogs;
use dms_cockpit::backend::logs::{LogQuery, Severity, TaskLogs};
use dms_cockpit::backend::{BackendError, PerTask, TaskRole};
use dms_cockpit::commands::logs::follow;
use moto::{moto_url, sdk_config, task_with};

async fn put(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, stream: &str, lines: &[&str]) {
    let now = Utc::now().timestamp_millis();
    let events: Vec<InputLogEvent> = lines
        .iter()
        .map(|m| {
            InputLogEvent::builder()
                .timestamp(now)
                .message(*m)
                .build()
                .unwrap()
        })
        .collect();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .expect("put log events");
}

#[tokio::test]
#[ignore = "needs PostgreSQL/moto/tmux: run tests/run-all.sh"]
async fn reads_and_follows_the_task_log_in_cloudwatch_logs() {
    let sdk = sdk_config(&moto_url()).await;
    let dms = aws_sdk_databasemigration::Client::new(&sdk);
    let cw = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let (instance_id, task_id, arn) =
        task_with(&dms, r#"{"Logging":{"EnableLogging":true}}"#).await;
    // The names AWS gives them (DMS user guide, "Logging task settings").
    let group = format!("dms-tasks-{instance_id}");
    let stream = format!("dms-task-{}", arn.rsplit(':').next().unwrap());
    cw.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    cw.create_log_stream()
        .log_group_name(&group)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    put(
        &cw,
        &group,
        &stream,
        &[
            "2026-11-27T10:00:00 [TASK_MANAGER    ]I:  Task 'forward' running",
            "2026-11-27T10:00:01 [SOURCE_CAPTURE  ]W:  Slow source",
            "2026-11-27T10:00:02 [TARGET_LOAD     ]E:  Failed to load table 'CUSTOMER_ORDERS'.'ORDERS'",
        ],
    )
    .await;

    let tasks = PerTask {
        forward: task_id.clone(),
        backward: "not-used".to_string(),
    };
    let adapter = CloudWatchTaskLogs::new(dms.clone(), cw.clone(), tasks);
    let since = LogQuery::from(Utc::now() - chrono::Duration::minutes(5));
    let batch = adapter
        .read(TaskRole::Forward, &since, 100)
        .await
        .expect("read");
    assert_eq!(batch.source, format!("{group} / {stream}"));
    let severities: Vec<Severity> = batch.lines.iter().map(|l| l.severity).collect();
    assert_eq!(
        severities,
        [Severity::Info, Severity::Warning, Severity::Error]
    );
    assert!(batch.lines[2].text.contains("Failed to load table"));

    // Follow: the lines there, then one added while it runs.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let follower = {
        let adapter = CloudWatchTaskLogs::new(
            dms.clone(),
            cw.clone(),
            PerTask {
                forward: arn.clone(),
                backward: "not-used".to_string(),
            },
        );
        tokio::spawn(async move {
            let mut sink = |l: &dms_cockpit::backend::logs::LogLine| {
                let _ = tx.send(l.text.clone());
            };
            follow(
                &adapter,
                TaskRole::Forward,
                since,
                Duration::from_millis(100),
                Duration::from_secs(10),
                &mut sink,
                async {
                    let _ = stop_rx.await;
                },
            )
            .await
        })
    };
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let line = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the existing lines")
            .expect("follow still running");
        seen.push(line);
    }
    put(
        &cw,
        &group,
        &stream,
        &["2026-11-27T10:00:09 [TASK_MANAGER    ]I:  A new line"],
    )
    .await;
    let new = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the follow picks up the new line")
        .unwrap();
    assert!(new.contains("A new line"), "{new}");
    // Nothing is printed twice.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(rx.try_recv().is_err(), "a line came twice");
    stop_tx.send(()).unwrap();
    follower.await.unwrap().expect("follow ends cleanly");
}

#[tokio::test]
#[ignore = "needs PostgreSQL/moto/tmux: run tests/run-all.sh"]
async fn a_task_without_logging_names_the_setting() {
    let sdk = sdk_config(&moto_url()).await;
    let dms = aws_sdk_databasemigration::Client::new(&sdk);
    let (_, task_id, _) = task_with(&dms, r#"{"Logging":{"EnableLogging":false}}"#).await;
    let adapter = CloudWatchTaskLogs::new(
        dms,
        aws_sdk_cloudwatchlogs::Client::new(&sdk),
        PerTask {
            forward: task_id,
            backward: "not-used".to_string(),
        },
    );
    let err = adapter
        .read(TaskRole::Forward, &LogQuery::from(Utc::now()), 10)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::NotFound(m) if m.contains("Logging.EnableLogging")),
        "{err:?}"
    );
}

/// The log locator's DMS errors are DMS's, in the same words as the DMS
/// adapter's (one shared mapping, `backend::aws::dms::task_error`), and
/// name DMS's endpoint, not CloudWatch Logs' (the call went to DMS). An
/// endpoint that does not implement `DescribeReplicationTasks`
/// (`UnknownOperationException`) is the case that shows the endpoint.
#[tokio::test]
async fn the_log_locators_dms_errors_name_dms_and_its_endpoint() {
    use aws_sdk_databasemigration::Client as DmsClient;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_types::body::SdkBody;
    let describe = mock!(DmsClient::describe_replication_tasks).then_http_response(|| {
        HttpResponse::new(
            400.try_into().unwrap(),
            SdkBody::from(r#"{"__type":"UnknownOperationException"}"#),
        )
    });
    let dms = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::Sequential,
        &[&describe]
    );
    let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
        aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatchlogs::config::Region::new("eu-west-1"))
            .build(),
    );
    let adapter = CloudWatchTaskLogs::new(
        dms,
        logs,
        PerTask {
            forward: "fwd-task".to_string(),
            backward: "bwd-task".to_string(),
        },
    );
    let err = adapter
        .read(TaskRole::Forward, &LogQuery::from(Utc::now()), 10)
        .await
        .unwrap_err();
    let BackendError::Unsupported(m) = &err else {
        panic!("expected Unsupported, got {err:?}");
    };
    assert!(m.starts_with("DMS at "), "{m}");
    assert!(
        m.contains("does not implement DescribeReplicationTasks"),
        "{m}"
    );
    assert!(!m.contains("logs.eu-west-1"), "names CloudWatch Logs: {m}");
}
