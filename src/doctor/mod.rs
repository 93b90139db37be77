//! The door check: AWS's rules for a bidirectional pair of DMS tasks,
//! checked against what the pair really is. Pure: the adapters
//! (`backend::aws::pair_setup`, the lab's fixtures in `doctor::lab`) read
//! the pair into a [`PairSetup`]; [`check`] returns one [`Finding`] per
//! broken rule, each naming the task, the setting, what it is, what it
//! should be and the AWS documentation page of the rule.

pub mod lab;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::backend::{DatabaseRef, DbSide, Engine, PerDb, PerTask, TaskRole};

/// The AWS pages the rules come from.
pub mod docs {
    pub const BIDIRECTIONAL: &str = "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Task.CDC.html#CHAP_Task.CDC.Bidirectional";
    pub const BATCH_APPLY: &str = "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TaskSettings.TargetMetadata.html";
    pub const DDL_HANDLING: &str = "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TaskSettings.DDLHandling.html";
    pub const TABLE_MAPPING: &str = "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Selections.html";
    pub const CDC_START: &str = "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Task.CDC.html#CHAP_Task.CDC.StartPoint";
    pub const ENDPOINTS: &str =
        "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Endpoints.Creating.html";
}

/// `LoopbackPreventionSettings` of one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loopback {
    pub enabled: bool,
    pub source_schema: String,
    pub target_schema: String,
}

/// Where an endpoint points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointSetup {
    pub id: String,
    pub engine: String,
    pub server: String,
    pub port: Option<u16>,
    pub database: String,
}

/// What the door check needs to know about one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskSetup {
    pub id: String,
    pub migration_type: String,
    /// `None` when the settings carry no `LoopbackPreventionSettings`.
    pub loopback: Option<Loopback>,
    /// `TargetMetadata.BatchApplyEnabled`.
    pub batch_apply: bool,
    /// `ChangeProcessingDdlHandlingPolicy`: the handlers that are on.
    pub ddl_handlers_on: Vec<String>,
    /// The selection rules that include tables, as `schema.table` patterns.
    pub tables: BTreeSet<String>,
    /// When CDC starts (`CdcStartTime`, or a time form of the start
    /// position), if known.
    pub cdc_start: Option<DateTime<Utc>>,
    pub source: EndpointSetup,
    pub target: EndpointSetup,
}

/// The pair as it is, plus the facts the rules compare it with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairSetup {
    pub tasks: PerTask<TaskSetup>,
    /// When the forward task's full load finished, if it did.
    pub forward_full_load_finished: Option<DateTime<Utc>>,
    /// Where each database's heartbeat sequence starts (config), and the
    /// highest heartbeat id seen in it.
    pub seq_starts: PerDb<i64>,
    pub max_ids: PerDb<Option<i64>>,
    /// The configured databases.
    pub databases: PerDb<DatabaseRef>,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A short name of the rule, e.g. `loopback-prevention`.
    pub rule: &'static str,
    /// The task identifier (or `pair` for a rule about both).
    pub task: String,
    pub setting: String,
    pub actual: String,
    pub expected: String,
    pub doc: &'static str,
}

impl Finding {
    pub fn line(&self) -> String {
        format!(
            "✖ {} [{}]: {} is {}, should be {} ({})",
            self.task, self.rule, self.setting, self.actual, self.expected, self.doc
        )
    }
}

/// The rule names, in the order they are checked.
pub const RULES: [&str; 8] = [
    "loopback-prevention",
    "batch-apply",
    "ddl-backward",
    "one-full-load",
    "same-tables",
    "backward-cdc-start",
    "sequence-ranges",
    "endpoints",
];

fn finding(
    rule: &'static str,
    task: &str,
    setting: impl Into<String>,
    actual: impl Into<String>,
    expected: impl Into<String>,
    doc: &'static str,
) -> Finding {
    Finding {
        rule,
        task: task.to_string(),
        setting: setting.into(),
        actual: actual.into(),
        expected: expected.into(),
        doc,
    }
}

/// The engine's case for a schema name: Oracle keeps unquoted names in
/// upper case, PostgreSQL in lower case.
fn in_engine_case(engine: Engine, name: &str) -> String {
    match engine {
        Engine::Oracle => name.to_uppercase(),
        Engine::Postgresql => name.to_lowercase(),
    }
}

