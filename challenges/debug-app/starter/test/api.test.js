import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from '../src/app.js';

let server;
let baseUrl;
let dataDir;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'shopfront-test-'));
  server = createServer({
    dataDir,
    products: [
      { sku: 'A-1', name: 'Alpha', price: 2.5, stock: 10 },
      { sku: 'B-2', name: 'Bravo', price: 4, stock: 5 },
    ],
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

test('GET /health', async () => {
  const res = await fetch(`${baseUrl}/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('GET /products lists the catalogue', async () => {
  const res = await fetch(`${baseUrl}/products`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.total, 2);
  assert.deepEqual(body.items.map((p) => p.sku), ['A-1', 'B-2']);
});

test('POST /orders places an order', async () => {
  const res = await fetch(`${baseUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ sku: 'A-1', quantity: 2 }] }),
  });
  assert.equal(res.status, 201);
  const order = await res.json();
  assert.equal(order.totalCents, 540);
});
