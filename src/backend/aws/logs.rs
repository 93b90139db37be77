//! [`TaskLogs`] on CloudWatch Logs: where DMS writes a task's log when its
//! settings enable logging. AWS names the place itself (the DMS user guide,
//! "Logging task settings",
//! <https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TaskSettings.Logging.html>):
//! group `dms-tasks-<replication instance identifier>`, stream
//! `dms-task-<task resource id>` (the last part of the task's ARN), and it
//! also records them in the task settings' `Logging.CloudWatchLogGroup` /
//! `CloudWatchLogStream`. The settings win when present; otherwise the
//! names are built from the instance identifier and the ARN.
//!
//! A task whose settings do not enable logging has no log: that is said,
//! with the setting to turn on, instead of "not found".

use std::sync::Mutex;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_cloudwatchlogs::Client as LogsClient;
use aws_sdk_databasemigration::Client as DmsClient;
use aws_sdk_databasemigration::types::Filter;
use chrono::{DateTime, Utc};

use super::{CallContext, endpoint_label, map_sdk_error, region_label};
use crate::backend::logs::{LogBatch, LogLine, LogQuery, Severity, TaskLogs};
use crate::backend::{BackendError, BackendResult, PerTask, TaskRole};

/// `FilterLogEvents` returns at most 10,000 events a page.
const PAGE: i32 = 1_000;

/// Where a task's log lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLocation {
    pub group: String,
    pub stream: String,
}

