//! The [`Replication`] port on AWS DMS: the two configured tasks, described
//! with every page of their table statistics, started and stopped.
//!
//! Tasks are configured by ARN or by replication task identifier; an
//! identifier is resolved to its ARN once (DMS's start and stop calls only
//! take ARNs) and the ARN is remembered until DMS says it no longer exists,
//! so a task recreated under the same identifier is found again.
//!
//! Table statistics are a call of their own (`table_stats`,
//! `DescribeTableStatistics`), so the task's status shows as soon as
//! `DescribeReplicationTasks` answers and a statistics failure is reported
//! as such. An endpoint that does not implement the statistics call (moto)
//! is told apart ([`BackendError::Unsupported`]) and the SDK is told not to
//! retry it ([`super::retry::UnimplementedIsFinal`]).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::error::SdkError;
use aws_sdk_databasemigration::operation::describe_replication_tasks::DescribeReplicationTasksError;
use aws_sdk_databasemigration::operation::describe_table_statistics::DescribeTableStatisticsError;
use aws_sdk_databasemigration::types::{
    Filter, ReloadOptionValue, ReplicationTask, ReplicationTaskStats,
    StartReplicationTaskTypeValue, TableStatistics, TableToReload,
};

use super::retry::UnimplementedIsFinal;
use super::{
    CallContext, endpoint_label, env_endpoint_label, from_chrono, map_sdk_error,
    map_shared_sdk_error, region_label, to_chrono,
};
use crate::backend::coalesce::Coalesce;
use crate::backend::{
    BackendError, BackendResult, PerTask, ReloadOption, Replication, StartRequest, StartType,
    TableRef, TableStats, TableStatsMore, TaskProgress, TaskRole, TaskSnapshot, TaskStatus,
};

/// `DescribeTableStatistics` allows at most 500 rows a page.
const TABLE_PAGE_SIZE: i32 = 500;

/// The two DMS tasks of the migration, reached through one SDK client.
pub struct DmsReplication {
    client: Client,
    /// As configured: an ARN or a replication task identifier.
    tasks: PerTask<String>,
    /// ARNs learned from DMS, so identifiers are resolved once.
    arns: Mutex<PerTask<Option<String>>>,
    region: String,
    endpoint: String,
    /// The `DescribeReplicationTasks` for both tasks in flight, shared.
    both: Coalesce<Arc<Described>>,
    /// Each task's replication instance (ARN) as last described.
    instances: Mutex<PerTask<Option<String>>>,
}

impl DmsReplication {
    /// `tasks` holds, per role, the task's ARN or its identifier.
    pub fn new(client: Client, tasks: PerTask<String>) -> Self {
        let region = region_label(client.config().region());
        let endpoint = env_endpoint_label("DATABASE_MIGRATION_SERVICE", "dms", &region);
        let arns = PerTask::new(|role| is_arn(&tasks[role]).then(|| tasks[role].clone()));
        DmsReplication {
            client,
            tasks,
            arns: Mutex::new(arns),
            region,
            endpoint,
            both: Coalesce::same_moment(),
            instances: Mutex::new(PerTask::default()),
        }
    }

    /// Builds the client from `sdk` and names its endpoint in messages.
    pub fn from_sdk_config(sdk: &SdkConfig, tasks: PerTask<String>) -> Self {
        Self::new(Client::new(sdk), tasks).with_endpoint_label(endpoint_label(
            sdk,
            "DATABASE_MIGRATION_SERVICE",
            "dms",
        ))
    }

