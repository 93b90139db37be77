//! The pure half of `setup dms`: from a [`DmsSpec`] to the ordered list of
//! DMS requests, each resource once, in dependency order. One typed plan
//! feeds both the dry-run printout and the requests [`super::dms::apply`]
//! sends, so what `--dry-run` shows is what would be sent.

use serde_json::{Value, json};

use crate::backend::{DbSide, Engine, TaskRole};

use super::dms::{DmsSpec, EndpointSecret, EndpointSpec};
use super::dms_apply::Discovery;
use crate::backend::heartbeat_sql::Password;

/// One request of the plan, in the DMS API's own JSON field names.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRequest {
    /// The DMS action, e.g. `CreateReplicationInstance`.
    pub action: &'static str,
    /// The identifier of the resource it creates.
    pub identifier: String,
    /// The request body. Passwords are `***`; ARNs that only exist once the
    /// instance and endpoints do are written `<ARN of …>`.
    pub body: Value,
}

/// Whether an endpoint reads from or writes to its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndpointKind {
    Source,
    Target,
}

impl EndpointKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Source => "source",
            EndpointKind::Target => "target",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InstancePlan {
    pub identifier: String,
    pub class: String,
    pub allocated_storage: i32,
}

#[derive(Clone, PartialEq)]
pub(crate) struct EndpointPlan {
    pub identifier: String,
    pub side: DbSide,
    pub kind: EndpointKind,
    /// DMS's engine name: `oracle` or `postgres`.
    pub engine_name: &'static str,
    pub server_name: String,
    pub port: i32,
    pub database_name: String,
    pub username: String,
    pub password: Option<Password>,
    pub secret: Option<EndpointSecret>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskPlan {
    pub identifier: String,
    pub role: TaskRole,
    pub instance: String,
    /// Identifiers of the endpoints, resolved to ARNs when applying.
    pub source_endpoint: String,
    pub target_endpoint: String,
    pub migration_type: &'static str,
    /// JSON text, as the API takes it.
    pub table_mappings: String,
    /// JSON text, as the API takes it.
    pub settings: String,
}

/// The typed plan: what [`plan`] prints and `apply` sends.
#[derive(Clone, PartialEq)]
pub(crate) struct Plan {
    pub instance: InstancePlan,
    /// a-source, a-target, b-source, b-target.
    pub endpoints: Vec<EndpointPlan>,
    /// forward, backward.
    pub tasks: Vec<TaskPlan>,
}

/// DMS's name for an engine (`postgres`, not `postgresql`).
pub(crate) fn dms_engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Oracle => "oracle",
        Engine::Postgresql => "postgres",
    }
}

/// A schema name as the database stores it (one rule with `setup sql`).
fn schema_on(engine: Engine, schema: &str) -> String {
    crate::setup::sql::stored_name(engine, schema)
}

pub(crate) fn endpoint_identifier(instance: &str, side: DbSide, kind: EndpointKind) -> String {
    format!("{instance}-{}-{}", side.as_str(), kind.as_str())
}

fn endpoint_plan(
    instance: &str,
    side: DbSide,
    kind: EndpointKind,
    spec: &EndpointSpec,
) -> EndpointPlan {
    EndpointPlan {
        identifier: endpoint_identifier(instance, side, kind),
        side,
        kind,
        engine_name: dms_engine_name(spec.db.engine),
        server_name: spec.db.endpoint.clone(),
        port: i32::from(spec.db.port),
        database_name: spec.db.dbname.clone(),
        username: spec.db.username.clone(),
        password: spec.password.clone(),
        secret: spec.secret.clone(),
    }
}

