//! The effectful half of `setup dms`, in three steps so that nothing is
//! created before the whole plan is known:
//!
//! 1. **discover** (read-only): describe every instance, endpoint and task
//!    once, and decide for each planned resource whether it exists (under
//!    the planned identifier), is adopted (named in the config, or an
//!    endpoint with the same engine, server, port, database and user, or a
//!    task wired to the same endpoints: what the original scripts made
//!    under other names), or is to be created;
//! 2. **check**: every difference between what exists and the plan is
//!    collected; if there is any, all of them are reported and nothing is
//!    created (a wrongly wired pair would copy data in circles);
//! 3. **create** what is missing, in dependency order, tagged
//!    `dms-cockpit:door` so `setup dms --delete` can tell it from
//!    resources it must not touch, waiting for the instance to be available
//!    before the tasks.

use std::time::Duration;

use aws_sdk_databasemigration::types::{Endpoint, ReplicationInstance, ReplicationTask};
use serde_json::Value;

use crate::backend::aws::dms_admin::{Credentials, DmsAdmin, NewEndpoint, NewTask};
use crate::backend::{BackendError, PerTask};

use super::dms::DmsSpec;
use super::dms_plan::{EndpointPlan, Plan, TaskPlan, enforced_rules, typed_plan};

/// How a planned resource relates to what DMS has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Made by this run.
    Created,
    /// There already, under the planned identifier.
    Existed,
    /// There already under another identifier (named in the config, or
    /// found by what it connects), and taken over.
    Adopted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Existed => "existed",
            Outcome::Adopted => "adopted",
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

/// An existing resource chosen for a planned one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub identifier: String,
    pub arn: String,
    pub outcome: Outcome,
}

/// What discovery decided, per planned resource: `Some` = use this one,
/// `None` = create it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub instance: Option<Existing>,
    /// In the plan's endpoint order.
    pub endpoints: Vec<Option<Existing>>,
    /// Forward, backward.
    pub tasks: Vec<Option<Existing>>,
    /// Every difference found; non-empty means: create nothing.
    pub conflicts: Vec<String>,
}

impl Discovery {
    /// Nothing exists: everything is to be created.
    pub(crate) fn nothing(plan: &Plan) -> Discovery {
        Discovery {
            instance: None,
            endpoints: vec![None; plan.endpoints.len()],
            tasks: vec![None; plan.tasks.len()],
            conflicts: Vec::new(),
        }
    }
}

/// How long the new replication instance may take to become available
/// (AWS: usually 5 to 15 minutes).
const INSTANCE_WAIT: Duration = Duration::from_secs(30 * 60);
/// Between two looks at a resource being created or deleted.
pub(crate) const POLL: Duration = Duration::from_secs(10);

