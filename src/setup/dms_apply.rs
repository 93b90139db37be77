//! The effectful half of `setup dms`: walks the plan in order and, for each
//! resource, finds it by identifier first and creates it only when it is
//! missing, so re-running is safe. A resource that exists but does not match
//! the plan (other engine, other endpoints, no loopback prevention) stops
//! the run instead of being silently reused: a wrongly wired pair of tasks
//! would copy data in circles or to the wrong place.

use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_databasemigration::types::{
    Filter, MigrationTypeValue, OracleSettings, PostgreSqlSettings, ReplicationEndpointTypeValue,
};
use serde_json::Value;

use crate::backend::PerTask;

use super::dms::DmsSpec;
use super::dms_plan::{EndpointKind, EndpointPlan, InstancePlan, TaskPlan, typed_plan, validate};

/// Whether a resource was there already or made by this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Existed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Existed => "existed",
        }
    }
}

/// One resource of the plan after [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceOutcome {
    /// `replication instance`, `endpoint` or `replication task`.
    pub kind: &'static str,
    pub identifier: String,
    pub outcome: Outcome,
    pub arn: String,
}

/// What [`apply`] did, resource by resource, and the task ARNs the cockpit
/// needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SetupReport {
    /// In plan order: instance, four endpoints, forward and backward task.
    pub resources: Vec<ResourceOutcome>,
    pub tasks: PerTask<String>,
    /// Ready to print, one per resource.
    pub lines: Vec<String>,
}

/// Finds or creates every resource of the plan for `spec`, in order, wiring
/// the ARNs of the instance and endpoints (found or created) into the tasks.
/// On an error, the message names the resource, carries AWS's message, says
/// what to do, and lists what this run had already created.
pub async fn apply(client: &Client, spec: &DmsSpec) -> Result<SetupReport, String> {
    validate(spec)?;
    let plan = typed_plan(spec);
    let mut done: Vec<ResourceOutcome> = Vec::new();
    match apply_plan(client, &plan, &mut done).await {
        Ok(tasks) => {
            let lines = done.iter().map(line).collect();
            Ok(SetupReport {
                resources: done,
                tasks,
                lines,
            })
        }
        Err(e) => Err(with_progress(e, &done)),
    }
}

async fn apply_plan(
    client: &Client,
    plan: &super::dms_plan::Plan,
    done: &mut Vec<ResourceOutcome>,
) -> Result<PerTask<String>, String> {
    let instance = ensure_instance(client, &plan.instance).await?;
    let instance_arn = instance.arn.clone();
    done.push(instance);

    for endpoint in &plan.endpoints {
        let outcome = ensure_endpoint(client, endpoint).await?;
        done.push(outcome);
    }
    let endpoint_arn = |done: &[ResourceOutcome], identifier: &str| -> String {
        done.iter()
            .find(|r| r.kind == "endpoint" && r.identifier == identifier)
            .map(|r| r.arn.clone())
            .expect("every task endpoint is one of the four planned endpoints")
    };

    let mut task_arns: PerTask<String> = PerTask::default();
    for task in &plan.tasks {
        let wiring = Wiring {
            instance: instance_arn.clone(),
            source: endpoint_arn(done, &task.source_endpoint),
            target: endpoint_arn(done, &task.target_endpoint),
        };
        let outcome = ensure_task(client, task, &wiring).await?;
        task_arns[task.role] = outcome.arn.clone();
        // Kept current so an error in the second task reports the first.
        done.push(outcome);
    }
    Ok(task_arns)
}

fn line(r: &ResourceOutcome) -> String {
    format!(
        "{:<8} {} {}  {}",
        r.outcome.as_str(),
        r.kind,
        r.identifier,
        r.arn
    )
}

fn with_progress(error: String, done: &[ResourceOutcome]) -> String {
    let created: Vec<String> = done
        .iter()
        .filter(|r| r.outcome == Outcome::Created)
        .map(|r| format!("{} {}", r.kind, r.identifier))
        .collect();
    if created.is_empty() {
        format!("{error}\nNothing was created by this run.")
    } else {
        format!(
            "{error}\nThis run already created: {}. They stay; re-running setup finds them and creates only what is missing.",
            created.join(", ")
        )
    }
}

fn filter(name: &str, value: &str) -> Result<Filter, String> {
    Filter::builder()
        .name(name)
        .values(value)
        .build()
        .map_err(|e| format!("cannot build DMS filter {name}={value}: {e}"))
}

