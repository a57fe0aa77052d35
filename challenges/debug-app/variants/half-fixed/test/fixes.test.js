// Tests for the three bugs fixed so far (the others are still open).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from '../src/app.js';
import { Inventory } from '../src/inventory.js';
import { validateOrder } from '../src/orders.js';

test('the last units in stock can be sold', () => {
  const inventory = new Inventory([{ sku: 'CAP-1', price: 1, stock: 2 }]);
  assert.equal(inventory.canFulfil('CAP-1', 2), true);
});

test('quantities must be positive integers', () => {
  for (const quantity of [0, -1, 1.5]) {
    assert.throws(() => validateOrder({ items: [{ sku: 'CAP-1', quantity }] }), { status: 400 });
  }
});

test('an unknown order answers 404', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shopfront-fixes-'));
  const server = createServer({ dataDir, products: [] });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${server.address().port}/orders/ord_9999`);
    assert.equal(res.status, 404);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
});
