'use strict';
// Runs before the reference server (package.json start): tries every way it knows to become the
// database's superuser, to run code or read files where Postgres runs, to reach other databases,
// and to reach the host from the namespace it shares with Postgres. Prints one line per attempt,
// "PG <what> DENIED <error>", or the word for success below; then the reference serves as usual.
// The success words are spelled in two halves: the report carries this file's text (its
// insights), and the case asserts that the whole words appear nowhere in it.
const ALLOWED = ['GRANT', 'ED'].join('');
const CONNECTED = ['REACH', 'ED'].join('');
const net = require('node:net');
const { Client } = require('pg');

const url = new URL(process.env.DATABASE_URL);
const base = { host: process.env.PGHOST, port: Number(process.env.PGPORT), database: process.env.PGDATABASE, connectionTimeoutMillis: 3000 };

async function attempt(what, fn) {
  try {
    await fn();
    console.log(`PG ${what} ${ALLOWED}`);
  } catch (err) {
    console.log(`PG ${what} DENIED ${String(err.message).split('\n')[0]}`);
  }
}

async function asApp(sql) {
  const c = new Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

async function login(user, password, database = base.database) {
  const c = new Client({ ...base, user, password, database });
  await c.connect();
  await c.end();
}

function probe(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (what) => { socket.destroy(); console.log(`NET ${host}:${port} ${what}`); resolve(); };
    socket.setTimeout(2000, () => done('BLOCKED timeout'));
    socket.once('connect', () => done(CONNECTED));
    socket.once('error', (err) => done(`BLOCKED ${err.code}`));
  });
}

async function main() {
  console.log(`PG connected as ${url.username}`);
  await attempt('login-postgres-with-app-password', () => login('postgres', decodeURIComponent(url.password)));
  await attempt('login-postgres-empty-password', () => login('postgres', ''));
  await attempt('login-postgres-guessed-password', () => login('postgres', 'postgres'));
  await attempt('connect-maintenance-db', () => login(url.username, decodeURIComponent(url.password), 'postgres'));
  await attempt('alter-role-superuser', () => asApp('ALTER ROLE app SUPERUSER'));
  await attempt('create-superuser-role', () => asApp('CREATE ROLE evil SUPERUSER LOGIN'));
  await attempt('set-role-postgres', () => asApp('SET ROLE postgres'));
  await attempt('set-session-authorization', () => asApp('SET SESSION AUTHORIZATION postgres'));
  await attempt('grant-pg-execute-server-program', () => asApp('GRANT pg_execute_server_program TO app'));
  await attempt('copy-to-program', () => asApp("COPY (SELECT 1) TO PROGRAM 'touch {{MARKER}}'"));
  await attempt('copy-from-file', () => asApp("CREATE TEMP TABLE t (x text); COPY t FROM '/etc/passwd'"));
  await attempt('pg-read-file', () => asApp("SELECT pg_read_file('/etc/passwd')"));
  await attempt('lo-import', () => asApp("SELECT lo_import('/etc/passwd')"));
  await attempt('read-pg-authid', () => asApp('SELECT rolpassword FROM pg_authid'));
  await attempt('alter-system', () => asApp("ALTER SYSTEM SET listen_addresses = '*'"));
  await attempt('create-extension-dblink', () => asApp('CREATE EXTENSION dblink'));
  await attempt('create-untrusted-language', () => asApp('CREATE LANGUAGE plperlu'));
  await attempt('create-c-function', () => asApp("CREATE FUNCTION sys(cstring) RETURNS int AS 'libc.so.6', 'system' LANGUAGE C"));
  // The host's services, from the namespace the candidate shares with Postgres and the grader.
  for (const ip of {{HOST_IPS}}) await probe(ip, {{REDIS_PORT}});
  console.log('PG PROBES DONE');
}

main().catch((err) => {
  console.log(`PG probe error ${err.message}`);
});