/// `{what} failed: {AWS code: message}. {what to do}`.
/// The output of a filtered describe, or `None` when nothing matched: DMS
/// answers a filtered describe that matches nothing with
/// ResourceNotFoundFault, moto with an empty list; both mean "absent".
fn found<O, E, R>(
    result: Result<O, SdkError<E, R>>,
    what: &str,
    action: &str,
) -> Result<Option<O>, String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(out) => Ok(Some(out)),
        Err(e)
            if e.as_service_error()
                .and_then(|s| s.code())
                .is_some_and(|c| c == "ResourceNotFoundFault") =>
        {
            Ok(None)
        }
        Err(e) => Err(aws_error(what, action, &e)),
    }
}

fn aws_error<E, R>(what: &str, action: &str, err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let Some(service) = err.as_service_error() else {
        return format!(
            "{what} failed: DMS could not be reached ({}). Check the network, the AWS region and any endpoint override (AWS_ENDPOINT_URL), then re-run.",
            DisplayErrorContext(err)
        );
    };
    let code = service.code().unwrap_or("unknown error");
    let message = service.message().unwrap_or("no message");
    let advice = match code {
        c if c.contains("AccessDenied")
            || c == "UnrecognizedClientException"
            || c == "InvalidClientTokenId"
            || c == "ExpiredTokenException" =>
        {
            format!(
                "The AWS credentials in use must be valid and allowed `dms:{action}` (and `dms:Describe*`); fix the IAM policy or the profile, then re-run."
            )
        }
        "ResourceQuotaExceededFault" => {
            "The account's DMS quota is used up: delete unused DMS resources or ask AWS for a higher quota, then re-run.".to_string()
        }
        "InvalidResourceStateFault" => {
            "A resource it depends on is not ready yet (e.g. the replication instance is still creating): wait until it is available, then re-run.".to_string()
        }
        "KMSKeyNotAccessibleFault" => {
            "DMS cannot use the KMS key: grant it access to the key, then re-run.".to_string()
        }
        "InvalidParameterValueException" | "InvalidParameterCombinationException" => {
            "A value in the request was refused: check it against `setup dms --dry-run` and the config, then re-run.".to_string()
        }
        _ => "Fix the cause, then re-run: setup finds what exists and creates only what is missing.".to_string(),
    };
    format!("{what} failed: {code}: {message}. {advice}")
}

async fn ensure_instance(client: &Client, plan: &InstancePlan) -> Result<ResourceOutcome, String> {
    let id = &plan.identifier;
    let found_instances = client
        .describe_replication_instances()
        .filters(filter("replication-instance-id", id)?)
        .send()
        .await;
    let existing = found(
        found_instances,
        &format!("looking up replication instance {id}"),
        "DescribeReplicationInstances",
    )?
    .and_then(|out| {
        out.replication_instances()
            .iter()
            .find(|i| i.replication_instance_identifier() == Some(id.as_str()))
            .cloned()
    });
    if let Some(instance) = existing {
        let arn = instance.replication_instance_arn().ok_or_else(|| {
            format!("replication instance {id} exists but DMS returned no ARN for it; describe it in the console")
        })?;
        return Ok(outcome("replication instance", id, Outcome::Existed, arn));
    }
    let created = client
        .create_replication_instance()
        .replication_instance_identifier(id)
        .replication_instance_class(&plan.class)
        .allocated_storage(plan.allocated_storage)
        .publicly_accessible(false)
        .send()
        .await
        .map_err(|e| {
            aws_error(
                &format!("creating replication instance {id}"),
                "CreateReplicationInstance",
                &e,
            )
        })?;
    let arn = created
        .replication_instance()
        .and_then(|i| i.replication_instance_arn())
        .ok_or_else(|| format!("DMS created replication instance {id} but returned no ARN"))?;
    Ok(outcome("replication instance", id, Outcome::Created, arn))
}

fn outcome(kind: &'static str, id: &str, outcome: Outcome, arn: &str) -> ResourceOutcome {
    ResourceOutcome {
        kind,
        identifier: id.to_string(),
        outcome,
        arn: arn.to_string(),
    }
}

fn endpoint_type(kind: EndpointKind) -> ReplicationEndpointTypeValue {
    match kind {
        EndpointKind::Source => ReplicationEndpointTypeValue::Source,
        EndpointKind::Target => ReplicationEndpointTypeValue::Target,
    }
}

