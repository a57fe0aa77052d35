// Hidden black-box suite for the "tasks-api-postgres" challenge, run by the grader's harness
// (sandbox-images/grader/harness.mjs) with the challenge's Postgres beside the service.
//
// The simple-api contract (its suite is included: `suite.include` in challenge.json puts it under
// include/simple-api/, and its tests are registered here unchanged), plus: the schema exists
// before the first request, data survives a restart of the service (`restart()`, the database
// keeps running), rows really are in Postgres (`services.pg`, as the superuser, in the
// candidate's database), and an Idempotency-Key on POST /tasks never creates a duplicate, also
// under concurrent retries.
//
// Tests run one after another against ONE running service that keeps its state, so every test
// creates its own tasks (with a unique title prefix) and never assumes the list is empty.
// Only what the contract in README.md states is checked.
import assert from 'node:assert/strict';
import simpleApiContract, { assertError, assertTask, create, describe, ids, listAll, uniq } from './include/simple-api/tests.mjs';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Tables of the candidate's database outside Postgres's own schemas. */
async function userTables(pg) {
  const { rows } = await pg.query(
    "SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
  );
  return rows;
}

/** How many rows of any user table mention `text` (each row as its text form): the data is in Postgres. */
async function rowsMentioning(pg, text) {
  let n = 0;
  for (const t of await userTables(pg)) {
    const q = `SELECT count(*)::int AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.name)} AS r WHERE strpos(r::text, $1) > 0`;
    n += (await pg.query(q, [text])).rows[0].n;
  }
  return n;
}

function quoteIdent(name) {
  return `"${String(name).replaceAll('"', '""')}"`;
}

function post(http, body, key, opts = {}) {
  return http.post('/tasks', body, { ...opts, headers: key === undefined ? {} : { 'idempotency-key': key } });
}

/** A task created with a fresh Idempotency-Key: { key, title, task }. */
async function idempotentTask(http) {
  const key = uniq('key-restart');
  const title = uniq('idem-restart');
  const res = await post(http, { title }, key);
  assert.equal(res.status, 201, `POST /tasks with a new Idempotency-Key should return 201, got ${describe(res)}`);
  assertTask(res.json, 'POST /tasks response');
  return { key, title, task: res.json };
}