    /// How error messages name the endpoint (the SDK does not expose the
    /// one it resolved).
    pub fn with_endpoint_label(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    fn subject(&self, role: TaskRole) -> String {
        format!("{role} task {}", self.tasks[role])
    }

    fn map_err<E: DmsCallError>(
        &self,
        err: SdkError<E>,
        role: TaskRole,
        action: &'static str,
    ) -> BackendError {
        task_error(
            err,
            &self.endpoint,
            &self.region,
            role,
            &self.tasks[role],
            action,
        )
    }

    fn cached_arn(&self, role: TaskRole) -> Option<String> {
        self.arns.lock().expect("arn cache poisoned")[role].clone()
    }

    fn remember_arn(&self, role: TaskRole, arn: Option<String>) {
        // An ARN given in the config is never forgotten: it is what the
        // operator asked for.
        let arn = if is_arn(&self.tasks[role]) {
            Some(self.tasks[role].clone())
        } else {
            arn
        };
        self.arns.lock().expect("arn cache poisoned")[role] = arn;
    }

    /// The task as `DescribeReplicationTasks` reports it, found by ARN
    /// when known, else by identifier.
    ///
    /// Both tasks are described by one call when they are named the same
    /// way (both by ARN or both by identifier: a filter has one name), and
    /// callers asking at the same time share it ([`Coalesce`]); otherwise
    /// each task is described on its own.
    pub async fn find_task(&self, role: TaskRole) -> BackendResult<ReplicationTask> {
        let names = PerTask::new(|r| match self.cached_arn(r) {
            Some(arn) => ("replication-task-arn", arn),
            None => ("replication-task-id", self.tasks[r].clone()),
        });
        let (name, value) = names[role].clone();
        let answer = if names.forward.0 == names.backward.0 {
            let filter = super::dms_filter_any(name, &[&names.forward.1, &names.backward.1])?;
            let client = self.client.clone();
            self.both
                .run(move || async move { Arc::new(describe_tasks(client, filter).await) })
                .await
        } else {
            Arc::new(describe_tasks(self.client.clone(), super::dms_filter(name, &value)?).await)
        };
        let tasks = match &*answer {
            Ok(tasks) => tasks,
            Err(err) => {
                let mapped = with_task_context(
                    &self.endpoint,
                    &self.region,
                    role,
                    &self.tasks[role],
                    DESCRIBE,
                    |ctx| map_shared_sdk_error(err, ctx),
                );
                if matches!(mapped, BackendError::NotFound(_)) {
                    self.remember_arn(role, None);
                }
                return Err(mapped);
            }
        };
        let find = |value: &str| {
            tasks.iter().find(|t| {
                t.replication_task_arn() == Some(value)
                    || t.replication_task_identifier() == Some(value)
            })
        };
        // A shared answer may be the other task's only look at it before
        // someone (CloudWatch) asks where it runs: remember both.
        for other in TaskRole::ALL {
            if other != role
                && let Some(task) = find(&names[other].1)
            {
                self.remember_placement(other, task);
            }
        }
        match find(&value) {
            Some(task) => {
                self.remember_placement(role, task);
                Ok(task.clone())
            }
            None => {
                self.remember_arn(role, None);
                Err(BackendError::NotFound(
                    format!(
                        "{} not found in region {}: check [tasks] {role} in the config",
                        self.subject(role),
                        self.region
                    )
                    .into(),
                ))
            }
        }
    }

    fn remember_placement(&self, role: TaskRole, task: &ReplicationTask) {
        self.remember_arn(role, task.replication_task_arn().map(str::to_string));
        self.instances.lock().expect("instance cache poisoned")[role] =
            task.replication_instance_arn().map(str::to_string);
    }

    /// The task's ARN and its replication instance's ARN: as last
    /// described when known, else described now (sharing a describe in
    /// flight). CloudWatch's dimensions need them, and the task panels
    /// describe the tasks on every refresh anyway.
    pub async fn placement(&self, role: TaskRole) -> BackendResult<(String, String)> {
        let instance = self.instances.lock().expect("instance cache poisoned")[role].clone();
        if let (Some(task), Some(instance)) = (self.cached_arn(role), instance) {
            return Ok((task, instance));
        }
        let task = self.find_task(role).await?;
        Ok((
            task.replication_task_arn().unwrap_or_default().to_string(),
            task.replication_instance_arn()
                .unwrap_or_default()
                .to_string(),
        ))
    }

    async fn task_arn(&self, role: TaskRole) -> BackendResult<String> {
        if let Some(arn) = self.cached_arn(role) {
            return Ok(arn);
        }
        let task = self.find_task(role).await?;
        task.replication_task_arn()
            .map(str::to_string)
            .ok_or_else(|| {
                BackendError::Malformed(
                    format!(
                        "DMS described {} without a ReplicationTaskArn",
                        self.subject(role)
                    )
                    .into(),
                )
            })
    }

    /// Every page of `DescribeTableStatistics`, following `Marker`.
    async fn table_pages(&self, role: TaskRole, arn: &str) -> BackendResult<Vec<TableStats>> {
        let mut rows = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .client
                .describe_table_statistics()
                .replication_task_arn(arn)
                .max_records(TABLE_PAGE_SIZE)
                .set_marker(marker.clone())
                .customize()
                .config_override(
                    aws_sdk_databasemigration::Config::builder().retry_classifier(
                        UnimplementedIsFinal::<DescribeTableStatisticsError>::new(),
                    ),
                )
                .send()
                .await
                .map_err(|e| self.map_err(e, role, "dms:DescribeTableStatistics"))?;
            rows.extend(page.table_statistics().iter().map(table_stats));
            match page.marker() {
                Some(next) if !next.is_empty() => {
                    // A marker that does not move would loop forever.
                    if marker.as_deref() == Some(next) {
                        return Err(BackendError::Malformed(
                            format!(
                                "DMS returned the same table statistics Marker twice for {}; \
                             stopped after {} rows",
                                self.subject(role),
                                rows.len()
                            )
                            .into(),
                        ));
                    }
                    marker = Some(next.to_string());
                }
                _ => return Ok(rows),
            }
        }
    }

