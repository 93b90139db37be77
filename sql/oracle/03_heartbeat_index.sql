-- 03_heartbeat_index.sql (Oracle): the unique index on heartbeat_id.
-- Idempotent: an existing index (ORA-00955 name in use, ORA-01408 column
-- list already indexed) is left as it is.
BEGIN
    EXECUTE IMMEDIATE 'CREATE UNIQUE INDEX {{index_qualified}} ON {{heartbeat_table}} (heartbeat_id)';
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE NOT IN (-955, -1408) THEN RAISE; END IF;
END;
/
