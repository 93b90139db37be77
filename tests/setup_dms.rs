//! `setup dms`: the pure plan (what the two tasks must look like for a safe
//! two-way door), the dry-run printout, the config rewrite, and — against a
//! moto server with the real AWS SDK — find-or-create and idempotence.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::types::{Filter, ReplicationEndpointTypeValue};
use dms_cockpit::backend::aws::dms_admin::DmsAdmin;
use dms_cockpit::backend::heartbeat_sql::Password;
use dms_cockpit::backend::{DatabaseRef, DbSide, Engine, PerDb, PerTask};
use dms_cockpit::setup::dms::{
    DmsSpec, EndpointSpec, Outcome, PlannedRequest, SetupReport, apply, discover, dry_run_json,
    plan, validate, write_task_arns,
};

/// What `setup dms` does: discover (read-only), then create what is
/// missing, or refuse with every conflict.
async fn run(client: &Client, spec: &DmsSpec) -> Result<SetupReport, String> {
    let admin = DmsAdmin::new(
        client.clone(),
        "test DMS".into(),
        std::time::Duration::from_secs(10),
    );
    let discovery = discover(&admin, spec).await.map_err(|e| e.to_string())?;
    apply(&admin, spec, &discovery).await
}
use serde_json::Value;

const SECRET_A: &str = "oracle-Secr3t!pw";
const SECRET_B: &str = "pg-Secr3t!pw";

fn spec(instance: &str) -> DmsSpec {
    DmsSpec {
        replication_instance: instance.to_string(),
        instance_class: "dms.t3.medium".into(),
        allocated_storage: 50,
        schemas: vec!["customer_orders".into(), "billing".into()],
        loopback_schema: "dms_loopback".into(),
        endpoints: Default::default(),
        custom_mappings: None,
        custom_settings: None,
        logging: Default::default(),
        tasks: PerTask {
            forward: format!("{instance}-ora2pg"),
            backward: format!("{instance}-pg2ora"),
        },
        databases: PerDb {
            a: EndpointSpec {
                db: DatabaseRef {
                    side: DbSide::A,
                    engine: Engine::Oracle,
                    endpoint: "ora.example.internal".into(),
                    port: 1521,
                    dbname: "ORCL".into(),
                    username: "dms_user".into(),
                },
                password: Some(Password::new(SECRET_A)),
                secret: None,
            },
            b: EndpointSpec {
                db: DatabaseRef {
                    side: DbSide::B,
                    engine: Engine::Postgresql,
                    endpoint: "pg.example.internal".into(),
                    port: 5432,
                    dbname: "appdb".into(),
                    username: "dms_user".into(),
                },
                password: Some(Password::new(SECRET_B)),
                secret: None,
            },
        },
    }
}

fn find<'a>(plan: &'a [PlannedRequest], identifier: &str) -> &'a PlannedRequest {
    plan.iter()
        .find(|r| r.identifier == identifier)
        .unwrap_or_else(|| panic!("no request for {identifier} in {plan:#?}"))
}

/// The API takes TableMappings and ReplicationTaskSettings as JSON text.
fn embedded(body: &Value, field: &str) -> Value {
    let text = body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string: {body}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{field} is not JSON ({e}): {text}"))
}

#[test]
fn plan_has_instance_four_endpoints_and_two_tasks_in_dependency_order() {
    let plan = plan(&spec("dmsc"));
    let actions: Vec<&str> = plan.iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        [
            "CreateReplicationInstance",
            "CreateEndpoint",
            "CreateEndpoint",
            "CreateEndpoint",
            "CreateEndpoint",
            "CreateReplicationTask",
            "CreateReplicationTask",
        ]
    );
    let instance = &plan[0].body;
    assert_eq!(instance["ReplicationInstanceIdentifier"], "dmsc");
    assert_eq!(instance["ReplicationInstanceClass"], "dms.t3.medium");
    assert_eq!(instance["AllocatedStorage"], 50);
    assert_eq!(instance["PubliclyAccessible"], false);

    let expected = [
        (
            "dmsc-a-source",
            "source",
            "oracle",
            "ora.example.internal",
            1521,
            "ORCL",
        ),
        (
            "dmsc-a-target",
            "target",
            "oracle",
            "ora.example.internal",
            1521,
            "ORCL",
        ),
        (
            "dmsc-b-source",
            "source",
            "postgres",
            "pg.example.internal",
            5432,
            "appdb",
        ),
        (
            "dmsc-b-target",
            "target",
            "postgres",
            "pg.example.internal",
            5432,
            "appdb",
        ),
    ];
    for (id, kind, engine, host, port, db) in expected {
        let body = &find(&plan, id).body;
        assert_eq!(body["EndpointIdentifier"], id);
        assert_eq!(body["EndpointType"], kind, "{id}");
        assert_eq!(body["EngineName"], engine, "{id}");
        assert_eq!(body["ServerName"], host, "{id}");
        assert_eq!(body["Port"], port, "{id}");
        assert_eq!(body["DatabaseName"], db, "{id}");
        assert_eq!(body["Username"], "dms_user", "{id}");
        assert_eq!(body["Password"], "***", "{id}");
    }
}

#[test]
fn forward_is_the_only_full_load_and_tasks_are_wired_crosswise() {
    let plan = plan(&spec("dmsc"));
    let forward = &find(&plan, "dmsc-ora2pg").body;
    let backward = &find(&plan, "dmsc-pg2ora").body;
    assert_eq!(forward["MigrationType"], "full-load-and-cdc");
    assert_eq!(backward["MigrationType"], "cdc");
    let full_loads = plan
        .iter()
        .filter(|r| r.body["MigrationType"] == "full-load-and-cdc")
        .count();
    assert_eq!(
        full_loads, 1,
        "at most one of the pair may be full-load-and-cdc"
    );

    assert!(
        forward["SourceEndpointArn"]
            .as_str()
            .unwrap()
            .contains("dmsc-a-source")
    );
    assert!(
        forward["TargetEndpointArn"]
            .as_str()
            .unwrap()
            .contains("dmsc-b-target")
    );
    assert!(
        backward["SourceEndpointArn"]
            .as_str()
            .unwrap()
            .contains("dmsc-b-source")
    );
    assert!(
        backward["TargetEndpointArn"]
            .as_str()
            .unwrap()
            .contains("dmsc-a-target")
    );
    for task in [forward, backward] {
        assert!(
            task["ReplicationInstanceArn"]
                .as_str()
                .unwrap()
                .contains("dmsc")
        );
    }
}

