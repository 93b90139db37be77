//! DMS's own latency from CloudWatch: `GetMetricData` for `AWS/DMS`
//! `CDCLatencySource` and `CDCLatencyTarget` of each task over the last
//! 15 minutes, newest data point first.
//!
//! The dimensions are `ReplicationInstanceIdentifier` and
//! `ReplicationTaskIdentifier`, and the task dimension holds the task's
//! *resource id*, the last part of its ARN (`arn:aws:dms:…:task:ABCD…` →
//! `ABCD…`), not the identifier a person gave it (AWS DMS user guide,
//! "Monitoring AWS DMS tasks", replication task metrics). The task's ARN
//! and its instance's ARN come from the DMS adapter the task panels use
//! (as last described, or by a describe shared with theirs, see
//! [`crate::backend::coalesce`]); the instance's identifier from one
//! `DescribeReplicationInstances`. Both are looked up once.
//!
//! Both tasks are read with one `GetMetricData` (four queries), and the
//! app's two requests (one per task) share it: a snapshot costs one
//! CloudWatch call, not two.

use std::sync::Arc;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use tokio::sync::Mutex;

use super::dms::DmsReplication;
use crate::backend::coalesce::Coalesce;
use crate::backend::reason::Reason;
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

type Both = Arc<PerTask<BackendResult<CdcLatency>>>;

pub struct CloudWatchLatency {
    reader: Arc<Reader>,
    /// The read of both tasks in flight, shared by the two callers.
    both: Coalesce<Both>,
}

struct Reader {
    cloudwatch: aws_sdk_cloudwatch::Client,
    dms: aws_sdk_databasemigration::Client,
    tasks: Arc<DmsReplication>,
    dimensions: Mutex<PerTask<Option<TaskDimensions>>>,
}

impl CloudWatchLatency {
    /// Finds the tasks with a DMS adapter of its own.
    pub fn from_sdk_config(sdk: &SdkConfig, tasks: PerTask<String>) -> Self {
        Self::with_tasks(sdk, Arc::new(DmsReplication::from_sdk_config(sdk, tasks)))
    }

    /// Finds the tasks through `tasks`, the adapter the task panels use,
    /// so a snapshot describes the tasks once for both.
    pub fn with_tasks(sdk: &SdkConfig, tasks: Arc<DmsReplication>) -> Self {
        CloudWatchLatency {
            reader: Arc::new(Reader {
                cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
                dms: aws_sdk_databasemigration::Client::new(sdk),
                tasks,
                dimensions: Mutex::new(PerTask::default()),
            }),
            both: Coalesce::same_moment(),
        }
    }
}

impl Reader {
    /// Each task's dimensions, looked up (for those not known yet) with
    /// the tasks' describe and one `DescribeReplicationInstances`.
    async fn dimensions(&self) -> PerTask<BackendResult<TaskDimensions>> {
        let mut known = self.dimensions.lock().await;
        if let (Some(f), Some(b)) = (&known.forward, &known.backward) {
            return PerTask {
                forward: Ok(f.clone()),
                backward: Ok(b.clone()),
            };
        }
        let (forward, backward) = tokio::join!(
            self.tasks.placement(TaskRole::Forward),
            self.tasks.placement(TaskRole::Backward)
        );
        let placed = PerTask { forward, backward };
        let instance_arns: Vec<&str> = TaskRole::ALL
            .iter()
            .filter(|&&r| known[r].is_none())
            .filter_map(|&r| placed[r].as_ref().ok())
            .map(|(_, instance)| instance.as_str())
            .collect();
        let identifiers = if instance_arns.is_empty() {
            Ok(Vec::new())
        } else {
            self.instance_identifiers(&instance_arns).await
        };
        let result = PerTask::new(|role| {
            if let Some(d) = &known[role] {
                return Ok(d.clone());
            }
            let (task_arn, instance_arn) = placed[role].clone()?;
            let identifiers = identifiers.as_ref().map_err(Clone::clone)?;
            let instance = identifiers
                .iter()
                .find(|(arn, _)| *arn == instance_arn)
                .map(|(_, id)| id.clone())
                .ok_or_else(|| {
                    BackendError::NotFound(
                        format!(
                            "the replication instance {instance_arn} of the {role} task was not found"
                        )
                        .into(),
                    )
                })?;
            Ok(TaskDimensions {
                instance,
                task_resource_id: resource_id(&task_arn).to_string(),
            })
        });
        for role in TaskRole::ALL {
            if let Ok(d) = &result[role] {
                known[role] = Some(d.clone());
            }
        }
        result
    }

