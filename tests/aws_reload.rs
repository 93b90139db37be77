//! The AWS adapter's table-level calls against `aws-smithy-mocks` (moto has
//! neither `ReloadTables` nor table statistics): the exact request shape of
//! `ReloadTables`, its refusal for a task that is not running, and every
//! `TableStatistics` field the table detail shows.

use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::error::ErrorMetadata;
use aws_sdk_databasemigration::operation::describe_replication_tasks::DescribeReplicationTasksOutput;
use aws_sdk_databasemigration::operation::describe_table_statistics::DescribeTableStatisticsOutput;
use aws_sdk_databasemigration::operation::reload_tables::{ReloadTablesError, ReloadTablesOutput};
use aws_sdk_databasemigration::types::error::InvalidResourceStateFault;
use aws_sdk_databasemigration::types::{ReloadOptionValue, ReplicationTask, TableStatistics};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use chrono::{TimeZone, Utc};
use dms_cockpit::backend::aws::dms::DmsReplication;
use dms_cockpit::backend::{BackendError, PerTask, ReloadOption, Replication, TableRef, TaskRole};

const ARN: &str = "arn:aws:dms:eu-west-1:123456789012:task:FWDRESOURCEID";

fn by_arn() -> PerTask<String> {
    PerTask {
        forward: ARN.into(),
        backward: "arn:aws:dms:eu-west-1:123456789012:task:BWDRESOURCEID".into(),
    }
}

fn tables() -> Vec<TableRef> {
    vec![
        TableRef::parse("CUSTOMER_ORDERS.ORDERS").unwrap(),
        TableRef::parse("CUSTOMER_ORDERS.CUSTOMERS").unwrap(),
    ]
}

#[tokio::test]
async fn reload_tables_sends_the_task_arn_the_tables_and_the_option() {
    for (option, wire) in [
        (ReloadOption::DataReload, ReloadOptionValue::DataReload),
        (ReloadOption::ValidateOnly, ReloadOptionValue::ValidateOnly),
    ] {
        let reload = mock!(Client::reload_tables)
            .match_requests(move |r| {
                let named: Vec<(&str, &str)> = r
                    .tables_to_reload()
                    .iter()
                    .map(|t| (t.schema_name(), t.table_name()))
                    .collect();
                r.replication_task_arn() == Some(ARN)
                    && named
                        == [
                            ("CUSTOMER_ORDERS", "ORDERS"),
                            ("CUSTOMER_ORDERS", "CUSTOMERS"),
                        ]
                    && r.reload_option() == Some(&wire)
            })
            .then_output(|| {
                ReloadTablesOutput::builder()
                    .replication_task_arn(ARN)
                    .build()
            });
        let client = mock_client!(aws_sdk_databasemigration, RuleMode::Sequential, &[&reload]);
        DmsReplication::new(client, by_arn())
            .reload_tables(TaskRole::Forward, &tables(), option)
            .await
            .unwrap_or_else(|e| panic!("{option}: {e}"));
        assert_eq!(reload.num_calls(), 1, "{option}: one request of that shape");
    }
}

#[tokio::test]
async fn reload_tables_of_a_task_configured_by_identifier_resolves_its_arn_first() {
    let describe = mock!(Client::describe_replication_tasks).then_output(|| {
        DescribeReplicationTasksOutput::builder()
            .replication_tasks(
                ReplicationTask::builder()
                    .replication_task_identifier("fwd-task")
                    .replication_task_arn(ARN)
                    .status("running")
                    .build(),
            )
            .build()
    });
    let reload = mock!(Client::reload_tables)
        .match_requests(|r| r.replication_task_arn() == Some(ARN))
        .then_output(|| ReloadTablesOutput::builder().build());
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::Sequential,
        &[&describe, &reload]
    );
    let tasks = PerTask {
        forward: "fwd-task".to_string(),
        backward: "bwd-task".to_string(),
    };
    DmsReplication::new(client, tasks)
        .reload_tables(TaskRole::Forward, &tables()[..1], ReloadOption::DataReload)
        .await
        .unwrap();
    assert_eq!((describe.num_calls(), reload.num_calls()), (1, 1));
}

