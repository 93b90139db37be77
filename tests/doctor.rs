//! The door check against moto: a bidirectional pair created through the
//! real DMS API with every rule followed reads as clean, and a pair with
//! exactly one setting wrong is found by exactly that rule, read back by
//! the same reader `dms-cockpit doctor` uses.

#[path = "support/moto.rs"]
mod moto;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::types::{MigrationTypeValue, ReplicationEndpointTypeValue};
use dms_cockpit::backend::aws::pair_setup;
use dms_cockpit::doctor::check;
use moto::{moto_url, sdk_config, unique};
use serde_json::json;

const TABLES: &str = r#"{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"customer_orders","table-name":"%"},"rule-action":"include"}]}"#;

fn settings(source: &str, target: &str, batch: bool, ddl: bool, loopback: bool) -> String {
    json!({
        "TargetMetadata": { "BatchApplyEnabled": batch },
        "ChangeProcessingDdlHandlingPolicy": {
            "HandleSourceTableDropped": ddl, "HandleSourceTableTruncated": ddl, "HandleSourceTableAltered": ddl
        },
        "LoopbackPreventionSettings": {
            "EnableLoopbackPrevention": loopback, "SourceSchema": source, "TargetSchema": target
        }
    })
    .to_string()
}

/// What to get wrong in the pair.
#[derive(Default, Clone, Copy)]
struct Wrong {
    loopback_off: bool,
    batch_apply: bool,
    ddl_backward: bool,
    two_full_loads: bool,
    other_tables: bool,
    endpoint: bool,
}

/// Creates a pair (two PostgreSQL databases, as the tests' doors have)
/// and returns the config that names it.
async fn create(client: &Client, wrong: Wrong, dir: &Path) -> dms_cockpit::config::Config {
    let instance = client
        .create_replication_instance()
        .replication_instance_identifier(unique("doc-ri"))
        .replication_instance_class("dms.t3.micro")
        .send()
        .await
        .unwrap()
        .replication_instance
        .unwrap()
        .replication_instance_arn
        .unwrap();
    let mut ep = BTreeMap::new();
    for (name, kind, db) in [
        ("a-src", ReplicationEndpointTypeValue::Source, "site_a"),
        ("b-tgt", ReplicationEndpointTypeValue::Target, "site_b"),
        ("b-src", ReplicationEndpointTypeValue::Source, "site_b"),
        ("a-tgt", ReplicationEndpointTypeValue::Target, "site_a"),
    ] {
        let server = if wrong.endpoint && name == "a-tgt" {
            "elsewhere.example"
        } else {
            "db.example"
        };
        let arn = client
            .create_endpoint()
            .endpoint_identifier(unique(name))
            .endpoint_type(kind)
            .engine_name("postgres")
            .server_name(server)
            .port(5432)
            .database_name(db)
            .username("dms")
            .password("not-a-real-password")
            .send()
            .await
            .unwrap()
            .endpoint
            .unwrap()
            .endpoint_arn
            .unwrap();
        ep.insert(name, arn);
    }
    let forward = unique("doc-fwd");
    let backward = unique("doc-bwd");
    let other = r#"{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"customer_orders","table-name":"orders"},"rule-action":"include"}]}"#;
    for (id, kind, src, tgt, s) in [
        (
            &forward,
            MigrationTypeValue::FullLoadAndCdc,
            "a-src",
            "b-tgt",
            settings("dms_loopback", "dms_loopback", false, true, true),
        ),
        (
            &backward,
            if wrong.two_full_loads {
                MigrationTypeValue::FullLoadAndCdc
            } else {
                MigrationTypeValue::Cdc
            },
            "b-src",
            "a-tgt",
            settings(
                "dms_loopback",
                "dms_loopback",
                wrong.batch_apply,
                wrong.ddl_backward,
                !wrong.loopback_off,
            ),
        ),
    ] {
        let mappings = if wrong.other_tables && id == &backward {
            other
        } else {
            TABLES
        };
        client
            .create_replication_task()
            .replication_task_identifier(id)
            .source_endpoint_arn(&ep[src])
            .target_endpoint_arn(&ep[tgt])
            .replication_instance_arn(&instance)
            .migration_type(kind)
            .table_mappings(mappings)
            .replication_task_settings(s)
            .send()
            .await
            .unwrap();
    }
    let text = format!(
        r#"
[tasks]
forward = "{forward}"
backward = "{backward}"
[databases.a]
engine = "postgresql"
endpoint = "db.example"
dbname = "site_a"
username = "customer_orders"
[databases.b]
engine = "postgresql"
endpoint = "db.example"
dbname = "site_b"
username = "customer_orders"
"#
    );
    let path = dir.join("door.toml");
    dms_cockpit::config::parse(&path, &text, &BTreeMap::new()).unwrap()
}