/// Selection rules for every schema, plus, between different engines,
/// rules that turn names into the target's case.
fn table_mappings(spec: &DmsSpec, role: TaskRole) -> Value {
    if let Some(file) = &spec.custom_mappings {
        return super::dms_custom::mappings_from_file(spec, role, file);
    }
    let source = spec.databases[role.source()].db.engine;
    let target = spec.databases[role.target()].db.engine;
    let mut rules = Vec::new();
    let mut next_id = 1;
    let mut id = || {
        let this = next_id;
        next_id += 1;
        this.to_string()
    };
    for schema in &spec.schemas {
        let name = schema_on(source, schema);
        rules.push(json!({
            "rule-type": "selection",
            "rule-id": id(),
            "rule-name": format!("include-{schema}"),
            "object-locator": { "schema-name": name, "table-name": "%" },
            "rule-action": "include",
        }));
    }
    if source != target {
        let action = match target {
            Engine::Oracle => "convert-uppercase",
            Engine::Postgresql => "convert-lowercase",
        };
        for schema in &spec.schemas {
            let name = schema_on(source, schema);
            let locators = [
                ("schema", json!({ "schema-name": name })),
                ("table", json!({ "schema-name": name, "table-name": "%" })),
                (
                    "column",
                    json!({ "schema-name": name, "table-name": "%", "column-name": "%" }),
                ),
            ];
            for (target_kind, locator) in locators {
                rules.push(json!({
                    "rule-type": "transformation",
                    "rule-id": id(),
                    "rule-name": format!("{action}-{target_kind}-{schema}"),
                    "rule-target": target_kind,
                    "object-locator": locator,
                    "rule-action": action,
                }));
            }
        }
    }
    json!({ "rules": rules })
}

/// The settings the door cannot work without, as (JSON pointer, value):
/// loopback prevention on with the schemas mirrored between the two tasks,
/// transactional apply, and no DDL in the backward task. An existing task
/// must have them to be adopted, and a custom settings file may not
/// contradict them.
pub(crate) fn enforced_rules(spec: &DmsSpec, role: TaskRole) -> Vec<(&'static str, Value)> {
    let on = |side: DbSide| schema_on(spec.databases[side].db.engine, &spec.loopback_schema);
    let mut rules = vec![
        (
            "/LoopbackPreventionSettings/EnableLoopbackPrevention",
            json!(true),
        ),
        (
            "/LoopbackPreventionSettings/SourceSchema",
            json!(on(role.source())),
        ),
        (
            "/LoopbackPreventionSettings/TargetSchema",
            json!(on(role.target())),
        ),
        ("/TargetMetadata/BatchApplyEnabled", json!(false)),
    ];
    if role == TaskRole::Backward {
        // Only DML is loop-protected: DDL flows forward only.
        for key in [
            "/ChangeProcessingDdlHandlingPolicy/HandleSourceTableDropped",
            "/ChangeProcessingDdlHandlingPolicy/HandleSourceTableTruncated",
            "/ChangeProcessingDdlHandlingPolicy/HandleSourceTableAltered",
        ] {
            rules.push((key, json!(false)));
        }
    }
    rules
}

/// Sets `value` at JSON `pointer` in `doc`, creating objects on the way.
pub(crate) fn set_pointer(doc: &mut Value, pointer: &str, value: Value) {
    let mut here = doc;
    for part in pointer.trim_start_matches('/').split('/') {
        if !here.is_object() {
            *here = json!({});
        }
        here = here
            .as_object_mut()
            .expect("made an object above")
            .entry(part.to_string())
            .or_insert(Value::Null);
    }
    *here = value;
}

fn task_settings(spec: &DmsSpec, role: TaskRole) -> Value {
    let ddl = role == TaskRole::Forward;
    let mut settings = json!({
        "ChangeProcessingDdlHandlingPolicy": {
            "HandleSourceTableDropped": ddl,
            "HandleSourceTableTruncated": ddl,
            "HandleSourceTableAltered": ddl,
        },
    });
    if role == TaskRole::Forward {
        settings["FullLoadSettings"] = json!({ "TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD" });
    }
    if let Some(file) = &spec.custom_settings {
        super::dms_custom::merge(&mut settings, &file.value);
    }
    super::dms_custom::apply_logging(&mut settings, spec.logging);
    // Last, so nothing above can undo them (check() refused a file that
    // tried).
    for (pointer, value) in enforced_rules(spec, role) {
        set_pointer(&mut settings, pointer, value);
    }
    settings
}

pub(crate) fn typed_plan(spec: &DmsSpec) -> Plan {
    let instance = &spec.replication_instance;
    let mut endpoints = Vec::new();
    for side in DbSide::ALL {
        for kind in [EndpointKind::Source, EndpointKind::Target] {
            endpoints.push(endpoint_plan(instance, side, kind, &spec.databases[side]));
        }
    }
    let tasks = TaskRole::ALL
        .into_iter()
        .map(|role| TaskPlan {
            identifier: spec.tasks[role].clone(),
            role,
            instance: instance.clone(),
            source_endpoint: endpoint_identifier(instance, role.source(), EndpointKind::Source),
            target_endpoint: endpoint_identifier(instance, role.target(), EndpointKind::Target),
            migration_type: match role {
                TaskRole::Forward => "full-load-and-cdc",
                TaskRole::Backward => "cdc",
            },
            table_mappings: table_mappings(spec, role).to_string(),
            settings: task_settings(spec, role).to_string(),
        })
        .collect();
    Plan {
        instance: InstancePlan {
            identifier: instance.clone(),
            class: spec.instance_class.clone(),
            allocated_storage: spec.allocated_storage,
        },
        endpoints,
        tasks,
    }
}

