//! Database passwords kept in AWS Secrets Manager, in the JSON shape RDS and
//! DMS use (`{"username": ..., "password": ..., ...}`).
//!
//! The value is never put into an error, a log line or a `Debug` output:
//! messages name the secret id and what was expected, nothing else.

use aws_sdk_secretsmanager::Client;

use super::{CallContext, env_endpoint_label, map_sdk_error, region_label};
use crate::backend::{BackendError, BackendResult};

/// The `password` field of the JSON secret `secret_id` (a name or ARN).
pub async fn secret_password(client: &Client, secret_id: &str) -> BackendResult<String> {
    let region = region_label(client.config().region());
    let endpoint = env_endpoint_label("SECRETS_MANAGER", "secretsmanager", &region);
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            let subject = format!("secret {secret_id}");
            map_sdk_error(
                e,
                &CallContext {
                    service: "Secrets Manager",
                    endpoint: &endpoint,
                    region: &region,
                    action: "secretsmanager:GetSecretValue",
                    subject: &subject,
                    not_found_hint: "check the secret id in the config (name or ARN)",
                },
            )
        })?;
    let Some(text) = out.secret_string() else {
        return Err(BackendError::Malformed(format!(
            "secret {secret_id} holds binary data: expected a JSON string with a `password` field"
        ).into()));
    };
    password_from_json(secret_id, text)
}

/// Takes `password` out of the secret's JSON text. Parse errors are
/// described by position only: serde_json's message could quote the value.
fn password_from_json(secret_id: &str, text: &str) -> BackendResult<String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| {
            BackendError::Malformed(format!(
            "secret {secret_id} is not JSON (error at line {}, column {}): expected an object \
             with a string `password` field",
            e.line(),
            e.column()
        ).into())
        })?;
    match value.get("password") {
        Some(serde_json::Value::String(p)) => Ok(p.clone()),
        Some(_) => Err(BackendError::Malformed(
            format!(
                "secret {secret_id} has a `password` field that is not a string: expected a string"
            )
            .into(),
        )),
        None => Err(BackendError::Malformed(
            format!(
                "secret {secret_id} has no `password` field: expected a JSON object with a string \
             `password` field (as RDS and DMS store it)"
            )
            .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_password_field() {
        let text = r#"{"username":"app","password":"s3cr3t!","port":5432}"#;
        assert_eq!(password_from_json("db", text).unwrap(), "s3cr3t!");
    }

    #[test]
    fn errors_never_contain_the_value() {
        for text in [
            r#"{"username":"app","pass":"hunter2-value"}"#,
            r#"{"password": 12345678}"#,
            "hunter2-value not json",
        ] {
            let err = password_from_json("db/main", text).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, BackendError::Malformed(_)), "{msg}");
            assert!(msg.contains("db/main"), "{msg}");
            assert!(!msg.contains("hunter2"), "{msg}");
            assert!(!msg.contains("12345678"), "{msg}");
        }
    }
}
