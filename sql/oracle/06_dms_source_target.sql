-- 06_dms_source_target.sql (Oracle, {{hosting}}): what DMS needs from this
-- database as the source of one task (LogMiner) and the target of the
-- other, for the DMS login {{dms_user}}. The grant lists follow the AWS DMS
-- User Guide (see the README): "User account privileges required on a
-- self-managed Oracle source" or "… on an AWS-managed Oracle source", and
-- "User account privileges required for using Oracle as a target".
-- Everything here needs a DBA (on Amazon RDS: the master user).
--
-- ARCHIVELOG mode and database-level supplemental logging (instance-level
-- steps, run by hand):
{{oracle_logging}}
--
-- The DMS login (SQL*Plus prompts for its password). Idempotent: an
-- existing user (ORA-01920) is left as it is.
BEGIN
    EXECUTE IMMEDIATE 'CREATE USER {{dms_user}} IDENTIFIED BY "&&dms_user_password" DEFAULT TABLESPACE USERS QUOTA UNLIMITED ON USERS';
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE != -1920 THEN RAISE; END IF;
END;
/
-- As a source:
{{oracle_source_grants}}
-- As a target (a default tablespace and quota included):
{{oracle_target_grants}}
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
-- SELECT (source) and ALTER (DMS adds supplemental logging) on every table
-- of the replicated schemas ({{replicated_schemas}}), and writing the
-- heartbeat table as a target.
BEGIN
    FOR t IN (SELECT owner, table_name FROM all_tables WHERE owner IN ({{replicated_schemas}})) LOOP
        EXECUTE IMMEDIATE 'GRANT SELECT, ALTER ON "' || t.owner || '"."' || t.table_name || '" TO {{dms_user}}';
    END LOOP;
END;
/
GRANT SELECT, INSERT, UPDATE, DELETE, ALTER ON {{heartbeat_table}} TO {{dms_user}};