    /// Adds the task's current status and what to do to a refusal, so
    /// "invalid state" says which state and how to get out of it.
    async fn explain_refusal(
        &self,
        role: TaskRole,
        err: BackendError,
        doing: Doing,
    ) -> BackendError {
        let BackendError::InvalidState(msg) = err else {
            return err;
        };
        let Ok(task) = self.find_task(role).await else {
            return BackendError::InvalidState(msg);
        };
        let status = TaskStatus::parse(task.status().unwrap_or("unknown"));
        let advice = advice(doing, &status, task.replication_task_start_date().is_some());
        let text = format!("{msg}; the task is {status}: {advice}");
        BackendError::InvalidState(msg.reworded(text))
    }
}

/// The error of any DMS operation, as [`map_sdk_error`] takes it.
pub(super) trait DmsCallError:
    aws_sdk_databasemigration::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static
{
}

impl<E> DmsCallError for E where
    E: aws_sdk_databasemigration::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static
{
}

/// A failed DMS call about one of the two configured tasks (`configured`:
/// its ARN or identifier as the config names it), in the same words
/// wherever a DMS client is used: the replication adapter here and the log
/// locator (`super::logs`).
pub(super) fn task_error<E: DmsCallError>(
    err: SdkError<E>,
    endpoint: &str,
    region: &str,
    role: TaskRole,
    configured: &str,
    action: &'static str,
) -> BackendError {
    with_task_context(endpoint, region, role, configured, action, |ctx| {
        map_sdk_error(err, ctx)
    })
}

