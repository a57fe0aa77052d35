// Hidden black-box suite for the "simple-api" challenge, run by the grader's harness
// (sandbox-images/grader/harness.mjs). Other suites build on it (`suite.include` in their
// manifest: tasks-api-postgres): they call its default function to register these tests and
// use the helpers it exports.
//
// Tests run one after another against ONE running service that keeps its state, so every test
// creates its own tasks (with a unique title prefix) and never assumes the list is empty.
// Only what the contract in README.md states is checked.
import assert from 'node:assert/strict';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

let counter = 0;
/** A prefix unique to this run and call, so tasks of different tests never collide. */
function uniq(label) {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

function snippet(text, max = 200) {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function describe(res) {
  return `${res.status} ${snippet(res.text) || '(empty body)'}`;
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Checks the documented task shape. */
function assertTask(task, where) {
  assert.ok(isPlainObject(task), `${where}: expected a task object, got ${snippet(JSON.stringify(task))}`);
  assert.equal(typeof task.id, 'string', `${where}: task.id should be a string, got ${JSON.stringify(task.id)}`);
  assert.ok(task.id.length > 0, `${where}: task.id should not be empty`);
  assert.equal(typeof task.title, 'string', `${where}: task.title should be a string, got ${JSON.stringify(task.title)}`);
  assert.equal(typeof task.done, 'boolean', `${where}: task.done should be a boolean, got ${JSON.stringify(task.done)}`);
  assert.equal(typeof task.createdAt, 'string', `${where}: task.createdAt should be a string, got ${JSON.stringify(task.createdAt)}`);
}

/** Asserts an error response: the expected status and a JSON body {"error": string}. */
function assertError(res, status, what) {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${describe(res)}`);
  assert.ok(isPlainObject(res.json), `${what}: the ${status} body should be a JSON object like {"error": "..."}, got ${snippet(res.text) || '(empty body)'}`);
  assert.equal(typeof res.json.error, 'string', `${what}: the ${status} body should have a string "error" field, got ${snippet(res.text)}`);
}

/** POST /tasks that must succeed; returns the created task. */
async function create(http, body) {
  const res = await http.post('/tasks', body);
  assert.equal(res.status, 201, `POST /tasks ${snippet(JSON.stringify(body), 120)} should return 201, got ${describe(res)}`);
  assertTask(res.json, 'POST /tasks response');
  return res.json;
}

async function getTask(http, id) {
  const res = await http.get(`/tasks/${encodeURIComponent(id)}`);
  assert.equal(res.status, 200, `GET /tasks/${id} should return 200, got ${describe(res)}`);
  assertTask(res.json, `GET /tasks/${id}`);
  return res.json;
}

/** Fetches one page of GET /tasks and checks it is a JSON array. */
async function listPage(http, query) {
  const path = query ? `/tasks?${query}` : '/tasks';
  const res = await http.get(path);
  assert.equal(res.status, 200, `GET ${path} should return 200, got ${describe(res)}`);
  assert.ok(Array.isArray(res.json), `GET ${path} should return a JSON array, got ${snippet(res.text)}`);
  return res.json;
}

/**
 * Every task of GET /tasks (optionally filtered), in the order the service returns them, paging
 * with limit=100. Tolerates a service that ignores paging: stops when a page brings no new ids.
 */
async function listAll(http, filter = '') {
  const seen = new Set();
  const all = [];
  for (let offset = 0, pages = 0; pages < 100; offset += 100, pages += 1) {
    const page = await listPage(http, `${filter ? `${filter}&` : ''}limit=100&offset=${offset}`);
    let fresh = 0;
    for (const t of page) {
      if (isPlainObject(t) && !seen.has(t.id)) {
        seen.add(t.id);
        all.push(t);
        fresh += 1;
      }
    }
    if (page.length < 100 || fresh === 0) break;
  }
  return all;
}

function ids(tasks) {
  return tasks.map((t) => t.id);
}

function isJson(res) {
  return /^application\/json\b/i.test(String(res.headers['content-type'] ?? ''));
}

// ---------------------------------------------------------------------------------------------
// Suite
// ---------------------------------------------------------------------------------------------

export default function ({ test }) {
  // ----------------------------------------------------------------------------------- core --

  test('core.health', async ({ http }) => {
    const res = await http.get('/health');
    assert.equal(res.status, 200, `GET /health should return 200, got ${describe(res)}`);
  });

  test('core.create', async ({ http }) => {
    const title = uniq('create');
    const res = await http.post('/tasks', { title });
    assert.equal(res.status, 201, `POST /tasks {"title": "..."} should return 201, got ${describe(res)}`);
    assertTask(res.json, 'POST /tasks response');
    assert.equal(res.json.title, title, `POST /tasks should return the title that was sent`);
  });

  test('core.create-default-done', async ({ http }) => {
    const open = await create(http, { title: uniq('default-done') });
    assert.equal(open.done, false, `a task created without "done" should have done: false, got ${JSON.stringify(open.done)}`);
    const done = await create(http, { title: uniq('explicit-done'), done: true });
    assert.equal(done.done, true, `a task created with "done": true should have done: true, got ${JSON.stringify(done.done)}`);
    const notDone = await create(http, { title: uniq('explicit-not-done'), done: false });
    assert.equal(notDone.done, false, `a task created with "done": false should have done: false`);
  });

  test('core.created-at-iso', async ({ http }) => {
    const task = await create(http, { title: uniq('created-at') });
    assert.match(task.createdAt, ISO_8601, `createdAt should be an ISO-8601 date-time such as 2024-05-01T12:00:00.000Z, got ${JSON.stringify(task.createdAt)}`);
    assert.ok(!Number.isNaN(Date.parse(task.createdAt)), `createdAt should be a parseable date, got ${JSON.stringify(task.createdAt)}`);
  });

  test('core.get-by-id', async ({ http }) => {
    const created = await create(http, { title: uniq('get-by-id'), done: true });
    const fetched = await getTask(http, created.id);
    assert.equal(fetched.id, created.id, 'GET /tasks/:id should return the task with that id');
    assert.equal(fetched.title, created.title, 'GET /tasks/:id should return the same title as POST returned');
    assert.equal(fetched.done, true, 'GET /tasks/:id should return the same done as POST returned');
    assert.equal(fetched.createdAt, created.createdAt, 'GET /tasks/:id should return the same createdAt as POST returned');
  });

  test('core.get-unknown-404', async ({ http }) => {
    const res = await http.get(`/tasks/${uniq('no-such-id')}`);
    assertError(res, 404, 'GET /tasks/<unknown id>');
  });

  test('core.list-creation-order', async ({ http }) => {
    const prefix = uniq('order');
    const created = [];
    for (let i = 0; i < 3; i += 1) created.push(await create(http, { title: `${prefix}-${i}` }));
    const all = ids(await listAll(http));
    const positions = created.map((t) => all.indexOf(t.id));
    positions.forEach((p, i) => assert.ok(p >= 0, `task #${i} just created (${created[i].id}) is missing from GET /tasks`));
    assert.ok(positions[0] < positions[1] && positions[1] < positions[2], `GET /tasks should list tasks in creation order; three tasks created one after another appear at positions ${positions.join(', ')}`);
  });

  test('core.patch-title', async ({ http }) => {
    const task = await create(http, { title: uniq('patch-title-before') });
    const title = uniq('patch-title-after');
    const res = await http.patch(`/tasks/${task.id}`, { title });
    assert.equal(res.status, 200, `PATCH /tasks/:id {"title": "..."} should return 200, got ${describe(res)}`);
    assertTask(res.json, 'PATCH /tasks/:id response');
    assert.equal(res.json.title, title, 'PATCH should return the task with the new title');
    assert.equal(res.json.id, task.id, 'PATCH should not change the id');
    const fetched = await getTask(http, task.id);
    assert.equal(fetched.title, title, 'GET after PATCH should return the new title');
  });

  test('core.patch-done', async ({ http }) => {
    const task = await create(http, { title: uniq('patch-done') });
    const res = await http.patch(`/tasks/${task.id}`, { done: true });
    assert.equal(res.status, 200, `PATCH /tasks/:id {"done": true} should return 200, got ${describe(res)}`);
    assertTask(res.json, 'PATCH /tasks/:id response');
    assert.equal(res.json.done, true, 'PATCH {"done": true} should return done: true');
    assert.equal((await getTask(http, task.id)).done, true, 'GET after PATCH {"done": true} should return done: true');
    const back = await http.patch(`/tasks/${task.id}`, { done: false });
    assert.equal(back.status, 200, `PATCH /tasks/:id {"done": false} should return 200, got ${describe(back)}`);
    assert.equal((await getTask(http, task.id)).done, false, 'GET after PATCH {"done": false} should return done: false');
  });

  test('core.patch-partial', async ({ http }) => {
    const task = await create(http, { title: uniq('patch-partial'), done: true });
    const r1 = await http.patch(`/tasks/${task.id}`, { done: false });
    assert.equal(r1.status, 200, `PATCH {"done": false} should return 200, got ${describe(r1)}`);
    let fetched = await getTask(http, task.id);
    assert.equal(fetched.title, task.title, 'PATCH with only "done" should keep the title');
    assert.equal(fetched.createdAt, task.createdAt, 'PATCH should keep createdAt');
    const title = uniq('patch-partial-renamed');
    const r2 = await http.patch(`/tasks/${task.id}`, { title });
    assert.equal(r2.status, 200, `PATCH {"title": "..."} should return 200, got ${describe(r2)}`);
    fetched = await getTask(http, task.id);
    assert.equal(fetched.done, false, 'PATCH with only "title" should keep done');
    assert.equal(fetched.title, title, 'PATCH with only "title" should change the title');
    assert.equal(fetched.id, task.id, 'PATCH should keep the id');
  });

  test('core.patch-unknown-404', async ({ http }) => {
    const res = await http.patch(`/tasks/${uniq('no-such-id')}`, { title: 'valid title', done: true });
    assertError(res, 404, 'PATCH /tasks/<unknown id> with a valid body');
  });

  test('core.delete', async ({ http }) => {
    const task = await create(http, { title: uniq('delete') });
    const res = await http.delete(`/tasks/${task.id}`);
    assert.equal(res.status, 204, `DELETE /tasks/:id should return 204, got ${describe(res)}`);
    const after = await http.get(`/tasks/${task.id}`);
    assertError(after, 404, 'GET /tasks/:id after DELETE');
  });

  test('core.delete-unknown-404', async ({ http }) => {
    const res = await http.delete(`/tasks/${uniq('no-such-id')}`);
    assertError(res, 404, 'DELETE /tasks/<unknown id>');
    const task = await create(http, { title: uniq('delete-twice') });
    const first = await http.delete(`/tasks/${task.id}`);
    assert.equal(first.status, 204, `DELETE /tasks/:id should return 204, got ${describe(first)}`);
    const second = await http.delete(`/tasks/${task.id}`);
    assertError(second, 404, 'a second DELETE of the same id');
  });

  test('core.delete-removes-from-list', async ({ http }) => {
    const prefix = uniq('delete-list');
    const keep = await create(http, { title: `${prefix}-keep` });
    const gone = await create(http, { title: `${prefix}-gone` });
    const res = await http.delete(`/tasks/${gone.id}`);
    assert.equal(res.status, 204, `DELETE /tasks/:id should return 204, got ${describe(res)}`);
    const all = ids(await listAll(http));
    assert.ok(!all.includes(gone.id), 'a deleted task should not appear in GET /tasks');
    assert.ok(all.includes(keep.id), 'deleting one task should not remove another from GET /tasks');
  });

  test('core.json-content-type', async ({ http }) => {
    const check = (res, what) => assert.ok(isJson(res), `${what} should have Content-Type application/json, got ${JSON.stringify(res.headers['content-type'] ?? null)}`);
    const post = await http.post('/tasks', { title: uniq('content-type') });
    assert.equal(post.status, 201, `POST /tasks should return 201, got ${describe(post)}`);
    check(post, 'POST /tasks (201)');
    const id = post.json?.id;
    check(await http.get(`/tasks/${id}`), 'GET /tasks/:id (200)');
    check(await http.get('/tasks'), 'GET /tasks (200)');
    check(await http.patch(`/tasks/${id}`, { done: true }), 'PATCH /tasks/:id (200)');
    check(await http.post('/tasks', {}), 'POST /tasks with no title (400)');
    check(await http.get(`/tasks/${uniq('no-such-id')}`), 'GET /tasks/<unknown id> (404)');
  });

  test('core.unknown-route', async ({ http }) => {
    for (const path of ['/does-not-exist', '/tasks/some-id/extra', '/healthz', '/api/tasks']) {
      const res = await http.get(path);
      assert.equal(res.status, 404, `GET ${path} should return 404, got ${describe(res)}`);
    }
    const res = await http.post('/nope', { title: 'x' });
    assert.equal(res.status, 404, `POST /nope should return 404, got ${describe(res)}`);
  });

  // ----------------------------------------------------------------------------- validation --

  test('validation.malformed-json', async ({ http }) => {
    for (const raw of ['{"title": "unterminated', '{title: "no quotes"}', 'not json at all', '{"title": "x",}']) {
      const res = await http.request({ method: 'POST', path: '/tasks', rawBody: raw, headers: { 'content-type': 'application/json' } });
      assertError(res, 400, `POST /tasks with malformed JSON ${JSON.stringify(raw)}`);
    }
  });

  test('validation.missing-title', async ({ http }) => {
    assertError(await http.post('/tasks', {}), 400, 'POST /tasks {}');
    assertError(await http.post('/tasks', { done: true }), 400, 'POST /tasks {"done": true} (no title)');
  });

  test('validation.empty-title', async ({ http }) => {
    assertError(await http.post('/tasks', { title: '' }), 400, 'POST /tasks {"title": ""}');
  });

  test('validation.whitespace-title', async ({ http }) => {
    assertError(await http.post('/tasks', { title: '   ' }), 400, 'POST /tasks {"title": "   "}');
    assertError(await http.post('/tasks', { title: ' \t \n ' }), 400, 'POST /tasks with a title of spaces, tab and newline');
  });

  test('validation.title-too-long', async ({ http }) => {
    assertError(await http.post('/tasks', { title: 'a'.repeat(201) }), 400, 'POST /tasks with a 201-character title');
  });

  test('validation.title-200-accepted', async ({ http }) => {
    const title = `${uniq('max')}-`.padEnd(200, 'x');
    const task = await create(http, { title });
    assert.equal(task.title, title, 'a 200-character title should be stored unchanged');
  });

  test('validation.title-length-after-trim', async ({ http }) => {
    const core = `${uniq('trim')}-`.padEnd(200, 'y');
    const raw = `   ${core}   `;
    const res = await http.post('/tasks', { title: raw });
    assert.equal(res.status, 201, `a title of 200 characters plus surrounding spaces (206 before trimming) should be accepted with 201 since length counts after trimming, got ${describe(res)}`);
    assertTask(res.json, 'POST /tasks response');
    assert.ok(res.json.title === core || res.json.title === raw, `the stored title should be the title sent (trimmed or not), got ${snippet(JSON.stringify(res.json.title))}`);
    assertError(await http.post('/tasks', { title: ` ${'z'.repeat(201)} ` }), 400, 'POST /tasks with a title of 201 characters after trimming');
  });

  test('validation.title-wrong-type', async ({ http }) => {
    for (const title of [123, true, null, ['a list'], { text: 'an object' }]) {
      assertError(await http.post('/tasks', { title }), 400, `POST /tasks {"title": ${JSON.stringify(title)}}`);
    }
  });

  test('validation.done-wrong-type', async ({ http }) => {
    for (const done of ['true', 1, 'yes', [true]]) {
      assertError(await http.post('/tasks', { title: uniq('bad-done'), done }), 400, `POST /tasks {"title": "...", "done": ${JSON.stringify(done)}}`);
    }
  });

  test('validation.non-object-body', async ({ http }) => {
    for (const raw of ['[]', '["title"]', 'null', '"just a string"', '42']) {
      const res = await http.request({ method: 'POST', path: '/tasks', rawBody: raw, headers: { 'content-type': 'application/json' } });
      assertError(res, 400, `POST /tasks with the JSON body ${raw}`);
    }
  });

  test('validation.patch-invalid', async ({ http }) => {
    const task = await create(http, { title: uniq('patch-invalid') });
    const path = `/tasks/${task.id}`;
    assertError(await http.patch(path, { title: '' }), 400, 'PATCH {"title": ""}');
    assertError(await http.patch(path, { title: '    ' }), 400, 'PATCH {"title": "    "}');
    assertError(await http.patch(path, { title: 'b'.repeat(201) }), 400, 'PATCH with a 201-character title');
    assertError(await http.patch(path, { title: 42 }), 400, 'PATCH {"title": 42}');
    assertError(await http.patch(path, { done: 'true' }), 400, 'PATCH {"done": "true"}');
    assertError(await http.request({ method: 'PATCH', path, rawBody: '{"done": tru', headers: { 'content-type': 'application/json' } }), 400, 'PATCH with malformed JSON');
    const after = await getTask(http, task.id);
    assert.equal(after.title, task.title, 'rejected PATCH requests should not change the title');
    assert.equal(after.done, false, 'rejected PATCH requests should not change done');
  });

  test('validation.no-side-effects', async ({ http }) => {
    const before = (await listAll(http)).length;
    await http.post('/tasks', {});
    await http.post('/tasks', { title: '' });
    await http.post('/tasks', { title: 'c'.repeat(201) });
    await http.post('/tasks', { title: 7 });
    await http.post('/tasks', { title: 'valid title', done: 'no' });
    await http.request({ method: 'POST', path: '/tasks', rawBody: '{"title": "half', headers: { 'content-type': 'application/json' } });
    const after = (await listAll(http)).length;
    assert.equal(after, before, `rejected POST /tasks requests should not create tasks: GET /tasks had ${before} tasks before and ${after} after`);
  });

  // ------------------------------------------------------------------ filtering-pagination --

  test('list.filter-done-true', async ({ http }) => {
    const prefix = uniq('filter-true');
    const done = await create(http, { title: `${prefix}-done`, done: true });
    const open = await create(http, { title: `${prefix}-open` });
    const list = await listAll(http, 'done=true');
    const bad = list.find((t) => t.done !== true);
    assert.equal(bad, undefined, `GET /tasks?done=true should return only tasks with done: true, but it returned ${snippet(JSON.stringify(bad))}`);
    assert.ok(ids(list).includes(done.id), 'GET /tasks?done=true should include a task created with done: true');
    assert.ok(!ids(list).includes(open.id), 'GET /tasks?done=true should not include a task with done: false');
  });

  test('list.filter-done-false', async ({ http }) => {
    const prefix = uniq('filter-false');
    const done = await create(http, { title: `${prefix}-done`, done: true });
    const open = await create(http, { title: `${prefix}-open` });
    const list = await listAll(http, 'done=false');
    const bad = list.find((t) => t.done !== false);
    assert.equal(bad, undefined, `GET /tasks?done=false should return only tasks with done: false, but it returned ${snippet(JSON.stringify(bad))}`);
    assert.ok(ids(list).includes(open.id), 'GET /tasks?done=false should include a task with done: false');
    assert.ok(!ids(list).includes(done.id), 'GET /tasks?done=false should not include a task with done: true');
  });

  test('list.default-limit', async ({ http }) => {
    const prefix = uniq('default-limit');
    for (let i = 0; i < 21; i += 1) await create(http, { title: `${prefix}-${i}` });
    const page = await listPage(http, '');
    assert.equal(page.length, 20, `GET /tasks without a limit should return 20 tasks (the default limit) when more exist, got ${page.length}`);
    const first = ids((await listAll(http)).slice(0, 20));
    assert.deepEqual(ids(page), first, 'GET /tasks without offset should return the first 20 tasks in creation order');
  });

  test('list.limit-offset', async ({ http }) => {
    const prefix = uniq('limit-offset');
    const created = [];
    for (let i = 0; i < 5; i += 1) created.push(await create(http, { title: `${prefix}-${i}` }));
    const all = ids(await listAll(http));
    const start = all.indexOf(created[0].id);
    assert.ok(start >= 0, 'a just-created task is missing from GET /tasks (paged with limit=100&offset=...)');
    const page = await listPage(http, `limit=2&offset=${start + 1}`);
    assert.deepEqual(ids(page), [created[1].id, created[2].id], `GET /tasks?limit=2&offset=${start + 1} should return exactly the 2nd and 3rd of five tasks created in a row (the 1st is at offset ${start}), got ${snippet(JSON.stringify(page.map((t) => t.title)))}`);
    const five = await listPage(http, `offset=${start}&limit=5`);
    assert.deepEqual(ids(five), ids(created), `GET /tasks?offset=${start}&limit=5 should return the five tasks created in a row, in creation order`);
  });

  test('list.limit-bounds', async ({ http }) => {
    await create(http, { title: uniq('limit-bounds') });
    const one = await listPage(http, 'limit=1');
    assert.equal(one.length, 1, `GET /tasks?limit=1 should return exactly 1 task, got ${one.length}`);
    const total = (await listAll(http)).length;
    const hundred = await listPage(http, 'limit=100');
    assert.equal(hundred.length, Math.min(100, total), `GET /tasks?limit=100 should return min(100, number of tasks) = ${Math.min(100, total)} tasks, got ${hundred.length}`);
  });

  test('list.offset-past-end', async ({ http }) => {
    await create(http, { title: uniq('offset-past-end') });
    const total = (await listAll(http)).length;
    const page = await listPage(http, `offset=${total + 1000}`);
    assert.deepEqual(page, [], `GET /tasks?offset=${total + 1000} (past the ${total} tasks) should return an empty array, got ${page.length} tasks`);
  });

  test('list.filter-then-paginate', async ({ http }) => {
    const prefix = uniq('filter-page');
    const d1 = await create(http, { title: `${prefix}-d1`, done: true });
    await create(http, { title: `${prefix}-o1` });
    const d2 = await create(http, { title: `${prefix}-d2`, done: true });
    await create(http, { title: `${prefix}-o2` });
    const d3 = await create(http, { title: `${prefix}-d3`, done: true });
    const doneIds = ids(await listAll(http, 'done=true'));
    const i = doneIds.indexOf(d1.id);
    assert.ok(i >= 0, 'a task created with done: true is missing from GET /tasks?done=true');
    assert.deepEqual(doneIds.slice(i, i + 3), [d1.id, d2.id, d3.id], 'GET /tasks?done=true should list done tasks in creation order, skipping open tasks created in between');
    const page = await listPage(http, `done=true&limit=2&offset=${i}`);
    assert.deepEqual(ids(page), [d1.id, d2.id], `GET /tasks?done=true&limit=2&offset=${i} should return the first two of three done tasks (the filter applies before limit/offset), got ${snippet(JSON.stringify(page.map((t) => t.title)))}`);
  });

  test('list.invalid-limit', async ({ http }) => {
    for (const v of ['0', '101', 'abc', '-5']) {
      assertError(await http.get(`/tasks?limit=${v}`), 400, `GET /tasks?limit=${v}`);
    }
  });

  test('list.invalid-offset', async ({ http }) => {
    for (const v of ['-1', 'abc']) {
      assertError(await http.get(`/tasks?offset=${v}`), 400, `GET /tasks?offset=${v}`);
    }
  });

  test('list.invalid-done', async ({ http }) => {
    for (const v of ['maybe', 'yes']) {
      assertError(await http.get(`/tasks?done=${v}`), 400, `GET /tasks?done=${v}`);
    }
  });

  // ----------------------------------------------------------------------------- robustness --

  // Generous timeouts: a server with a small listen backlog (e.g. Python's ThreadingHTTPServer,
  // request_queue_size 5) drops some of 50 simultaneous SYNs, and the kernel retries them after
  // 1 s, 2 s, 4 s, ... Measured: up to ~8 s on a correct stdlib server. That is not a bug to punish.
  test('robust.concurrent-creates', async ({ http }) => {
    const prefix = uniq('concurrent');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => http.post('/tasks', { title: `${prefix}-${i}` }, { timeoutMs: 20000 })),
    );
    const failed = responses.filter((r) => r.status !== 201);
    assert.equal(failed.length, 0, `all 50 concurrent POST /tasks should return 201; ${failed.length} did not, e.g. ${failed[0] ? describe(failed[0]) : ''}`);
    const created = responses.map((r) => r.json?.id);
    assert.equal(new Set(created).size, 50, `50 concurrent creates should get 50 distinct ids, got ${new Set(created).size}`);
    const all = new Set(ids(await listAll(http)));
    const missing = created.filter((id) => !all.has(id));
    assert.equal(missing.length, 0, `all 50 concurrently created tasks should appear in GET /tasks; ${missing.length} are missing`);
  }, { timeoutMs: 30000 });

  test('robust.survives-malformed', async ({ http }) => {
    const task = await create(http, { title: uniq('survives') });
    const bad = [
      { method: 'POST', path: '/tasks', rawBody: '{"title": ' },
      { method: 'POST', path: '/tasks', rawBody: '' },
      { method: 'POST', path: '/tasks', rawBody: '}{' },
      { method: 'PATCH', path: `/tasks/${task.id}`, rawBody: '{"done": }' },
      { method: 'POST', path: '/tasks', rawBody: 'null' },
    ];
    for (const req of bad) {
      const res = await http.request({ ...req, headers: { 'content-type': 'application/json' } });
      assertError(res, 400, `${req.method} ${req.path} with body ${JSON.stringify(req.rawBody)}`);
    }
    const health = await http.get('/health');
    assert.equal(health.status, 200, `GET /health should still return 200 after malformed requests, got ${describe(health)}`);
    await create(http, { title: uniq('after-malformed') });
    assert.equal((await getTask(http, task.id)).title, task.title, 'an existing task should be unchanged after malformed requests');
  });

  test('robust.large-body', async ({ http }) => {
    let res;
    try {
      res = await http.post('/tasks', { title: 'L'.repeat(100 * 1024) }, { timeoutMs: 4000 });
    } catch (err) {
      // A service may refuse an oversized body by closing the connection early; that is fine as
      // long as it keeps running. A timeout is not fine.
      assert.match(String(err?.message), /ECONNRESET|EPIPE/, `POST /tasks with a 100 KB title should be answered with 400 or 413, but the request failed: ${err?.message}`);
    }
    if (res) assert.ok(res.status === 400 || res.status === 413, `POST /tasks with a 100 KB title should return 400 (or 413), got ${describe(res)}`);
    const health = await http.get('/health');
    assert.equal(health.status, 200, `GET /health should still return 200 after a 100 KB body, got ${describe(health)}`);
    await create(http, { title: uniq('after-large') });
  });

  test('robust.unicode-title', async ({ http }) => {
    const title = `Café ☕ 日本語 — ünïcødé 🚀 ${uniq('unicode')}`;
    const task = await create(http, { title });
    assert.equal(task.title, title, `a non-ASCII title should be returned unchanged by POST, got ${JSON.stringify(task.title)}`);
    assert.equal((await getTask(http, task.id)).title, title, 'a non-ASCII title should be returned unchanged by GET /tasks/:id');
  });

  test('robust.long-unknown-id', async ({ http }) => {
    const id = 'x'.repeat(300);
    assertError(await http.get(`/tasks/${id}`), 404, 'GET /tasks/<300-character unknown id>');
    assertError(await http.patch(`/tasks/${id}`, { done: true }), 404, 'PATCH /tasks/<300-character unknown id>');
    assertError(await http.delete(`/tasks/${id}`), 404, 'DELETE /tasks/<300-character unknown id>');
  });
}

export { assertError, assertTask, create, describe, ids, listAll, uniq };
