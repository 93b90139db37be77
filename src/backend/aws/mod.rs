//! The AWS adapters: DMS tasks, the DynamoDB appmap and Secrets Manager
//! passwords, through the official SDK clients.
//!
//! Settings follow aws-config's conventions (profile, region, the default
//! credentials chain, `AWS_ENDPOINT_URL` and the per-service
//! `AWS_ENDPOINT_URL_<SERVICE>` overrides), so pointing the cockpit at moto
//! or LocalStack needs no code path of its own. This module also holds the
//! one translation from SDK errors to [`BackendError`]s, so that every AWS
//! call phrases failures the same way: what failed, and what to do.

pub mod cloudwatch;
pub mod discover;
pub mod dms;
pub mod dms_admin;
pub mod dynamo;
pub mod logs;
pub mod pair_setup;
pub mod retry;
pub mod secrets;
pub mod sts;

use std::error::Error as StdError;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::{BackendError, BackendResult};

/// The SDK configuration every AWS client is built from. `region` and
/// `profile` override what the environment and `~/.aws/config` say; both
/// may be left to the default chain.
pub async fn load_sdk_config(region: Option<String>, profile: Option<String>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    loader.load().await
}

/// Where a service is reached, for error messages only: the endpoint URL
/// when one is configured (`endpoint_url` on the config, or the service's
/// `AWS_ENDPOINT_URL_<SERVICE>` variable), else the public AWS host. The
/// SDK resolves the real endpoint itself; this only names it for a person.
pub fn endpoint_label(sdk: &SdkConfig, env_suffix: &str, host_prefix: &str) -> String {
    if let Ok(url) = std::env::var(format!("AWS_ENDPOINT_URL_{env_suffix}"))
        && !url.is_empty()
    {
        return url;
    }
    if let Some(url) = sdk.endpoint_url() {
        return url.to_string();
    }
    let region = sdk.region().map(|r| r.as_ref()).unwrap_or("(no region)");
    format!("https://{host_prefix}.{region}.amazonaws.com")
}

/// [`endpoint_label`] for a client built elsewhere, from the environment
/// alone (messages only; the SDK resolves the real endpoint itself).
pub(crate) fn env_endpoint_label(env_suffix: &str, host_prefix: &str, region: &str) -> String {
    [
        format!("AWS_ENDPOINT_URL_{env_suffix}"),
        "AWS_ENDPOINT_URL".to_string(),
    ]
    .iter()
    .filter_map(|var| std::env::var(var).ok())
    .find(|url| !url.is_empty())
    .unwrap_or_else(|| format!("https://{host_prefix}.{region}.amazonaws.com"))
}

/// The region a client was built with, for messages.
pub(crate) fn region_label(region: Option<&Region>) -> String {
    region
        .map(|r| r.to_string())
        .unwrap_or_else(|| "(no region configured)".to_string())
}

/// What a failed call was about, so the translated error can say it.
#[derive(Debug, Clone)]
pub struct CallContext<'a> {
    /// The service as people call it: `DMS`, `DynamoDB`, `Secrets Manager`.
    pub service: &'static str,
    /// Where the service was called (see [`endpoint_label`]).
    pub endpoint: &'a str,
    pub region: &'a str,
    /// The IAM action the call needs, e.g. `dms:StartReplicationTask`.
    pub action: &'static str,
    /// What the call was about, e.g. `task fwd-task`.
    pub subject: &'a str,
    /// What to check when the subject does not exist.
    pub not_found_hint: &'a str,
}

const NOT_FOUND: &[&str] = &["ResourceNotFoundFault", "ResourceNotFoundException"];
const INVALID_STATE: &[&str] = &[
    "InvalidResourceStateFault",
    "ResourceInUseException",
    "InvalidRequestException",
];
const THROTTLED: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "KMSThrottlingFault",
];
/// The calls that change something: an answer lost after one was sent
/// leaves its outcome unknown (see [`map_sdk_error`]).
const CHANGES: &[&str] = &[
    "dms:StartReplicationTask",
    "dms:StopReplicationTask",
    "dms:ReloadTables",
    "dynamodb:TransactWriteItems",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
];