#[test]
fn loopback_prevention_is_on_in_both_tasks_with_mirrored_schemas() {
    let plan = plan(&spec("dmsc"));
    let forward = embedded(&find(&plan, "dmsc-ora2pg").body, "ReplicationTaskSettings");
    let backward = embedded(&find(&plan, "dmsc-pg2ora").body, "ReplicationTaskSettings");

    let f = &forward["LoopbackPreventionSettings"];
    let b = &backward["LoopbackPreventionSettings"];
    assert_eq!(f["EnableLoopbackPrevention"], true);
    assert_eq!(b["EnableLoopbackPrevention"], true);
    // a is Oracle: upper-cased there; b is PostgreSQL: as configured.
    assert_eq!(f["SourceSchema"], "DMS_LOOPBACK");
    assert_eq!(f["TargetSchema"], "dms_loopback");
    assert_eq!(b["SourceSchema"], f["TargetSchema"]);
    assert_eq!(b["TargetSchema"], f["SourceSchema"]);

    for settings in [&forward, &backward] {
        assert_eq!(settings["TargetMetadata"]["BatchApplyEnabled"], false);
    }
    // Only DML is loop-protected: DDL is dropped in the backward task.
    let ddl = &backward["ChangeProcessingDdlHandlingPolicy"];
    for key in [
        "HandleSourceTableDropped",
        "HandleSourceTableTruncated",
        "HandleSourceTableAltered",
    ] {
        assert_eq!(ddl[key], false, "backward {key}");
        assert_eq!(
            forward["ChangeProcessingDdlHandlingPolicy"][key], true,
            "forward {key}"
        );
    }
}

#[test]
fn oracle_side_of_the_loopback_follows_the_engine_not_the_side() {
    // Swapped engines: a is PostgreSQL, b is Oracle.
    let mut s = spec("dmsc");
    s.databases.a.db.engine = Engine::Postgresql;
    s.databases.b.db.engine = Engine::Oracle;
    let plan = plan(&s);
    let forward = embedded(&find(&plan, "dmsc-ora2pg").body, "ReplicationTaskSettings");
    assert_eq!(
        forward["LoopbackPreventionSettings"]["SourceSchema"],
        "dms_loopback"
    );
    assert_eq!(
        forward["LoopbackPreventionSettings"]["TargetSchema"],
        "DMS_LOOPBACK"
    );
    assert_eq!(find(&plan, "dmsc-a-source").body["EngineName"], "postgres");
}

#[test]
fn table_mappings_select_every_schema_and_convert_case_between_engines() {
    let plan = plan(&spec("dmsc"));
    for (task, source_names, case_action) in [
        (
            "dmsc-ora2pg",
            ["CUSTOMER_ORDERS", "BILLING"],
            "convert-lowercase",
        ),
        (
            "dmsc-pg2ora",
            ["customer_orders", "billing"],
            "convert-uppercase",
        ),
    ] {
        let mappings = embedded(&find(&plan, task).body, "TableMappings");
        let rules = mappings["rules"].as_array().expect("rules array");
        let selected: Vec<&Value> = rules
            .iter()
            .filter(|r| r["rule-type"] == "selection")
            .collect();
        assert_eq!(selected.len(), 2, "{task}: one selection rule per schema");
        for (rule, name) in selected.iter().zip(source_names) {
            assert_eq!(rule["object-locator"]["schema-name"], name, "{task}");
            assert_eq!(rule["object-locator"]["table-name"], "%", "{task}");
            assert_eq!(rule["rule-action"], "include", "{task}");
        }
        let transforms: Vec<&Value> = rules
            .iter()
            .filter(|r| r["rule-type"] == "transformation")
            .collect();
        assert_eq!(
            transforms.len(),
            6,
            "{task}: schema, table and column per schema"
        );
        assert!(
            transforms.iter().all(|r| r["rule-action"] == case_action),
            "{task}"
        );
        let mut ids: Vec<&str> = rules
            .iter()
            .map(|r| r["rule-id"].as_str().unwrap())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), rules.len(), "{task}: rule ids are unique");
    }
}

