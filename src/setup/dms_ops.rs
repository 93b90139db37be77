//! `setup dms --test` and `setup dms --delete`: what the original scripts
//! did around the door once it was built. Both start from the same
//! read-only discovery as `setup dms`, so they act on exactly the
//! resources setup would use.
//!
//! * `--test` asks DMS to connect the replication instance to each of the
//!   four endpoints (TestConnection), waits for every answer and reports
//!   each endpoint with its status and DMS's failure message.
//! * `--delete` tears the door down: the two tasks, then the four
//!   endpoints, then the instance, waiting for each to be gone. It refuses
//!   while a task is running or starting, and touches only what the config
//!   names or what setup created (tagged `dms-cockpit:door`).

use std::time::Duration;

use crate::backend::aws::dms_admin::{DOOR_TAG, DmsAdmin};
use crate::backend::{BackendError, BackendResult};

use super::dms::DmsSpec;
use super::dms_apply::{Discovery, Existing, Outcome, POLL};
use super::dms_plan::typed_plan;

/// How long a connection test may take (DMS usually answers within a
/// minute).
const TEST_WAIT: Duration = Duration::from_secs(5 * 60);
/// Between two looks at a connection test (they take seconds).
const TEST_POLL: Duration = Duration::from_secs(2);
/// How long each deletion may take (an instance takes minutes).
const DELETE_WAIT: Duration = Duration::from_secs(30 * 60);

/// One endpoint's connection test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionResult {
    pub endpoint: String,
    /// DMS's status: `successful`, `failed`, or `testing` when it did not
    /// answer in time.
    pub status: String,
    pub failure: Option<String>,
}

impl ConnectionResult {
    pub fn ok(&self) -> bool {
        self.status == "successful"
    }

    pub fn line(&self) -> String {
        let mark = if self.ok() { "ok  " } else { "FAIL" };
        match &self.failure {
            Some(f) if !f.is_empty() => format!("{mark} {} {}: {f}", self.endpoint, self.status),
            _ => format!("{mark} {} {}", self.endpoint, self.status),
        }
    }
}

/// Tests all four endpoints from the replication instance and waits for
/// each result. The door must exist (run `setup dms` first).
pub async fn test_connections(
    admin: &DmsAdmin,
    discovery: &Discovery,
) -> BackendResult<Vec<ConnectionResult>> {
    let instance = discovery.instance.as_ref().ok_or_else(|| {
        BackendError::NotFound(
            "the replication instance does not exist yet: run setup dms first".into(),
        )
    })?;
    let endpoints: Vec<&Existing> = discovery.endpoints.iter().flatten().collect();
    if endpoints.len() != discovery.endpoints.len() {
        return Err(BackendError::NotFound(
            "not all four endpoints exist yet: run setup dms first".into(),
        ));
    }
    for e in &endpoints {
        admin.test_connection(&instance.arn, &e.arn).await?;
    }
    let deadline = tokio::time::Instant::now() + TEST_WAIT;
    let mut results = Vec::new();
    for e in endpoints {
        loop {
            let conn = admin.connection(&instance.arn, &e.arn).await?;
            let status = conn
                .as_ref()
                .and_then(|c| c.status())
                .unwrap_or("testing")
                .to_string();
            let done = status != "testing";
            if done || tokio::time::Instant::now() >= deadline {
                results.push(ConnectionResult {
                    endpoint: e.identifier.clone(),
                    failure: if done {
                        conn.and_then(|c| c.last_failure_message().map(str::to_string))
                    } else {
                        Some(format!(
                            "no result after {}",
                            humantime::format_duration(TEST_WAIT)
                        ))
                    },
                    status,
                });
                break;
            }
            tokio::time::sleep(TEST_POLL).await;
        }
    }
    Ok(results)
}

/// One resource `--delete` would delete, or leaves alone and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doomed {
    pub kind: &'static str,
    pub identifier: String,
    pub arn: String,
}

/// What `--delete` will do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Teardown {
    /// Tasks, endpoints, instance: in deletion order.
    pub delete: Vec<Doomed>,
    /// Resources setup would use but did not create and the config does
    /// not name: left alone, with the reason.
    pub left: Vec<String>,
}

