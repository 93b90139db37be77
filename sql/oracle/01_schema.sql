-- 01_schema.sql (Oracle): the user whose schema holds the heartbeat table
-- and its sequence. Run in SQL*Plus or SQLcl as a DBA; idempotent: an
-- existing user (ORA-01920) is left as it is. SQL*Plus prompts for the
-- password (&&owner_password), so none is stored in this file.
-- ADMIN: the whole block below needs the CREATE USER privilege.
BEGIN
    EXECUTE IMMEDIATE 'CREATE USER {{owner}} IDENTIFIED BY "&&owner_password" QUOTA UNLIMITED ON USERS';
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE != -1920 THEN RAISE; END IF;
END;
/
BEGIN
    EXECUTE IMMEDIATE 'GRANT CREATE SESSION, CREATE TABLE, CREATE SEQUENCE TO {{owner}}';
END;
/