export default function ({ test }) {
  // --------------------------------------------------------------------------------- schema --
  // First, before any request: the service created its schema when it started.

  test('schema.created-at-start', async ({ services }) => {
    const tables = await userTables(services.pg);
    assert.ok(tables.length > 0, 'before the first request, the database should already hold the tables the service created when it started; it holds none');
  });

  // ------------------------------------------------------------------ the simple-api contract --

  simpleApiContract({ test });

  // -------------------------------------------------------------------------- idempotency --

  test('idem.same-key', async ({ http }) => {
    const key = uniq('key');
    const title = uniq('idem-same');
    const first = await post(http, { title }, key);
    assert.equal(first.status, 201, `POST /tasks with a new Idempotency-Key should return 201, got ${describe(first)}`);
    assertTask(first.json, 'POST /tasks response');
    const again = await post(http, { title }, key);
    assert.equal(again.status, 201, `repeating POST /tasks with the same Idempotency-Key should return 201 again, got ${describe(again)}`);
    assert.equal(again.json?.id, first.json.id, 'repeating POST /tasks with the same Idempotency-Key should return the task the first request created');
    assert.equal(again.json?.createdAt, first.json.createdAt, 'repeating POST /tasks with the same Idempotency-Key should return the task the first request created, createdAt included');
    const matching = (await listAll(http)).filter((t) => t.title === title);
    assert.equal(matching.length, 1, `two POSTs with the same Idempotency-Key should create one task, GET /tasks lists ${matching.length}`);
  });

  test('idem.different-keys', async ({ http }) => {
    const title = uniq('idem-different');
    const a = await post(http, { title }, uniq('key-a'));
    const b = await post(http, { title }, uniq('key-b'));
    assert.equal(a.status, 201, `POST /tasks should return 201, got ${describe(a)}`);
    assert.equal(b.status, 201, `POST /tasks should return 201, got ${describe(b)}`);
    assert.notEqual(a.json?.id, b.json?.id, 'two POSTs with different Idempotency-Keys should create two tasks');
  });

  test('idem.no-key', async ({ http }) => {
    const title = uniq('idem-none');
    const a = await create(http, { title });
    const b = await create(http, { title });
    assert.notEqual(a.id, b.id, 'two POSTs without an Idempotency-Key should create two tasks, even with the same body');
  });

  // A client that times out and retries sends the same key again while the first request is
  // still running. Several rounds, each with 12 requests under one key that reach the service at
  // the same moment (http.burst), so a check-then-insert without a transaction or a unique
  // constraint is caught every time, not only when the timing happens to be bad.
  test('idem.concurrent-retries', async ({ http }) => {
    for (let round = 0; round < 4; round += 1) {
      const key = uniq(`race-${round}`);
      const title = uniq(`idem-race-${round}`);
      // Concurrent reads first, so the service has its connections open (a pool that has to open
      // them would let one request finish before the others start, and hide a race).
      await Promise.all(Array.from({ length: 12 }, () => http.get('/tasks?limit=1', { timeoutMs: 10000 })));
      const request = { method: 'POST', path: '/tasks', body: { title }, headers: { 'idempotency-key': key }, timeoutMs: 10000 };
      const responses = await http.burst(Array.from({ length: 12 }, () => request));
      const bad = responses.filter((r) => r.status !== 201);
      assert.equal(bad.length, 0, `12 concurrent POST /tasks with the same Idempotency-Key should all return 201 (the one task); ${bad.length} did not, e.g. ${bad[0] ? describe(bad[0]) : ''}`);
      const distinct = new Set(responses.map((r) => r.json?.id));
      assert.equal(distinct.size, 1, `12 concurrent POST /tasks with the same Idempotency-Key should all return the same task; they returned ${distinct.size} different ids`);
      const listed = (await listAll(http)).filter((t) => t.title === title);
      assert.equal(listed.length, 1, `12 concurrent POST /tasks with the same Idempotency-Key should create one task; GET /tasks lists ${listed.length}`);
    }
  }, { timeoutMs: 30000 });

  // ---------------------------------------------------------------------------- persistence --

  test('persist.rows-in-database', async ({ http, services }) => {
    const title = uniq('in-postgres');
    const task = await create(http, { title });
    assert.ok((await rowsMentioning(services.pg, title)) >= 1, `a created task should be stored in the Postgres database of DATABASE_URL; no row of any table there mentions its title ${JSON.stringify(title)}`);
    assert.ok((await rowsMentioning(services.pg, task.id)) >= 1, `a created task should be stored in Postgres with its id; no row mentions ${task.id}`);
  });

  // One restart serves the three checks that need one: persist.survives-restart makes the data
  // of all three before it restarts the service. A later check whose data is missing (the first
  // one failed before its restart) makes its own and restarts the service itself.
  const beforeRestart = { restarted: false, order: undefined, idem: undefined };

  test('persist.survives-restart', async ({ http, restart }) => {
    const prefix = uniq('restart');
    const kept = await create(http, { title: `${prefix}-kept` });
    const done = await create(http, { title: `${prefix}-done` });
    const renamed = await create(http, { title: `${prefix}-before` });
    const gone = await create(http, { title: `${prefix}-gone` });
    assert.equal((await http.patch(`/tasks/${done.id}`, { done: true })).status, 200, 'PATCH before the restart should return 200');
    assert.equal((await http.patch(`/tasks/${renamed.id}`, { title: `${prefix}-after` })).status, 200, 'PATCH before the restart should return 200');
    assert.equal((await http.delete(`/tasks/${gone.id}`)).status, 204, 'DELETE before the restart should return 204');
    beforeRestart.order = await create(http, { title: `${uniq('order-restart')}-1` });
    beforeRestart.idem = await idempotentTask(http);

    await restart();
    beforeRestart.restarted = true;

    const check = async (task, expected, what) => {
      const res = await http.get(`/tasks/${task.id}`);
      assert.equal(res.status, 200, `after a restart of the service, GET /tasks/:id of a task created before it (${what}) should return 200, got ${describe(res)}`);
      const fields = (t) => ({ id: t?.id, title: t?.title, done: t?.done, createdAt: t?.createdAt });
      assert.deepEqual(fields(res.json), fields(expected), `after a restart, the task ${what} should be unchanged`);
    };
    await check(kept, kept, 'as created');
    await check(done, { ...done, done: true }, 'marked done');
    await check(renamed, { ...renamed, title: `${prefix}-after` }, 'renamed');
    assertError(await http.get(`/tasks/${gone.id}`), 404, 'GET /tasks/:id of a task deleted before the restart');
  }, { timeoutMs: 30000 });

  test('persist.order-after-restart', async ({ http, restart }) => {
    let before = beforeRestart.restarted ? beforeRestart.order : undefined;
    if (!before) {
      before = await create(http, { title: `${uniq('order-restart')}-1` });
      await restart();
    }
    const after = await create(http, { title: `${before.title.slice(0, -2)}-2` });
    assert.notEqual(after.id, before.id, 'a task created after a restart should get a new id');
    const all = ids(await listAll(http));
    const [i, j] = [all.indexOf(before.id), all.indexOf(after.id)];
    assert.ok(i >= 0 && j >= 0, 'tasks created before and after a restart should both be listed by GET /tasks');
    assert.ok(i < j, 'GET /tasks should keep creation order across a restart: the task created before it should come first');
  }, { timeoutMs: 30000 });

  test('idem.survives-restart', async ({ http, restart }) => {
    let before = beforeRestart.restarted ? beforeRestart.idem : undefined;
    if (!before) {
      before = await idempotentTask(http);
      await restart();
    }
    const again = await post(http, { title: before.title }, before.key);
    assert.equal(again.status, 201, `after a restart, repeating POST /tasks with the same Idempotency-Key should return 201, got ${describe(again)}`);
    assert.equal(again.json?.id, before.task.id, 'after a restart, repeating POST /tasks with the same Idempotency-Key should return the task created before the restart');
  }, { timeoutMs: 30000 });
}