const ACCESS_DENIED: &[&str] = &[
    "AccessDeniedFault",
    "AccessDeniedException",
    "AccessDenied",
    "KMSAccessDeniedFault",
];
const BAD_CREDENTIALS: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "MissingAuthenticationToken",
    "IncompleteSignature",
    "RequestExpired",
];

/// Translates an SDK error into a [`BackendError`] with a message that says
/// what failed and what to do. Service errors are told apart by their AWS
/// error code (so the same table serves DMS, DynamoDB and Secrets Manager);
/// transport failures by the SDK's error kind. The SDK never puts
/// credentials into errors, and neither does this.
///
/// The SDK error itself is kept as the cause ([`BackendError::caused_by`]):
/// the screen shows the sentence, the log file the sentence and the SDK's
/// own chain under it.
pub fn map_sdk_error<E>(err: SdkError<E>, ctx: &CallContext<'_>) -> BackendError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let mapped = phrase_sdk_error(&err, ctx);
    mapped.caused_by(err)
}

/// [`map_sdk_error`] for an error several callers share (one request
/// answered for both tasks): each caller phrases it for its own subject,
/// and all keep the same SDK error as the cause.
pub fn map_shared_sdk_error<E>(
    err: &std::sync::Arc<SdkError<E>>,
    ctx: &CallContext<'_>,
) -> BackendError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    phrase_sdk_error(err, ctx).caused_by(err.clone())
}

/// The sentence [`map_sdk_error`] says about `err`.
fn phrase_sdk_error<E>(err: &SdkError<E>, ctx: &CallContext<'_>) -> BackendError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let CallContext {
        service,
        endpoint,
        region,
        action,
        subject,
        not_found_hint,
    } = ctx;
    let chain = DisplayErrorContext(err).to_string();
    match err {
        SdkError::ServiceError(service_err) => {
            let e = service_err.err();
            let code = e.code().unwrap_or("");
            let message = e.message().unwrap_or("no message");
            let status = service_err.raw().status().as_u16();
            if NOT_FOUND.contains(&code) {
                BackendError::NotFound(format!(
                    "{subject} not found in region {region}: {not_found_hint}"
                ).into())
            } else if INVALID_STATE.contains(&code) {
                BackendError::InvalidState(format!(
                    "{service} refused {action} on {subject} ({code}: {message})"
                ).into())
            } else if THROTTLED.contains(&code) && CHANGES.contains(action) {
                // A change is sent once (no SDK retries): refused, so not
                // applied; the person decides when to ask again.
                BackendError::Throttled(format!(
                    "{service} throttled {action} on {subject} ({code}): not applied; try again in a moment"
                ).into())
            } else if THROTTLED.contains(&code) {
                BackendError::Throttled(format!(
                    "{service} throttled {action} on {subject} ({code}): polling it less often until it answers"
                ).into())
            } else if ACCESS_DENIED.contains(&code) {
                BackendError::Denied(format!(
                    "{service} denied {action} on {subject} in region {region} ({code}: {message}): \
                     the credentials in use need the IAM permission `{action}`"
                ).into())
            } else if BAD_CREDENTIALS.contains(&code) {
                BackendError::Denied(format!(
                    "{service} rejected the AWS credentials for {action} in region {region} ({code}): \
                     check the profile and region in use, and renew an expired session \
                     (e.g. `aws sso login`)"
                ).into())
            } else if retry::is_unimplemented(status, Some(code), service_err.raw().body().bytes())
            {
                let operation = action.split_once(':').map_or(*action, |(_, op)| op);
                let why = if code.is_empty() {
                    format!("HTTP {status} with a web page instead of an AWS error")
                } else {
                    format!("{code}: {message}")
                };
                BackendError::Unsupported(format!(
                    "{service} at {endpoint}: this endpoint does not implement {operation} ({why}); \
                     real AWS {service} does, so if you meant AWS check the endpoint settings \
                     (AWS_ENDPOINT_URL and the config's region)"
                ).into())
            } else if status >= 500 {
                BackendError::Unavailable(format!(
                    "{service} at {endpoint} failed {action} on {subject} with HTTP {status} \
                     ({}): a server-side fault, will retry on the next refresh",
                    if code.is_empty() {
                        "no error code"
                    } else {
                        code
                    }
                ).into())
            } else {
                BackendError::Other(format!(
                    "{service} {action} on {subject} failed with HTTP {status} ({code}: {message})"
                ).into())
            }
        }
        SdkError::TimeoutError(_) => BackendError::Unavailable(format!(
            "no answer from {service} at {endpoint} for {action} in time: check network/endpoint"
        ).into()),
        // The request went out and the connection closed before the answer
        // was complete (hyper's IncompleteMessage): a change may have been
        // applied. Said as such, never as "failed", so it is read back.
        SdkError::DispatchFailure(dispatch)
            if CHANGES.contains(action)
                && dispatch.as_other()
                    == Some(aws_smithy_types::retry::ErrorKind::TransientError) =>
        {
            BackendError::OutcomeUnknown(format!(
                "the connection to {service} at {endpoint} closed before the answer to {action} on {subject} arrived ({chain}): it may or may not have been applied"
            ).into())
        }
        SdkError::DispatchFailure(dispatch) if dispatch.is_timeout() => {
            BackendError::Unavailable(format!(
                "no answer from {service} at {endpoint} for {action} in time ({chain}): check network/endpoint"
            ).into())
        }
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_)
            if chain.contains("credential") =>
        {
            BackendError::Denied(format!(
                "no usable AWS credentials for {service} ({chain}): set a profile (AWS_PROFILE or \
                 the config's profile), log in (`aws sso login`) or set AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY"
            ).into())
        }
        SdkError::DispatchFailure(_) => BackendError::Unavailable(format!(
            "cannot reach {service} at {endpoint} ({chain}): check network/endpoint"
        ).into()),
        SdkError::ConstructionFailure(_) => BackendError::Other(format!(
            "could not build the {action} request for {subject} ({chain}): \
             check the region (AWS_REGION or the config's region) and endpoint settings"
        ).into()),
        SdkError::ResponseError(_) => BackendError::Malformed(format!(
            "{service} at {endpoint} sent a reply to {action} that the AWS SDK cannot read ({chain}): \
             is the endpoint really {service}?"
        ).into()),
        _ => BackendError::Other(format!("{service} {action} on {subject} failed: {chain}").into()),
    }
}

