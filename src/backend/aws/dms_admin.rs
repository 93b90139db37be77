//! The DMS calls `setup dms` makes (describe, create, test, delete, tags),
//! behind one type so setup goes through the backend layer like the
//! cockpit: every call has a time limit, and every failure is phrased by the
//! one AWS error mapping ([`super::map_sdk_error`]). The cockpit's own
//! task calls stay in [`super::dms`]; these are the administrator's calls.

use std::future::Future;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_databasemigration::types::{
    Connection, Endpoint, Filter, MigrationTypeValue, OracleSettings, PostgreSqlSettings,
    ReplicationEndpointTypeValue, ReplicationInstance, ReplicationTask, Tag,
};

use super::{CallContext, endpoint_label, map_sdk_error, region_label};
use crate::backend::heartbeat_sql::Password;
use crate::backend::{BackendError, BackendResult};

/// The tag setup puts on what it creates; `setup dms --delete` deletes
/// only what carries it (or what the config names).
pub const DOOR_TAG: &str = "dms-cockpit:door";

/// A new endpoint, as CreateEndpoint takes it.
#[derive(Debug, Clone)]
pub struct NewEndpoint<'a> {
    pub identifier: &'a str,
    /// `source` or `target`.
    pub kind: &'a str,
    /// DMS's engine name: `oracle` or `postgres`.
    pub engine_name: &'a str,
    pub database_name: &'a str,
    /// Clear-text credentials, or a secret reference (`(secret id, role
    /// ARN)`): AWS takes one or the other, never both.
    pub credentials: Credentials<'a>,
}

#[derive(Debug, Clone)]
pub enum Credentials<'a> {
    Clear {
        server_name: &'a str,
        port: i32,
        username: &'a str,
        password: &'a Password,
    },
    Secret {
        secret_id: &'a str,
        access_role_arn: &'a str,
    },
}

/// A new replication task, as CreateReplicationTask takes it.
#[derive(Debug, Clone)]
pub struct NewTask<'a> {
    pub identifier: &'a str,
    pub instance_arn: &'a str,
    pub source_arn: &'a str,
    pub target_arn: &'a str,
    pub migration_type: &'a str,
    pub table_mappings: &'a str,
    pub settings: &'a str,
}

/// DMS for setup: one client, its endpoint and region for messages, and the
/// time limit of each call.
pub struct DmsAdmin {
    client: Client,
    endpoint: String,
    region: String,
    timeout: Duration,
}

impl DmsAdmin {
    pub fn new(client: Client, endpoint: String, timeout: Duration) -> Self {
        let region = region_label(client.config().region());
        DmsAdmin {
            client,
            endpoint,
            region,
            timeout,
        }
    }

    pub fn from_sdk_config(sdk: &SdkConfig, timeout: Duration) -> Self {
        Self::new(
            Client::new(sdk),
            endpoint_label(sdk, "DATABASE_MIGRATION_SERVICE", "dms"),
            timeout,
        )
    }

