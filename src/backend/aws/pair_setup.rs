//! Reads the pair for the door check (`doctor`): both tasks with their
//! settings and table mappings (`DescribeReplicationTasks`, settings
//! included), and the four endpoints (`DescribeEndpoints`), into the pure
//! [`PairSetup`] the rules in `crate::doctor` judge.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_databasemigration::Client;
use serde_json::Value;

use super::{CallContext, endpoint_label, map_sdk_error, region_label};
use crate::backend::ops::with_timeout;
use crate::backend::{BackendError, BackendResult, PerDb, PerTask, TaskRole};
use crate::config::Config;
use crate::doctor::{EndpointSetup, Loopback, PairSetup, TaskSetup};

use super::dms_filter as filter;

/// The door check's port for real backends: reads the configured pair.
pub struct AwsPair {
    pub sdk: SdkConfig,
    pub config: Config,
}

#[async_trait::async_trait]
impl crate::backend::PairReader for AwsPair {
    async fn pair(&self) -> BackendResult<PairSetup> {
        read(&self.sdk, &self.config, self.config.timeout).await
    }
}

/// The pair named by `config`, each call under `timeout`.
pub async fn read(sdk: &SdkConfig, config: &Config, timeout: Duration) -> BackendResult<PairSetup> {
    let client = Client::new(sdk);
    let endpoint = endpoint_label(sdk, "DATABASE_MIGRATION_SERVICE", "dms");
    let region = region_label(sdk.region());
    let mut tasks = Vec::new();
    let mut finished = None;
    for role in TaskRole::ALL {
        let id = &config.tasks[role];
        let subject = format!("the {role} task {id}");
        let out = with_timeout(timeout, async {
            client
                .describe_replication_tasks()
                .filters(super::task_filter(id)?)
                .without_settings(false)
                .send()
                .await
                .map_err(|e| {
                    map_sdk_error(
                        e,
                        &CallContext {
                            service: "DMS",
                            endpoint: &endpoint,
                            region: &region,
                            action: "dms:DescribeReplicationTasks",
                            subject: &subject,
                            not_found_hint: "check [tasks] in the config",
                        },
                    )
                })
        })
        .await?;
        let task = out.replication_tasks().first().cloned().ok_or_else(|| {
            BackendError::NotFound(
                format!("{subject} not found in {region}: check [tasks] {role}").into(),
            )
        })?;
        if role == TaskRole::Forward {
            finished = task
                .replication_task_stats()
                .and_then(|s| s.full_load_finish_date())
                .and_then(|d| chrono::DateTime::from_timestamp(d.secs(), d.subsec_nanos()));
        }
        let settings: Value = task
            .replication_task_settings()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| {
                BackendError::Malformed(
                    format!("{subject}: ReplicationTaskSettings is not JSON: {e}").into(),
                )
            })?
            .unwrap_or(Value::Null);
        let mappings: Value = task
            .table_mappings()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| {
                BackendError::Malformed(format!("{subject}: TableMappings is not JSON: {e}").into())
                    .caused_by(e)
            })?
            .unwrap_or(Value::Null);
        let mut endpoints = Vec::new();
        for arn in [task.source_endpoint_arn(), task.target_endpoint_arn()] {
            let arn = arn.unwrap_or_default();
            let out = with_timeout(timeout, async {
                client
                    .describe_endpoints()
                    .filters(filter("endpoint-arn", arn)?)
                    .send()
                    .await
                    .map_err(|e| {
                        map_sdk_error(
                            e,
                            &CallContext {
                                service: "DMS",
                                endpoint: &endpoint,
                                region: &region,
                                action: "dms:DescribeEndpoints",
                                subject: arn,
                                not_found_hint: "the task names an endpoint that is gone",
                            },
                        )
                    })
            })
            .await?;
            let e = out.endpoints().first().cloned().ok_or_else(|| {
                BackendError::NotFound(format!("{subject}: endpoint {arn} not found").into())
            })?;
            endpoints.push(EndpointSetup {
                id: e.endpoint_identifier().unwrap_or(arn).to_string(),
                engine: e.engine_name().unwrap_or_default().to_string(),
                server: e.server_name().unwrap_or_default().to_string(),
                port: e.port().and_then(|p| u16::try_from(p).ok()),
                database: e.database_name().unwrap_or_default().to_string(),
            });
        }
        let target = endpoints.pop().expect("two endpoints");
        let source = endpoints.pop().expect("two endpoints");
        let cdc_start = match role {
            TaskRole::Backward => task
                .cdc_start_position()
                .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
                .map(|t| t.with_timezone(&chrono::Utc))
                .or(config.backward_cdc_start_time),
            TaskRole::Forward => None,
        };
        tasks.push(task_setup(
            task.replication_task_identifier().unwrap_or(id),
            task.migration_type()
                .map(|m| m.as_str())
                .unwrap_or_default(),
            &settings,
            &mappings,
            cdc_start,
            source,
            target,
        ));
    }
    let backward = tasks.pop().expect("two tasks");
    let forward = tasks.pop().expect("two tasks");
    Ok(PairSetup {
        tasks: PerTask { forward, backward },
        forward_full_load_finished: finished,
        seq_starts: PerDb::new(|db| config.databases[db].seq_start),
        max_ids: PerDb { a: None, b: None },
        databases: PerDb::new(|db| config.databases[db].db.clone()),
    })
}

/// One task's settings and mappings, as the rules need them. Absent
/// settings read as DMS's defaults (loopback off, batch apply off, DDL
/// handlers on).
pub fn task_setup(
    id: &str,
    migration_type: &str,
    settings: &Value,
    mappings: &Value,
    cdc_start: Option<chrono::DateTime<chrono::Utc>>,
    source: EndpointSetup,
    target: EndpointSetup,
) -> TaskSetup {
    let loopback = settings
        .pointer("/LoopbackPreventionSettings")
        .and_then(|l| {
            l.is_object().then(|| Loopback {
                enabled: l["EnableLoopbackPrevention"].as_bool().unwrap_or(false),
                source_schema: l["SourceSchema"].as_str().unwrap_or_default().to_string(),
                target_schema: l["TargetSchema"].as_str().unwrap_or_default().to_string(),
            })
        });
    let ddl_handlers_on = [
        "HandleSourceTableDropped",
        "HandleSourceTableTruncated",
        "HandleSourceTableAltered",
    ]
    .iter()
    .filter(|h| {
        settings
            .pointer(&format!("/ChangeProcessingDdlHandlingPolicy/{h}"))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    })
    .map(|h| h.to_string())
    .collect();
    let tables: BTreeSet<String> = mappings["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["rule-type"] == "selection" && r["rule-action"] == "include")
        .map(|r| {
            format!(
                "{}.{}",
                r["object-locator"]["schema-name"].as_str().unwrap_or("%"),
                r["object-locator"]["table-name"].as_str().unwrap_or("%")
            )
        })
        .collect();
    TaskSetup {
        id: id.to_string(),
        migration_type: migration_type.to_string(),
        loopback,
        batch_apply: settings
            .pointer("/TargetMetadata/BatchApplyEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ddl_handlers_on,
        tables,
        cdc_start,
        source,
        target,
    }
}
