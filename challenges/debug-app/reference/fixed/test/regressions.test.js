// Regression tests for the bugs users reported: each one failed before its fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from '../src/app.js';
import { readPublicFile } from '../src/files.js';
import { Inventory } from '../src/inventory.js';
import { toCents } from '../src/money.js';
import { OrderService, validateOrder } from '../src/orders.js';

let server;
let baseUrl;
let dataDir;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'shopfront-regressions-'));
  server = createServer({ dataDir, products: [{ sku: 'CAP-1', name: 'Cap', price: 14.35, stock: 2 }] });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

test('the last units in stock can be sold', () => {
  const inventory = new Inventory([{ sku: 'CAP-1', price: 1, stock: 2 }]);
  assert.equal(inventory.canFulfil('CAP-1', 2), true);
  assert.equal(inventory.canFulfil('CAP-1', 3), false);
});

test('decimal prices convert to exact cents', () => {
  assert.equal(toCents(19.99), 1999);
  assert.equal(toCents(14.35), 1435);
  assert.equal(toCents('4.35'), 435);
});

test('quantities must be positive integers', () => {
  for (const quantity of [0, -1, 1.5, '2']) {
    assert.throws(() => validateOrder({ items: [{ sku: 'CAP-1', quantity }] }), { status: 400 }, `quantity ${quantity}`);
  }
  assert.deepEqual(validateOrder({ items: [{ sku: 'CAP-1', quantity: 1 }] }), [{ sku: 'CAP-1', quantity: 1 }]);
});

test('concurrent orders cannot oversell the last unit', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'shopfront-race-'));
  try {
    const inventory = new Inventory([{ sku: 'CAP-1', price: 1, stock: 1 }]);
    const orders = new OrderService({ inventory, receiptsDir: dir });
    const results = await Promise.allSettled([1, 2].map(() => orders.create({ items: [{ sku: 'CAP-1', quantity: 1 }] })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal(inventory.get('CAP-1').stock, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readPublicFile stays inside its folder', async () => {
  const root = path.join(dataDir, 'public');
  await mkdir(root, { recursive: true });
  await writeFile(path.join(dataDir, 'secret.txt'), 'secret');
  assert.equal(await readPublicFile(root, '../secret.txt'), null);
  assert.equal(await readPublicFile(root, '../../etc/passwd'), null);
});

test('an unknown order answers 404', async () => {
  const res = await fetch(`${baseUrl}/orders/ord_9999`);
  assert.equal(res.status, 404);
});