/// The words [`task_error`] uses for a call about one task, handed to `f`.
fn with_task_context<R>(
    endpoint: &str,
    region: &str,
    role: TaskRole,
    configured: &str,
    action: &'static str,
    f: impl FnOnce(&CallContext<'_>) -> R,
) -> R {
    let subject = format!("{role} task {configured}");
    let hint = format!("check [tasks] {role} in the config");
    f(&CallContext {
        service: "DMS",
        endpoint,
        region,
        action,
        subject: &subject,
        not_found_hint: &hint,
    })
}

/// What one `DescribeReplicationTasks` answered: an `Arc` so callers who
/// shared the request ([`Coalesce`]) each get it.
type Described = Result<Vec<ReplicationTask>, Arc<SdkError<DescribeReplicationTasksError>>>;

const DESCRIBE: &str = "dms:DescribeReplicationTasks";

async fn describe_tasks(client: Client, filter: Filter) -> Described {
    client
        .describe_replication_tasks()
        .filters(filter)
        // With the settings: their control schema says where the
        // validation failures are on the target.
        .without_settings(false)
        .send()
        .await
        .map(|out| out.replication_tasks().to_vec())
        .map_err(Arc::new)
}

#[derive(Debug, Clone, Copy)]
enum Doing {
    Start(StartType),
    Stop,
}

/// What to do when DMS refuses to start or stop a task in `status`.
fn advice(doing: Doing, status: &TaskStatus, ran_before: bool) -> String {
    use TaskStatus as S;
    match (doing, status) {
        (Doing::Start(_), S::Running | S::Starting) => {
            "it is already running; stop it first to restart it".into()
        }
        (_, S::Stopping) => "wait until it is stopped, then refresh".into(),
        (_, S::Creating | S::Modifying | S::Deleting) => {
            format!("wait until it is no longer {status}, then refresh")
        }
        (Doing::Start(StartType::StartReplication), _) if ran_before => {
            "it ran before: use resume-processing, or reload-target to load the target again".into()
        }
        (Doing::Start(StartType::ResumeProcessing), _) if !ran_before => {
            "it never ran: use start-replication for the first run".into()
        }
        (Doing::Start(_), _) => {
            "check the task's LastFailureMessage and settings in the DMS console".into()
        }
        (Doing::Stop, _) => "only a running task can be stopped".into(),
    }
}

#[async_trait]
impl Replication for DmsReplication {
    async fn describe(&self, role: TaskRole) -> BackendResult<TaskSnapshot> {
        let task = self.find_task(role).await?;
        let arn = task.replication_task_arn().unwrap_or_default().to_string();
        Ok(TaskSnapshot {
            role,
            id: task
                .replication_task_identifier()
                .unwrap_or(&self.tasks[role])
                .to_string(),
            arn,
            status: TaskStatus::parse(task.status().unwrap_or("unknown")),
            migration_type: task
                .migration_type()
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
            progress: progress(task.replication_task_stats()),
            stop_reason: task.stop_reason().map(str::to_string),
            last_failure: task.last_failure_message().map(str::to_string),
            start_date: task.replication_task_start_date().and_then(to_chrono),
            recovery_checkpoint: task.recovery_checkpoint().map(str::to_string),
            control_schema: crate::backend::validation::control_schema_of(
                task.replication_task_settings(),
            ),
        })
    }

    async fn table_stats(&self, role: TaskRole) -> BackendResult<Vec<TableStats>> {
        let arn = self.task_arn(role).await?;
        self.table_pages(role, &arn).await
    }

    async fn start(&self, role: TaskRole, request: StartRequest) -> BackendResult<()> {
        let arn = self.task_arn(role).await?;
        let start_type = match request.start_type {
            StartType::StartReplication => StartReplicationTaskTypeValue::StartReplication,
            StartType::ResumeProcessing => StartReplicationTaskTypeValue::ResumeProcessing,
            StartType::ReloadTarget => StartReplicationTaskTypeValue::ReloadTarget,
        };
        // CdcStartTime only, never CdcStartPosition as well: DMS rejects both.
        // What is described after this change, or after it was given up
        // on (its timeout drops this), must have been asked after it.
        let fresh = self.both.forget_when_dropped();
        let result = self
            .client
            .start_replication_task()
            .replication_task_arn(arn)
            .start_replication_task_type(start_type)
            .set_cdc_start_time(request.cdc_start_time.as_ref().map(from_chrono))
            .customize()
            .config_override(no_retries())
            .send()
            .await;
        drop(fresh);
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = self.map_err(e, role, "dms:StartReplicationTask");
                Err(self
                    .explain_refusal(role, err, Doing::Start(request.start_type))
                    .await)
            }
        }
    }

    async fn reload_tables(
        &self,
        role: TaskRole,
        tables: &[TableRef],
        option: ReloadOption,
    ) -> BackendResult<()> {
        let arn = self.task_arn(role).await?;
        let to_reload = tables
            .iter()
            .map(|t| {
                TableToReload::builder()
                    .schema_name(&t.schema)
                    .table_name(&t.table)
                    .build()
                    .map_err(|e| BackendError::Other(format!("cannot name table {t}: {e}").into()))
            })
            .collect::<BackendResult<Vec<_>>>()?;
        let reload_option = match option {
            ReloadOption::DataReload => ReloadOptionValue::DataReload,
            ReloadOption::ValidateOnly => ReloadOptionValue::ValidateOnly,
        };
        // What is described after this change, or after it was given up
        // on (its timeout drops this), must have been asked after it.
        let fresh = self.both.forget_when_dropped();
        let result = self
            .client
            .reload_tables()
            .replication_task_arn(arn)
            .set_tables_to_reload(Some(to_reload))
            .reload_option(reload_option)
            .customize()
            .config_override(no_retries())
            .send()
            .await;
        drop(fresh);
        match result {
            Ok(_) => Ok(()),
            Err(e) => match self.map_err(e, role, "dms:ReloadTables") {
                // DMS only reloads tables of a running task.
                BackendError::InvalidState(msg) => {
                    let text = format!(
                        "{msg}: ReloadTables needs the task to be running; start or resume it first"
                    );
                    Err(BackendError::InvalidState(msg.reworded(text)))
                }
                other => Err(other),
            },
        }
    }

    async fn stop(&self, role: TaskRole) -> BackendResult<()> {
        let arn = self.task_arn(role).await?;
        // What is described after this change, or after it was given up
        // on (its timeout drops this), must have been asked after it.
        let fresh = self.both.forget_when_dropped();
        let result = self
            .client
            .stop_replication_task()
            .replication_task_arn(arn)
            .customize()
            .config_override(no_retries())
            .send()
            .await;
        drop(fresh);
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = self.map_err(e, role, "dms:StopReplicationTask");
                Err(self.explain_refusal(role, err, Doing::Stop).await)
            }
        }
    }
}

