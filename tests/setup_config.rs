//! The config keys setup reads (issue 9): each is parsed into the typed
//! `Config`, and each bad value is an error that names the key.

use std::collections::BTreeMap;
use std::path::Path;

use dms_cockpit::config::{self, Hosting, PasswordSource, TaskLogging};

const BASE: &str = r#"
[tasks]
forward = "fwd"
backward = "bwd"
[databases.a]
engine = "oracle"
endpoint = "ora.example"
dbname = "ORCL"
username = "app"
[databases.b]
engine = "postgresql"
endpoint = "pg.example"
dbname = "app"
username = "app"
"#;

fn parse(extra_a: &str, extra_dms: &str) -> Result<config::Config, String> {
    let text = BASE.replace("[databases.b]", &format!("{extra_a}\n[databases.b]"))
        + "\n[dms]\n"
        + extra_dms;
    config::parse(
        Path::new("/etc/door/dms-cockpit.toml"),
        &text,
        &BTreeMap::new(),
    )
    .map_err(|e| e.0)
}

#[test]
fn defaults() {
    let c = parse("", "").unwrap();
    let a = &c.databases.a;
    assert_eq!(a.dms_username, "dms_user");
    assert_eq!(a.dms_password, PasswordSource::None);
    assert_eq!(a.hosting, Hosting::SelfManaged);
    assert_eq!(c.dms.loopback_schema, "dms_loopback");
    assert_eq!(c.dms.logging, TaskLogging::Default);
    assert_eq!(c.dms.secrets_access_role_arn, None);
    assert_eq!(c.dms.endpoints, Default::default());
}

#[test]
fn every_key_is_read() {
    let c = parse(
        "dms_username = \"dms_ora\"\ndms_password_secret = \"arn:aws:secretsmanager:x\"\nhosting = \"rds\"",
        "loopback_schema = \"door_loop\"\nlogging = \"detailed\"\ntable_mappings = \"m.json\"\ntask_settings = \"/abs/s.json\"\nendpoints = { a_source = \"ora-src\", b_target = \"arn:aws:dms:x:endpoint:B\" }",
    )
    .unwrap();
    let a = &c.databases.a;
    assert_eq!(a.dms_username, "dms_ora");
    assert_eq!(
        a.dms_password,
        PasswordSource::Secret("arn:aws:secretsmanager:x".into())
    );
    assert_eq!(a.hosting, Hosting::Rds);
    assert_eq!(c.dms.loopback_schema, "door_loop");
    assert_eq!(c.dms.logging, TaskLogging::Detailed);
    assert_eq!(
        c.dms.table_mappings.as_deref(),
        Some(Path::new("/etc/door/m.json")),
        "relative to the config file"
    );
    assert_eq!(
        c.dms.task_settings.as_deref(),
        Some(Path::new("/abs/s.json"))
    );
    assert_eq!(c.dms.endpoints.a_source.as_deref(), Some("ora-src"));
    assert_eq!(
        c.dms.endpoints.b_target.as_deref(),
        Some("arn:aws:dms:x:endpoint:B")
    );
    assert_eq!(c.dms.endpoints.b_source, None);
}

#[test]
fn bad_values_name_the_key() {
    let cases = [
        (
            "dms_password_env = \"X\"\ndms_password_secret = \"y\"",
            "",
            "databases.a.dms_password_secret",
        ),
        ("hosting = \"aurora\"", "", "databases.a.hosting"),
        (
            "dms_username = \"dms user\"",
            "",
            "databases.a.dms_username",
        ),
        ("", "loopback_schema = \"a.b\"", "dms.loopback_schema"),
        ("", "logging = \"verbose\"", "dms.logging"),
        (
            "",
            "secrets_access_role_arn = \"dms-role\"",
            "dms.secrets_access_role_arn",
        ),
        (
            "",
            "secrets_access_role_arn = \"arn:aws:iam::1:role/r\"",
            "databases.a.dms_password_secret` is not set",
        ),
        ("", "endpoints = { a_sauce = \"x\" }", "a_sauce"),
    ];
    for (a, dms, key) in cases {
        let err = parse(a, dms).expect_err(key);
        assert!(err.contains(key), "{key}: {err}");
    }
}
