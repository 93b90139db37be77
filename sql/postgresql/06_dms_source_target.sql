-- 06_dms_source_target.sql (PostgreSQL): what DMS needs from this database
-- as the source of one task (logical decoding) and the target of the other.
--
-- Server settings and roles need an administrator; they are left as
-- comments for one to run (a restart is needed after wal_level):
-- ADMIN: ALTER SYSTEM SET wal_level = logical;
-- ADMIN: ALTER SYSTEM SET max_replication_slots = 10;
-- ADMIN: ALTER SYSTEM SET max_wal_senders = 10;
-- ADMIN: ALTER SYSTEM SET wal_sender_timeout = 0;
-- ADMIN: on Amazon RDS / Aurora set rds.logical_replication = 1 in the DB parameter group instead, then reboot
-- ADMIN: CREATE ROLE {{dms_user}} LOGIN REPLICATION PASSWORD '<choose a password>';
-- ADMIN: on Amazon RDS / Aurora: GRANT rds_replication TO {{dms_user}};
--
-- Grants the object owner can give (idempotent; skipped with a notice while
-- a role does not exist yet). DMS reads the table as a source and writes
-- it as a target; the application ({{owner}}) inserts heartbeats and reads them.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = lower('{{dms_user}}')) THEN
        GRANT USAGE ON SCHEMA {{table_schema}} TO {{dms_user}};
        GRANT SELECT, INSERT, UPDATE, DELETE ON {{heartbeat_table}} TO {{dms_user}};
    ELSE
        RAISE NOTICE 'role {{dms_user}} does not exist yet: an administrator creates it (see ADMIN lines above)';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = lower('{{owner}}')) THEN
        GRANT USAGE ON SCHEMA {{table_schema}} TO {{owner}};
        GRANT USAGE ON SCHEMA {{sequence_schema}} TO {{owner}};
        GRANT SELECT, INSERT ON {{heartbeat_table}} TO {{owner}};
        GRANT USAGE, SELECT ON SEQUENCE {{heartbeat_sequence}} TO {{owner}};
    ELSE
        RAISE NOTICE 'role {{owner}} does not exist yet: an administrator creates it (see 01_schema.sql)';
    END IF;
END
$$;
