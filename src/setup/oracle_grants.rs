//! The Oracle privileges DMS needs, as AWS's DMS User Guide lists them,
//! rendered for `sql/oracle/*.sql` in the two forms Oracle databases come
//! in: self-managed (plain `GRANT`s on the `SYS` objects) and Amazon RDS
//! (no SYS login, so `SYS` objects are granted through
//! `rdsadmin.rdsadmin_util.grant_sys_object` and supplemental logging is
//! set with `rdsadmin.rdsadmin_util.alter_supplemental_logging`).
//!
//! The lists follow these pages of the AWS DMS User Guide:
//!
//! * source, self-managed: "Using an Oracle database as a source for AWS
//!   DMS" → "User account privileges required on a self-managed Oracle
//!   source for AWS DMS" and "Account privileges required when using Oracle
//!   LogMiner to access the redo logs"
//!   (<https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.Oracle.html#CHAP_Source.Oracle.Self-Managed.Privileges>);
//! * source, Amazon RDS: the same page → "User account privileges required
//!   on an AWS-managed Oracle source for AWS DMS" and "Configuring an
//!   AWS-managed Oracle source for AWS DMS"
//!   (<https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.Oracle.html#CHAP_Source.Oracle.Amazon-Managed>);
//! * target: "Using an Oracle database as a target for AWS Database
//!   Migration Service" → "User account privileges required for using
//!   Oracle as a target" and "Read privileges required … on the target
//!   database"
//!   (<https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.Oracle.html#CHAP_Target.Oracle.Privileges>).
//!
//! Grants AWS lists only for features the door does not use (Binary Reader,
//! TDE, RAC, Data Guard standby, serverless, premigration assessments, LOB
//! validation) are left out; the README says so.

use crate::config::Hosting;

/// `SELECT` on these `SYS` objects, for a self-managed source (the first
/// list of the self-managed source section, plus LogMiner's views).
pub const SOURCE_SELECT_SELF_MANAGED: &[&str] = &[
    "V_$ARCHIVED_LOG",
    "V_$LOG",
    "V_$LOGFILE",
    "V_$LOGMNR_LOGS",
    "V_$LOGMNR_CONTENTS",
    "V_$DATABASE",
    "V_$THREAD",
    "V_$PARAMETER",
    "V_$NLS_PARAMETERS",
    "V_$TIMEZONE_NAMES",
    "V_$TRANSACTION",
    "V_$CONTAINERS",
    "ALL_INDEXES",
    "ALL_OBJECTS",
    "ALL_TABLES",
    "ALL_USERS",
    "ALL_CATALOG",
    "ALL_CONSTRAINTS",
    "ALL_CONS_COLUMNS",
    "ALL_TAB_COLS",
    "ALL_IND_COLUMNS",
    "ALL_ENCRYPTED_COLUMNS",
    "ALL_LOG_GROUPS",
    "ALL_TAB_PARTITIONS",
    "SYS.DBA_REGISTRY",
    "SYS.OBJ$",
    "DBA_TABLESPACES",
    "V_$DATABASE_INCARNATION",
];

/// `SELECT` through `rdsadmin.rdsadmin_util.grant_sys_object`, for an
/// Amazon RDS source (the AWS-managed source section).
pub const SOURCE_SELECT_RDS: &[&str] = &[
    "ALL_VIEWS",
    "ALL_TAB_PARTITIONS",
    "ALL_INDEXES",
    "ALL_OBJECTS",
    "ALL_TABLES",
    "ALL_USERS",
    "ALL_CATALOG",
    "ALL_CONSTRAINTS",
    "ALL_CONS_COLUMNS",
    "ALL_TAB_COLS",
    "ALL_IND_COLUMNS",
    "ALL_LOG_GROUPS",
    "V_$ARCHIVED_LOG",
    "V_$LOG",
    "V_$LOGFILE",
    "V_$DATABASE",
    "V_$THREAD",
    "V_$PARAMETER",
    "V_$NLS_PARAMETERS",
    "V_$TIMEZONE_NAMES",
    "V_$TRANSACTION",
    "V_$CONTAINERS",
    "DBA_REGISTRY",
    "OBJ$",
    "ALL_ENCRYPTED_COLUMNS",
    "V_$LOGMNR_LOGS",
    "V_$LOGMNR_CONTENTS",
    "REGISTRY$SQLPATCH",
];

/// System privileges of the DMS user as a source, both forms (LOGMINING:
/// Oracle 12c and later, which includes 12.2).
pub const SOURCE_SYSTEM: &[&str] = &["CREATE SESSION", "SELECT ANY TRANSACTION", "LOGMINING"];

/// System privileges of the DMS user as a target. The guide's list, plus
/// what its notes add for this door: logon, a default tablespace
/// (UNLIMITED TABLESPACE), direct-path full load (LOCK ANY TABLE), and
/// tables in schemas other than the DMS user's (CREATE ANY TABLE, CREATE
/// ANY INDEX: the control and loopback tables).
pub const TARGET_SYSTEM: &[&str] = &[
    "CREATE SESSION",
    "SELECT ANY TRANSACTION",
    "DROP ANY TABLE",
    "SELECT ANY TABLE",
    "INSERT ANY TABLE",
    "UPDATE ANY TABLE",
    "DELETE ANY TABLE",
    "CREATE ANY VIEW",
    "DROP ANY VIEW",
    "CREATE ANY PROCEDURE",
    "ALTER ANY PROCEDURE",
    "DROP ANY PROCEDURE",
    "CREATE ANY SEQUENCE",
    "ALTER ANY SEQUENCE",
    "DROP ANY SEQUENCE",
    "UNLIMITED TABLESPACE",
    "LOCK ANY TABLE",
    "CREATE ANY TABLE",
    "CREATE ANY INDEX",
];

