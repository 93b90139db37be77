//! DMS's own latency from CloudWatch: `GetMetricData` for `AWS/DMS`
//! `CDCLatencySource` and `CDCLatencyTarget` of each task over the last
//! 15 minutes, newest data point first.
//!
//! The dimensions are `ReplicationInstanceIdentifier` and
//! `ReplicationTaskIdentifier`, and the task dimension holds the task's
//! *resource id*, the last part of its ARN (`arn:aws:dms:…:task:ABCD…` →
//! `ABCD…`), not the identifier a person gave it (AWS DMS user guide,
//! "Monitoring AWS DMS tasks", replication task metrics). The task's ARN
//! and its instance's identifier are looked up once with
//! `DescribeReplicationTasks` and `DescribeReplicationInstances`.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use tokio::sync::Mutex;

use crate::backend::{BackendError, BackendResult, CdcLatency, Latency, PerTask, TaskRole};

/// The CloudWatch dimensions of one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDimensions {
    pub instance: String,
    pub task_resource_id: String,
}

/// The task dimension's value: the last `:`-separated part of the ARN.
pub fn resource_id(task_arn: &str) -> &str {
    task_arn.rsplit(':').next().unwrap_or(task_arn)
}

pub struct CloudWatchLatency {
    cloudwatch: aws_sdk_cloudwatch::Client,
    dms: aws_sdk_databasemigration::Client,
    tasks: PerTask<String>,
    dimensions: Mutex<PerTask<Option<TaskDimensions>>>,
}

impl CloudWatchLatency {
    pub fn from_sdk_config(sdk: &SdkConfig, tasks: PerTask<String>) -> Self {
        CloudWatchLatency {
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            dms: aws_sdk_databasemigration::Client::new(sdk),
            tasks,
            dimensions: Mutex::new(PerTask::default()),
        }
    }

    async fn dimensions(&self, role: TaskRole) -> BackendResult<TaskDimensions> {
        if let Some(d) = &self.dimensions.lock().await[role] {
            return Ok(d.clone());
        }
        let id = &self.tasks[role];
        let out = self
            .dms
            .describe_replication_tasks()
            .filters(super::task_filter(id)?)
            .without_settings(true)
            .send()
            .await
            .map_err(|e| {
                let text = format!(
                    "DescribeReplicationTasks for the {role} task's CloudWatch dimensions failed: {}",
                    aws_sdk_databasemigration::error::DisplayErrorContext(&e)
                );
                BackendError::Unavailable(crate::backend::reason::Reason::caused(text, e))
            })?;
        let task = out.replication_tasks().first().ok_or_else(|| {
            BackendError::NotFound(
                format!("the {role} task {id} was not found: check [tasks] {role}").into(),
            )
        })?;
        let task_arn = task.replication_task_arn().unwrap_or_default().to_string();
        let instance_arn = task
            .replication_instance_arn()
            .unwrap_or_default()
            .to_string();
        let out = self
            .dms
            .describe_replication_instances()
            .filters(super::dms_filter(
                "replication-instance-arn",
                &instance_arn,
            )?)
            .send()
            .await
            .map_err(|e| {
                let text = format!(
                    "DescribeReplicationInstances for the {role} task's instance failed: {}",
                    aws_sdk_databasemigration::error::DisplayErrorContext(&e)
                );
                BackendError::Unavailable(crate::backend::reason::Reason::caused(text, e))
            })?;
        let instance =
            out.replication_instances()
                .first()
                .and_then(|i| i.replication_instance_identifier())
                .ok_or_else(|| {
                    BackendError::NotFound(format!(
                    "the replication instance {instance_arn} of the {role} task was not found"
                ).into())
                })?
                .to_string();
        let d = TaskDimensions {
            instance,
            task_resource_id: resource_id(&task_arn).to_string(),
        };
        self.dimensions.lock().await[role] = Some(d.clone());
        Ok(d)
    }
}

/// The two metric queries for a task.
pub fn queries(d: &TaskDimensions) -> Vec<MetricDataQuery> {
    [
        ("source", "CDCLatencySource"),
        ("target", "CDCLatencyTarget"),
    ]
    .into_iter()
    .map(|(id, name)| {
        let metric = Metric::builder()
            .namespace("AWS/DMS")
            .metric_name(name)
            .dimensions(
                Dimension::builder()
                    .name("ReplicationInstanceIdentifier")
                    .value(&d.instance)
                    .build(),
            )
            .dimensions(
                Dimension::builder()
                    .name("ReplicationTaskIdentifier")
                    .value(&d.task_resource_id)
                    .build(),
            )
            .build();
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(metric)
                    .period(60)
                    .stat("Average")
                    .build(),
            )
            .return_data(true)
            .build()
    })
    .collect()
}

#[async_trait]
impl Latency for CloudWatchLatency {
    async fn cdc_latency(&self, role: TaskRole) -> BackendResult<CdcLatency> {
        let d = self.dimensions(role).await?;
        let end = std::time::SystemTime::now();
        let start = end - std::time::Duration::from_secs(15 * 60);
        let out = self
            .cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(queries(&d)))
            .start_time(start.into())
            .end_time(end.into())
            .scan_by(ScanBy::TimestampDescending)
            .send()
            .await
            .map_err(|e| {
                let text = format!(
                    "CloudWatch GetMetricData (AWS/DMS CDCLatencySource/Target of the {role} task) failed: {}; the IAM action is cloudwatch:GetMetricData",
                    aws_sdk_cloudwatch::error::DisplayErrorContext(&e)
                );
                BackendError::Unavailable(crate::backend::reason::Reason::caused(text, e))
            })?;
        let mut latency = CdcLatency {
            source_s: None,
            target_s: None,
            at: None,
        };
        for r in out.metric_data_results() {
            // Newest first: pick the newest point of each series.
            let newest = r
                .timestamps()
                .iter()
                .zip(r.values())
                .max_by_key(|(t, _)| (t.secs(), t.subsec_nanos()));
            let Some((t, v)) = newest else { continue };
            let at = chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos());
            latency.at = latency.at.max(at);
            match r.id() {
                Some("source") => latency.source_s = Some(*v),
                Some("target") => latency.target_s = Some(*v),
                _ => {}
            }
        }
        Ok(latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_dimension_is_the_last_part_of_the_arn() {
        assert_eq!(
            resource_id("arn:aws:dms:us-east-1:123456789012:task:2PVREMWNPGYJCVU2IBPTOYTIV4"),
            "2PVREMWNPGYJCVU2IBPTOYTIV4"
        );
    }
}