/// Step 1 and 2: reads DMS (never writes) and decides what to adopt and
/// what to create; every difference is in `conflicts`.
pub async fn discover(admin: &DmsAdmin, spec: &DmsSpec) -> Result<Discovery, BackendError> {
    let plan = typed_plan(spec);
    let instances = admin.instances().await?;
    let endpoints = admin.endpoints().await?;
    let mut conflicts = Vec::new();

    let instance = find_instance(&instances, &plan.instance.identifier);

    let mut chosen_endpoints = Vec::new();
    for planned in &plan.endpoints {
        let named = spec.named_endpoint(planned.side, planned.kind);
        let found = choose_endpoint(&endpoints, planned, named, &mut conflicts);
        if let Some((endpoint, outcome)) = found {
            for d in endpoint_differences(endpoint, planned) {
                conflicts.push(format!(
                    "endpoint {} ({} of database {}): {d}",
                    endpoint.endpoint_identifier().unwrap_or("?"),
                    planned.kind.as_str(),
                    planned.side
                ));
            }
            chosen_endpoints.push(Some(Existing {
                identifier: endpoint
                    .endpoint_identifier()
                    .unwrap_or_default()
                    .to_string(),
                arn: endpoint.endpoint_arn().unwrap_or_default().to_string(),
                outcome,
            }));
        } else {
            chosen_endpoints.push(None);
        }
    }

    let arn_of = |id: &str| -> Option<String> {
        plan.endpoints
            .iter()
            .position(|e| e.identifier == id)
            .and_then(|i| chosen_endpoints[i].as_ref().map(|x| x.arn.clone()))
    };
    // The planned tasks by identifier, and every task on the chosen
    // endpoints (what might be adopted), asked of DMS with filters.
    let ids: Vec<String> = plan.tasks.iter().map(|t| t.identifier.clone()).collect();
    let mut tasks = admin.tasks(&[("replication-task-id", ids)]).await?;
    let endpoint_arns: Vec<String> = chosen_endpoints
        .iter()
        .flatten()
        .map(|e| e.arn.clone())
        .collect();
    for task in admin.tasks(&[("endpoint-arn", endpoint_arns)]).await? {
        if !tasks
            .iter()
            .any(|t| t.replication_task_arn() == task.replication_task_arn())
        {
            tasks.push(task);
        }
    }
    let mut chosen_tasks = Vec::new();
    for planned in &plan.tasks {
        let source = arn_of(&planned.source_endpoint);
        let target = arn_of(&planned.target_endpoint);
        let by_id = tasks
            .iter()
            .find(|t| t.replication_task_identifier() == Some(planned.identifier.as_str()));
        let found = match by_id {
            Some(t) => Some((t, Outcome::Existed)),
            None => {
                // A task under another name on the same two endpoints is the
                // original scripts' task: adopt it rather than add a second.
                let wired: Vec<&ReplicationTask> = tasks
                    .iter()
                    .filter(|t| {
                        source.is_some()
                            && target.is_some()
                            && t.source_endpoint_arn() == source.as_deref()
                            && t.target_endpoint_arn() == target.as_deref()
                    })
                    .collect();
                match wired.as_slice() {
                    [] => None,
                    [one] => Some((*one, Outcome::Adopted)),
                    many => {
                        conflicts.push(format!(
                            "{} task: {} tasks already replicate between its endpoints ({}); set [tasks] {} to the one to keep",
                            planned.role,
                            many.len(),
                            many.iter()
                                .filter_map(|t| t.replication_task_identifier())
                                .collect::<Vec<_>>()
                                .join(", "),
                            planned.role
                        ));
                        None
                    }
                }
            }
        };
        match found {
            Some((task, outcome)) => {
                let wiring = Wiring {
                    instance: instance.as_ref().map(|(i, _)| arn_string(i)),
                    source,
                    target,
                };
                for d in task_differences(task, planned, &wiring, spec) {
                    conflicts.push(format!(
                        "{} replication task {}: {d}",
                        planned.role,
                        task.replication_task_identifier().unwrap_or("?")
                    ));
                }
                chosen_tasks.push(Some(Existing {
                    identifier: task
                        .replication_task_identifier()
                        .unwrap_or_default()
                        .to_string(),
                    arn: task.replication_task_arn().unwrap_or_default().to_string(),
                    outcome,
                }));
            }
            None => chosen_tasks.push(None),
        }
    }

    Ok(Discovery {
        instance: instance.map(|(i, outcome)| Existing {
            identifier: i
                .replication_instance_identifier()
                .unwrap_or_default()
                .to_string(),
            arn: arn_string(i),
            outcome,
        }),
        endpoints: chosen_endpoints,
        tasks: chosen_tasks,
        conflicts,
    })
}

fn arn_string(i: &ReplicationInstance) -> String {
    i.replication_instance_arn().unwrap_or_default().to_string()
}

/// The instance named `id` (an identifier or an ARN).
fn find_instance<'a>(
    instances: &'a [ReplicationInstance],
    id: &str,
) -> Option<(&'a ReplicationInstance, Outcome)> {
    instances
        .iter()
        .find(|i| {
            i.replication_instance_identifier() == Some(id)
                || i.replication_instance_arn() == Some(id)
        })
        .map(|i| (i, Outcome::Existed))
}