/// The differences between an existing endpoint and the plan, as
/// `field: has X, planned Y`.
fn endpoint_differences(
    found: &aws_sdk_databasemigration::types::Endpoint,
    plan: &EndpointPlan,
) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |field: &str, has: Option<String>, want: String, same: bool| {
        if !same {
            diffs.push(format!(
                "{field}: has {}, planned {want}",
                has.unwrap_or_else(|| "nothing".to_string())
            ));
        }
    };
    let has_type = found.endpoint_type().map(|t| t.as_str().to_string());
    check(
        "EndpointType",
        has_type.clone(),
        plan.kind.as_str().to_string(),
        has_type.is_some_and(|t| t.eq_ignore_ascii_case(plan.kind.as_str())),
    );
    let has_engine = found.engine_name().map(str::to_string);
    check(
        "EngineName",
        has_engine.clone(),
        plan.engine_name.to_string(),
        has_engine.is_some_and(|e| e.eq_ignore_ascii_case(plan.engine_name)),
    );
    let has_server = found.server_name().map(str::to_string);
    check(
        "ServerName",
        has_server.clone(),
        plan.server_name.clone(),
        has_server.as_deref() == Some(plan.server_name.as_str()),
    );
    check(
        "Port",
        found.port().map(|p| p.to_string()),
        plan.port.to_string(),
        found.port() == Some(plan.port),
    );
    let has_db = found.database_name().map(str::to_string);
    check(
        "DatabaseName",
        has_db.clone(),
        plan.database_name.clone(),
        has_db.as_deref() == Some(plan.database_name.as_str()),
    );
    diffs
}

async fn ensure_endpoint(client: &Client, plan: &EndpointPlan) -> Result<ResourceOutcome, String> {
    let id = &plan.identifier;
    let found_endpoints = client
        .describe_endpoints()
        .filters(filter("endpoint-id", id)?)
        .send()
        .await;
    let existing = found(
        found_endpoints,
        &format!("looking up endpoint {id}"),
        "DescribeEndpoints",
    )?
    .and_then(|out| {
        out.endpoints()
            .iter()
            .find(|e| e.endpoint_identifier() == Some(id.as_str()))
            .cloned()
    });
    if let Some(endpoint) = existing {
        let diffs = endpoint_differences(&endpoint, plan);
        if !diffs.is_empty() {
            return Err(format!(
                "endpoint {id} exists but is not the one planned for database {} as {} ({}). Modify or delete that endpoint, or choose another replication instance name (endpoint identifiers derive from it), then re-run.",
                plan.side,
                plan.kind.as_str(),
                diffs.join("; ")
            ));
        }
        let arn = endpoint
            .endpoint_arn()
            .ok_or_else(|| format!("endpoint {id} exists but DMS returned no ARN for it"))?;
        return Ok(outcome("endpoint", id, Outcome::Existed, arn));
    }
    let mut request = client
        .create_endpoint()
        .endpoint_identifier(id)
        .endpoint_type(endpoint_type(plan.kind))
        .engine_name(plan.engine_name)
        .database_name(&plan.database_name);
    request = match &plan.secret {
        Some(secret) => match plan.engine_name {
            "oracle" => request.oracle_settings(
                OracleSettings::builder()
                    .secrets_manager_secret_id(&secret.secret_id)
                    .secrets_manager_access_role_arn(&secret.access_role_arn)
                    .build(),
            ),
            _ => request.postgre_sql_settings(
                PostgreSqlSettings::builder()
                    .secrets_manager_secret_id(&secret.secret_id)
                    .secrets_manager_access_role_arn(&secret.access_role_arn)
                    .build(),
            ),
        },
        None => {
            let password = plan.password.as_ref().ok_or_else(|| {
                format!(
                    "endpoint {id} does not exist and the DMS user of database {} has no password configured, so it cannot be created: set databases.{}.dms_password_env or dms_password_secret, then re-run",
                    plan.side, plan.side
                )
            })?;
            request
                .server_name(&plan.server_name)
                .port(plan.port)
                .username(&plan.username)
                .password(password.expose())
        }
    };
    let created = request
        .send()
        .await
        .map_err(|e| aws_error(&format!("creating endpoint {id}"), "CreateEndpoint", &e))?;
    let arn = created
        .endpoint()
        .and_then(|e| e.endpoint_arn())
        .ok_or_else(|| format!("DMS created endpoint {id} but returned no ARN"))?;
    Ok(outcome("endpoint", id, Outcome::Created, arn))
}

/// The ARNs a task is wired to.
struct Wiring {
    instance: String,
    source: String,
    target: String,
}

/// Whether task settings JSON enables loopback prevention.
fn loopback_enabled(settings: Option<&str>) -> bool {
    settings
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .and_then(|v| v["LoopbackPreventionSettings"]["EnableLoopbackPrevention"].as_bool())
        == Some(true)
}