fn is_arn(s: &str) -> bool {
    s.starts_with("arn:")
}

fn progress(stats: Option<&ReplicationTaskStats>) -> TaskProgress {
    let Some(s) = stats else {
        return TaskProgress::default();
    };
    TaskProgress {
        full_load_percent: Some(s.full_load_progress_percent()),
        tables_loaded: s.tables_loaded(),
        tables_loading: s.tables_loading(),
        tables_queued: s.tables_queued(),
        tables_errored: s.tables_errored(),
        elapsed_ms: s.elapsed_time_millis(),
        fresh_start_date: s.fresh_start_date().and_then(to_chrono),
        start_date: s.start_date().and_then(to_chrono),
        stop_date: s.stop_date().and_then(to_chrono),
        full_load_start_date: s.full_load_start_date().and_then(to_chrono),
        full_load_finish_date: s.full_load_finish_date().and_then(to_chrono),
    }
}

fn table_stats(t: &TableStatistics) -> TableStats {
    TableStats {
        schema: t.schema_name().unwrap_or_default().to_string(),
        table: t.table_name().unwrap_or_default().to_string(),
        state: t.table_state().unwrap_or_default().to_string(),
        full_load_rows: t.full_load_rows(),
        inserts: t.inserts(),
        updates: t.updates(),
        deletes: t.deletes(),
        ddls: t.ddls(),
        errors: t.full_load_error_rows(),
        validation_state: t.validation_state().unwrap_or_default().to_string(),
        last_update: t.last_update_time().and_then(to_chrono),
        more: TableStatsMore {
            applied_inserts: t.applied_inserts(),
            applied_updates: t.applied_updates(),
            applied_deletes: t.applied_deletes(),
            applied_ddls: t.applied_ddls(),
            full_load_condtnl_chk_failed_rows: t.full_load_condtnl_chk_failed_rows(),
            full_load_start: t.full_load_start_time().and_then(to_chrono),
            full_load_end: t.full_load_end_time().and_then(to_chrono),
            full_load_reloaded: t.full_load_reloaded(),
            validation_pending_records: t.validation_pending_records(),
            validation_failed_records: t.validation_failed_records(),
            validation_suspended_records: t.validation_suspended_records(),
            validation_state_details: t.validation_state_details().map(str::to_string),
            resync_state: t.resync_state().map(str::to_string),
            resync_rows_attempted: t.resync_rows_attempted(),
            resync_rows_succeeded: t.resync_rows_succeeded(),
            resync_rows_failed: t.resync_rows_failed(),
            resync_progress: t.resync_progress(),
            simulated: None,
        },
    }
}

/// A change is sent once: the SDK's own retries would send it again after
/// an answer that was lost on the way back (it may have been applied), and
/// DMS has no idempotency token for these calls. The cockpit reads back
/// what is true instead (see `BackendError::OutcomeUnknown`).
fn no_retries() -> aws_sdk_databasemigration::config::Builder {
    aws_sdk_databasemigration::config::Builder::default()
        .retry_config(aws_sdk_databasemigration::config::retry::RetryConfig::disabled())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_names_the_way_out() {
        let start = Doing::Start(StartType::StartReplication);
        assert!(advice(start, &TaskStatus::Running, true).contains("stop it first"));
        assert!(advice(start, &TaskStatus::Stopped, true).contains("resume-processing"));
        assert!(
            advice(
                Doing::Start(StartType::ResumeProcessing),
                &TaskStatus::Ready,
                false
            )
            .contains("start-replication")
        );
        assert!(advice(Doing::Stop, &TaskStatus::Stopped, true).contains("only a running task"));
        assert!(advice(Doing::Stop, &TaskStatus::Creating, false).contains("no longer creating"));
    }

    #[test]
    fn arns_are_told_from_identifiers() {
        assert!(is_arn("arn:aws:dms:us-east-1:123456789012:task:ABC"));
        assert!(!is_arn("forward-task"));
    }
}
