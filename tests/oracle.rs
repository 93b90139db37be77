//! The Oracle adapter on this machine, for real: no Oracle server exists
//! here and normally no Instant Client either, so the first call must fail
//! fast with the message that says what to install (DPI-1047, the driver's
//! own error, not a simulated one). Where Instant Client is installed the
//! library loads, and the same call must instead report the closed port.

use std::time::{Duration, Instant};

use dms_cockpit::backend::heartbeat_sql::{HeartbeatNames, Password};
use dms_cockpit::backend::oracle::{OracleConnect, OracleHeartbeat};
use dms_cockpit::backend::{BackendError, DbSide, HeartbeatStore, Site};

/// True when the dynamic loader can find the Oracle client library.
fn instant_client_present() -> bool {
    let in_ld_path = std::env::var("LD_LIBRARY_PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.is_empty())
        .any(|dir| std::path::Path::new(dir).join("libclntsh.so").exists());
    let in_cache = std::process::Command::new("ldconfig")
        .arg("-p")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("libclntsh.so"))
        .unwrap_or(false);
    in_ld_path || in_cache
}

#[tokio::test]
async fn first_call_reports_the_missing_client_or_the_closed_port() {
    // Port 1 on loopback: nothing listens there.
    let hb = OracleHeartbeat::new(OracleConnect {
        side: DbSide::A,
        host: "127.0.0.1".into(),
        port: 1,
        service: "ORCLPDB1".into(),
        username: "customer_orders".into(),
        password: Some(Password::new("tiger-not-printed")),
        names: HeartbeatNames::default(),
        connect_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(2),
    });
    for attempt in 0..2 {
        let started = Instant::now();
        let err = if attempt == 0 {
            hb.latest(5).await.unwrap_err()
        } else {
            hb.insert(Site::A).await.unwrap_err()
        };
        eprintln!("attempt {attempt}: {err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "took {:?}",
            started.elapsed()
        );
        assert!(!format!("{err:?}").contains("tiger-not-printed"));
        if instant_client_present() {
            let BackendError::Unavailable(msg) = &err else {
                panic!("expected Unavailable, got {err:?}")
            };
            assert!(msg.contains("127.0.0.1:1/ORCLPDB1"), "{msg}");
        } else {
            assert_eq!(
                err,
                BackendError::Unavailable(
                    "Oracle client library not found (DPI-1047): install Oracle Instant Client and set LD_LIBRARY_PATH to its directory"
                        .into()
                )
            );
        }
    }
}

// ---- the Oracle setup scripts, rendered (no Oracle server runs here) ----

mod setup_scripts {
    use dms_cockpit::backend::Engine;
    use dms_cockpit::backend::heartbeat_sql::HeartbeatNames;
    use dms_cockpit::config::Hosting;
    use dms_cockpit::setup::sql::{self, SqlParams, SqlScript};

    fn render(hosting: Hosting, owner: &str) -> Vec<SqlScript> {
        let names = HeartbeatNames::default();
        let schemas = vec!["customer_orders".to_string(), "billing".to_string()];
        let mut params = SqlParams::new(Engine::Oracle, &names, 1, owner);
        params.hosting = hosting;
        params.dms_user = "dms_user";
        params.schemas = &schemas;
        sql::scripts(&params).unwrap()
    }