fn task_differences(
    found: &aws_sdk_databasemigration::types::ReplicationTask,
    plan: &TaskPlan,
    wiring: &Wiring,
) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |field: &str, has: Option<&str>, want: &str| {
        if has != Some(want) {
            diffs.push(format!(
                "{field}: has {}, planned {want}",
                has.unwrap_or("nothing")
            ));
        }
    };
    check(
        "MigrationType",
        found.migration_type().map(|m| m.as_str()),
        plan.migration_type,
    );
    check(
        "ReplicationInstanceArn",
        found.replication_instance_arn(),
        &wiring.instance,
    );
    check(
        "SourceEndpointArn",
        found.source_endpoint_arn(),
        &wiring.source,
    );
    check(
        "TargetEndpointArn",
        found.target_endpoint_arn(),
        &wiring.target,
    );
    if !loopback_enabled(found.replication_task_settings()) {
        diffs.push("ReplicationTaskSettings: loopback prevention is not enabled".to_string());
    }
    diffs
}

async fn ensure_task(
    client: &Client,
    plan: &TaskPlan,
    wiring: &Wiring,
) -> Result<ResourceOutcome, String> {
    let id = &plan.identifier;
    let role = plan.role;
    let found_tasks = client
        .describe_replication_tasks()
        .filters(filter("replication-task-id", id)?)
        .without_settings(false)
        .send()
        .await;
    let existing = found(
        found_tasks,
        &format!("looking up {role} replication task {id}"),
        "DescribeReplicationTasks",
    )?
    .and_then(|out| {
        out.replication_tasks()
            .iter()
            .find(|t| t.replication_task_identifier() == Some(id.as_str()))
            .cloned()
    });
    if let Some(task) = existing {
        let diffs = task_differences(&task, plan, wiring);
        if !diffs.is_empty() {
            return Err(format!(
                "{role} replication task {id} exists but is not the one planned ({}). Modify it to match `setup dms --dry-run`, delete it, or configure another task identifier, then re-run.",
                diffs.join("; ")
            ));
        }
        let arn = task.replication_task_arn().ok_or_else(|| {
            format!("{role} replication task {id} exists but DMS returned no ARN for it")
        })?;
        return Ok(outcome("replication task", id, Outcome::Existed, arn));
    }
    let created = client
        .create_replication_task()
        .replication_task_identifier(id)
        .replication_instance_arn(&wiring.instance)
        .source_endpoint_arn(&wiring.source)
        .target_endpoint_arn(&wiring.target)
        .migration_type(MigrationTypeValue::from(plan.migration_type))
        .table_mappings(&plan.table_mappings)
        .replication_task_settings(&plan.settings)
        .send()
        .await
        .map_err(|e| {
            aws_error(
                &format!("creating {role} replication task {id}"),
                "CreateReplicationTask",
                &e,
            )
        })?;
    let arn = created
        .replication_task()
        .and_then(|t| t.replication_task_arn())
        .ok_or_else(|| format!("DMS created {role} replication task {id} but returned no ARN"))?;
    Ok(outcome("replication task", id, Outcome::Created, arn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection_reads_the_settings_json() {
        assert!(loopback_enabled(Some(
            r#"{"LoopbackPreventionSettings":{"EnableLoopbackPrevention":true}}"#
        )));
        assert!(!loopback_enabled(Some(
            r#"{"LoopbackPreventionSettings":{"EnableLoopbackPrevention":false}}"#
        )));
        assert!(!loopback_enabled(Some("{}")));
        assert!(!loopback_enabled(Some("not json")));
        assert!(!loopback_enabled(None));
    }

    #[test]
    fn progress_lists_only_what_this_run_created() {
        let done = vec![
            outcome("replication instance", "i", Outcome::Existed, "arn:i"),
            outcome("endpoint", "i-a-source", Outcome::Created, "arn:e"),
        ];
        let msg = with_progress("boom".to_string(), &done);
        assert!(msg.starts_with("boom\n"));
        assert!(msg.contains("endpoint i-a-source"));
        assert!(!msg.contains("replication instance i"));
        assert!(with_progress("boom".into(), &[]).contains("Nothing was created"));
    }

    #[test]
    fn task_role_is_named_in_lines() {
        let r = outcome("replication task", "ora2pg", Outcome::Created, "arn:t");
        assert_eq!(line(&r), "created  replication task ora2pg  arn:t");
    }
}
