//! Who the AWS credentials belong to: STS `GetCallerIdentity`, so the
//! screen and `status` say which account the cockpit operates on (nobody
//! should flip a site on the wrong account), and "not found" messages can
//! name the account they looked in. It needs no IAM permission.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sts::Client;

use super::{CallContext, endpoint_label, map_sdk_error, region_label};
use crate::backend::{BackendError, BackendResult, CallerIdentity, Identity};

pub struct StsIdentity {
    client: Client,
    region: String,
    endpoint: String,
}

impl StsIdentity {
    pub fn from_sdk_config(sdk: &SdkConfig) -> StsIdentity {
        let client = Client::new(sdk);
        StsIdentity {
            region: region_label(client.config().region()),
            endpoint: endpoint_label(sdk, "STS", "sts"),
            client,
        }
    }
}

#[async_trait]
impl Identity for StsIdentity {
    async fn caller(&self) -> BackendResult<CallerIdentity> {
        let out = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                map_sdk_error(
                    e,
                    &CallContext {
                        service: "STS",
                        endpoint: &self.endpoint,
                        region: &self.region,
                        action: "sts:GetCallerIdentity",
                        subject: "the caller identity",
                        not_found_hint: "check the credentials in use",
                    },
                )
            })?;
        match (out.account(), out.arn()) {
            (Some(account), Some(arn)) => Ok(CallerIdentity {
                account: account.to_string(),
                arn: arn.to_string(),
            }),
            _ => Err(BackendError::Malformed(
                format!(
                    "STS at {} answered GetCallerIdentity without an account or ARN",
                    self.endpoint
                )
                .into(),
            )),
        }
    }
}