#[test]
fn same_engine_on_both_sides_needs_no_case_conversion() {
    let mut s = spec("dmsc");
    s.databases.a.db.engine = Engine::Postgresql;
    let plan = plan(&s);
    let mappings = embedded(&find(&plan, "dmsc-ora2pg").body, "TableMappings");
    assert!(
        mappings["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["rule-type"] == "selection")
    );
}

#[test]
fn dry_run_masks_passwords_and_is_an_array_of_requests() {
    let text = dry_run_json(&spec("dmsc"));
    assert!(!text.contains(SECRET_A), "password of a leaked: {text}");
    assert!(!text.contains(SECRET_B), "password of b leaked: {text}");
    let parsed: Value = serde_json::from_str(&text).expect("dry run is JSON");
    let requests = parsed.as_array().expect("an array");
    assert_eq!(requests.len(), 7);
    for r in requests {
        assert!(r["action"].is_string() && r["identifier"].is_string() && r["body"].is_object());
    }
    let masked = requests
        .iter()
        .filter(|r| r["body"]["Password"] == "***")
        .count();
    assert_eq!(masked, 4);
    // The JSON the task fields carry is shown as JSON, not as escaped text.
    let backward = &requests[6]["body"];
    assert_eq!(
        backward["ReplicationTaskSettings"]["LoopbackPreventionSettings"]["SourceSchema"],
        "dms_loopback"
    );
    assert_eq!(
        backward["TableMappings"]["rules"][0]["rule-type"],
        "selection"
    );
    // Debug output of the spec does not leak either.
    let debug = format!("{:?}", spec("dmsc"));
    assert!(
        !debug.contains(SECRET_A) && !debug.contains(SECRET_B),
        "{debug}"
    );
}

#[test]
fn no_password_means_no_password_field_in_the_plan() {
    let mut s = spec("dmsc");
    s.databases.b.password = None;
    let plan = plan(&s);
    assert!(find(&plan, "dmsc-b-source").body.get("Password").is_none());
    assert_eq!(find(&plan, "dmsc-a-source").body["Password"], "***");
}

/// A change that makes a spec invalid.
type Breaker = fn(&mut DmsSpec);

#[test]
fn validate_names_the_bad_setting() {
    assert_eq!(validate(&spec("dmsc")), Ok(()));
    let cases: Vec<(Breaker, &str)> = vec![
        (
            |s: &mut DmsSpec| s.replication_instance = "1abc".into(),
            "replication instance `1abc`",
        ),
        (
            |s: &mut DmsSpec| s.replication_instance = "a--b".into(),
            "replication instance `a--b`",
        ),
        (
            |s: &mut DmsSpec| s.tasks.backward = s.tasks.forward.clone(),
            "different identifiers",
        ),
        (
            |s: &mut DmsSpec| s.tasks.forward = "ora_2_pg".into(),
            "forward task identifier `ora_2_pg`",
        ),
        (|s: &mut DmsSpec| s.schemas.clear(), "no schemas"),
        (|s: &mut DmsSpec| s.schemas = vec!["%".into()], "schema `%`"),
        (
            |s: &mut DmsSpec| s.allocated_storage = 0,
            "allocated storage 0",
        ),
        (
            |s: &mut DmsSpec| s.instance_class = "t3.medium".into(),
            "dms.t3.medium",
        ),
        (
            |s: &mut DmsSpec| s.databases.b.db.port = 0,
            "database b has port 0",
        ),
    ];
    for (break_it, expected) in cases {
        let mut s = spec("dmsc");
        break_it(&mut s);
        let err = validate(&s).expect_err(expected);
        assert!(
            err.contains(expected),
            "`{err}` should mention `{expected}`"
        );
    }
}

#[test]
fn write_task_arns_keeps_comments_and_other_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dms-cockpit.toml");
    let original = r#"# dms-cockpit configuration
region = "eu-west-1" # where DMS runs

[tasks]
# the two DMS tasks
forward = "old-forward" # set by setup
backward = "old-backward"
timeout_secs = 10

[databases.a]
engine = "oracle" # the old one
"#;
    std::fs::write(&path, original).unwrap();
    let arns = PerTask {
        forward: "arn:aws:dms:eu-west-1:123:task:FWD".to_string(),
        backward: "arn:aws:dms:eu-west-1:123:task:BWD".to_string(),
    };
    write_task_arns(&path, &arns).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let expected = original
        .replace("\"old-forward\"", "\"arn:aws:dms:eu-west-1:123:task:FWD\"")
        .replace("\"old-backward\"", "\"arn:aws:dms:eu-west-1:123:task:BWD\"");
    assert_eq!(written, expected);
}

#[test]
fn write_task_arns_adds_the_tasks_table_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "# keep me\nregion = \"us-east-1\"\n").unwrap();
    let arns = PerTask {
        forward: "arn:f".to_string(),
        backward: "arn:b".to_string(),
    };
    write_task_arns(&path, &arns).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.starts_with("# keep me\nregion = \"us-east-1\"\n"),
        "{written}"
    );
    let parsed: toml::Table = written.parse().unwrap();
    assert_eq!(parsed["tasks"]["forward"].as_str(), Some("arn:f"));
    assert_eq!(parsed["tasks"]["backward"].as_str(), Some("arn:b"));
}

#[test]
fn write_task_arns_refuses_broken_files_and_leaves_them_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    let arns = PerTask {
        forward: "arn:f".to_string(),
        backward: "arn:b".to_string(),
    };
    std::fs::write(&path, "tasks = \"not a table\"\n").unwrap();
    let err = write_task_arns(&path, &arns).unwrap_err();
    assert!(err.contains("`tasks` must be a table"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "tasks = \"not a table\"\n"
    );

    std::fs::write(&path, "[tasks\n").unwrap();
    let err = write_task_arns(&path, &arns).unwrap_err();
    assert!(err.contains("not valid TOML"), "{err}");

    let missing = dir.path().join("missing.toml");
    let err = write_task_arns(&missing, &arns).unwrap_err();
    assert!(err.contains("cannot read config file"), "{err}");
}

// ---- AWS's own answers, through aws-smithy-mocks --------------------------
// moto answers a describe that matches nothing with an empty list; AWS with
// ResourceNotFoundFault. These pin down the AWS behaviour and error paths.

mod aws_mocked {
    use super::*;
    use aws_sdk_databasemigration::error::ErrorMetadata;
    use aws_sdk_databasemigration::operation::create_endpoint::{
        CreateEndpointError, CreateEndpointOutput,
    };
    use aws_sdk_databasemigration::operation::create_replication_instance::CreateReplicationInstanceOutput;
    use aws_sdk_databasemigration::operation::create_replication_task::CreateReplicationTaskOutput;
    use aws_sdk_databasemigration::operation::describe_endpoints::DescribeEndpointsError;
    use aws_sdk_databasemigration::operation::describe_replication_instances::{
        DescribeReplicationInstancesError, DescribeReplicationInstancesOutput,
    };
    use aws_sdk_databasemigration::operation::describe_replication_tasks::DescribeReplicationTasksError;
    use aws_sdk_databasemigration::types::error::{AccessDeniedFault, ResourceNotFoundFault};
    use aws_sdk_databasemigration::types::{
        Endpoint, MigrationTypeValue, ReplicationInstance, ReplicationTask,
    };
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    fn not_found() -> ResourceNotFoundFault {
        ResourceNotFoundFault::builder()
            .message("not found")
            .meta(
                ErrorMetadata::builder()
                    .code("ResourceNotFoundFault")
                    .message("not found")
                    .build(),
            )
            .build()
    }

    fn arn(kind: &str, id: &str) -> String {
        format!("arn:aws:dms:us-east-1:123456789012:{kind}:{id}")
    }