/// The endpoint for `planned`: the one the config names, else the one with
/// the planned identifier, else the only one that reaches the same
/// database as the same user in the same direction.
fn choose_endpoint<'a>(
    all: &'a [Endpoint],
    planned: &EndpointPlan,
    named: Option<&str>,
    conflicts: &mut Vec<String>,
) -> Option<(&'a Endpoint, Outcome)> {
    let key = format!(
        "dms.endpoints.{}_{}",
        planned.side.as_str(),
        planned.kind.as_str()
    );
    if let Some(name) = named {
        let found = all
            .iter()
            .find(|e| e.endpoint_identifier() == Some(name) || e.endpoint_arn() == Some(name));
        if found.is_none() {
            conflicts.push(format!(
                "`{key}` = `{name}`: DMS has no endpoint with that identifier or ARN; correct it, or remove it to let setup find or create the endpoint"
            ));
        }
        return found.map(|e| (e, Outcome::Adopted));
    }
    if let Some(e) = all
        .iter()
        .find(|e| e.endpoint_identifier() == Some(planned.identifier.as_str()))
    {
        return Some((e, Outcome::Existed));
    }
    let same: Vec<&Endpoint> = all
        .iter()
        .filter(|e| endpoint_differences(e, planned).is_empty())
        .collect();
    match same.as_slice() {
        [] => None,
        [one] => Some((*one, Outcome::Adopted)),
        many => {
            conflicts.push(format!(
                "{} endpoint of database {}: {} endpoints reach it the same way ({}); name the one to use in `{key}`",
                planned.kind.as_str(),
                planned.side,
                many.len(),
                many.iter()
                    .filter_map(|e| e.endpoint_identifier())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            None
        }
    }
}

/// Step 3: creates what discovery left to create, in order. Refuses when
/// discovery found conflicts (all of them are in the message).
pub async fn apply(
    admin: &DmsAdmin,
    spec: &DmsSpec,
    discovery: &Discovery,
) -> Result<SetupReport, String> {
    if !discovery.conflicts.is_empty() {
        return Err(conflict_message(&discovery.conflicts));
    }
    let plan = typed_plan(spec);
    let door = plan.instance.identifier.clone();
    let mut done: Vec<ResourceOutcome> = Vec::new();

    let instance_arn = match &discovery.instance {
        Some(found) => {
            done.push(outcome("replication instance", found));
            found.arn.clone()
        }
        None => {
            let arn = admin
                .create_instance(
                    &plan.instance.identifier,
                    &plan.instance.class,
                    plan.instance.allocated_storage,
                    &door,
                )
                .await
                .map_err(|e| with_progress(e.to_string(), &done))?;
            done.push(created(
                "replication instance",
                &plan.instance.identifier,
                &arn,
            ));
            arn
        }
    };

    let mut endpoint_arns = Vec::new();
    for (planned, found) in plan.endpoints.iter().zip(&discovery.endpoints) {
        let arn = match found {
            Some(found) => {
                done.push(outcome("endpoint", found));
                found.arn.clone()
            }
            None => {
                let arn = create_endpoint(admin, planned, &door)
                    .await
                    .map_err(|e| with_progress(e, &done))?;
                done.push(created("endpoint", &planned.identifier, &arn));
                arn
            }
        };
        endpoint_arns.push((planned.identifier.clone(), arn));
    }
    let arn_of = |id: &str| {
        endpoint_arns
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    };

    if discovery.tasks.iter().any(Option::is_none) {
        wait_available(admin, &plan.instance.identifier, &instance_arn)
            .await
            .map_err(|e| with_progress(e, &done))?;
    }
    let mut task_arns = PerTask::<String>::default();
    for (planned, found) in plan.tasks.iter().zip(&discovery.tasks) {
        let arn = match found {
            Some(found) => {
                done.push(outcome("replication task", found));
                found.arn.clone()
            }
            None => {
                let source = arn_of(&planned.source_endpoint);
                let target = arn_of(&planned.target_endpoint);
                let arn = admin
                    .create_task(
                        &NewTask {
                            identifier: &planned.identifier,
                            instance_arn: &instance_arn,
                            source_arn: &source,
                            target_arn: &target,
                            migration_type: planned.migration_type,
                            table_mappings: &planned.table_mappings,
                            settings: &planned.settings,
                        },
                        &door,
                    )
                    .await
                    .map_err(|e| with_progress(format!("{} task: {e}", planned.role), &done))?;
                done.push(created("replication task", &planned.identifier, &arn));
                arn
            }
        };
        task_arns[planned.role] = arn;
    }
    Ok(SetupReport {
        lines: done.iter().map(line).collect(),
        resources: done,
        tasks: task_arns,
    })
}

/// Every conflict, one per line, and that nothing was created.
pub fn conflict_message(conflicts: &[String]) -> String {
    let mut text = format!(
        "setup dms found {} difference(s) between what DMS has and the plan, so it created nothing:",
        conflicts.len()
    );
    for c in conflicts {
        text.push_str("\n  - ");
        text.push_str(c);
    }
    text.push_str(
        "\nModify or delete those resources, or name the ones to adopt in the config ([dms] replication_instance, [dms] endpoints, [tasks]), then re-run; `setup dms --dry-run` shows the plan.",
    );
    text
}

async fn create_endpoint(
    admin: &DmsAdmin,
    planned: &EndpointPlan,
    door: &str,
) -> Result<String, String> {
    let credentials = match (&planned.secret, &planned.password) {
        (Some(secret), _) => Credentials::Secret {
            secret_id: &secret.secret_id,
            access_role_arn: &secret.access_role_arn,
        },
        (None, Some(password)) => Credentials::Clear {
            server_name: &planned.server_name,
            port: planned.port,
            username: &planned.username,
            password,
        },
        (None, None) => {
            return Err(format!(
                "endpoint {} does not exist and the DMS user of database {} has no password configured, so it cannot be created: set databases.{}.dms_password_env or dms_password_secret, then re-run",
                planned.identifier, planned.side, planned.side
            ));
        }
    };
    admin
        .create_endpoint(
            &NewEndpoint {
                identifier: &planned.identifier,
                kind: planned.kind.as_str(),
                engine_name: planned.engine_name,
                database_name: &planned.database_name,
                credentials,
            },
            door,
        )
        .await
        .map_err(|e| e.to_string())
}

/// Waits until the instance is `available` (tasks cannot be created on an
/// instance that is still being created).
async fn wait_available(admin: &DmsAdmin, id: &str, arn: &str) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + INSTANCE_WAIT;
    loop {
        let instances = admin.instances().await.map_err(|e| e.to_string())?;
        let status = instances
            .iter()
            .find(|i| i.replication_instance_arn() == Some(arn))
            .and_then(|i| i.replication_instance_status())
            .unwrap_or("missing")
            .to_string();
        if status == "available" {
            return Ok(());
        }
        if status == "missing" || status.contains("fail") || status == "deleting" {
            return Err(format!(
                "replication instance {id} is {status}, so the tasks cannot be created: look at it in the DMS console"
            ));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "replication instance {id} is still {status} after {}: re-run setup dms once it is available",
                humantime::format_duration(INSTANCE_WAIT)
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn outcome(kind: &'static str, found: &Existing) -> ResourceOutcome {
    ResourceOutcome {
        kind,
        identifier: found.identifier.clone(),
        outcome: found.outcome,
        arn: found.arn.clone(),
    }
}

fn created(kind: &'static str, id: &str, arn: &str) -> ResourceOutcome {
    ResourceOutcome {
        kind,
        identifier: id.to_string(),
        outcome: Outcome::Created,
        arn: arn.to_string(),
    }
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

/// The differences between an existing endpoint and the plan, as
/// `field: has X, planned Y`.
pub(crate) fn endpoint_differences(found: &Endpoint, plan: &EndpointPlan) -> Vec<String> {
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
    let has_db = found.database_name().map(str::to_string);
    check(
        "DatabaseName",
        has_db.clone(),
        plan.database_name.clone(),
        has_db.as_deref() == Some(plan.database_name.as_str()),
    );
    match &plan.secret {
        Some(secret) => {
            let has = found
                .postgre_sql_settings()
                .and_then(|s| s.secrets_manager_secret_id())
                .or_else(|| {
                    found
                        .oracle_settings()
                        .and_then(|s| s.secrets_manager_secret_id())
                })
                .map(str::to_string);
            check(
                "SecretsManagerSecretId",
                has.clone(),
                secret.secret_id.clone(),
                has.as_deref() == Some(secret.secret_id.as_str()),
            );
        }
        None => {
            let has_server = found.server_name().map(str::to_string);
            check(
                "ServerName",
                has_server.clone(),
                plan.server_name.clone(),
                has_server.is_some_and(|s| s.eq_ignore_ascii_case(&plan.server_name)),
            );
            check(
                "Port",
                found.port().map(|p| p.to_string()),
                plan.port.to_string(),
                found.port() == Some(plan.port),
            );
            // Both engines fold unquoted user names (Oracle up, PostgreSQL
            // down), so case does not tell two users apart here.
            let has_user = found.username().map(str::to_string);
            check(
                "Username",
                has_user.clone(),
                plan.username.clone(),
                has_user.is_some_and(|u| u.eq_ignore_ascii_case(&plan.username)),
            );
        }
    }
    diffs
}

/// The ARNs a task must be wired to; `None` = that resource is still to be
/// created, so no existing task can be wired to it.
struct Wiring {
    instance: Option<String>,
    source: Option<String>,
    target: Option<String>,
}

fn task_differences(
    found: &ReplicationTask,
    plan: &TaskPlan,
    wiring: &Wiring,
    spec: &DmsSpec,
) -> Vec<String> {
    let mut diffs = Vec::new();
    let migration = found.migration_type().map(|m| m.as_str());
    if migration != Some(plan.migration_type) {
        diffs.push(format!(
            "MigrationType: has {}, planned {}",
            migration.unwrap_or("nothing"),
            plan.migration_type
        ));
    }
    let mut check = |field: &str, has: Option<&str>, want: Option<&str>, what: &str| {
        if has != want || want.is_none() {
            diffs.push(format!(
                "{field}: has {}, planned {}",
                has.unwrap_or("nothing"),
                want.unwrap_or(what)
            ));
        }
    };
    check(
        "ReplicationInstanceArn",
        found.replication_instance_arn(),
        wiring.instance.as_deref(),
        &format!("the new instance {}", plan.instance),
    );
    check(
        "SourceEndpointArn",
        found.source_endpoint_arn(),
        wiring.source.as_deref(),
        &format!("the new endpoint {}", plan.source_endpoint),
    );
    check(
        "TargetEndpointArn",
        found.target_endpoint_arn(),
        wiring.target.as_deref(),
        &format!("the new endpoint {}", plan.target_endpoint),
    );
    let settings: Value = found
        .replication_task_settings()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    for (pointer, want) in enforced_rules(spec, plan.role) {
        let has = settings.pointer(pointer);
        if has != Some(&want) {
            diffs.push(format!(
                "ReplicationTaskSettings {}: has {}, the door needs {want}",
                pointer.trim_start_matches('/').replace('/', "."),
                has.map(Value::to_string)
                    .unwrap_or_else(|| "nothing".into())
            ));
        }
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(kind: &'static str, id: &str, o: Outcome) -> ResourceOutcome {
        ResourceOutcome {
            kind,
            identifier: id.into(),
            outcome: o,
            arn: format!("arn:{id}"),
        }
    }

    #[test]
    fn progress_lists_only_what_this_run_created() {
        let done = vec![
            done("replication instance", "i", Outcome::Existed),
            done("endpoint", "i-a-source", Outcome::Created),
        ];
        let msg = with_progress("boom".to_string(), &done);
        assert!(msg.starts_with("boom\n"));
        assert!(msg.contains("endpoint i-a-source"));
        assert!(!msg.contains("replication instance i"));
        assert!(with_progress("boom".into(), &[]).contains("Nothing was created"));
    }

    #[test]
    fn lines_say_what_happened() {
        let r = done("replication task", "ora2pg", Outcome::Adopted);
        assert_eq!(line(&r), "adopted  replication task ora2pg  arn:ora2pg");
    }

    #[test]
    fn every_conflict_is_listed() {
        let msg = conflict_message(&["a: x".into(), "b: y".into()]);
        assert!(msg.contains("2 difference(s)"));
        assert!(msg.contains("created nothing"));
        assert!(msg.contains("\n  - a: x\n  - b: y\n"));
    }
}
