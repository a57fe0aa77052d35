// Hidden HTTP suite of "{{id}}", run by Assay's harness (sandbox-images/grader/harness.mjs) in
// a grader container that shares the candidate's network namespace. Every test id below must be
// declared in challenge.json; points, names and visibility come from there, not from here.
// `http` never follows redirects, times out each request and caps response bodies. To check the
// candidate's modules directly too, set `service.driverPort` in challenge.json: each test then
// also gets `driver` (see challenges/README.md and challenges/debug-app/suite/tests.mjs).
import assert from 'node:assert/strict';

function isJson(res) {
  return /^application\/json\b/i.test(String(res.headers['content-type'] ?? ''));
}

/** @param {{ test: (id: string, fn: (ctx: { http: any }) => Promise<void>, opts?: { timeoutMs?: number }) => void }} api */
export default ({ test }) => {
  test('greeting.named', async ({ http }) => {
    const res = await http.get('/greeting?name=Ada');
    assert.equal(res.status, 200, `GET /greeting?name=Ada: expected 200, got ${res.status} ${res.text.slice(0, 200)}`);
    assert.deepEqual(res.json, { greeting: 'Hello, Ada!' });
  });

  test('greeting.default', async ({ http }) => {
    const res = await http.get('/greeting');
    assert.equal(res.status, 200, `GET /greeting: expected 200, got ${res.status}`);
    assert.deepEqual(res.json, { greeting: 'Hello, world!' });
  });

  test('greeting.json', async ({ http }) => {
    const res = await http.get('/greeting?name=Grace');
    assert.equal(res.status, 200, `GET /greeting?name=Grace: expected 200, got ${res.status}`);
    assert.ok(isJson(res), `expected Content-Type application/json, got ${res.headers['content-type']}`);
  });

  test('greeting.unicode', async ({ http }) => {
    const res = await http.get(`/greeting?name=${encodeURIComponent('Zoë 李')}`);
    assert.equal(res.status, 200, `expected 200, got ${res.status}`);
    assert.deepEqual(res.json, { greeting: 'Hello, Zoë 李!' });
  });

  test('validation.empty-name', async ({ http }) => {
    const res = await http.get('/greeting?name=');
    assert.equal(res.status, 400, `GET /greeting?name= : expected 400, got ${res.status}`);
    assert.equal(typeof res.json?.error, 'string', 'expected a JSON body {"error": string}');
  });

  test('validation.name-too-long', async ({ http }) => {
    const ok = await http.get(`/greeting?name=${'a'.repeat(50)}`);
    assert.equal(ok.status, 200, `a 50-character name: expected 200, got ${ok.status}`);
    const res = await http.get(`/greeting?name=${'a'.repeat(51)}`);
    assert.equal(res.status, 400, `a 51-character name: expected 400, got ${res.status}`);
  });

  test('routing.unknown-404', async ({ http }) => {
    for (const path of ['/nope', '/greeting/extra']) {
      const res = await http.get(path);
      assert.equal(res.status, 404, `GET ${path}: expected 404, got ${res.status}`);
    }
  });
};
