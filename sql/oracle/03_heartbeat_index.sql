-- 03_heartbeat_index.sql (Oracle): the unique index on heartbeat_id.
-- The original proof of concept's table allows NULL in heartbeat_id: the
-- first block makes it NOT NULL when no row holds a null (nothing is ever
-- dropped) and stops with the count otherwise (ORA-20001).
DECLARE
    nullable_id NUMBER;
    null_rows   NUMBER;
BEGIN
    SELECT COUNT(*) INTO nullable_id FROM all_tab_columns
     WHERE owner = UPPER('{{table_schema}}') AND table_name = UPPER('{{table_name}}')
       AND column_name = 'HEARTBEAT_ID' AND nullable = 'Y';
    IF nullable_id > 0 THEN
        EXECUTE IMMEDIATE 'SELECT COUNT(*) FROM {{heartbeat_table}} WHERE heartbeat_id IS NULL' INTO null_rows;
        IF null_rows > 0 THEN
            RAISE_APPLICATION_ERROR(-20001, null_rows || ' row(s) of {{heartbeat_table}} hold a NULL heartbeat_id: give them ids or delete them, then run this script again');
        END IF;
        EXECUTE IMMEDIATE 'ALTER TABLE {{heartbeat_table}} MODIFY (heartbeat_id NOT NULL)';
    END IF;
END;
/
-- Idempotent: an existing index (ORA-00955 name in use, ORA-01408 column
-- list already indexed) is left as it is.
BEGIN
    EXECUTE IMMEDIATE 'CREATE UNIQUE INDEX {{index_qualified}} ON {{heartbeat_table}} (heartbeat_id)';
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE NOT IN (-955, -1408) THEN RAISE; END IF;
END;
/
