-- Run once at image build, as the superuser over the Unix socket (sandbox-images/postgres/Dockerfile).
-- The candidate's role: an ordinary login role with a connection cap below max_connections
-- (40, of which 3 are reserved for superusers), so the grader can always connect.
CREATE ROLE app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 30;
CREATE DATABASE app OWNER app;
-- Only the owner connects to its database; nobody but superusers to the maintenance ones.
REVOKE ALL ON DATABASE app FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC;
