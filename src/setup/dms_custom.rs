//! Your own table mappings and task settings (`dms.table_mappings`,
//! `dms.task_settings`: JSON files like the original's) merged with the
//! door's rules, which stay enforced: loopback prevention on with mirrored
//! schemas, `BatchApplyEnabled` false, no DDL in the backward task (only
//! the forward task is full-load: that is the migration type, not a
//! setting). A file that contradicts one of them is refused with the
//! setting named; the task log level (`dms.logging`) and
//! `Logging.EnableLogging` (the cockpit's logs view reads the task log) are
//! set here too.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::backend::TaskRole;
use crate::config::TaskLogging;

use super::dms::DmsSpec;
use super::dms_plan::enforced_rules;

/// A JSON file from the config, read and parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonFile {
    pub path: PathBuf,
    pub value: Value,
}

/// Reads `path` for config key `key`; the error names both.
pub fn read_json(key: &str, path: &Path) -> Result<JsonFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "`{key}` = {}: cannot read it ({e}); expected a JSON file",
            path.display()
        )
    })?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("`{key}` = {}: not valid JSON ({e})", path.display()))?;
    if !value.is_object() {
        return Err(format!(
            "`{key}` = {}: expected a JSON object",
            path.display()
        ));
    }
    Ok(JsonFile {
        path: path.to_path_buf(),
        value,
    })
}

/// `overlay` over `base`: objects merge key by key, anything else replaces.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// The task log components whose severity `dms.logging` sets.
const LOG_COMPONENTS: [&str; 5] = [
    "SOURCE_CAPTURE",
    "SOURCE_UNLOAD",
    "TARGET_APPLY",
    "TARGET_LOAD",
    "TASK_MANAGER",
];

/// `Logging` for `level`: logging on, and each component's severity;
/// components the file lists beyond these are kept.
pub fn apply_logging(settings: &mut Value, level: TaskLogging) {
    let severity = match level {
        TaskLogging::Default => "LOGGER_SEVERITY_DEFAULT",
        TaskLogging::Detailed => "LOGGER_SEVERITY_DETAILED_DEBUG",
    };
    let mut components: Vec<Value> = settings
        .pointer("/Logging/LogComponents")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    components.retain(|c| {
        !c["Id"]
            .as_str()
            .is_some_and(|id| LOG_COMPONENTS.contains(&id))
    });
    components.extend(
        LOG_COMPONENTS
            .iter()
            .map(|id| json!({ "Id": id, "Severity": severity })),
    );
    super::dms_plan::set_pointer(settings, "/Logging/EnableLogging", json!(true));
    super::dms_plan::set_pointer(settings, "/Logging/LogComponents", Value::Array(components));
}

/// Why a door rule exists, for the refusal.
fn why(pointer: &str) -> &'static str {
    if pointer.starts_with("/LoopbackPreventionSettings") {
        "loopback prevention, with the schemas mirrored between the two tasks, keeps applied changes from coming back"
    } else if pointer.starts_with("/TargetMetadata") {
        "AWS's bidirectional replication needs transactional apply"
    } else {
        "only DML is loop-protected, so DDL flows forward only"
    }
}

/// Refuses a settings file that contradicts a door rule, or turns task
/// logging off; refuses table mappings without rules, or that include the
/// loopback schema.
pub fn check(spec: &DmsSpec) -> Result<(), String> {
    if let Some(file) = &spec.custom_settings {
        for role in TaskRole::ALL {
            for (pointer, want) in enforced_rules(spec, role) {
                if let Some(has) = file.value.pointer(pointer)
                    && has != &want
                {
                    return Err(format!(
                        "`dms.task_settings` ({}) sets {} to {has}, which contradicts the door: the {role} task needs {want} ({}); remove it from the file",
                        file.path.display(),
                        pointer.trim_start_matches('/').replace('/', "."),
                        why(pointer)
                    ));
                }
            }
        }
        if file.value.pointer("/Logging/EnableLogging") == Some(&json!(false)) {
            return Err(format!(
                "`dms.task_settings` ({}) sets Logging.EnableLogging to false: the cockpit's logs view reads the task log; remove it from the file (use dms.logging for the level)",
                file.path.display()
            ));
        }
    }
    if let Some(file) = &spec.custom_mappings {
        let rules = file.value["rules"].as_array().ok_or_else(|| {
            format!(
                "`dms.table_mappings` ({}) has no \"rules\" array: expected DMS table mappings, {{\"rules\": [...]}}",
                file.path.display()
            )
        })?;
        for rule in rules {
            let schema = rule["object-locator"]["schema-name"].as_str().unwrap_or("");
            if rule["rule-type"] == "selection"
                && rule["rule-action"] == "include"
                && schema.eq_ignore_ascii_case(&spec.loopback_schema)
            {
                return Err(format!(
                    "`dms.table_mappings` ({}) includes schema {schema}, the loopback schema (dms.loopback_schema): DMS's awsdms_loopback_prevention table must not be replicated; remove that rule",
                    file.path.display()
                ));
            }
        }
    }
    Ok(())
}

/// The table mappings from the file, plus the door's rule that excludes the
/// loopback schema (with a rule id after the file's).
pub fn mappings_from_file(spec: &DmsSpec, role: TaskRole, file: &JsonFile) -> Value {
    let mut value = file.value.clone();
    let rules = value["rules"].as_array().cloned().unwrap_or_default();
    let next_id = rules
        .iter()
        .filter_map(|r| {
            r["rule-id"]
                .as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .or_else(|| r["rule-id"].as_u64())
        })
        .max()
        .unwrap_or(0)
        + 1;
    let source = spec.databases[role.source()].db.engine;
    let mut rules = rules;
    rules.push(json!({
        "rule-type": "selection",
        "rule-id": next_id.to_string(),
        "rule-name": "exclude-loopback-schema",
        "object-locator": {
            "schema-name": super::sql::stored_name(source, &spec.loopback_schema),
            "table-name": "%"
        },
        "rule-action": "exclude",
    }));
    value["rules"] = Value::Array(rules);
    value
}
