-- 05_loopback_prevention.sql (Oracle): the schema for DMS loopback
-- prevention. Each task's LoopbackPreventionSettings name a schema on its
-- source and on its target (mirrored between the forward and backward
-- task); DMS creates and writes the table awsdms_loopback_prevention there
-- while applying changes and ignores transactions that touch it, so changes
-- it applied are not sent back. In Oracle a schema is a user: this creates
-- {{loopback_schema}} as a schema-only account (no password, no login;
-- Oracle 18c and later). Idempotent (ORA-01920: user exists).
--
-- Task settings that go with this schema (both tasks, mirrored; Oracle
-- names are upper case):
--   "LoopbackPreventionSettings": { "EnableLoopbackPrevention": true,
--     "SourceSchema": "<schema on the task's source>", "TargetSchema": "<schema on its target>" }
-- ADMIN: the blocks below need a DBA.
BEGIN
    EXECUTE IMMEDIATE 'CREATE USER {{loopback_schema}} NO AUTHENTICATION QUOTA UNLIMITED ON USERS';
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE != -1920 THEN RAISE; END IF;
END;
/
-- DMS creates its table in another user's schema, which needs CREATE ANY TABLE:
-- ADMIN: GRANT CREATE ANY TABLE, INSERT ANY TABLE, UPDATE ANY TABLE, DELETE ANY TABLE, SELECT ANY TABLE TO {{dms_user}};