#[tokio::test]
async fn reload_of_a_task_that_is_not_running_says_to_start_it() {
    let refused = mock!(Client::reload_tables).then_error(|| {
        ReloadTablesError::InvalidResourceStateFault(
            InvalidResourceStateFault::builder()
                .message("Replication task is not running")
                .meta(
                    ErrorMetadata::builder()
                        .code("InvalidResourceStateFault")
                        .message("Replication task is not running")
                        .build(),
                )
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_databasemigration, RuleMode::Sequential, &[&refused]);
    let err = DmsReplication::new(client, by_arn())
        .reload_tables(TaskRole::Forward, &tables(), ReloadOption::DataReload)
        .await
        .unwrap_err();
    let BackendError::InvalidState(msg) = &err else {
        panic!("expected InvalidState, got {err:?}")
    };
    assert!(msg.contains("Replication task is not running"), "{msg}");
    assert!(msg.contains("dms:ReloadTables"), "{msg}");
    assert!(msg.contains("start or resume it first"), "{msg}");
}

#[tokio::test]
async fn every_table_statistic_reaches_the_detail() {
    let at = aws_smithy_types::DateTime::from_secs;
    let describe = mock!(Client::describe_replication_tasks).then_output(|| {
        DescribeReplicationTasksOutput::builder()
            .replication_tasks(
                ReplicationTask::builder()
                    .replication_task_arn(ARN)
                    .replication_task_identifier("fwd-task")
                    .status("running")
                    .build(),
            )
            .build()
    });
    let stats = mock!(Client::describe_table_statistics).then_output(move || {
        DescribeTableStatisticsOutput::builder()
            .table_statistics(
                TableStatistics::builder()
                    .schema_name("CUSTOMER_ORDERS")
                    .table_name("ORDERS")
                    .table_state("Table completed")
                    .applied_inserts(11)
                    .applied_updates(12)
                    .applied_deletes(13)
                    .applied_ddls(1)
                    .full_load_condtnl_chk_failed_rows(3)
                    .full_load_start_time(at(1_700_000_000))
                    .full_load_end_time(at(1_700_000_060))
                    .full_load_reloaded(true)
                    .validation_pending_records(7)
                    .validation_failed_records(2)
                    .validation_suspended_records(4)
                    .validation_state("Suspended records")
                    .validation_state_details("4 records suspended")
                    .resync_state("Resync in progress")
                    .resync_rows_attempted(6)
                    .resync_rows_succeeded(5)
                    .resync_rows_failed(1)
                    .resync_progress(83.3)
                    .build(),
            )
            .build()
    });
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        &[&describe, &stats]
    );
    let tables = DmsReplication::new(client, by_arn())
        .table_stats(TaskRole::Forward)
        .await
        .unwrap();
    let m = &tables[0].more;
    assert_eq!(
        (
            m.applied_inserts,
            m.applied_updates,
            m.applied_deletes,
            m.applied_ddls
        ),
        (Some(11), Some(12), Some(13), Some(1))
    );
    assert_eq!(m.full_load_condtnl_chk_failed_rows, 3);
    assert_eq!(
        m.full_load_start,
        Some(Utc.timestamp_opt(1_700_000_000, 0).unwrap())
    );
    assert_eq!(
        m.full_load_end,
        Some(Utc.timestamp_opt(1_700_000_060, 0).unwrap())
    );
    assert_eq!(m.full_load_reloaded, Some(true));
    assert_eq!(
        (
            m.validation_pending_records,
            m.validation_failed_records,
            m.validation_suspended_records
        ),
        (7, 2, 4)
    );
    assert_eq!(
        m.validation_state_details.as_deref(),
        Some("4 records suspended")
    );
    assert_eq!(m.resync_state.as_deref(), Some("Resync in progress"));
    assert_eq!(
        (
            m.resync_rows_attempted,
            m.resync_rows_succeeded,
            m.resync_rows_failed
        ),
        (Some(6), Some(5), Some(1))
    );
    assert_eq!(m.resync_progress, Some(83.3));
    assert_eq!(m.simulated, None, "real DMS is never called a simulation");
}
