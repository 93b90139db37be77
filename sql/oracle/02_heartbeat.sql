-- 02_heartbeat.sql (Oracle): the heartbeat table. A heartbeat written at a
-- site's database shows up in the other database once DMS copied it.
-- last_update_dt holds UTC (SYS_EXTRACT_UTC(SYSTIMESTAMP) on insert).
-- Idempotent: an existing table (ORA-00955) is left as it is.
BEGIN
    EXECUTE IMMEDIATE 'CREATE TABLE {{heartbeat_table}} (
        heartbeat_id     NUMBER(19)   NOT NULL,
        last_update_dt   TIMESTAMP(6) NOT NULL,
        last_update_site VARCHAR2(16) NOT NULL
    )';
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE != -955 THEN RAISE; END IF;
END;
/
{{login_table_grants}}
