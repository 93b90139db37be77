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
