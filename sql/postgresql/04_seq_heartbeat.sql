-- 04_seq_heartbeat.sql (PostgreSQL): the sequence heartbeat ids come from.
-- DMS does not replicate sequences, so each database draws from its own
-- range (this one starts at {{seq_start}}) and ids copied from the other
-- database never collide with local ones. Idempotent: an existing sequence
-- is left as it is.
CREATE SEQUENCE IF NOT EXISTS {{heartbeat_sequence}} AS bigint START WITH {{seq_start}} MINVALUE {{seq_start}}{{seq_max_clause}};
