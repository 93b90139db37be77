//! The lab's pair as the door check sees it, and one fixture per broken
//! rule (`doctor --lab --fixture NAME`), so each finding can be shown and
//! tested without an AWS account. The lab's simulated DMS follows every
//! rule; a fixture changes exactly one setting.

use std::collections::BTreeSet;

use super::{EndpointSetup, Loopback, PairSetup, RULES, TaskSetup};
use crate::backend::{DbSide, PerDb, PerTask, TaskRole};
use crate::lab::Lab;

fn endpoint(id: &str, db: &crate::backend::DatabaseRef) -> EndpointSetup {
    EndpointSetup {
        id: id.to_string(),
        engine: db.engine.as_str().to_string(),
        server: db.endpoint.clone(),
        port: Some(db.port),
        database: db.dbname.clone(),
    }
}

/// The lab pair as it is: every rule followed.
pub fn pair() -> PairSetup {
    let dbs = Lab::databases();
    let tables: BTreeSet<String> = ["customer_orders.%".to_string()].into();
    let task = |role: TaskRole| TaskSetup {
        id: match role {
            TaskRole::Forward => "lab-forward".into(),
            TaskRole::Backward => "lab-backward".into(),
        },
        migration_type: match role {
            TaskRole::Forward => "full-load-and-cdc".into(),
            TaskRole::Backward => "cdc".into(),
        },
        loopback: Some(Loopback {
            enabled: true,
            // a is the Oracle stand-in (upper case), b PostgreSQL.
            source_schema: if role.source() == DbSide::A {
                "DMS_LOOPBACK".into()
            } else {
                "dms_loopback".into()
            },
            target_schema: if role.target() == DbSide::A {
                "DMS_LOOPBACK".into()
            } else {
                "dms_loopback".into()
            },
        }),
        batch_apply: false,
        ddl_handlers_on: match role {
            TaskRole::Forward => vec!["HandleSourceTableAltered".into()],
            TaskRole::Backward => vec![],
        },
        tables: tables.clone(),
        cdc_start: None,
        source: endpoint(
            &format!("lab-{}-source", role.source()),
            &dbs[role.source()],
        ),
        target: endpoint(
            &format!("lab-{}-target", role.target()),
            &dbs[role.target()],
        ),
    };
    PairSetup {
        tasks: PerTask::new(task),
        forward_full_load_finished: None,
        seq_starts: crate::setup::sql::DEFAULT_SEQ_START,
        max_ids: PerDb { a: None, b: None },
        databases: dbs,
    }
}

/// The lab pair with exactly the setting of `rule` broken.
pub fn fixture(rule: &str) -> Result<PairSetup, String> {
    let mut p = pair();
    let b = &mut p.tasks.backward;
    match rule {
        "loopback-prevention" => {
            if let Some(l) = &mut b.loopback {
                l.enabled = false;
            }
        }
        "loopback-case" => {
            if let Some(l) = &mut b.loopback {
                l.target_schema = "dms_loopback".into(); // Oracle side in lower case
            }
        }
        "batch-apply" => b.batch_apply = true,
        "ddl-backward" => b.ddl_handlers_on = vec!["HandleSourceTableDropped".into()],
        "one-full-load" => b.migration_type = "full-load-and-cdc".into(),
        "same-tables" => b.tables = ["customer_orders.orders".to_string()].into(),
        "backward-cdc-start" => {
            let finished = chrono::Utc::now();
            p.forward_full_load_finished = Some(finished);
            p.tasks.backward.cdc_start = Some(finished - chrono::TimeDelta::minutes(10));
        }
        "sequence-ranges" => p.max_ids.a = Some(p.seq_starts.b + 5),
        "endpoints" => b.target.server = "somewhere-else".into(),
        other => {
            return Err(format!(
                "unknown fixture `{other}`: expected one of {}, loopback-case",
                RULES.join(", ")
            ));
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::check;

    #[test]
    fn the_lab_pair_follows_every_rule() {
        assert_eq!(check(&pair()), vec![]);
    }

    #[test]
    fn each_fixture_breaks_exactly_its_rule() {
        for rule in RULES.iter().copied().chain(["loopback-case"]) {
            let findings = check(&fixture(rule).unwrap());
            let expected = if rule == "loopback-case" {
                "loopback-prevention"
            } else {
                rule
            };
            assert!(!findings.is_empty(), "{rule}: no finding");
            assert!(
                findings.iter().all(|f| f.rule == expected),
                "{rule}: {findings:#?}"
            );
            for f in &findings {
                assert!(
                    f.doc.starts_with("https://docs.aws.amazon.com/dms/"),
                    "{f:?}"
                );
                assert!(!f.task.is_empty() && !f.setting.is_empty());
                assert_ne!(f.actual, f.expected);
            }
        }
        assert!(fixture("nonsense").unwrap_err().contains("expected one of"));
    }

    #[test]
    fn a_finding_names_task_setting_actual_expected_and_page() {
        let f = &check(&fixture("batch-apply").unwrap())[0];
        assert_eq!(
            f.line(),
            format!(
                "✖ lab-backward [batch-apply]: TargetMetadata.BatchApplyEnabled is true, should be false (bidirectional replication needs transactional apply) ({})",
                crate::doctor::docs::BATCH_APPLY
            )
        );
    }
}