/// Decides what `--delete` deletes. Refuses (InvalidState) while a task of
/// the door is running or starting.
pub async fn plan_teardown(
    admin: &DmsAdmin,
    spec: &DmsSpec,
    discovery: &Discovery,
) -> BackendResult<Teardown> {
    let plan = typed_plan(spec);
    let arns: Vec<String> = discovery
        .tasks
        .iter()
        .flatten()
        .map(|t| t.arn.clone())
        .collect();
    let tasks = admin.tasks(&[("replication-task-arn", arns)]).await?;
    let mut out = Teardown::default();
    for found in discovery.tasks.iter().flatten() {
        let status = tasks
            .iter()
            .find(|t| t.replication_task_arn() == Some(found.arn.as_str()))
            .and_then(|t| t.status())
            .unwrap_or("unknown");
        if matches!(status, "running" | "starting") {
            return Err(BackendError::InvalidState(format!(
                "replication task {} is {status}: stop it first (dms-cockpit task stop), then delete; nothing was deleted",
                found.identifier
            ).into()));
        }
    }
    // The config names the tasks ([tasks]) and the instance; endpoints only
    // through dms.endpoints. Anything else must carry setup's tag.
    let named_endpoint = |e: &Existing| {
        [
            &spec.endpoints.a_source,
            &spec.endpoints.a_target,
            &spec.endpoints.b_source,
            &spec.endpoints.b_target,
        ]
        .into_iter()
        .flatten()
        .any(|n| *n == e.identifier || *n == e.arn)
    };
    let mut candidates = Vec::new();
    for (found, planned) in discovery.tasks.iter().zip(&plan.tasks) {
        if let Some(e) = found {
            let named = e.outcome == Outcome::Existed || spec.tasks[planned.role] == e.identifier;
            candidates.push(consider(admin, "replication task", e, named).await?);
        }
    }
    for e in discovery.endpoints.iter().flatten() {
        candidates.push(consider(admin, "endpoint", e, named_endpoint(e)).await?);
    }
    if let Some(e) = &discovery.instance {
        candidates.push(consider(admin, "replication instance", e, true).await?);
    }
    for (kind, e, ours) in candidates {
        if ours {
            out.delete.push(Doomed {
                kind,
                identifier: e.identifier,
                arn: e.arn,
            });
        } else {
            out.left.push(format!(
                "{kind} {} (found by what it connects; not named in the config and not tagged {DOOR_TAG}): left alone",
                e.identifier
            ));
        }
    }
    Ok(out)
}

/// A resource, and whether `--delete` may touch it: the config names it,
/// or it carries setup's tag.
async fn consider(
    admin: &DmsAdmin,
    kind: &'static str,
    e: &Existing,
    named: bool,
) -> BackendResult<(&'static str, Existing, bool)> {
    let tagged = named || admin.tags(&e.arn).await?.iter().any(|(k, _)| k == DOOR_TAG);
    Ok((kind, e.clone(), tagged))
}

/// Deletes in order, waiting for each resource to be gone before the next
/// kind (DMS refuses to delete an endpoint a task still uses). Returns one
/// line per deleted resource.
pub async fn teardown(admin: &DmsAdmin, plan: &Teardown) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    for kind in ["replication task", "endpoint", "replication instance"] {
        let batch: Vec<&Doomed> = plan.delete.iter().filter(|d| d.kind == kind).collect();
        for d in &batch {
            let sent = match kind {
                "replication task" => admin.delete_task(&d.arn).await,
                "endpoint" => admin.delete_endpoint(&d.arn).await,
                _ => admin.delete_instance(&d.arn).await,
            };
            match sent {
                Ok(()) | Err(BackendError::NotFound(_)) => {}
                Err(e) => {
                    return Err(format!(
                        "deleting {kind} {} failed: {e}\nDeleted before that: {}",
                        d.identifier,
                        if lines.is_empty() {
                            "nothing".to_string()
                        } else {
                            lines.join("; ")
                        }
                    ));
                }
            }
        }
        for d in batch {
            wait_gone(admin, d).await?;
            lines.push(format!("deleted  {kind} {}", d.identifier));
        }
    }
    Ok(lines)
}

async fn wait_gone(admin: &DmsAdmin, d: &Doomed) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + DELETE_WAIT;
    loop {
        let present = match d.kind {
            "replication task" => admin
                .tasks(&[("replication-task-arn", vec![d.arn.clone()])])
                .await
                .map(|all| all.iter().any(|t| t.replication_task_arn() == Some(&d.arn))),
            "endpoint" => admin
                .endpoints()
                .await
                .map(|all| all.iter().any(|e| e.endpoint_arn() == Some(&d.arn))),
            _ => admin.instances().await.map(|all| {
                all.iter()
                    .any(|i| i.replication_instance_arn() == Some(&d.arn))
            }),
        }
        .map_err(|e| e.to_string())?;
        if !present {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "{} {} is still there after {}: look at it in the DMS console, then re-run --delete",
                d.kind,
                d.identifier,
                humantime::format_duration(DELETE_WAIT)
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}