/// `SELECT` on these `SYS` objects for the DMS user as a target (the
/// privilege list and the "read privileges" list).
pub const TARGET_SELECT: &[&str] = &[
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

/// One object grant to `user`, in the form `hosting` allows.
fn object_grant(hosting: Hosting, privilege: &str, object: &str, user: &str) -> String {
    match hosting {
        Hosting::SelfManaged => format!("GRANT {privilege} ON {object} TO {user};"),
        Hosting::Rds => {
            let bare = object.strip_prefix("SYS.").unwrap_or(object);
            format!(
                "EXEC rdsadmin.rdsadmin_util.grant_sys_object('{bare}', '{user}', '{privilege}');"
            )
        }
    }
}

/// Everything the DMS user needs as the source of one task, one statement
/// a line. `user` is the DMS user as Oracle stores it (upper case).
pub fn source_grants(hosting: Hosting, user: &str) -> Vec<String> {
    let mut out: Vec<String> = SOURCE_SYSTEM
        .iter()
        .map(|p| format!("GRANT {p} TO {user};"))
        .collect();
    match hosting {
        Hosting::SelfManaged => {
            out.extend(
                SOURCE_SELECT_SELF_MANAGED
                    .iter()
                    .map(|o| object_grant(hosting, "SELECT", o, user)),
            );
            out.push(object_grant(hosting, "EXECUTE", "DBMS_LOGMNR", user));
        }
        Hosting::Rds => {
            out.push(format!("GRANT SELECT ON DBA_TABLESPACES TO {user};"));
            out.push(format!(
                "GRANT EXECUTE ON rdsadmin.rdsadmin_util TO {user};"
            ));
            out.extend(
                SOURCE_SELECT_RDS
                    .iter()
                    .map(|o| object_grant(hosting, "SELECT", o, user)),
            );
            out.push(object_grant(hosting, "EXECUTE", "DBMS_LOGMNR", user));
        }
    }
    out
}

/// Everything the DMS user needs as the target of the other task, plus its
/// default tablespace and quota there.
pub fn target_grants(hosting: Hosting, user: &str) -> Vec<String> {
    let mut out: Vec<String> = TARGET_SYSTEM
        .iter()
        .map(|p| format!("GRANT {p} TO {user};"))
        .collect();
    out.extend(
        TARGET_SELECT
            .iter()
            .map(|o| object_grant(hosting, "SELECT", o, user)),
    );
    out.push(format!(
        "ALTER USER {user} DEFAULT TABLESPACE USERS QUOTA UNLIMITED ON USERS;"
    ));
    out
}

/// Database-level supplemental logging and redo retention, in the form
/// `hosting` allows.
pub fn logging_steps(hosting: Hosting) -> Vec<String> {
    match hosting {
        Hosting::SelfManaged => vec![
            "SHUTDOWN IMMEDIATE".into(),
            "STARTUP MOUNT".into(),
            "ALTER DATABASE ARCHIVELOG;".into(),
            "ALTER DATABASE OPEN;".into(),
            "ALTER DATABASE ADD SUPPLEMENTAL LOG DATA;".into(),
        ],
        Hosting::Rds => vec![
            "EXEC rdsadmin.rdsadmin_util.set_configuration('archivelog retention hours', 24);"
                .into(),
            "COMMIT;".into(),
            "EXEC rdsadmin.rdsadmin_util.alter_supplemental_logging('ADD');".into(),
            "EXEC rdsadmin.rdsadmin_util.alter_supplemental_logging('ADD', 'PRIMARY KEY');".into(),
        ],
    }
}

/// Lines as `-- ADMIN:` steps (reported by setup, run by a DBA).
pub fn as_admin(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("-- ADMIN: {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A PL/SQL block that creates `user` as a schema-only account that works
/// on Oracle 12.2 (a password-less schema-only account needs 18c): a random password
/// nobody knows and a locked account, with a quota on USERS. An existing
/// user (ORA-01920) is left as it is.
pub fn schema_only_user(user: &str) -> String {
    format!(
        "BEGIN\n    EXECUTE IMMEDIATE 'CREATE USER {user} IDENTIFIED BY \"' || DBMS_RANDOM.STRING('A', 24) || '\" ACCOUNT LOCK DEFAULT TABLESPACE USERS QUOTA UNLIMITED ON USERS';\nEXCEPTION\n    WHEN OTHERS THEN\n        IF SQLCODE != -1920 THEN RAISE; END IF;\nEND;\n/"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rds_form_strips_the_sys_prefix_and_uses_rdsadmin() {
        assert_eq!(
            object_grant(Hosting::Rds, "SELECT", "SYS.OBJ$", "DMS_USER"),
            "EXEC rdsadmin.rdsadmin_util.grant_sys_object('OBJ$', 'DMS_USER', 'SELECT');"
        );
        assert_eq!(
            object_grant(Hosting::SelfManaged, "SELECT", "SYS.OBJ$", "DMS_USER"),
            "GRANT SELECT ON SYS.OBJ$ TO DMS_USER;"
        );
    }

    #[test]
    fn schema_only_users_work_on_12_2() {
        let block = schema_only_user("DMS_LOOPBACK");
        assert!(!block.contains("NO AUTHENTICATION"));
        assert!(block.contains("ACCOUNT LOCK"));
        assert!(block.contains("-1920"));
    }
}