    fn absent_everywhere() -> Vec<Rule> {
        vec![
            // Absent when discovered, available once created.
            mock!(Client::describe_replication_instances)
                .sequence()
                .error(|| DescribeReplicationInstancesError::ResourceNotFoundFault(not_found()))
                .output(|| {
                    DescribeReplicationInstancesOutput::builder()
                        .replication_instances(
                            ReplicationInstance::builder()
                                .replication_instance_identifier("dmsc")
                                .replication_instance_arn(arn("rep", "dmsc"))
                                .replication_instance_status("available")
                                .build(),
                        )
                        .build()
                })
                .repeatedly()
                .build(),
            mock!(Client::describe_endpoints)
                .then_error(|| DescribeEndpointsError::ResourceNotFoundFault(not_found())),
            mock!(Client::describe_replication_tasks)
                .then_error(|| DescribeReplicationTasksError::ResourceNotFoundFault(not_found())),
            mock!(Client::create_replication_instance).then_compute_output(|req| {
                let id = req.replication_instance_identifier().unwrap_or_default();
                CreateReplicationInstanceOutput::builder()
                    .replication_instance(
                        ReplicationInstance::builder()
                            .replication_instance_arn(arn("rep", id))
                            .build(),
                    )
                    .build()
            }),
        ]
    }

    #[tokio::test]
    async fn not_found_faults_count_as_absent_and_the_tasks_get_the_created_arns() {
        let spec = spec("dmsc");
        // Each endpoint must be sent the real password of its database.
        let endpoints = mock!(Client::create_endpoint)
            .match_requests(|req| {
                let id = req.endpoint_identifier().unwrap_or_default();
                let expected = if id.starts_with("dmsc-a-") {
                    SECRET_A
                } else {
                    SECRET_B
                };
                req.password() == Some(expected)
            })
            .then_compute_output(|req| {
                let id = req.endpoint_identifier().unwrap_or_default();
                CreateEndpointOutput::builder()
                    .endpoint(
                        Endpoint::builder()
                            .endpoint_arn(arn("endpoint", id))
                            .build(),
                    )
                    .build()
            });
        let wired =
            |id: &'static str, src: &'static str, dst: &'static str, kind: MigrationTypeValue| {
                mock!(Client::create_replication_task)
                    .match_requests(move |req| {
                        req.replication_task_identifier() == Some(id)
                            && req.replication_instance_arn() == Some(arn("rep", "dmsc").as_str())
                            && req.source_endpoint_arn() == Some(arn("endpoint", src).as_str())
                            && req.target_endpoint_arn() == Some(arn("endpoint", dst).as_str())
                            && req.migration_type() == Some(&kind)
                    })
                    .then_compute_output(|req| {
                        let id = req.replication_task_identifier().unwrap_or_default();
                        CreateReplicationTaskOutput::builder()
                            .replication_task(
                                ReplicationTask::builder()
                                    .replication_task_arn(arn("task", id))
                                    .build(),
                            )
                            .build()
                    })
            };
        let forward = wired(
            "dmsc-ora2pg",
            "dmsc-a-source",
            "dmsc-b-target",
            MigrationTypeValue::FullLoadAndCdc,
        );
        let backward = wired(
            "dmsc-pg2ora",
            "dmsc-b-source",
            "dmsc-a-target",
            MigrationTypeValue::Cdc,
        );
        let mut rules = absent_everywhere();
        rules.extend([endpoints.clone(), forward.clone(), backward.clone()]);
        let client = mock_client!(aws_sdk_databasemigration, RuleMode::MatchAny, &rules);

        let report = run(&client, &spec).await.expect("apply");
        assert!(
            report
                .resources
                .iter()
                .all(|r| r.outcome == Outcome::Created)
        );
        assert_eq!(endpoints.num_calls(), 4);
        assert_eq!(forward.num_calls(), 1);
        assert_eq!(backward.num_calls(), 1);
        assert_eq!(report.tasks.forward, arn("task", "dmsc-ora2pg"));
        assert_eq!(report.tasks.backward, arn("task", "dmsc-pg2ora"));
    }

    #[tokio::test]
    async fn access_denied_names_the_resource_the_message_and_the_permission() {
        let denied = mock!(Client::create_endpoint).then_error(|| {
            let msg = "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: dms:CreateEndpoint";
            CreateEndpointError::AccessDeniedFault(
                AccessDeniedFault::builder()
                    .message(msg)
                    .meta(ErrorMetadata::builder().code("AccessDeniedFault").message(msg).build())
                    .build(),
            )
        });
        let mut rules = absent_everywhere();
        rules.push(denied.clone());
        let client = mock_client!(aws_sdk_databasemigration, RuleMode::MatchAny, &rules);

        let err = run(&client, &spec("dmsc")).await.expect_err("denied");
        assert!(
            err.contains("dms:CreateEndpoint on endpoint dmsc-a-source"),
            "{err}"
        );
        assert!(
            err.contains(
                "AccessDeniedFault: User: arn:aws:iam::123456789012:user/ops is not authorized"
            ),
            "{err}"
        );
        assert!(
            err.contains("the IAM permission `dms:CreateEndpoint`"),
            "{err}"
        );
        assert!(
            err.contains("This run already created: replication instance dmsc"),
            "{err}"
        );
        assert!(!err.contains(SECRET_A), "{err}");
        assert_eq!(denied.num_calls(), 1, "stops at the first failure");
    }
}

// ---- against moto ----------------------------------------------------------

#[path = "support/moto.rs"]
mod moto;

async fn moto_client() -> Client {
    Client::new(&moto::sdk_config(&moto::moto_url()).await)
}

/// [`spec`] with database hosts of its own: moto is shared by every test,
/// and setup adopts an endpoint that reaches the same database as the same
/// user, so two tests must not plan the same databases.
fn moto_spec(instance: &str) -> DmsSpec {
    let mut s = spec(instance);
    s.databases.a.db.endpoint = format!("ora-{instance}.example.internal");
    s.databases.b.db.endpoint = format!("pg-{instance}.example.internal");
    s
}

/// A fresh identifier per test: moto is shared by tests running in parallel.
fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}{}x{nanos}", std::process::id())
}