    fn all(scripts: &[SqlScript]) -> String {
        scripts
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Executable lines (not comments), trimmed.
    fn statements(text: &str) -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("--"))
            .map(str::to_string)
            .collect()
    }

    // Copied by hand from the AWS DMS User Guide, "Using an Oracle database
    // as a source for AWS DMS" → "User account privileges required on a
    // self-managed Oracle source" (first list) and "Account privileges
    // required when using Oracle LogMiner"; the items for TDE, RAC, Data
    // Guard and Oracle before 11.2.0.3 are the conditional ones left out.
    const AWS_SELF_MANAGED_SOURCE: &[&str] = &[
        "GRANT CREATE SESSION TO DMS_USER;",
        "GRANT SELECT ANY TRANSACTION TO DMS_USER;",
        "GRANT SELECT ON V_$ARCHIVED_LOG TO DMS_USER;",
        "GRANT SELECT ON V_$LOG TO DMS_USER;",
        "GRANT SELECT ON V_$LOGFILE TO DMS_USER;",
        "GRANT SELECT ON V_$LOGMNR_LOGS TO DMS_USER;",
        "GRANT SELECT ON V_$LOGMNR_CONTENTS TO DMS_USER;",
        "GRANT SELECT ON V_$DATABASE TO DMS_USER;",
        "GRANT SELECT ON V_$THREAD TO DMS_USER;",
        "GRANT SELECT ON V_$PARAMETER TO DMS_USER;",
        "GRANT SELECT ON V_$NLS_PARAMETERS TO DMS_USER;",
        "GRANT SELECT ON V_$TIMEZONE_NAMES TO DMS_USER;",
        "GRANT SELECT ON V_$TRANSACTION TO DMS_USER;",
        "GRANT SELECT ON V_$CONTAINERS TO DMS_USER;",
        "GRANT SELECT ON ALL_INDEXES TO DMS_USER;",
        "GRANT SELECT ON ALL_OBJECTS TO DMS_USER;",
        "GRANT SELECT ON ALL_TABLES TO DMS_USER;",
        "GRANT SELECT ON ALL_USERS TO DMS_USER;",
        "GRANT SELECT ON ALL_CATALOG TO DMS_USER;",
        "GRANT SELECT ON ALL_CONSTRAINTS TO DMS_USER;",
        "GRANT SELECT ON ALL_CONS_COLUMNS TO DMS_USER;",
        "GRANT SELECT ON ALL_TAB_COLS TO DMS_USER;",
        "GRANT SELECT ON ALL_IND_COLUMNS TO DMS_USER;",
        "GRANT SELECT ON ALL_ENCRYPTED_COLUMNS TO DMS_USER;",
        "GRANT SELECT ON ALL_LOG_GROUPS TO DMS_USER;",
        "GRANT SELECT ON ALL_TAB_PARTITIONS TO DMS_USER;",
        "GRANT SELECT ON SYS.DBA_REGISTRY TO DMS_USER;",
        "GRANT SELECT ON SYS.OBJ$ TO DMS_USER;",
        "GRANT SELECT ON DBA_TABLESPACES TO DMS_USER;",
        "GRANT SELECT ON V_$DATABASE_INCARNATION TO DMS_USER;",
        "GRANT EXECUTE ON DBMS_LOGMNR TO DMS_USER;",
        "GRANT LOGMINING TO DMS_USER;",
    ];

    // The same page → "User account privileges required on an AWS-managed
    // Oracle source" (the unconditional ones, and REGISTRY$SQLPATCH for
    // 12.1 and later), and "Configuring an AWS-managed Oracle source".
    const AWS_RDS_SOURCE: &[&str] = &[
        "GRANT CREATE SESSION TO DMS_USER;",
        "GRANT SELECT ANY TRANSACTION TO DMS_USER;",
        "GRANT SELECT ON DBA_TABLESPACES TO DMS_USER;",
        "GRANT EXECUTE ON rdsadmin.rdsadmin_util TO DMS_USER;",
        "GRANT LOGMINING TO DMS_USER;",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_VIEWS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_TAB_PARTITIONS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_INDEXES', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_OBJECTS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_TABLES', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_USERS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_CATALOG', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_CONSTRAINTS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_CONS_COLUMNS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_TAB_COLS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_IND_COLUMNS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_LOG_GROUPS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$ARCHIVED_LOG', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$LOG', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$LOGFILE', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$DATABASE', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$THREAD', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$PARAMETER', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$NLS_PARAMETERS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$TIMEZONE_NAMES', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$TRANSACTION', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$CONTAINERS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('DBA_REGISTRY', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('OBJ$', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('ALL_ENCRYPTED_COLUMNS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$LOGMNR_LOGS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('V_$LOGMNR_CONTENTS', 'DMS_USER', 'SELECT');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('DBMS_LOGMNR', 'DMS_USER', 'EXECUTE');",
        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('REGISTRY$SQLPATCH', 'DMS_USER', 'SELECT');",
    ];

    // "Using an Oracle database as a target for AWS DMS" → "User account
    // privileges required for using Oracle as a target", its notes, and
    // "Read privileges required … on the target database".
    const AWS_TARGET_SYSTEM: &[&str] = &[
        "SELECT ANY TRANSACTION",
        "DROP ANY TABLE",
        "SELECT ANY TABLE",
        "INSERT ANY TABLE",
        "UPDATE ANY TABLE",
        "CREATE ANY VIEW",
        "DROP ANY VIEW",
        "CREATE ANY PROCEDURE",
        "ALTER ANY PROCEDURE",
        "DROP ANY PROCEDURE",
        "CREATE ANY SEQUENCE",
        "ALTER ANY SEQUENCE",
        "DROP ANY SEQUENCE",
        "DELETE ANY TABLE",
        "UNLIMITED TABLESPACE",
        "CREATE SESSION",
        "LOCK ANY TABLE",
        "CREATE ANY INDEX",
        "CREATE ANY TABLE",
    ];
    const AWS_TARGET_SELECT: &[&str] = &[
        "V_$NLS_PARAMETERS",
        "V_$TIMEZONE_NAMES",
        "ALL_INDEXES",
        "ALL_OBJECTS",
        "DBA_OBJECTS",
        "ALL_TABLES",
        "ALL_USERS",
        "ALL_CATALOG",
        "ALL_CONSTRAINTS",
        "ALL_CONS_COLUMNS",
        "ALL_TAB_COLS",
        "ALL_IND_COLUMNS",
        "DBA_USERS",
        "DBA_TAB_PRIVS",
        "DBA_SYNONYMS",
        "DBA_SEQUENCES",
        "DBA_TYPES",
        "DBA_INDEXES",
        "DBA_TABLES",
        "DBA_TRIGGERS",
    ];

    #[test]
    fn self_managed_source_has_every_grant_aws_lists() {
        let scripts = render(Hosting::SelfManaged, "customer_orders");
        let got = statements(&scripts[5].text);
        for grant in AWS_SELF_MANAGED_SOURCE {
            assert!(got.iter().any(|l| l == grant), "missing: {grant}");
        }
        assert!(
            !all(&scripts).contains("rdsadmin"),
            "no RDS procedure on a self-managed database"
        );
        let admin = scripts[5].admin_steps();
        assert!(
            admin.contains(&"ALTER DATABASE ADD SUPPLEMENTAL LOG DATA;".to_string()),
            "{admin:?}"
        );
        assert!(
            admin.contains(&"ALTER DATABASE ARCHIVELOG;".to_string()),
            "{admin:?}"
        );
    }

    #[test]
    fn rds_source_has_every_grant_aws_lists_in_the_rdsadmin_form() {
        let scripts = render(Hosting::Rds, "customer_orders");
        let got = statements(&scripts[5].text);
        for grant in AWS_RDS_SOURCE {
            assert!(got.iter().any(|l| l == grant), "missing: {grant}");
        }
        // No direct grant on a V_$ view or SYS object: RDS refuses those.
        assert!(
            !got.iter()
                .any(|l| l.starts_with("GRANT SELECT ON V_$") || l.contains("ON SYS.")),
            "{got:#?}"
        );
        let admin = scripts[5].admin_steps();
        for step in [
            "EXEC rdsadmin.rdsadmin_util.alter_supplemental_logging('ADD');",
            "EXEC rdsadmin.rdsadmin_util.alter_supplemental_logging('ADD', 'PRIMARY KEY');",
            "EXEC rdsadmin.rdsadmin_util.set_configuration('archivelog retention hours', 24);",
        ] {
            assert!(admin.contains(&step.to_string()), "{step}: {admin:?}");
        }
        assert!(
            !admin.iter().any(|s| s.contains("ARCHIVELOG;")),
            "{admin:?}"
        );
    }

    #[test]
    fn target_grants_quota_and_default_tablespace_in_both_forms() {
        for hosting in [Hosting::SelfManaged, Hosting::Rds] {
            let scripts = render(hosting, "customer_orders");
            let got = statements(&scripts[5].text);
            for privilege in AWS_TARGET_SYSTEM {
                let grant = format!("GRANT {privilege} TO DMS_USER;");
                assert!(got.contains(&grant), "{hosting:?} missing: {grant}");
            }
            for object in AWS_TARGET_SELECT {
                let grant = match hosting {
                    Hosting::SelfManaged => format!("GRANT SELECT ON {object} TO DMS_USER;"),
                    Hosting::Rds => format!(
                        "EXEC rdsadmin.rdsadmin_util.grant_sys_object('{object}', 'DMS_USER', 'SELECT');"
                    ),
                };
                assert!(got.contains(&grant), "{hosting:?} missing: {grant}");
            }
            assert!(
                got.contains(
                    &"ALTER USER DMS_USER DEFAULT TABLESPACE USERS QUOTA UNLIMITED ON USERS;"
                        .to_string()
                ),
                "{hosting:?}"
            );
            // SELECT on the replicated tables: every table of every schema.
            let text = &scripts[5].text;
            assert!(
                text.contains("WHERE owner IN ('BILLING', 'CUSTOMER_ORDERS')"),
                "{text}"
            );
            assert!(text.contains("GRANT SELECT, ALTER ON"), "{text}");
        }
    }

    #[test]
    fn every_user_is_created_the_way_oracle_12_2_accepts() {
        for hosting in [Hosting::SelfManaged, Hosting::Rds] {
            let text = all(&render(hosting, "app_login"));
            assert!(!text.contains("NO AUTHENTICATION"), "needs 18c: {text}");
            for user in ["CUSTOMER_ORDERS", "DMS_LOOPBACK"] {
                assert!(
                    text.contains(&format!(
                        "CREATE USER {user} IDENTIFIED BY \"' || DBMS_RANDOM.STRING('A', 24) || '\" ACCOUNT LOCK"
                    )),
                    "{user}: {text}"
                );
            }
            assert!(text.contains("CREATE USER APP_LOGIN IDENTIFIED BY \"&&owner_password\""));
            assert!(text.contains("CREATE USER DMS_USER IDENTIFIED BY \"&&dms_user_password\""));
        }
    }

    #[test]
    fn a_login_that_is_not_the_schema_owner_gets_insert_and_sequence_rights() {
        let scripts = render(Hosting::SelfManaged, "app_login");
        assert!(
            statements(&scripts[1].text).contains(
                &"GRANT SELECT, INSERT ON customer_orders.heartbeat TO APP_LOGIN;".to_string()
            ),
            "{}",
            scripts[1].text
        );
        assert!(
            statements(&scripts[3].text).contains(
                &"GRANT SELECT ON customer_orders.seq_heartbeat TO APP_LOGIN;".to_string()
            ),
            "{}",
            scripts[3].text
        );
        assert!(
            statements(&scripts[0].text)
                .contains(&"GRANT CREATE SESSION TO APP_LOGIN;".to_string())
        );
        // The owner itself gets no grant on its own objects (ORA-01749).
        let owned = render(Hosting::SelfManaged, "customer_orders");
        for script in &owned[..4] {
            assert!(
                !statements(&script.text)
                    .iter()
                    .any(|l| l.contains("TO CUSTOMER_ORDERS;") && l.contains(" ON ")),
                "{}",
                script.text
            );
        }
    }
}
