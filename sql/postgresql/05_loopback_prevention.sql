-- 05_loopback_prevention.sql (PostgreSQL): the schema for DMS loopback
-- prevention. With two tasks (forward and backward) each task's
-- LoopbackPreventionSettings name a schema on its source and on its target
-- (mirrored between the two tasks); DMS creates and writes the table
-- awsdms_loopback_prevention in that schema while applying changes and
-- ignores transactions that touch it, so changes it applied are not sent
-- back. The schema must exist and the DMS user must be able to create the
-- table in it. Idempotent.
--
-- Task settings that go with this schema (both tasks, mirrored):
--   "LoopbackPreventionSettings": { "EnableLoopbackPrevention": true,
--     "SourceSchema": "<schema on the task's source>", "TargetSchema": "<schema on its target>" }
-- Here, this database's side is "{{loopback_schema}}".
CREATE SCHEMA IF NOT EXISTS {{loopback_schema}};
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = lower('{{dms_user}}')) THEN
        GRANT USAGE, CREATE ON SCHEMA {{loopback_schema}} TO {{dms_user}};
    ELSE
        RAISE NOTICE 'role {{dms_user}} does not exist yet: create it (06_dms_source_target.sql) and run this script again';
    END IF;
END
$$;