impl InstancePlan {
    pub(crate) fn request(&self) -> PlannedRequest {
        PlannedRequest {
            action: "CreateReplicationInstance",
            identifier: self.identifier.clone(),
            body: json!({
                "ReplicationInstanceIdentifier": self.identifier,
                "ReplicationInstanceClass": self.class,
                "AllocatedStorage": self.allocated_storage,
                "PubliclyAccessible": false,
            }),
        }
    }
}

impl EndpointPlan {
    pub(crate) fn request(&self) -> PlannedRequest {
        let mut body = json!({
            "EndpointIdentifier": self.identifier,
            "EndpointType": self.kind.as_str(),
            "EngineName": self.engine_name,
            "DatabaseName": self.database_name,
        });
        match &self.secret {
            // AWS: either the secret and the role, or the clear-text
            // server, port, user name and password; never both.
            Some(secret) => {
                body[self.settings_field()] = json!({
                    "SecretsManagerSecretId": secret.secret_id,
                    "SecretsManagerAccessRoleArn": secret.access_role_arn,
                });
            }
            None => {
                body["ServerName"] = json!(self.server_name);
                body["Port"] = json!(self.port);
                body["Username"] = json!(self.username);
                if self.password.is_some() {
                    body["Password"] = json!("***");
                }
            }
        }
        PlannedRequest {
            action: "CreateEndpoint",
            identifier: self.identifier.clone(),
            body,
        }
    }
}

impl EndpointPlan {
    /// The engine-specific settings field of CreateEndpoint.
    pub(crate) fn settings_field(&self) -> &'static str {
        if self.engine_name == "oracle" {
            "OracleSettings"
        } else {
            "PostgreSQLSettings"
        }
    }
}

pub(crate) fn arn_placeholder(what: &str, identifier: &str) -> String {
    format!("<ARN of {what} {identifier}>")
}

impl TaskPlan {
    pub(crate) fn request(&self) -> PlannedRequest {
        PlannedRequest {
            action: "CreateReplicationTask",
            identifier: self.identifier.clone(),
            body: json!({
                "ReplicationTaskIdentifier": self.identifier,
                "ReplicationInstanceArn": arn_placeholder("replication instance", &self.instance),
                "SourceEndpointArn": arn_placeholder("endpoint", &self.source_endpoint),
                "TargetEndpointArn": arn_placeholder("endpoint", &self.target_endpoint),
                "MigrationType": self.migration_type,
                "TableMappings": self.table_mappings,
                "ReplicationTaskSettings": self.settings,
            }),
        }
    }
}

/// Every request `setup dms` would send, in order: the replication
/// instance, the four endpoints, the forward and the backward task.
pub fn plan(spec: &DmsSpec) -> Vec<PlannedRequest> {
    let plan = typed_plan(spec);
    std::iter::once(plan.instance.request())
        .chain(plan.endpoints.iter().map(EndpointPlan::request))
        .chain(plan.tasks.iter().map(TaskPlan::request))
        .collect()
}

/// Fields the API takes as JSON text; a person reads them better as JSON.
const EMBEDDED_JSON: [&str; 2] = ["TableMappings", "ReplicationTaskSettings"];

/// The plan as pretty JSON, an array of `{action, identifier, body}`, for
/// `--dry-run`. Passwords are masked. `TableMappings` and
/// `ReplicationTaskSettings`, which the API takes as JSON text, are shown as
/// the JSON they contain, so the printout can be read and reviewed.
pub fn dry_run_json(spec: &DmsSpec) -> String {
    dry_run_report(spec, &Discovery::nothing(&typed_plan(spec)))
}

