-- 01_schema.sql (PostgreSQL): the schemas that hold the heartbeat table and
-- its sequence. Idempotent: safe to run again.
--
-- The application's login role ({{owner}}) is created by an administrator,
-- because CREATE ROLE needs the CREATEROLE privilege:
-- ADMIN: CREATE ROLE {{owner}} LOGIN PASSWORD '<choose a password>';
CREATE SCHEMA IF NOT EXISTS {{table_schema}};
CREATE SCHEMA IF NOT EXISTS {{sequence_schema}};
