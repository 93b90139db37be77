-- 06_dms_source_target.sql (Oracle): what DMS needs from this database as
-- the source of one task (LogMiner) and the target of the other. Everything
-- here needs a DBA; the instance-level steps are comments to run by hand.
--
-- ARCHIVELOG mode (needs a restart; on Amazon RDS use
-- rdsadmin.rdsadmin_util.set_configuration('archivelog retention hours', 24) instead):
-- ADMIN: SHUTDOWN IMMEDIATE
-- ADMIN: STARTUP MOUNT
-- ADMIN: ALTER DATABASE ARCHIVELOG;
-- ADMIN: ALTER DATABASE OPEN;
-- Database-level minimal supplemental logging (on RDS: exec rdsadmin.rdsadmin_util.alter_supplemental_logging('ADD');):
-- ADMIN: ALTER DATABASE ADD SUPPLEMENTAL LOG DATA;
-- The DMS login:
-- ADMIN: CREATE USER {{dms_user}} IDENTIFIED BY "<choose a password>";
-- ADMIN: GRANT CREATE SESSION, SELECT ANY TRANSACTION, LOGMINING TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$DATABASE TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$LOG TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$LOGFILE TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$ARCHIVED_LOG TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$LOGMNR_LOGS TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$LOGMNR_CONTENTS TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$THREAD TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$PARAMETER TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$NLS_PARAMETERS TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$TIMEZONE_NAMES TO {{dms_user}};
-- ADMIN: GRANT SELECT ON V_$TRANSACTION TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_INDEXES TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_OBJECTS TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_TABLES TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_USERS TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_CATALOG TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_CONSTRAINTS TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_CONS_COLUMNS TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_TAB_COLS TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_IND_COLUMNS TO {{dms_user}};
-- ADMIN: GRANT SELECT ON ALL_LOG_GROUPS TO {{dms_user}};
-- ADMIN: GRANT EXECUTE ON DBMS_LOGMNR TO {{dms_user}};
--
-- Table-level supplemental logging of all columns (the table has no primary
-- key, only the unique index). Idempotent: ORA-32588 (already logged) is
-- ignored.
BEGIN
    EXECUTE IMMEDIATE 'ALTER TABLE {{heartbeat_table}} ADD SUPPLEMENTAL LOG DATA (ALL) COLUMNS';
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE != -32588 THEN RAISE; END IF;
END;
/
-- DMS reads the table as a source and writes it as a target.
-- ADMIN: GRANT SELECT, INSERT, UPDATE, DELETE ON {{heartbeat_table}} TO {{dms_user}};