/// The task's log location from its settings JSON, its ARN and its
/// replication instance's identifier; `Err` says why there is none.
pub fn log_location(
    settings: Option<&str>,
    task_arn: &str,
    instance_identifier: Option<&str>,
) -> Result<LogLocation, String> {
    let settings: serde_json::Value = match settings {
        Some(s) => {
            serde_json::from_str(s).map_err(|e| format!("the task settings are not JSON ({e})"))?
        }
        None => serde_json::Value::Null,
    };
    let logging = &settings["Logging"];
    if logging["EnableLogging"].as_bool() != Some(true) {
        return Err(
            "logging is not enabled in its task settings: set Logging.EnableLogging to true \
             (`setup dms` does with dms.logging) and restart the task"
                .into(),
        );
    }
    let named = |key: &str| {
        logging[key]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let group = match named("CloudWatchLogGroup") {
        Some(g) => g,
        None => match instance_identifier {
            Some(id) => format!("dms-tasks-{id}"),
            None => {
                return Err("its replication instance could not be identified".into());
            }
        },
    };
    let stream = match named("CloudWatchLogStream") {
        Some(s) => s,
        None => match task_arn.rsplit_once(':') {
            Some((_, resource)) if !resource.is_empty() => format!("dms-task-{resource}"),
            _ => return Err(format!("its ARN `{task_arn}` has no resource id")),
        },
    };
    Ok(LogLocation { group, stream })
}

/// Both tasks' logs, found through DMS and read from CloudWatch Logs.
pub struct CloudWatchTaskLogs {
    dms: DmsClient,
    logs: LogsClient,
    tasks: PerTask<String>,
    located: Mutex<PerTask<Option<LogLocation>>>,
    region: String,
    endpoint: String,
    /// Where the DMS calls that locate the log go, for their errors.
    dms_endpoint: String,
}

impl CloudWatchTaskLogs {
    pub fn new(dms: DmsClient, logs: LogsClient, tasks: PerTask<String>) -> Self {
        let region = region_label(logs.config().region());
        let endpoint = super::env_endpoint_label("CLOUDWATCH_LOGS", "logs", &region);
        let dms_endpoint = super::env_endpoint_label("DATABASE_MIGRATION_SERVICE", "dms", &region);
        CloudWatchTaskLogs {
            dms,
            logs,
            tasks,
            located: Mutex::new(PerTask::default()),
            region,
            endpoint,
            dms_endpoint,
        }
    }

    pub fn from_sdk_config(sdk: &SdkConfig, tasks: PerTask<String>) -> Self {
        let mut me = Self::new(DmsClient::new(sdk), LogsClient::new(sdk), tasks);
        me.endpoint = endpoint_label(sdk, "CLOUDWATCH_LOGS", "logs");
        me.dms_endpoint = endpoint_label(sdk, "DATABASE_MIGRATION_SERVICE", "dms");
        me
    }

    fn dms_error<E: super::dms::DmsCallError>(
        &self,
        e: aws_sdk_databasemigration::error::SdkError<E>,
        role: TaskRole,
        action: &'static str,
    ) -> BackendError {
        // DMS's endpoint, not CloudWatch Logs': this call went to DMS.
        super::dms::task_error(
            e,
            &self.dms_endpoint,
            &self.region,
            role,
            &self.tasks[role],
            action,
        )
    }

    /// Finds (once) where the task's log is.
    async fn locate(&self, role: TaskRole) -> BackendResult<LogLocation> {
        if let Some(found) = self.located.lock().expect("log location cache")[role].clone() {
            return Ok(found);
        }
        let configured = &self.tasks[role];
        let filter = super::task_filter(configured)?;
        let out = self
            .dms
            .describe_replication_tasks()
            .filters(filter)
            .without_settings(false)
            .send()
            .await
            .map_err(|e| self.dms_error(e, role, "dms:DescribeReplicationTasks"))?;
        let task = out.replication_tasks().first().ok_or_else(|| {
            BackendError::NotFound(format!(
                "{role} task {configured} not found in region {}: check [tasks] {role} in the config",
                self.region
            ).into())
        })?;
        let arn = task.replication_task_arn().unwrap_or_default().to_string();
        let settings = task.replication_task_settings();
        let names_group = settings
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .and_then(|v| {
                v["Logging"]["CloudWatchLogGroup"]
                    .as_str()
                    .map(str::to_string)
            })
            .is_some_and(|g| !g.is_empty());
        let instance = match (names_group, task.replication_instance_arn()) {
            (false, Some(instance_arn)) => self.instance_identifier(role, instance_arn).await?,
            _ => None,
        };
        let location = log_location(settings, &arn, instance.as_deref()).map_err(|why| {
            BackendError::NotFound(format!("the {role} task {configured} has no log: {why}").into())
        })?;
        self.located.lock().expect("log location cache")[role] = Some(location.clone());
        Ok(location)
    }

    async fn instance_identifier(
        &self,
        role: TaskRole,
        instance_arn: &str,
    ) -> BackendResult<Option<String>> {
        let filter = Filter::builder()
            .name("replication-instance-arn")
            .values(instance_arn)
            .build()
            .map_err(|e| BackendError::Other(format!("cannot build the DMS filter: {e}").into()))?;
        let out = self
            .dms
            .describe_replication_instances()
            .filters(filter)
            .send()
            .await
            .map_err(|e| self.dms_error(e, role, "dms:DescribeReplicationInstances"))?;
        Ok(out
            .replication_instances()
            .first()
            .and_then(|i| i.replication_instance_identifier())
            .map(str::to_string))
    }
}

#[async_trait]
impl TaskLogs for CloudWatchTaskLogs {
    async fn read(
        &self,
        role: TaskRole,
        query: &LogQuery,
        limit: usize,
    ) -> BackendResult<LogBatch> {
        let at = self.locate(role).await?;
        let source = format!("{} / {}", at.group, at.stream);
        let mut lines = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let result = self
                .logs
                .filter_log_events()
                .log_group_name(&at.group)
                .log_stream_names(&at.stream)
                .start_time(query.since.timestamp_millis())
                .limit(PAGE)
                .set_next_token(token.clone())
                .send()
                .await;
            let page = match result {
                Ok(page) => page,
                Err(e) => {
                    let subject = format!("log {source} of the {role} task");
                    let err = map_sdk_error(
                        e,
                        &CallContext {
                            service: "CloudWatch Logs",
                            endpoint: &self.endpoint,
                            region: &self.region,
                            action: "logs:FilterLogEvents",
                            subject: &subject,
                            not_found_hint: "DMS creates it when the task first runs with logging enabled; start the task, or check Logging.EnableLogging in its settings",
                        },
                    );
                    if matches!(err, BackendError::NotFound(_)) {
                        // Look the place up again next time: the task may
                        // have been recreated.
                        self.located.lock().expect("log location cache")[role] = None;
                    }
                    return Err(err);
                }
            };
            for e in page.events() {
                let Some(at) = e
                    .timestamp()
                    .and_then(DateTime::<Utc>::from_timestamp_millis)
                else {
                    continue;
                };
                let text = e.message().unwrap_or_default().trim_end().to_string();
                let line = LogLine {
                    id: e.event_id().unwrap_or_default().to_string(),
                    at,
                    severity: Severity::of_message(&text),
                    text,
                };
                if query.wants(&line) {
                    lines.push(line);
                }
            }
            match page.next_token() {
                Some(next) if lines.len() < limit && token.as_deref() != Some(next) => {
                    token = Some(next.to_string());
                }
                _ => break,
            }
        }
        // Stable: lines of the same millisecond keep the order CloudWatch
        // gave them (ingestion order); event ids are not ordered.
        lines.sort_by_key(|l| l.at);
        lines.truncate(limit);
        Ok(LogBatch { source, lines })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:dms:eu-west-1:123456789012:task:ABCDEF123";

    #[test]
    fn names_come_from_the_settings_or_from_the_instance_and_the_arn() {
        let on = r#"{"Logging":{"EnableLogging":true}}"#;
        assert_eq!(
            log_location(Some(on), ARN, Some("dms-cockpit")),
            Ok(LogLocation {
                group: "dms-tasks-dms-cockpit".into(),
                stream: "dms-task-ABCDEF123".into()
            })
        );
        let named = r#"{"Logging":{"EnableLogging":true,"CloudWatchLogGroup":"g","CloudWatchLogStream":"s"}}"#;
        assert_eq!(
            log_location(Some(named), ARN, None),
            Ok(LogLocation {
                group: "g".into(),
                stream: "s".into()
            })
        );
    }

    #[test]
    fn a_task_without_logging_names_the_setting() {
        for settings in [
            None,
            Some(r#"{"Logging":{"EnableLogging":false}}"#),
            Some("{}"),
        ] {
            let e = log_location(settings, ARN, Some("i")).unwrap_err();
            assert!(e.contains("Logging.EnableLogging"), "{e}");
        }
        assert!(
            log_location(Some("not json"), ARN, None)
                .unwrap_err()
                .contains("not JSON")
        );
    }
}
