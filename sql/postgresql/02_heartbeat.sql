-- 02_heartbeat.sql (PostgreSQL): the heartbeat table. A heartbeat written
-- at a site's database shows up in the other database once DMS copied it,
-- which is how the cockpit shows replication working end to end.
-- last_update_dt holds UTC wall-clock time (timestamp without time zone, as
-- the original scripts declared it). Idempotent.
CREATE TABLE IF NOT EXISTS {{heartbeat_table}} (
    heartbeat_id     bigint      NOT NULL,
    last_update_dt   timestamp   NOT NULL,
    last_update_site varchar(16) NOT NULL
);
