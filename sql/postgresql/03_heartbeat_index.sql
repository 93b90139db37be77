-- 03_heartbeat_index.sql (PostgreSQL): the unique index on heartbeat_id.
-- It also serves as the table's replica identity, so logical decoding (the
-- DMS source) can identify rows without a primary key. Idempotent.
CREATE UNIQUE INDEX IF NOT EXISTS {{index_name}} ON {{heartbeat_table}} (heartbeat_id);
ALTER TABLE {{heartbeat_table}} REPLICA IDENTITY USING INDEX {{index_name}};