/// Every broken rule of `pair`.
pub fn check(pair: &PairSetup) -> Vec<Finding> {
    let mut out = Vec::new();
    let t = &pair.tasks;
    let engine = |db: DbSide| pair.databases[db].engine;
    // 1. Loopback prevention in both, mirrored, in each engine's case.
    for role in TaskRole::ALL {
        let task = &t[role];
        let setting = "LoopbackPreventionSettings.EnableLoopbackPrevention";
        match &task.loopback {
            Some(l) if l.enabled => {
                for (field, schema, db) in [
                    ("SourceSchema", &l.source_schema, role.source()),
                    ("TargetSchema", &l.target_schema, role.target()),
                ] {
                    let want = in_engine_case(engine(db), schema);
                    if *schema != want {
                        out.push(finding(
                            "loopback-prevention",
                            &task.id,
                            format!("LoopbackPreventionSettings.{field}"),
                            format!("`{schema}`"),
                            format!(
                                "`{want}` (database {db} is {}: names in its case)",
                                engine(db)
                            ),
                            docs::BIDIRECTIONAL,
                        ));
                    }
                }
            }
            Some(_) => out.push(finding(
                "loopback-prevention",
                &task.id,
                setting,
                "false",
                "true",
                docs::BIDIRECTIONAL,
            )),
            None => out.push(finding(
                "loopback-prevention",
                &task.id,
                "LoopbackPreventionSettings",
                "absent",
                "present with EnableLoopbackPrevention true",
                docs::BIDIRECTIONAL,
            )),
        }
    }
    if let (Some(f), Some(b)) = (&t.forward.loopback, &t.backward.loopback) {
        if !f.source_schema.eq_ignore_ascii_case(&b.target_schema) {
            out.push(finding(
                "loopback-prevention",
                &t.backward.id,
                "LoopbackPreventionSettings.TargetSchema",
                format!("`{}`", b.target_schema),
                format!(
                    "the forward task's SourceSchema `{}` (mirrored)",
                    f.source_schema
                ),
                docs::BIDIRECTIONAL,
            ));
        }
        if !f.target_schema.eq_ignore_ascii_case(&b.source_schema) {
            out.push(finding(
                "loopback-prevention",
                &t.backward.id,
                "LoopbackPreventionSettings.SourceSchema",
                format!("`{}`", b.source_schema),
                format!(
                    "the forward task's TargetSchema `{}` (mirrored)",
                    f.target_schema
                ),
                docs::BIDIRECTIONAL,
            ));
        }
    }
    // 2. BatchApplyEnabled false in both.
    for role in TaskRole::ALL {
        if t[role].batch_apply {
            out.push(finding(
                "batch-apply",
                &t[role].id,
                "TargetMetadata.BatchApplyEnabled",
                "true",
                "false (bidirectional replication needs transactional apply)",
                docs::BATCH_APPLY,
            ));
        }
    }
    // 3. DDL handling off in the backward task.
    if !t.backward.ddl_handlers_on.is_empty() {
        out.push(finding(
            "ddl-backward",
            &t.backward.id,
            "ChangeProcessingDdlHandlingPolicy",
            format!("{} true", t.backward.ddl_handlers_on.join(", ")),
            "all false: only DML is loop-protected, so DDL flows one way (forward)",
            docs::DDL_HANDLING,
        ));
    }
    // 4. At most one full-load task.
    let full: Vec<&TaskSetup> = TaskRole::ALL
        .iter()
        .map(|r| &t[*r])
        .filter(|x| x.migration_type.contains("full-load"))
        .collect();
    if full.len() > 1 {
        out.push(finding(
            "one-full-load",
            &t.backward.id,
            "MigrationType",
            t.backward.migration_type.clone(),
            "cdc (only one task of a bidirectional pair may do a full load)",
            docs::BIDIRECTIONAL,
        ));
    }
    // 5. Both tasks on the same tables.
    let lower =
        |s: &BTreeSet<String>| -> BTreeSet<String> { s.iter().map(|x| x.to_lowercase()).collect() };
    if lower(&t.forward.tables) != lower(&t.backward.tables) {
        out.push(finding(
            "same-tables",
            &t.backward.id,
            "TableMappings selection rules",
            format!("{:?}", t.backward.tables),
            format!("the forward task's tables {:?}", t.forward.tables),
            docs::TABLE_MAPPING,
        ));
    }
    // 6. The backward CDC start not before the forward full load finished.
    if let (Some(start), Some(finished)) = (t.backward.cdc_start, pair.forward_full_load_finished)
        && start < finished
    {
        out.push(finding(
            "backward-cdc-start",
            &t.backward.id,
            "CdcStartTime",
            crate::format::rfc3339(start),
            format!(
                "at or after the forward full load finished ({})",
                crate::format::rfc3339(finished)
            ),
            docs::CDC_START,
        ));
    }
    // 7. The heartbeat sequences' ranges cannot collide.
    let (lo, hi) = if pair.seq_starts.a <= pair.seq_starts.b {
        (DbSide::A, DbSide::B)
    } else {
        (DbSide::B, DbSide::A)
    };
    if pair.seq_starts[lo] == pair.seq_starts[hi] {
        out.push(finding(
            "sequence-ranges",
            "pair",
            "databases.a.seq_start / databases.b.seq_start",
            format!("both {}", pair.seq_starts.a),
            "different ranges (DMS does not replicate sequences), e.g. 1 and 1000000000",
            docs::BIDIRECTIONAL,
        ));
    } else if let Some(max) = pair.max_ids[lo]
        && max >= pair.seq_starts[hi]
    {
        out.push(finding(
            "sequence-ranges",
            "pair",
            format!("database {lo}'s heartbeat sequence"),
            format!("at {max}"),
            format!(
                "below database {hi}'s range, which starts at {}",
                pair.seq_starts[hi]
            ),
            docs::BIDIRECTIONAL,
        ));
    }
    // 8. The endpoints name the configured databases.
    for role in TaskRole::ALL {
        for (which, ep, db) in [
            ("source", &t[role].source, role.source()),
            ("target", &t[role].target, role.target()),
        ] {
            let want = &pair.databases[db];
            let same = ep.server.eq_ignore_ascii_case(&want.endpoint)
                && ep.port.is_none_or(|p| p == want.port)
                && ep.database.eq_ignore_ascii_case(&want.dbname);
            if !same {
                out.push(finding(
                    "endpoints",
                    &t[role].id,
                    format!("{which} endpoint {}", ep.id),
                    format!(
                        "{}:{}/{}",
                        ep.server,
                        ep.port.map_or("?".to_string(), |p| p.to_string()),
                        ep.database
                    ),
                    format!("database {db}: {}", want.address()),
                    docs::ENDPOINTS,
                ));
            }
        }
    }
    out
}