/// [`dry_run_json`] after discovery: each request also says whether it
/// would `create` the resource or use an existing one (`existed`,
/// `adopted`: then with its `existing` identifier and ARN), and the
/// differences that would stop the run are listed last as `conflicts`
/// when there are any.
pub fn dry_run_report(spec: &DmsSpec, discovery: &Discovery) -> String {
    let found = std::iter::once(&discovery.instance)
        .chain(&discovery.endpoints)
        .chain(&discovery.tasks);
    let mut requests: Vec<Value> = plan(spec)
        .into_iter()
        .zip(found)
        .map(|(mut r, found)| {
            for field in EMBEDDED_JSON {
                let parsed = r.body[field].as_str().map(serde_json::from_str::<Value>);
                if let Some(Ok(value)) = parsed {
                    r.body[field] = value;
                }
            }
            let mut entry =
                json!({ "action": r.action, "identifier": r.identifier, "body": r.body });
            match found {
                None => entry["plan"] = json!("create"),
                Some(e) => {
                    entry["plan"] = json!(e.outcome.as_str());
                    entry["existing"] = json!({ "identifier": e.identifier, "arn": e.arn });
                }
            }
            entry
        })
        .collect();
    if !discovery.conflicts.is_empty() {
        requests.push(json!({ "conflicts": discovery.conflicts }));
    }
    serde_json::to_string_pretty(&requests).expect("a JSON value always serializes")
}

/// DMS's identifier rules (instance, endpoint, task): a letter first, then
/// letters, digits and hyphens, no hyphen at the end, no two in a row.
fn check_identifier(what: &str, id: &str, max: usize) -> Result<(), String> {
    let rule = format!(
        "must be 1 to {max} ASCII letters, digits or hyphens, start with a letter, \
         not end with a hyphen and not contain two hyphens in a row"
    );
    let ok = !id.is_empty()
        && id.len() <= max
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.ends_with('-')
        && !id.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} `{id}` is not a valid DMS identifier: it {rule}"
        ))
    }
}

/// Checks what DMS would reject (or what would make a broken pair) before
/// anything is sent. The error names the setting and what would be right.
pub fn validate(spec: &DmsSpec) -> Result<(), String> {
    super::dms_custom::check(spec)?;
    // Endpoint identifiers append `-a-source` (9 characters) to the
    // instance's, and those may be up to 255 long; the instance's own
    // limit of 63 is the tighter one.
    if !spec.replication_instance.starts_with("arn:") {
        check_identifier("replication instance", &spec.replication_instance, 63)?;
    }
    for role in TaskRole::ALL {
        check_identifier(&format!("{role} task identifier"), &spec.tasks[role], 255)?;
    }
    if spec.tasks.forward == spec.tasks.backward {
        return Err(format!(
            "the forward and backward task identifiers are both `{}`: give the two tasks different identifiers",
            spec.tasks.forward
        ));
    }
    if spec.instance_class.trim().is_empty() || !spec.instance_class.starts_with("dms.") {
        return Err(format!(
            "replication instance class `{}` is not a DMS instance class: expected e.g. dms.t3.medium",
            spec.instance_class
        ));
    }
    if spec.allocated_storage <= 0 {
        return Err(format!(
            "allocated storage {} GiB is not possible: expected a positive number of GiB, e.g. 50",
            spec.allocated_storage
        ));
    }
    if spec.schemas.is_empty() {
        return Err(
            "no schemas to replicate: list at least one schema in `dms.schemas` (e.g. customer_orders)"
                .to_string(),
        );
    }
    if let Some(s) = spec
        .schemas
        .iter()
        .find(|s| s.eq_ignore_ascii_case(&spec.loopback_schema))
    {
        return Err(format!(
            "`dms.loopback_schema` = `{}` is also in `dms.schemas` (`{s}`): DMS's awsdms_loopback_prevention table would be replicated by the selection rules; choose a schema of its own (default dms_loopback)",
            spec.loopback_schema
        ));
    }
    if let Some(bad) = spec
        .schemas
        .iter()
        .find(|s| s.trim().is_empty() || s.contains(['%', '"']))
    {
        return Err(format!(
            "schema `{bad}` cannot be replicated as configured: expected a plain schema name, without wildcards or quotes"
        ));
    }
    for side in DbSide::ALL {
        let db = &spec.databases[side].db;
        if db.endpoint.trim().is_empty()
            || db.dbname.trim().is_empty()
            || db.username.trim().is_empty()
        {
            return Err(format!(
                "database {side} needs a host, a database name and a username for its DMS endpoints; got `{}` as `{}`",
                db.address(),
                db.username
            ));
        }
        if db.port == 0 {
            return Err(format!(
                "database {side} has port 0: expected its listener port, e.g. 1521 or 5432"
            ));
        }
    }
    Ok(())
}
