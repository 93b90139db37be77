//! DMS's own CDC latency from CloudWatch, against moto over HTTP with the
//! real SDK clients. A task is created in moto's DMS; boto3 (a client
//! nobody here wrote) puts `AWS/DMS` `CDCLatencySource`/`CDCLatencyTarget`
//! data points with the dimensions AWS documents, a decoy under the task's
//! *name*, and an older point; the adapter must find the task's resource
//! id, read the newest points and ignore the decoy.
//!
//! moto serves CloudWatch only over its query and JSON protocols, and the
//! Rust SDK speaks Smithy RPC v2 CBOR: the moto wrapper started by
//! `tests/run-all.sh` (`tests/support/moto_server.py`) re-encodes those
//! requests. moto itself stores and selects the data.

#[path = "support/moto.rs"]
mod moto;

use std::process::Command;

use dms_cockpit::backend::aws::cloudwatch::{CloudWatchLatency, resource_id};
use dms_cockpit::backend::{Latency, PerTask, TaskRole};
use moto::{moto_url, sdk_config, task_with};

/// Puts one data point per `(metric, instance, task dimension, value,
/// seconds ago)` with boto3, as DMS would publish it.
fn put_with_boto3(points: &[(&str, &str, &str, f64, i64)]) {
    let points: Vec<serde_json::Value> = points
        .iter()
        .map(|(metric, instance, task, value, ago)| {
            serde_json::json!({
                "metric": metric, "instance": instance, "task": task,
                "value": value, "ago": ago,
            })
        })
        .collect();
    let script = r#"
import json, sys, time, boto3
from datetime import datetime, timezone
points = json.loads(sys.argv[2])
cw = boto3.client("cloudwatch", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
for p in points:
    cw.put_metric_data(Namespace="AWS/DMS", MetricData=[{
        "MetricName": p["metric"], "Value": p["value"], "Unit": "Seconds",
        "Timestamp": datetime.fromtimestamp(time.time() - p["ago"], tz=timezone.utc),
        "Dimensions": [
            {"Name": "ReplicationInstanceIdentifier", "Value": p["instance"]},
            {"Name": "ReplicationTaskIdentifier", "Value": p["task"]},
        ]}])
"#;
    let out = Command::new("python3")
        .args([
            "-c",
            script,
            &moto_url(),
            &serde_json::to_string(&points).unwrap(),
        ])
        .output()
        .expect("run python3 (boto3 comes with moto[server])");
    assert!(
        out.status.success(),
        "boto3 put_metric_data failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL/moto/tmux: run tests/run-all.sh"]
async fn reads_the_newest_cdc_latency_of_the_task_resource_id_from_moto() {
    let sdk = sdk_config(&moto_url()).await;
    let dms = aws_sdk_databasemigration::Client::new(&sdk);
    let (instance, task_id, arn) = task_with(&dms, "{}").await;
    let resource = resource_id(&arn).to_string();
    assert_ne!(resource, task_id, "moto's ARN should end in a resource id");
    put_with_boto3(&[
        ("CDCLatencySource", &instance, &resource, 1.0, 600),
        ("CDCLatencySource", &instance, &resource, 7.0, 60),
        ("CDCLatencyTarget", &instance, &resource, 2.5, 60),
        // What a reader keyed on the task's name would wrongly find.
        ("CDCLatencySource", &instance, &task_id, 99.0, 30),
    ]);
    let tasks = PerTask {
        forward: task_id.clone(),
        backward: format!("{task_id}-absent"),
    };
    let reader = CloudWatchLatency::from_sdk_config(&sdk, tasks);
    let latency = reader
        .cdc_latency(TaskRole::Forward)
        .await
        .expect("read CDC latency through moto");
    assert_eq!(latency.source_s, Some(7.0), "{latency:?}");
    assert_eq!(latency.target_s, Some(2.5), "{latency:?}");
    let at = latency.at.expect("the newest point's time");
    let age = (chrono::Utc::now() - at).num_seconds();
    // One-minute periods: the point 60 s ago lands in a bucket 60–120 s old.
    assert!((0..=180).contains(&age), "newest point is {age}s old");
}

#[tokio::test]
#[ignore = "needs PostgreSQL/moto/tmux: run tests/run-all.sh"]
async fn a_task_without_data_points_has_no_latency_and_a_missing_task_is_named() {
    let sdk = sdk_config(&moto_url()).await;
    let dms = aws_sdk_databasemigration::Client::new(&sdk);
    let (_, task_id, _) = task_with(&dms, "{}").await;
    let tasks = PerTask {
        forward: task_id.clone(),
        backward: format!("{task_id}-absent"),
    };
    let reader = CloudWatchLatency::from_sdk_config(&sdk, tasks);
    let latency = reader.cdc_latency(TaskRole::Forward).await.unwrap();
    assert_eq!(
        (latency.source_s, latency.target_s, latency.at),
        (None, None, None)
    );
    let err = reader
        .cdc_latency(TaskRole::Backward)
        .await
        .expect_err("a task moto does not have");
    let text = err.to_string();
    assert!(
        text.contains(&format!("{task_id}-absent")) && text.contains("[tasks] backward"),
        "{text}"
    );
}