    /// `(ARN, identifier)` of the replication instances with these ARNs.
    async fn instance_identifiers(&self, arns: &[&str]) -> BackendResult<Vec<(String, String)>> {
        let out = self
            .dms
            .describe_replication_instances()
            .filters(super::dms_filter_any("replication-instance-arn", arns)?)
            .send()
            .await
            .map_err(|e| {
                let text = format!(
                    "DescribeReplicationInstances for the tasks' instance failed: {}",
                    aws_sdk_databasemigration::error::DisplayErrorContext(&e)
                );
                BackendError::Unavailable(Reason::caused(text, e))
            })?;
        Ok(out
            .replication_instances()
            .iter()
            .filter_map(|i| {
                Some((
                    i.replication_instance_arn()?.to_string(),
                    i.replication_instance_identifier()?.to_string(),
                ))
            })
            .collect())
    }

    /// Both tasks' latency with one `GetMetricData`.
    async fn latency(&self) -> PerTask<BackendResult<CdcLatency>> {
        let dimensions = self.dimensions().await;
        let queries: Vec<MetricDataQuery> = TaskRole::ALL
            .iter()
            .filter_map(|&role| Some(queries(role, dimensions[role].as_ref().ok()?)))
            .flatten()
            .collect();
        if queries.is_empty() {
            return PerTask::new(|role| dimensions[role].clone().map(|_| CdcLatency::default()));
        }
        let end = std::time::SystemTime::now();
        let start = end - std::time::Duration::from_secs(15 * 60);
        let answer = self
            .cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(start.into())
            .end_time(end.into())
            .scan_by(ScanBy::TimestampDescending)
            .send()
            .await
            .map_err(Arc::new);
        PerTask::new(|role| {
            dimensions[role].as_ref().map_err(Clone::clone)?;
            let out = answer.as_ref().map_err(|e| {
                let text = format!(
                    "CloudWatch GetMetricData (AWS/DMS CDCLatencySource/Target of the {role} task) failed: {}; the IAM action is cloudwatch:GetMetricData",
                    aws_sdk_cloudwatch::error::DisplayErrorContext(e)
                );
                BackendError::Unavailable(Reason::caused(text, e.clone()))
            })?;
            Ok(newest(role, out.metric_data_results()))
        })
    }
}

/// The two metric queries for a task; their ids are `<role>_source` and
/// `<role>_target`.
pub fn queries(role: TaskRole, d: &TaskDimensions) -> Vec<MetricDataQuery> {
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
            .id(format!("{}_{id}", role_id(role)))
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

/// A query id must start with a lower-case letter.
fn role_id(role: TaskRole) -> &'static str {
    match role {
        TaskRole::Forward => "forward",
        TaskRole::Backward => "backward",
    }
}

/// The newest point of each of `role`'s two series.
fn newest(role: TaskRole, results: &[aws_sdk_cloudwatch::types::MetricDataResult]) -> CdcLatency {
    let mut latency = CdcLatency::default();
    let source = format!("{}_source", role_id(role));
    let target = format!("{}_target", role_id(role));
    for r in results {
        let newest = r
            .timestamps()
            .iter()
            .zip(r.values())
            .max_by_key(|(t, _)| (t.secs(), t.subsec_nanos()));
        let Some((t, v)) = newest else { continue };
        let slot = match r.id() {
            Some(id) if id == source => &mut latency.source_s,
            Some(id) if id == target => &mut latency.target_s,
            _ => continue,
        };
        *slot = Some(*v);
        let at = chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos());
        latency.at = latency.at.max(at);
    }
    latency
}

#[async_trait]
impl Latency for CloudWatchLatency {
    async fn cdc_latency(&self, role: TaskRole) -> BackendResult<CdcLatency> {
        let reader = self.reader.clone();
        let both = self
            .both
            .run(move || async move { Arc::new(reader.latency().await) })
            .await;
        both[role].clone()
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