    /// Where DMS is reached, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Runs one request within the time limit and maps its error.
    async fn call<T, E, F>(
        &self,
        action: &'static str,
        subject: &str,
        request: F,
    ) -> BackendResult<T>
    where
        F: Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match tokio::time::timeout(self.timeout, request).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(map_sdk_error(
                e,
                &CallContext {
                    service: "DMS",
                    endpoint: &self.endpoint,
                    region: &self.region,
                    action,
                    subject,
                    not_found_hint: "check the identifier or ARN in the config",
                },
            )),
            Err(_) => Err(BackendError::Unavailable(format!(
                "DMS at {} did not answer {action} on {subject} within {}: check the network and the endpoint, then re-run",
                self.endpoint,
                humantime::format_duration(self.timeout)
            ).into())),
        }
    }

    /// Every replication instance (all pages). A NotFound answer means none.
    pub async fn instances(&self) -> BackendResult<Vec<ReplicationInstance>> {
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = self.call(
                "dms:DescribeReplicationInstances",
                "replication instances",
                self.client
                    .describe_replication_instances()
                    .set_marker(marker.take())
                    .send(),
            );
            match page.await {
                Ok(page) => {
                    out.extend(page.replication_instances().iter().cloned());
                    match page.marker() {
                        Some(m) if !m.is_empty() => marker = Some(m.to_string()),
                        _ => return Ok(out),
                    }
                }
                Err(BackendError::NotFound(_)) => return Ok(out),
                Err(e) => return Err(e),
            }
        }
    }

    /// Every endpoint (all pages).
    pub async fn endpoints(&self) -> BackendResult<Vec<Endpoint>> {
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = self.call(
                "dms:DescribeEndpoints",
                "endpoints",
                self.client
                    .describe_endpoints()
                    .set_marker(marker.take())
                    .send(),
            );
            match page.await {
                Ok(page) => {
                    out.extend(page.endpoints().iter().cloned());
                    match page.marker() {
                        Some(m) if !m.is_empty() => marker = Some(m.to_string()),
                        _ => return Ok(out),
                    }
                }
                Err(BackendError::NotFound(_)) => return Ok(out),
                Err(e) => return Err(e),
            }
        }
    }

    /// The replication tasks (with their settings) that match every
    /// `(filter name, values)` pair, all pages: e.g. `replication-task-id`,
    /// `replication-task-arn`, `endpoint-arn`. Filtering in DMS keeps the
    /// answer small on an account with many tasks (and moto answers at most
    /// 100 tasks, without a marker). No filter value at all matches nothing.
    pub async fn tasks(
        &self,
        filters: &[(&str, Vec<String>)],
    ) -> BackendResult<Vec<ReplicationTask>> {
        if filters.iter().any(|(_, values)| values.is_empty()) {
            return Ok(Vec::new());
        }
        let mut built = Vec::new();
        for (name, values) in filters {
            built.push(
                Filter::builder()
                    .name(*name)
                    .set_values(Some(values.clone()))
                    .build()
                    .map_err(|e| {
                        BackendError::Other(format!("cannot build a DMS filter: {e}").into())
                    })?,
            );
        }
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = self.call(
                "dms:DescribeReplicationTasks",
                "replication tasks",
                self.client
                    .describe_replication_tasks()
                    .set_filters(Some(built.clone()))
                    .without_settings(false)
                    .set_marker(marker.take())
                    .send(),
            );
            match page.await {
                Ok(page) => {
                    out.extend(page.replication_tasks().iter().cloned());
                    match page.marker() {
                        Some(m) if !m.is_empty() => marker = Some(m.to_string()),
                        _ => return Ok(out),
                    }
                }
                Err(BackendError::NotFound(_)) => return Ok(out),
                Err(e) => return Err(e),
            }
        }
    }

    /// The tags of a resource, as (key, value).
    pub async fn tags(&self, arn: &str) -> BackendResult<Vec<(String, String)>> {
        let out = self
            .call(
                "dms:ListTagsForResource",
                arn,
                self.client
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send(),
            )
            .await?;
        Ok(out
            .tag_list()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect())
    }

    fn door_tag(door: &str) -> Tag {
        Tag::builder().key(DOOR_TAG).value(door).build()
    }

    /// Creates a replication instance tagged as `door`'s; returns its ARN.
    pub async fn create_instance(
        &self,
        identifier: &str,
        class: &str,
        storage: i32,
        door: &str,
    ) -> BackendResult<String> {
        let subject = format!("replication instance {identifier}");
        let out = self
            .call(
                "dms:CreateReplicationInstance",
                &subject,
                self.client
                    .create_replication_instance()
                    .replication_instance_identifier(identifier)
                    .replication_instance_class(class)
                    .allocated_storage(storage)
                    .publicly_accessible(false)
                    .tags(Self::door_tag(door))
                    .send(),
            )
            .await?;
        out.replication_instance()
            .and_then(|i| i.replication_instance_arn())
            .map(str::to_string)
            .ok_or_else(|| {
                BackendError::Malformed(format!("DMS created {subject} but returned no ARN").into())
            })
    }

    /// Creates an endpoint tagged as `door`'s; returns its ARN.
    pub async fn create_endpoint(&self, e: &NewEndpoint<'_>, door: &str) -> BackendResult<String> {
        let subject = format!("endpoint {}", e.identifier);
        let kind = if e.kind == "source" {
            ReplicationEndpointTypeValue::Source
        } else {
            ReplicationEndpointTypeValue::Target
        };
        let mut request = self
            .client
            .create_endpoint()
            .endpoint_identifier(e.identifier)
            .endpoint_type(kind)
            .engine_name(e.engine_name)
            .database_name(e.database_name)
            .tags(Self::door_tag(door));
        request = match &e.credentials {
            Credentials::Clear {
                server_name,
                port,
                username,
                password,
            } => request
                .server_name(*server_name)
                .port(*port)
                .username(*username)
                .password(password.expose()),
            Credentials::Secret {
                secret_id,
                access_role_arn,
            } => {
                if e.engine_name == "oracle" {
                    request.oracle_settings(
                        OracleSettings::builder()
                            .secrets_manager_secret_id(*secret_id)
                            .secrets_manager_access_role_arn(*access_role_arn)
                            .build(),
                    )
                } else {
                    request.postgre_sql_settings(
                        PostgreSqlSettings::builder()
                            .secrets_manager_secret_id(*secret_id)
                            .secrets_manager_access_role_arn(*access_role_arn)
                            .build(),
                    )
                }
            }
        };
        let out = self
            .call("dms:CreateEndpoint", &subject, request.send())
            .await?;
        out.endpoint()
            .and_then(|x| x.endpoint_arn())
            .map(str::to_string)
            .ok_or_else(|| {
                BackendError::Malformed(format!("DMS created {subject} but returned no ARN").into())
            })
    }

    /// Creates a replication task tagged as `door`'s; returns its ARN.
    pub async fn create_task(&self, t: &NewTask<'_>, door: &str) -> BackendResult<String> {
        let subject = format!("replication task {}", t.identifier);
        let out = self
            .call(
                "dms:CreateReplicationTask",
                &subject,
                self.client
                    .create_replication_task()
                    .replication_task_identifier(t.identifier)
                    .replication_instance_arn(t.instance_arn)
                    .source_endpoint_arn(t.source_arn)
                    .target_endpoint_arn(t.target_arn)
                    .migration_type(MigrationTypeValue::from(t.migration_type))
                    .table_mappings(t.table_mappings)
                    .replication_task_settings(t.settings)
                    .tags(Self::door_tag(door))
                    .send(),
            )
            .await?;
        out.replication_task()
            .and_then(|x| x.replication_task_arn())
            .map(str::to_string)
            .ok_or_else(|| {
                BackendError::Malformed(format!("DMS created {subject} but returned no ARN").into())
            })
    }

    /// Starts a connection test of `endpoint_arn` from the instance.
    pub async fn test_connection(
        &self,
        instance_arn: &str,
        endpoint_arn: &str,
    ) -> BackendResult<()> {
        self.call(
            "dms:TestConnection",
            &format!("endpoint {endpoint_arn}"),
            self.client
                .test_connection()
                .replication_instance_arn(instance_arn)
                .endpoint_arn(endpoint_arn)
                .send(),
        )
        .await
        .map(|_| ())
    }

    /// The connection (test result) of `endpoint_arn` from the instance.
    pub async fn connection(
        &self,
        instance_arn: &str,
        endpoint_arn: &str,
    ) -> BackendResult<Option<Connection>> {
        let filter = |name: &str, value: &str| {
            Filter::builder()
                .name(name)
                .values(value)
                .build()
                .map_err(|e| BackendError::Other(format!("cannot build a DMS filter: {e}").into()))
        };
        let out = self
            .call(
                "dms:DescribeConnections",
                &format!("endpoint {endpoint_arn}"),
                self.client
                    .describe_connections()
                    .filters(filter("endpoint-arn", endpoint_arn)?)
                    .filters(filter("replication-instance-arn", instance_arn)?)
                    .send(),
            )
            .await;
        match out {
            Ok(out) => Ok(out
                .connections()
                .iter()
                .find(|c| c.endpoint_arn() == Some(endpoint_arn))
                .cloned()),
            Err(BackendError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn delete_task(&self, arn: &str) -> BackendResult<()> {
        self.call(
            "dms:DeleteReplicationTask",
            &format!("replication task {arn}"),
            self.client
                .delete_replication_task()
                .replication_task_arn(arn)
                .send(),
        )
        .await
        .map(|_| ())
    }

    pub async fn delete_endpoint(&self, arn: &str) -> BackendResult<()> {
        self.call(
            "dms:DeleteEndpoint",
            &format!("endpoint {arn}"),
            self.client.delete_endpoint().endpoint_arn(arn).send(),
        )
        .await
        .map(|_| ())
    }

    pub async fn delete_instance(&self, arn: &str) -> BackendResult<()> {
        self.call(
            "dms:DeleteReplicationInstance",
            &format!("replication instance {arn}"),
            self.client
                .delete_replication_instance()
                .replication_instance_arn(arn)
                .send(),
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_request_never_shows_the_password() {
        let password = Password::new("s3cret-not-printed");
        let e = NewEndpoint {
            identifier: "door-a-source",
            kind: "source",
            engine_name: "oracle",
            database_name: "ORCL",
            credentials: Credentials::Clear {
                server_name: "ora.example",
                port: 1521,
                username: "dms_user",
                password: &password,
            },
        };
        let debug = format!("{e:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
    }
}
