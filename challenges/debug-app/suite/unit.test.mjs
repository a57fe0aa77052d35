// Hidden unit tests for "debug-app". They import the candidate's modules directly;
// this file is placed at <workspace>/.assay/tests/, so the app lives at ../../src/.
// Each top-level test name is a test id of challenge.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeTotals, formatCents, toCents } from '../../src/money.js';
import { Inventory } from '../../src/inventory.js';
import { OrderService, validateOrder } from '../../src/orders.js';
import { readPublicFile } from '../../src/files.js';

/** A fresh temporary folder: in the OS temp dir, or next to the suite if that is not writable. */
async function makeTempDir() {
  try {
    return await mkdtemp(path.join(tmpdir(), 'assay-debug-app-'));
  } catch {
    const base = fileURLToPath(new URL('../tmp/', import.meta.url));
    await mkdir(base, { recursive: true });
    return mkdtemp(path.join(base, 'debug-app-'));
  }
}

async function withTempDir(fn) {
  const dir = await makeTempDir();
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('money.to-cents', () => {
  const cases = [
    [19.99, 1999],
    [9.95, 995],
    [4.35, 435],
    [0.29, 29],
    [1.15, 115],
    [12.5, 1250],
    [16.1, 1610],
    [7, 700],
    ['19.99', 1999],
    [' 4.35 ', 435],
  ];
  for (const [input, expected] of cases) {
    assert.equal(toCents(input), expected, `toCents(${JSON.stringify(input)})`);
  }
});

test('concurrency.no-oversell', async () => {
  await withTempDir(async (dir) => {
    const inventory = new Inventory([{ sku: 'LAMP-1', name: 'Desk lamp', price: 30, stock: 3 }]);
    const orders = new OrderService({ inventory, receiptsDir: path.join(dir, 'receipts') });
    const order = { items: [{ sku: 'LAMP-1', quantity: 2 }] };

    // Two customers check out at the same moment; only one can get 2 of the 3 lamps.
    const results = await Promise.allSettled([orders.create(order), orders.create(order)]);

    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected');
    assert.equal(fulfilled.length, 1, 'exactly one of the two concurrent orders succeeds');
    assert.equal(rejected.length, 1, 'the other one is refused');
    assert.equal(rejected[0].reason?.status, 409, 'the refused order is a 409 conflict (not enough stock)');
    assert.equal(inventory.get('LAMP-1').stock, 1, 'stock never goes below zero');
    assert.equal(orders.list().length, 1, 'only the successful order is recorded');
  });
});

test('security.public-file-containment', async () => {
  await withTempDir(async (dir) => {
    const root = path.join(dir, 'receipts');
    await mkdir(root);
    await mkdir(path.join(dir, 'receipts-archive'));
    await writeFile(path.join(root, 'ord_0001.txt'), 'Receipt ord_0001\n');
    await writeFile(path.join(dir, 'secret.txt'), 'TOP-SECRET-1');
    await writeFile(path.join(dir, 'receipts-archive', 'old.txt'), 'TOP-SECRET-2');

    const ok = await readPublicFile(root, 'ord_0001.txt');
    assert.ok(ok, 'a file inside the folder is served');
    assert.equal(ok.body.toString('utf8'), 'Receipt ord_0001\n');

    for (const name of ['../secret.txt', '../../secret.txt', '../receipts-archive/old.txt', 'sub/../../secret.txt', path.join(dir, 'secret.txt')]) {
      const file = await readPublicFile(root, name);
      assert.ok(
        file === null || !/TOP-SECRET/.test(file.body.toString('utf8')),
        `readPublicFile(root, ${JSON.stringify(name)}) must not read outside the folder`,
      );
    }
  });
});

test('regression.money-helpers', () => {
  assert.equal(formatCents(1999), '19.99');
  assert.equal(formatCents(5), '0.05');
  assert.equal(formatCents(120000), '1200.00');
  assert.deepEqual(
    computeTotals([
      { unitPriceCents: 1250, quantity: 2 },
      { unitPriceCents: 499, quantity: 3 },
    ]),
    { subtotal: 3997, tax: 320, total: 4317 },
  );
});

test('regression.validate-order-shapes', () => {
  const rejects = (input, label) =>
    assert.throws(() => validateOrder(input), (err) => err?.status === 400, `${label} is rejected with 400`);
  rejects(null, 'a null body');
  rejects({}, 'a body without items');
  rejects({ items: [] }, 'an empty order');
  rejects({ items: [{ quantity: 1 }] }, 'a line without sku');
  rejects({ items: [{ sku: 'A', quantity: 1 }, { sku: 'A', quantity: 2 }] }, 'a repeated sku');
  rejects({ items: [{ sku: 'A' }] }, 'a line without quantity');

  const lines = validateOrder({ items: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 3 }] });
  assert.deepEqual(
    lines.map((l) => [l.sku, l.quantity]),
    [['A', 1], ['B', 3]],
  );
});
