//! The config file: valid and invalid fixtures under tests/fixtures/config,
//! environment overrides, and messages that name the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dms_cockpit::backend::{DbSide, Engine};
use dms_cockpit::config::{self, PasswordSource};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn parse_with(name: &str, env: &[(&str, &str)]) -> Result<config::Config, String> {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    config::parse(&path, &text, &env).map_err(|e| e.0)
}

fn parse(name: &str) -> Result<config::Config, String> {
    parse_with(name, &[])
}

#[test]
fn the_template_init_writes_is_valid() {
    let c = parse("valid-template.toml").unwrap();
    assert_eq!(c.tasks.forward, "ora2pg");
    assert_eq!(c.tasks.backward, "pg2ora");
    assert_eq!(c.appmap_table, "appmap");
    assert_eq!(c.databases.a.db.engine, Engine::Oracle);
    assert_eq!(c.databases.a.db.port, 1521);
    assert!(
        matches!(c.databases.a.password, PasswordSource::Secret(ref s) if s.starts_with("arn:aws:secretsmanager"))
    );
    assert_eq!(
        c.databases.b.password,
        PasswordSource::Env("PG_PASSWORD".into())
    );
    assert_eq!(c.databases.b.heartbeat.table(), "customer_orders.heartbeat");
    assert_eq!(c.refresh_every, Duration::from_secs(2));
    assert_eq!(c.timeout, Duration::from_secs(5));
    assert_ne!(
        c.databases.a.seq_start, c.databases.b.seq_start,
        "ranges kept apart by default"
    );
}

#[test]
fn a_postgres_to_postgres_door_is_valid() {
    let c = parse("valid-pg-pg.toml").unwrap();
    assert_eq!(c.databases.a.db.engine, Engine::Postgresql);
    assert_eq!(c.databases.b.db.dbname, "site_b");
    assert_eq!(c.databases.b.seq_start, 5_000_000);
    assert_eq!(c.databases.b.heartbeat.sequence(), "hb.seq_heartbeat");
    assert_eq!(c.databases.b.ssl_mode.as_deref(), Some("disable"));
    assert_eq!(c.databases.a.password, PasswordSource::None);
    assert_eq!(c.refresh_every, Duration::from_millis(500));
    assert_eq!(c.databases.b.db.side, DbSide::B);
}

#[test]
fn environment_overrides_single_keys() {
    let c = parse_with(
        "valid-pg-pg.toml",
        &[
            ("DMS_COCKPIT_TASKS_FORWARD", "other-forward"),
            ("DMS_COCKPIT_DATABASES_B_PORT", "6543"),
            ("DMS_COCKPIT_APPMAP_TABLE", "appmap2"),
            ("DMS_COCKPIT_CONFIG", "ignored-here"),
            ("UNRELATED", "x"),
        ],
    )
    .unwrap();
    assert_eq!(c.tasks.forward, "other-forward");
    assert_eq!(c.databases.b.db.port, 6543);
    assert_eq!(c.appmap_table, "appmap2");
}

#[test]
fn a_bad_environment_override_names_the_variable() {
    let e = parse_with(
        "valid-pg-pg.toml",
        &[("DMS_COCKPIT_DATABASES_A_PORT", "abc")],
    )
    .unwrap_err();
    assert!(e.contains("DMS_COCKPIT_DATABASES_A_PORT"), "{e}");
    let e = parse_with("valid-pg-pg.toml", &[("DMS_COCKPIT_TASKS_SIDEWAYS", "x")]).unwrap_err();
    assert!(
        e.contains("unknown environment override DMS_COCKPIT_TASKS_SIDEWAYS"),
        "{e}"
    );
}

#[test]
fn invalid_files_name_the_key_and_what_is_expected() {
    let cases = [
        ("invalid-unknown-key.toml", &["colour", "forward"][..]),
        (
            "invalid-missing-task.toml",
            &["tasks.backward", "identifier or ARN"][..],
        ),
        (
            "invalid-engine.toml",
            &["databases.a.engine", "oracle or postgresql"][..],
        ),
        (
            "invalid-duration.toml",
            &["refresh.every", "soon", "2s"][..],
        ),
        (
            "invalid-two-passwords.toml",
            &["password_secret", "password_env", "choose one"][..],
        ),
        (
            "invalid-heartbeat-name.toml",
            &["databases.b.heartbeat"][..],
        ),
        ("invalid-toml.toml", &["not valid TOML"][..]),
    ];
    for (file, needles) in cases {
        let e = parse(file).expect_err(file);
        assert!(e.contains(file), "{file}: message names the file: {e}");
        for needle in needles {
            assert!(e.contains(needle), "{file}: expected `{needle}` in: {e}");
        }
    }
}

#[test]
fn an_unreadable_file_is_refused_with_its_path() {
    let e = config::load(Path::new("/nonexistent/dms-cockpit.toml"))
        .unwrap_err()
        .0;
    assert!(e.contains("/nonexistent/dms-cockpit.toml"), "{e}");
    assert!(e.contains("--config"), "{e}");
}

#[test]
fn the_two_sides_must_differ() {
    let path = fixture("valid-pg-pg.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("site_b", "site_a");
    let e = config::parse(&path, &text, &BTreeMap::new()).unwrap_err().0;
    assert!(e.contains("same database"), "{e}");
}

/// Issue 8, item 10: every config error names the full key path and the
/// line; an unknown field names its table.
#[test]
fn errors_name_the_full_key_path_and_the_line() {
    let cases = [
        // A value of the wrong type: the key and its own line.
        ("invalid-port-type.toml", ":8: databases.a.port: ", "abc"),
        // An unknown field: its table and the field's table line.
        (
            "invalid-unknown-db-key.toml",
            ":14: databases.b.prot: unknown field `prot`",
            "(in table `databases.b`)",
        ),
        (
            "invalid-unknown-key.toml",
            ":4: tasks.colour: unknown field `colour`",
            "(in table `tasks`)",
        ),
        // A bad value found by validation: still the key and its line.
        (
            "invalid-engine.toml",
            ": databases.a.engine: ",
            "oracle or postgresql",
        ),
    ];
    for (file, located, detail) in cases {
        let e = parse(file).expect_err(file);
        assert!(e.contains(located), "{file}: expected `{located}` in: {e}");
        assert!(e.contains(detail), "{file}: expected `{detail}` in: {e}");
        // Always `file:line:`.
        let after = e.split(file).nth(1).unwrap_or("");
        assert!(
            after.starts_with(':')
                && after[1..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit()),
            "{file}: a line number follows the file name: {e}"
        );
    }
}