/// Converts an SDK timestamp to chrono, dropping values chrono cannot hold
/// (far outside any date DMS reports) rather than failing the whole call.
pub(crate) fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// Converts chrono to an SDK timestamp.
pub(crate) fn from_chrono(t: &chrono::DateTime<chrono::Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

/// A DMS `Filter` of one name and value.
pub fn dms_filter(
    name: &str,
    value: &str,
) -> BackendResult<aws_sdk_databasemigration::types::Filter> {
    dms_filter_any(name, &[value])
}

/// A DMS `Filter` matching any of `values` (DMS filters take a list).
pub fn dms_filter_any(
    name: &str,
    values: &[&str],
) -> BackendResult<aws_sdk_databasemigration::types::Filter> {
    aws_sdk_databasemigration::types::Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
        .map_err(|e| BackendError::Other(format!("cannot build the DMS filter: {e}").into()))
}

/// The filter that finds a configured task: by ARN when `[tasks]` holds
/// one, else by identifier.
pub fn task_filter(configured: &str) -> BackendResult<aws_sdk_databasemigration::types::Filter> {
    let name = if configured.starts_with("arn:") {
        "replication-task-arn"
    } else {
        "replication-task-id"
    };
    dms_filter(name, configured)
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn ctx() -> CallContext<'static> {
        CallContext {
            service: "DynamoDB",
            endpoint: "http://127.0.0.1:4566",
            region: "eu-west-1",
            action: "dynamodb:GetItem",
            subject: "appmap table appmap",
            not_found_hint: "create it with dms-cockpit setup appmap",
        }
    }

    fn service(code: &str, status: u16) -> BackendError {
        let err = GetItemError::generic(
            ErrorMetadata::builder()
                .code(code)
                .message("AWS says no")
                .build(),
        );
        let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        map_sdk_error(SdkError::service_error(err, raw), &ctx())
    }

    #[test]
    fn service_error_codes_map_to_kinds_and_advice() {
        assert_eq!(
            service("ResourceNotFoundException", 400),
            BackendError::NotFound(
                "appmap table appmap not found in region eu-west-1: create it with dms-cockpit setup appmap"
                    .into()
            )
        );
        assert!(matches!(
            service("ResourceInUseException", 400),
            BackendError::InvalidState(m) if m.contains("AWS says no")
        ));
        assert!(matches!(
            service("ProvisionedThroughputExceededException", 400),
            BackendError::Throttled(m) if m.contains("polling it less often")
        ));
        // A throttled change was refused: it says so, not "polling".
        let flip =
            GetItemError::generic(ErrorMetadata::builder().code("ThrottlingException").build());
        let raw = HttpResponse::new(400.try_into().unwrap(), SdkBody::empty());
        let change = CallContext {
            action: "dynamodb:TransactWriteItems",
            ..ctx()
        };
        assert!(matches!(
            map_sdk_error(SdkError::service_error(flip, raw), &change),
            BackendError::Throttled(m) if m.ends_with("(ThrottlingException): not applied; try again in a moment")
        ));
        assert!(matches!(
            service("AccessDeniedException", 400),
            BackendError::Denied(m) if m.contains("IAM permission `dynamodb:GetItem`")
        ));
        for code in ["UnrecognizedClientException", "ExpiredToken"] {
            assert!(matches!(
                service(code, 400),
                BackendError::Denied(m) if m.contains(code) && m.contains("aws sso login")
            ));
        }
        assert!(matches!(
            service("UnknownOperationException", 400),
            BackendError::Unsupported(m)
                if m.starts_with("DynamoDB at http://127.0.0.1:4566: this endpoint does not implement GetItem")
        ));
        assert!(matches!(
            service("", 503),
            BackendError::Unavailable(m) if m.contains("HTTP 503")
        ));
        assert!(matches!(
            service("ValidationException", 400),
            BackendError::Other(m) if m.contains("ValidationException: AWS says no")
        ));
    }

    #[tokio::test]
    async fn the_given_region_wins_over_the_environment() {
        let sdk = load_sdk_config(Some("ap-southeast-2".into()), None).await;
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("ap-southeast-2"));
        assert_eq!(
            endpoint_label(&sdk, "DMSC_TEST_NO_SUCH_SERVICE", "dms"),
            sdk.endpoint_url()
                .map(str::to_string)
                .unwrap_or_else(|| "https://dms.ap-southeast-2.amazonaws.com".into())
        );
    }

    #[test]
    fn transport_failures_name_the_endpoint() {
        let refused = SdkError::<GetItemError>::dispatch_failure(ConnectorError::io(
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused").into(),
        ));
        assert!(matches!(
            map_sdk_error(refused, &ctx()),
            BackendError::Unavailable(m)
                if m.starts_with("cannot reach DynamoDB at http://127.0.0.1:4566")
                    && m.ends_with("check network/endpoint")
        ));
        let slow = SdkError::<GetItemError>::timeout_error("read timed out");
        assert!(matches!(
            map_sdk_error(slow, &ctx()),
            BackendError::Unavailable(m) if m.contains("no answer from DynamoDB")
        ));
        let garbled = SdkError::<GetItemError>::response_error(
            "expected a number",
            HttpResponse::new(200.try_into().unwrap(), SdkBody::empty()),
        );
        assert!(matches!(
            map_sdk_error(garbled, &ctx()),
            BackendError::Malformed(m) if m.contains("cannot read")
        ));
    }

    /// The SDK error stays under the sentence: `source()` reaches it (and
    /// the connector's I/O error), and the log text lists it.
    #[test]
    fn the_sdk_error_is_kept_as_the_cause() {
        let refused = SdkError::<GetItemError>::dispatch_failure(ConnectorError::io(
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused").into(),
        ));
        let err = map_sdk_error(refused, &ctx());
        let sources: Vec<_> = crate::backend::reason::causes(&err).collect();
        assert!(
            sources
                .iter()
                .any(|e| e.downcast_ref::<SdkError<GetItemError>>().is_some()),
            "{sources:?}"
        );
        assert!(
            sources
                .iter()
                .any(|e| e.downcast_ref::<std::io::Error>().is_some()),
            "{sources:?}"
        );
        let logged = crate::backend::reason::chain(&err);
        assert!(
            logged.starts_with(&format!("{err}\n  caused by: ")),
            "{logged}"
        );
    }
}
