//! Finding the pair (`dms-cockpit init --list-tasks`): every replication
//! task of the account and region with its endpoints, so a config can be
//! written for the two that form the door.

use aws_config::SdkConfig;
use aws_sdk_databasemigration::Client;
use serde::Serialize;

use crate::backend::{BackendError, BackendResult};
use crate::doctor::EndpointSetup;

/// One replication task as `init` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskListing {
    pub id: String,
    pub arn: String,
    pub migration_type: String,
    pub status: String,
    pub source: EndpointSetup,
    pub target: EndpointSetup,
}

/// The SDK error stays as the cause (for the log file).
fn unavailable<E>(action: &str, e: E) -> BackendError
where
    E: std::error::Error + Send + Sync + 'static,
{
    let text = format!(
        "{action} failed: {}; the IAM action is dms:{action}",
        aws_sdk_databasemigration::error::DisplayErrorContext(&e)
    );
    BackendError::Unavailable(crate::backend::Reason::caused(text, e))
}

/// Every task (all pages) with its two endpoints; with `ids`, only the
/// tasks of those identifiers.
pub async fn list_tasks(
    sdk: &SdkConfig,
    ids: Option<&[String]>,
) -> BackendResult<Vec<TaskListing>> {
    let client = Client::new(sdk);
    let mut endpoints = Vec::new();
    let mut marker = None;
    loop {
        let out = client
            .describe_endpoints()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unavailable("DescribeEndpoints", e))?;
        endpoints.extend(out.endpoints().iter().cloned());
        marker = out.marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    let endpoint = |arn: Option<&str>| {
        let arn = arn.unwrap_or_default();
        match endpoints.iter().find(|e| e.endpoint_arn() == Some(arn)) {
            Some(e) => EndpointSetup {
                id: e.endpoint_identifier().unwrap_or(arn).to_string(),
                engine: e.engine_name().unwrap_or_default().to_string(),
                server: e.server_name().unwrap_or_default().to_string(),
                port: e.port().and_then(|p| u16::try_from(p).ok()),
                database: e.database_name().unwrap_or_default().to_string(),
            },
            None => EndpointSetup {
                id: arn.to_string(),
                engine: String::new(),
                server: String::new(),
                port: None,
                database: String::new(),
            },
        }
    };
    let mut tasks = Vec::new();
    let mut marker = None;
    loop {
        let filters = ids
            .map(|ids| {
                aws_sdk_databasemigration::types::Filter::builder()
                    .name("replication-task-id")
                    .set_values(Some(ids.to_vec()))
                    .build()
                    .map_err(|e| {
                        BackendError::Other(format!("cannot build the DMS filter: {e}").into())
                    })
            })
            .transpose()?;
        let out = client
            .describe_replication_tasks()
            .without_settings(true)
            .set_filters(filters.map(|f| vec![f]))
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unavailable("DescribeReplicationTasks", e))?;
        for t in out.replication_tasks() {
            tasks.push(TaskListing {
                id: t
                    .replication_task_identifier()
                    .unwrap_or_default()
                    .to_string(),
                arn: t.replication_task_arn().unwrap_or_default().to_string(),
                migration_type: t
                    .migration_type()
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default(),
                status: t.status().unwrap_or_default().to_string(),
                source: endpoint(t.source_endpoint_arn()),
                target: endpoint(t.target_endpoint_arn()),
            });
        }
        marker = out.marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(tasks)
}