#[tokio::test]
#[ignore = "needs PostgreSQL/moto/tmux: run tests/run-all.sh"]
async fn each_rule_broken_alone_in_moto_is_found_by_that_rule() {
    let sdk = sdk_config(&moto_url()).await;
    let client = Client::new(&sdk);
    let dir = tempfile::tempdir().unwrap();
    let read = |config: dms_cockpit::config::Config| {
        let sdk = sdk.clone();
        async move {
            pair_setup::read(&sdk, &config, Duration::from_secs(20))
                .await
                .unwrap()
        }
    };
    let clean = read(create(&client, Wrong::default(), dir.path()).await).await;
    assert_eq!(check(&clean), vec![], "{clean:#?}");
    let cases: [(&str, Wrong); 6] = [
        (
            "loopback-prevention",
            Wrong {
                loopback_off: true,
                ..Wrong::default()
            },
        ),
        (
            "batch-apply",
            Wrong {
                batch_apply: true,
                ..Wrong::default()
            },
        ),
        (
            "ddl-backward",
            Wrong {
                ddl_backward: true,
                ..Wrong::default()
            },
        ),
        (
            "one-full-load",
            Wrong {
                two_full_loads: true,
                ..Wrong::default()
            },
        ),
        (
            "same-tables",
            Wrong {
                other_tables: true,
                ..Wrong::default()
            },
        ),
        (
            "endpoints",
            Wrong {
                endpoint: true,
                ..Wrong::default()
            },
        ),
    ];
    for (rule, wrong) in cases {
        let pair = read(create(&client, wrong, dir.path()).await).await;
        let findings = check(&pair);
        assert!(!findings.is_empty(), "{rule}: nothing found in {pair:#?}");
        assert!(
            findings.iter().all(|f| f.rule == rule),
            "{rule}: {findings:#?}"
        );
        assert!(findings.iter().all(|f| f.task == pair.tasks.backward.id));
    }
    // Equal sequence starts in the config: the ranges would collide.
    let mut config = create(&client, Wrong::default(), dir.path()).await;
    config.databases.b.seq_start = config.databases.a.seq_start;
    let findings = check(&read(config).await);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].rule, "sequence-ranges");
}

/// The binary pointed at moto with test credentials, its files in `dir`.
fn cockpit(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_dms-cockpit"));
    c.arg("--log-file")
        .arg(dir.join("log"))
        .env("AWS_ENDPOINT_URL", moto_url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", dir)
        .env_remove("AWS_PROFILE");
    c
}

/// `init --list-tasks` lists the pair created in moto, and `init --forward
/// --backward` writes a config naming it, with each database's engine and
/// address taken from the tasks' endpoints; doctor then finds it clean.
#[tokio::test]
#[ignore = "needs PostgreSQL/moto/tmux: run tests/run-all.sh"]
async fn init_lists_the_tasks_and_writes_a_config_for_the_pair() {
    let sdk = sdk_config(&moto_url()).await;
    let client = Client::new(&sdk);
    let dir = tempfile::tempdir().unwrap();
    let made = create(&client, Wrong::default(), dir.path()).await;
    let bin = |args: &[&str]| cockpit(dir.path()).args(args).output().unwrap();
    let o = bin(&["init", "--list-tasks", "--region", "us-east-1"]);
    let listed = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The shared moto holds many tasks and returns one page of them, so
    // only the shape of the listing is checked here.
    assert!(listed.contains(" -> "), "{listed}");
    let path = dir.path().join("written.toml");
    let o = bin(&[
        "init",
        "--forward",
        &made.tasks.forward,
        "--backward",
        &made.tasks.backward,
        "--region",
        "us-east-1",
        "--path",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let config = dms_cockpit::config::load(&path).unwrap();
    assert_eq!(config.tasks, made.tasks);
    assert_eq!(config.region.as_deref(), Some("us-east-1"));
    assert_eq!(config.databases.a.db.address(), "db.example:5432/site_a");
    assert_eq!(config.databases.b.db.address(), "db.example:5432/site_b");
    let pair = pair_setup::read(&sdk, &config, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(check(&pair), vec![]);
    // Two tasks that are not a pair (the same one twice) are refused.
    let o = bin(&[
        "init",
        "--forward",
        &made.tasks.forward,
        "--backward",
        &made.tasks.forward,
        "--region",
        "us-east-1",
        "--path",
        dir.path().join("no.toml").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("are not a pair"), "{err}");
}

/// `init --choose` lists the pairs of tasks that mirror each other, the
/// task with the full load as forward, and writes the config for the
/// number typed on stdin. In a region of its own, so the shared moto's
/// other tasks are not listed; a wrong answer writes nothing.
#[tokio::test]
#[ignore = "needs PostgreSQL/moto/tmux: run tests/run-all.sh"]
async fn init_choose_offers_the_mirrored_pair_and_writes_the_one_picked() {
    use std::io::{BufRead, BufReader, Write};
    const REGION: &str = "ap-southeast-2";
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(moto_url())
        .credentials_provider(aws_sdk_databasemigration::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await;
    let client = Client::new(&sdk);
    let dir = tempfile::tempdir().unwrap();
    let made = create(&client, Wrong::default(), dir.path()).await;
    let choose = |path: &Path| {
        cockpit(dir.path())
            .args(["init", "--choose", "--region", REGION, "--path"])
            .arg(path)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Find our pair's number in the listing (earlier runs against the same
    // moto may have left pairs in this region), then answer with it.
    let path = dir.path().join("chosen.toml");
    let mut child = choose(&path);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut number = None;
    let mut listing = String::new();
    while number.is_none() {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "no pair offered:\n{listing}"
        );
        listing.push_str(&line);
        let forward_line = line.contains(") forward ") && line.contains(&made.tasks.forward);
        if forward_line {
            let mut next = String::new();
            out.read_line(&mut next).unwrap();
            listing.push_str(&next);
            if next.contains(&format!("backward {}", made.tasks.backward)) {
                number = line.trim().split(')').next().map(str::to_string);
            }
        }
    }
    let number = number.unwrap();
    writeln!(child.stdin.take().unwrap(), "{number}").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{listing}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let config = dms_cockpit::config::load(&path).unwrap();
    assert_eq!(
        config.tasks, made.tasks,
        "the forward task is the full-load one"
    );

    let wrong = dir.path().join("wrong.toml");
    let mut child = choose(&wrong);
    writeln!(child.stdin.take().unwrap(), "0").unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("`0` is not one of the pairs"), "{err}");
    assert!(!wrong.exists(), "nothing written on a wrong answer");
}