async fn endpoints_named(client: &Client, prefix: &str) -> Vec<String> {
    let out = client
        .describe_endpoints()
        .send()
        .await
        .expect("describe endpoints");
    out.endpoints()
        .iter()
        .filter_map(|e| e.endpoint_identifier())
        .filter(|id| id.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

async fn tasks_on(
    client: &Client,
    instance_arn: &str,
) -> Vec<aws_sdk_databasemigration::types::ReplicationTask> {
    let out = client
        .describe_replication_tasks()
        .filters(
            Filter::builder()
                .name("replication-instance-arn")
                .values(instance_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("describe tasks");
    out.replication_tasks().to_vec()
}

#[tokio::test]
#[ignore = "needs a moto server, run tests/run-all.sh"]
async fn apply_creates_everything_then_finds_everything() {
    let client = moto_client().await;
    let instance = unique("setup");
    let spec = moto_spec(&instance);

    let first = run(&client, &spec).await.expect("first apply");
    assert_eq!(first.resources.len(), 7);
    assert!(
        first
            .resources
            .iter()
            .all(|r| r.outcome == Outcome::Created),
        "{:#?}",
        first.resources
    );
    assert_eq!(first.lines.len(), 7);
    assert!(first.lines.iter().all(|l| l.starts_with("created")));
    assert!(!first.lines.concat().contains(SECRET_A));

    let instance_arn = first.resources[0].arn.clone();
    let tasks = tasks_on(&client, &instance_arn).await;
    assert_eq!(tasks.len(), 2);
    let by_id = |id: &str| {
        tasks
            .iter()
            .find(|t| t.replication_task_identifier() == Some(id))
            .unwrap_or_else(|| panic!("task {id} not in moto"))
    };
    let forward = by_id(&spec.tasks.forward);
    let backward = by_id(&spec.tasks.backward);
    assert_eq!(
        forward.replication_task_arn(),
        Some(first.tasks.forward.as_str())
    );
    assert_eq!(
        backward.replication_task_arn(),
        Some(first.tasks.backward.as_str())
    );
    assert_eq!(
        forward.migration_type().map(|m| m.as_str()),
        Some("full-load-and-cdc")
    );
    assert_eq!(backward.migration_type().map(|m| m.as_str()), Some("cdc"));
    let endpoint_arn = |id: String| {
        first
            .resources
            .iter()
            .find(|r| r.identifier == id)
            .map(|r| r.arn.clone())
            .unwrap()
    };
    assert_eq!(
        forward.source_endpoint_arn().map(str::to_string),
        Some(endpoint_arn(format!("{instance}-a-source")))
    );
    assert_eq!(
        backward.target_endpoint_arn().map(str::to_string),
        Some(endpoint_arn(format!("{instance}-a-target")))
    );
    for task in [forward, backward] {
        let settings: Value =
            serde_json::from_str(task.replication_task_settings().unwrap()).unwrap();
        assert_eq!(
            settings["LoopbackPreventionSettings"]["EnableLoopbackPrevention"],
            true
        );
    }

    let endpoints = endpoints_named(&client, &instance).await;
    assert_eq!(endpoints.len(), 4, "{endpoints:?}");

    let second = run(&client, &spec).await.expect("second apply");
    assert!(
        second
            .resources
            .iter()
            .all(|r| r.outcome == Outcome::Existed),
        "{:#?}",
        second.resources
    );
    assert!(second.lines.iter().all(|l| l.starts_with("existed")));
    assert_eq!(second.tasks, first.tasks);
    let arns = |r: &dms_cockpit::setup::dms::SetupReport| -> Vec<String> {
        r.resources.iter().map(|x| x.arn.clone()).collect()
    };
    assert_eq!(arns(&second), arns(&first));
    assert_eq!(tasks_on(&client, &instance_arn).await.len(), 2);
    assert_eq!(endpoints_named(&client, &instance).await.len(), 4);
}

#[tokio::test]
#[ignore = "needs a moto server, run tests/run-all.sh"]
async fn existing_endpoint_that_differs_stops_the_run_before_anything_is_created() {
    let client = moto_client().await;
    let instance = unique("clash");
    let spec = moto_spec(&instance);
    // Someone else's endpoint under the identifier setup would use.
    client
        .create_endpoint()
        .endpoint_identifier(format!("{instance}-b-target"))
        .endpoint_type(ReplicationEndpointTypeValue::Target)
        .engine_name("mysql")
        .server_name("other.example")
        .port(3306)
        .database_name("other")
        .username("u")
        .password("p")
        .send()
        .await
        .expect("create clashing endpoint");

    let err = run(&client, &spec)
        .await
        .expect_err("must refuse the clash");
    // Every difference is listed, and nothing at all was created.
    for diff in [
        "EngineName: has mysql, planned postgres",
        "DatabaseName: has other, planned appdb",
        "Port: has 3306, planned 5432",
        "Username: has u, planned dms_user",
    ] {
        assert!(
            err.contains(&format!(
                "endpoint {instance}-b-target (target of database b): {diff}"
            )),
            "{diff}: {err}"
        );
    }
    assert!(err.contains("so it created nothing"), "{err}");
    assert_eq!(
        endpoints_named(&client, &instance).await.len(),
        1,
        "only the clashing one"
    );
    let instances = client
        .describe_replication_instances()
        .send()
        .await
        .unwrap();
    assert!(
        !instances
            .replication_instances()
            .iter()
            .any(|i| i.replication_instance_identifier() == Some(instance.as_str())),
        "no instance may be created before the plan is known"
    );
    let created = client
        .describe_replication_tasks()
        .filters(
            Filter::builder()
                .name("replication-task-id")
                .values(&spec.tasks.forward)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    let count = created.map(|o| o.replication_tasks().len()).unwrap_or(0);
    assert_eq!(count, 0, "no task may be created on a wrong endpoint");
}

#[tokio::test]
#[ignore = "needs a moto server, run tests/run-all.sh"]
async fn missing_password_is_reported_for_the_endpoint_that_needs_it() {
    let client = moto_client().await;
    let instance = unique("nopw");
    let mut spec = moto_spec(&instance);
    spec.databases.b.password = None;
    let err = run(&client, &spec)
        .await
        .expect_err("cannot create b's endpoints");
    assert!(
        err.contains(&format!("endpoint {instance}-b-source does not exist")),
        "{err}"
    );
    assert!(
        err.contains("set databases.b.dms_password_env or dms_password_secret"),
        "{err}"
    );
    assert!(!err.contains(SECRET_A), "{err}");
}

/// Makes the door the way the original scripts did, under their own names:
/// an instance, four endpoints and two tasks, with `settings` per task
/// (forward, backward). Returns the instance identifier and the task ARNs.
async fn original_door(
    client: &Client,
    spec: &DmsSpec,
    prefix: &str,
    settings: [String; 2],
) -> (String, Vec<String>) {
    let instance = format!("{prefix}-instance");
    let instance_arn = client
        .create_replication_instance()
        .replication_instance_identifier(&instance)
        .replication_instance_class("dms.t3.medium")
        .allocated_storage(50)
        .send()
        .await
        .unwrap()
        .replication_instance()
        .unwrap()
        .replication_instance_arn()
        .unwrap()
        .to_string();
    let mut arns = std::collections::BTreeMap::new();
    for (side, db) in [("a", &spec.databases.a), ("b", &spec.databases.b)] {
        for (kind, t) in [
            ("source", ReplicationEndpointTypeValue::Source),
            ("target", ReplicationEndpointTypeValue::Target),
        ] {
            let id = format!("{prefix}-{}-{kind}", db.db.engine);
            let arn = client
                .create_endpoint()
                .endpoint_identifier(&id)
                .endpoint_type(t)
                .engine_name(if db.db.engine == Engine::Oracle {
                    "oracle"
                } else {
                    "postgres"
                })
                .server_name(&db.db.endpoint)
                .port(i32::from(db.db.port))
                .database_name(&db.db.dbname)
                .username(&db.db.username)
                .password("original")
                .send()
                .await
                .unwrap()
                .endpoint()
                .unwrap()
                .endpoint_arn()
                .unwrap()
                .to_string();
            arns.insert(format!("{side}-{kind}"), arn);
        }
    }
    let plan = plan(spec);
    let mut task_arns = Vec::new();
    for (i, (name, from, to)) in [
        ("ora2pg", "a-source", "b-target"),
        ("pg2ora", "b-source", "a-target"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = &plan[5 + i].body;
        let arn = client
            .create_replication_task()
            .replication_task_identifier(format!("{prefix}-{name}"))
            .replication_instance_arn(&instance_arn)
            .source_endpoint_arn(&arns[from])
            .target_endpoint_arn(&arns[to])
            .migration_type(aws_sdk_databasemigration::types::MigrationTypeValue::from(
                body["MigrationType"].as_str().unwrap(),
            ))
            .table_mappings(body["TableMappings"].as_str().unwrap())
            .replication_task_settings(&settings[i])
            .send()
            .await
            .unwrap()
            .replication_task()
            .unwrap()
            .replication_task_arn()
            .unwrap()
            .to_string();
        task_arns.push(arn);
    }
    (instance, task_arns)
}

/// Instances, endpoints and tasks in moto whose identifier starts with
/// `prefix` (moto is shared with tests running in parallel).
async fn moto_counts(client: &Client, prefix: &str) -> (usize, usize, usize) {
    let ours = |id: Option<&str>| id.is_some_and(|id| id.starts_with(prefix));
    let i = client
        .describe_replication_instances()
        .send()
        .await
        .unwrap();
    let e = client.describe_endpoints().send().await.unwrap();
    // Filtered: moto answers at most 100 tasks, and moto is shared.
    let ids = ["ora2pg", "pg2ora"]
        .iter()
        .flat_map(|t| [format!("{prefix}-{t}"), format!("{prefix}-old-{t}")])
        .collect::<Vec<_>>();
    let t = client
        .describe_replication_tasks()
        .filters(
            Filter::builder()
                .name("replication-task-id")
                .set_values(Some(ids))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (
        i.replication_instances()
            .iter()
            .filter(|x| ours(x.replication_instance_identifier()))
            .count(),
        e.endpoints()
            .iter()
            .filter(|x| ours(x.endpoint_identifier()))
            .count(),
        t.replication_tasks()
            .iter()
            .filter(|x| ours(x.replication_task_identifier()))
            .count(),
    )
}

#[tokio::test]
#[ignore = "needs a moto server, run tests/run-all.sh"]
async fn the_original_scripts_door_is_adopted_and_nothing_is_added() {
    let client = moto_client().await;
    let id = unique("orig");
    let mut spec = moto_spec(&id);
    let planned = plan(&spec);
    let settings = [5, 6].map(|i| {
        planned[i].body["ReplicationTaskSettings"]
            .as_str()
            .unwrap()
            .to_string()
    });
    let old = format!("{id}-old");
    let (instance, task_arns) = original_door(&client, &spec, &old, settings).await;
    // The config names the instance; endpoints and tasks are found.
    spec.replication_instance = instance.clone();
    let before = moto_counts(&client, &id).await;

    for round in 0..2 {
        let report = run(&client, &spec)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(
            moto_counts(&client, &id).await,
            before,
            "round {round}: nothing added"
        );
        assert!(
            report
                .resources
                .iter()
                .all(|r| r.outcome != Outcome::Created),
            "{:#?}",
            report.resources
        );
        let adopted: Vec<&str> = report
            .resources
            .iter()
            .filter(|r| r.outcome == Outcome::Adopted)
            .map(|r| r.identifier.as_str())
            .collect();
        assert_eq!(adopted.len(), 6, "four endpoints, two tasks: {adopted:?}");
        assert!(adopted.contains(&format!("{old}-oracle-source").as_str()));
        assert!(adopted.contains(&format!("{old}-pg2ora").as_str()));
        assert_eq!(report.tasks.forward, task_arns[0]);
        assert_eq!(report.tasks.backward, task_arns[1]);
        assert!(report.lines.iter().any(|l| l.starts_with("adopted ")));
    }
}

#[tokio::test]
#[ignore = "needs a moto server, run tests/run-all.sh"]
async fn an_original_task_with_the_wrong_loopback_schema_is_refused_and_nothing_is_created() {
    let client = moto_client().await;
    let id = unique("origbad");
    let mut spec = moto_spec(&id);
    let planned = plan(&spec);
    let good = planned[5].body["ReplicationTaskSettings"]
        .as_str()
        .unwrap()
        .to_string();
    // The original named the first replicated schema in the settings.
    let mut bad: Value =
        serde_json::from_str(planned[6].body["ReplicationTaskSettings"].as_str().unwrap()).unwrap();
    bad["LoopbackPreventionSettings"]["SourceSchema"] = "customer_orders".into();
    bad["LoopbackPreventionSettings"]["TargetSchema"] = "CUSTOMER_ORDERS".into();
    let old = format!("{id}-old");
    let (_, _) = original_door(&client, &spec, &old, [good, bad.to_string()]).await;
    // The config does not name the original instance: setup would create
    // its own, and the adopted tasks run on another one.
    let before = moto_counts(&client, &id).await;
    let err = run(&client, &spec).await.expect_err("must refuse");
    assert_eq!(
        moto_counts(&client, &id).await,
        before,
        "nothing created: {err}"
    );
    for expected in [
        format!(
            "backward replication task {old}-pg2ora: ReplicationTaskSettings LoopbackPreventionSettings.SourceSchema: has \"customer_orders\", the door needs \"dms_loopback\""
        ),
        format!(
            "backward replication task {old}-pg2ora: ReplicationTaskSettings LoopbackPreventionSettings.TargetSchema: has \"CUSTOMER_ORDERS\", the door needs \"DMS_LOOPBACK\""
        ),
        format!("forward replication task {old}-ora2pg: ReplicationInstanceArn: has arn:"),
    ] {
        assert!(err.contains(&expected), "{expected}\nin: {err}");
    }
    assert!(err.contains("planned the new instance"), "{err}");

    // An endpoint named in the config that DMS does not have is refused too.
    spec.endpoints.b_target = Some("no-such-endpoint".into());
    let err = run(&client, &spec).await.expect_err("must refuse");
    assert!(
        err.contains("`dms.endpoints.b_target` = `no-such-endpoint`: DMS has no endpoint"),
        "{err}"
    );
    assert_eq!(moto_counts(&client, &id).await, before);
}

// ---- your own table mappings and task settings, and the log level ------

use dms_cockpit::config::TaskLogging;
use dms_cockpit::setup::dms_custom::JsonFile;

fn file(name: &str, value: Value) -> Option<JsonFile> {
    Some(JsonFile {
        path: std::path::PathBuf::from(name),
        value,
    })
}

fn settings_of(spec: &DmsSpec, task: &str) -> Value {
    embedded(&find(&plan(spec), task).body, "ReplicationTaskSettings")
}

#[test]
fn a_settings_file_is_merged_under_the_door_rules() {
    let mut s = spec("dmsc");
    s.custom_settings = file(
        "task-settings.json",
        serde_json::json!({
            "FullLoadSettings": { "MaxFullLoadSubTasks": 4 },
            "ErrorBehavior": { "DataErrorPolicy": "LOG_ERROR" },
            "Logging": { "LogComponents": [ { "Id": "SORTER", "Severity": "LOGGER_SEVERITY_WARNING" } ] },
            "LoopbackPreventionSettings": { "EnableLoopbackPrevention": true }
        }),
    );
    assert_eq!(validate(&s), Ok(()));
    for task in ["dmsc-ora2pg", "dmsc-pg2ora"] {
        let settings = settings_of(&s, task);
        assert_eq!(
            settings["FullLoadSettings"]["MaxFullLoadSubTasks"], 4,
            "{task}"
        );
        assert_eq!(settings["ErrorBehavior"]["DataErrorPolicy"], "LOG_ERROR");
        assert_eq!(settings["TargetMetadata"]["BatchApplyEnabled"], false);
        assert_eq!(settings["Logging"]["EnableLogging"], true);
        let components = settings["Logging"]["LogComponents"].as_array().unwrap();
        assert!(
            components.iter().any(|c| c["Id"] == "SORTER"),
            "{task}: file's component kept"
        );
        assert_eq!(components.len(), 6, "{components:?}");
    }
    let forward = settings_of(&s, "dmsc-ora2pg");
    assert_eq!(
        forward["FullLoadSettings"]["TargetTablePrepMode"],
        "TRUNCATE_BEFORE_LOAD"
    );
    assert_eq!(
        forward["LoopbackPreventionSettings"]["SourceSchema"],
        "DMS_LOOPBACK"
    );
    let backward = settings_of(&s, "dmsc-pg2ora");
    assert_eq!(
        backward["LoopbackPreventionSettings"]["SourceSchema"],
        "dms_loopback"
    );
    assert_eq!(
        backward["ChangeProcessingDdlHandlingPolicy"]["HandleSourceTableAltered"],
        false
    );
}

#[test]
fn a_settings_file_that_contradicts_the_door_is_refused_with_the_setting_named() {
    let cases = [
        (
            serde_json::json!({ "TargetMetadata": { "BatchApplyEnabled": true } }),
            "TargetMetadata.BatchApplyEnabled to true",
        ),
        (
            serde_json::json!({ "LoopbackPreventionSettings": { "EnableLoopbackPrevention": false } }),
            "LoopbackPreventionSettings.EnableLoopbackPrevention to false",
        ),
        (
            serde_json::json!({ "LoopbackPreventionSettings": { "SourceSchema": "CUSTOMER_ORDERS" } }),
            "LoopbackPreventionSettings.SourceSchema to \"CUSTOMER_ORDERS\"",
        ),
        (
            serde_json::json!({ "ChangeProcessingDdlHandlingPolicy": { "HandleSourceTableAltered": true } }),
            "the backward task needs false",
        ),
        (
            serde_json::json!({ "Logging": { "EnableLogging": false } }),
            "Logging.EnableLogging to false",
        ),
    ];
    for (value, expected) in cases {
        let mut s = spec("dmsc");
        s.custom_settings = file("mine.json", value.clone());
        let err = validate(&s).expect_err(expected);
        assert!(err.contains("`dms.task_settings` (mine.json)"), "{err}");
        assert!(err.contains(expected), "{value}: {err}");
    }
}

#[test]
fn a_mappings_file_replaces_the_selection_and_the_loopback_schema_stays_out() {
    let mut s = spec("dmsc");
    let rule = serde_json::json!({
        "rule-type": "selection", "rule-id": "7", "rule-name": "orders-only",
        "object-locator": { "schema-name": "CUSTOMER_ORDERS", "table-name": "ORDERS" },
        "rule-action": "include"
    });
    s.custom_mappings = file(
        "mappings.json",
        serde_json::json!({ "rules": [rule.clone()] }),
    );
    assert_eq!(validate(&s), Ok(()));
    let mappings = embedded(&find(&plan(&s), "dmsc-ora2pg").body, "TableMappings");
    let rules = mappings["rules"].as_array().unwrap();
    assert_eq!(rules[0], rule);
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(rules[1]["rule-action"], "exclude");
    assert_eq!(rules[1]["rule-id"], "8");
    assert_eq!(rules[1]["object-locator"]["schema-name"], "DMS_LOOPBACK");
    let backward = embedded(&find(&plan(&s), "dmsc-pg2ora").body, "TableMappings");
    assert_eq!(
        backward["rules"][1]["object-locator"]["schema-name"],
        "dms_loopback"
    );

    let mut bad = spec("dmsc");
    bad.custom_mappings = file(
        "mappings.json",
        serde_json::json!({ "rules": [ {
            "rule-type": "selection", "rule-id": "1", "rule-name": "x",
            "object-locator": { "schema-name": "DMS_LOOPBACK", "table-name": "%" },
            "rule-action": "include"
        } ] }),
    );
    let err = validate(&bad).unwrap_err();
    assert!(
        err.contains("`dms.table_mappings` (mappings.json) includes schema DMS_LOOPBACK"),
        "{err}"
    );
    bad.custom_mappings = file("mappings.json", serde_json::json!({ "selection": [] }));
    assert!(validate(&bad).unwrap_err().contains("no \"rules\" array"));
}

#[test]
fn logging_detailed_raises_every_component_and_logging_is_always_on() {
    for (level, severity) in [
        (TaskLogging::Default, "LOGGER_SEVERITY_DEFAULT"),
        (TaskLogging::Detailed, "LOGGER_SEVERITY_DETAILED_DEBUG"),
    ] {
        let mut s = spec("dmsc");
        s.logging = level;
        for task in ["dmsc-ora2pg", "dmsc-pg2ora"] {
            let settings = settings_of(&s, task);
            assert_eq!(settings["Logging"]["EnableLogging"], true, "{task}");
            let components = settings["Logging"]["LogComponents"].as_array().unwrap();
            let ids: Vec<&str> = components
                .iter()
                .map(|c| c["Id"].as_str().unwrap())
                .collect();
            for id in [
                "SOURCE_CAPTURE",
                "SOURCE_UNLOAD",
                "TARGET_APPLY",
                "TARGET_LOAD",
                "TASK_MANAGER",
            ] {
                assert!(ids.contains(&id), "{id}");
            }
            assert!(
                components.iter().all(|c| c["Severity"] == severity),
                "{level:?}"
            );
        }
    }
}

#[tokio::test]
#[ignore = "needs a moto server, run tests/run-all.sh"]
async fn custom_mappings_and_settings_reach_the_created_tasks() {
    let client = moto_client().await;
    let instance = unique("custom");
    let mut spec = moto_spec(&instance);
    spec.custom_settings = file(
        "s.json",
        serde_json::json!({ "FullLoadSettings": { "MaxFullLoadSubTasks": 3 } }),
    );
    spec.custom_mappings = file(
        "m.json",
        serde_json::json!({ "rules": [ {
            "rule-type": "selection", "rule-id": "1", "rule-name": "orders",
            "object-locator": { "schema-name": "CUSTOMER_ORDERS", "table-name": "ORDERS" },
            "rule-action": "include"
        } ] }),
    );
    spec.logging = TaskLogging::Detailed;
    let report = run(&client, &spec).await.expect("setup");
    let instance_arn = report.resources[0].arn.clone();
    let tasks = tasks_on(&client, &instance_arn).await;
    assert_eq!(tasks.len(), 2);
    for task in tasks {
        let settings: Value =
            serde_json::from_str(task.replication_task_settings().unwrap()).unwrap();
        assert_eq!(settings["FullLoadSettings"]["MaxFullLoadSubTasks"], 3);
        assert_eq!(
            settings["Logging"]["LogComponents"][0]["Severity"],
            "LOGGER_SEVERITY_DETAILED_DEBUG"
        );
        let mappings: Value = serde_json::from_str(task.table_mappings().unwrap()).unwrap();
        assert_eq!(mappings["rules"][0]["rule-name"], "orders");
        assert_eq!(mappings["rules"][1]["rule-name"], "exclude-loopback-schema");
    }
    // Re-running with the same files adopts what it made: nothing new.
    let again = run(&client, &spec).await.expect("again");
    assert!(
        again
            .resources
            .iter()
            .all(|r| r.outcome == Outcome::Existed)
    );
}

#[tokio::test]
#[ignore = "needs a moto server, run tests/run-all.sh"]
async fn endpoints_reference_the_secret_instead_of_carrying_the_password() {
    use dms_cockpit::setup::dms::EndpointSecret;
    let instance = unique("secret");
    let mut spec = moto_spec(&instance);
    // Secret ids of this test's own: an endpoint reading the same secret
    // reaches the same database, so setup would adopt another run's.
    let ora_secret = format!("arn:aws:secretsmanager:us-east-1:1:secret:ora-{instance}");
    let pg_secret = format!("pg-{instance}");
    for (side, id) in [("a", ora_secret.clone()), ("b", pg_secret.clone())] {
        let db = if side == "a" {
            &mut spec.databases.a
        } else {
            &mut spec.databases.b
        };
        db.password = None;
        db.secret = Some(EndpointSecret {
            secret_id: id,
            access_role_arn: "arn:aws:iam::123456789012:role/dms-secrets".into(),
        });
    }
    let planned = plan(&spec);
    for (id, field, secret) in [
        (
            format!("{instance}-a-source"),
            "OracleSettings",
            ora_secret.as_str(),
        ),
        (
            format!("{instance}-b-target"),
            "PostgreSQLSettings",
            pg_secret.as_str(),
        ),
    ] {
        let body = &find(&planned, &id).body;
        assert_eq!(body[field]["SecretsManagerSecretId"], secret, "{id}");
        assert_eq!(
            body[field]["SecretsManagerAccessRoleArn"],
            "arn:aws:iam::123456789012:role/dms-secrets"
        );
        // AWS: the secret or the clear-text values, never both.
        for clear in ["Password", "Username", "ServerName", "Port"] {
            assert!(
                body.get(clear).is_none(),
                "{id}: {clear} sent with a secret"
            );
        }
    }
    let client = moto_client().await;
    let report = run(&client, &spec).await.expect("created with secrets");
    assert!(
        report
            .resources
            .iter()
            .all(|r| r.outcome == Outcome::Created)
    );
    let again = run(&client, &spec).await.expect("found again");
    assert!(
        again
            .resources
            .iter()
            .all(|r| r.outcome == Outcome::Existed),
        "{:#?}",
        again.resources
    );
}
