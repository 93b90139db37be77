//! Reading a database password from Secrets Manager with the real AWS SDK
//! client against moto server over HTTP.

use aws_sdk_secretsmanager::Client;
use dms_cockpit::backend::BackendError;
use dms_cockpit::backend::aws::secrets::secret_password;

#[path = "support/moto.rs"]
mod moto;
use moto::{moto_url, sdk_config, unique};

async fn client() -> Client {
    Client::new(&sdk_config(&moto_url()).await)
}

async fn create(client: &Client, value: &str) -> String {
    let name = unique("dmsc/db");
    client
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("create secret");
    name
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn reads_the_password_field() {
    let client = client().await;
    let name = create(
        &client,
        r#"{"username":"customer_orders","password":"p@ss \"word\"","engine":"postgres"}"#,
    )
    .await;
    assert_eq!(
        secret_password(&client, &name).await.unwrap(),
        r#"p@ss "word""#
    );
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn a_missing_secret_is_not_found_and_named() {
    let client = client().await;
    let name = unique("dmsc/absent");
    let err = secret_password(&client, &name).await.unwrap_err();
    let BackendError::NotFound(msg) = &err else {
        panic!("expected NotFound, got {err:?}");
    };
    assert!(msg.contains(&format!("secret {name} not found")), "{msg}");
    assert!(msg.contains("check the secret id"), "{msg}");
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn a_secret_without_password_says_what_is_expected_and_not_the_value() {
    let client = client().await;
    for value in [
        r#"{"username":"app","pwd":"do-not-print-me"}"#,
        "do-not-print-me",
    ] {
        let name = create(&client, value).await;
        let err = secret_password(&client, &name).await.unwrap_err();
        let BackendError::Malformed(msg) = &err else {
            panic!("expected Malformed, got {err:?}");
        };
        assert!(msg.contains(&name), "{msg}");
        assert!(msg.contains("`password` field"), "{msg}");
        assert!(!msg.contains("do-not-print-me"), "{msg}");
    }
}
