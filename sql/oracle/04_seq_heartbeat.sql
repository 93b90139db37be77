-- 04_seq_heartbeat.sql (Oracle): the sequence heartbeat ids come from.
-- DMS does not replicate sequences, so each database draws from its own
-- range (this one starts at {{seq_start}}) and ids copied from the other
-- database never collide with local ones. Idempotent: an existing sequence
-- (ORA-00955) is left as it is.
BEGIN
    EXECUTE IMMEDIATE 'CREATE SEQUENCE {{heartbeat_sequence}} START WITH {{seq_start}} MINVALUE {{seq_start}}{{seq_max_clause}} NOCYCLE';
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE != -955 THEN RAISE; END IF;
END;
/
{{login_sequence_grants}}
