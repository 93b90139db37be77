//! What the tests that talk to moto share: its address (from
//! `tests/run-all.sh`), an SDK config for it, unique resource names.

#![allow(dead_code)]

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_databasemigration::config::Credentials;

/// moto's base URL; panics with how to get one when the suite was not
/// started by `tests/run-all.sh`.
pub fn moto_url() -> String {
    std::env::var("DMSC_TEST_MOTO_URL").unwrap_or_else(|_| {
        panic!("DMSC_TEST_MOTO_URL is not set: run `bash tests/run-all.sh` (it starts moto)")
    })
}

/// An SDK config for `endpoint` with test credentials and no retries, so
/// moto's HTTP 500 for what it lacks costs one round trip.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .load()
        .await
}

/// A name no other test (or earlier run against the same moto) uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// A replication instance in moto: its identifier and ARN.
pub async fn instance(dms: &aws_sdk_databasemigration::Client) -> (String, String) {
    let id = unique("ri");
    let arn = dms
        .create_replication_instance()
        .replication_instance_identifier(&id)
        .replication_instance_class("dms.t3.micro")
        .send()
        .await
        .expect("create replication instance")
        .replication_instance
        .unwrap()
        .replication_instance_arn
        .unwrap();
    (id, arn)
}

/// A source (Oracle) and a target (PostgreSQL) endpoint: their ARNs.
pub async fn oracle_to_postgres(dms: &aws_sdk_databasemigration::Client) -> [String; 2] {
    use aws_sdk_databasemigration::types::ReplicationEndpointTypeValue as Kind;
    let mut arns = Vec::new();
    for (kind, engine, port) in [
        (Kind::Source, "oracle", 1521),
        (Kind::Target, "postgres", 5432),
    ] {
        arns.push(
            dms.create_endpoint()
                .endpoint_identifier(unique(engine))
                .endpoint_type(kind)
                .engine_name(engine)
                .server_name(format!("{engine}.example"))
                .port(port)
                .database_name("orders")
                .username("dms")
                .password("not-a-real-password")
                .send()
                .await
                .expect("create endpoint")
                .endpoint
                .unwrap()
                .endpoint_arn
                .unwrap(),
        );
    }
    [arns.remove(0), arns.remove(0)]
}

/// A replication instance and one Oracle-to-PostgreSQL task on it with
/// `settings`; returns the instance identifier and the task's identifier
/// and ARN.
pub async fn task_with(
    dms: &aws_sdk_databasemigration::Client,
    settings: &str,
) -> (String, String, String) {
    let (instance_id, instance) = instance(dms).await;
    let [source, target] = oracle_to_postgres(dms).await;
    let task_id = unique("forward");
    let arn = dms
        .create_replication_task()
        .replication_task_identifier(&task_id)
        .source_endpoint_arn(source)
        .target_endpoint_arn(target)
        .replication_instance_arn(instance)
        .migration_type(aws_sdk_databasemigration::types::MigrationTypeValue::FullLoadAndCdc)
        .table_mappings(r#"{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"}]}"#)
        .replication_task_settings(settings)
        .send()
        .await
        .expect("create replication task")
        .replication_task
        .unwrap()
        .replication_task_arn
        .unwrap();
    (instance_id, task_id, arn)
}
