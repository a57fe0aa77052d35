// Hidden HTTP tests for "debug-app". Each test starts its own server in-process on an
// ephemeral port (127.0.0.1) with its own catalogue and data folder, and closes it at the end.
// This file is placed at <workspace>/.assay/tests/, so the app lives at ../../src/app.js.
// Each top-level test name is a test id of challenge.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from '../../src/app.js';

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

const CATALOGUE = [
  { sku: 'MUG-001', name: 'Enamel camping mug', price: 2.5, stock: 10 },
  { sku: 'TEE-002', name: 'Organic cotton T-shirt', price: 19.99, stock: 10 },
  { sku: 'CAP-003', name: 'Embroidered cap', price: 14, stock: 2 },
  { sku: 'BAG-004', name: 'Canvas tote bag', price: 8, stock: 5 },
  { sku: 'SOC-005', name: 'Wool socks', price: 11, stock: 1 },
];

/** Starts a fresh app, runs fn({ request, dataDir, port }) and always closes the server. */
async function withServer(fn, { products = CATALOGUE } = {}) {
  const dataDir = await makeTempDir();
  await mkdir(path.join(dataDir, 'receipts'), { recursive: true });
  const server = createServer({ dataDir, products: structuredClone(products) });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  try {
    return await fn({ request: (...args) => request(port, ...args), dataDir, port });
  } finally {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A raw HTTP request: the path is sent exactly as given (no URL normalisation). */
function request(port, method, rawPath, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: rawPath,
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode,
            headers: res.headers,
            text,
            json() {
              return JSON.parse(text);
            },
          });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${rawPath}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const order = (...items) => ({ items: items.map(([sku, quantity]) => ({ sku, quantity })) });

async function stockOf(request, sku) {
  const res = await request('GET', `/products/${sku}`);
  assert.equal(res.status, 200, `GET /products/${sku}`);
  return res.json().stock;
}

// --- bugs ----------------------------------------------------------------------------------

test('logic.last-units-can-be-sold', async () => {
  await withServer(async ({ request }) => {
    const all = await request('POST', '/orders', order(['CAP-003', 2]));
    assert.equal(all.status, 201, 'ordering exactly the units in stock succeeds');
    assert.equal(await stockOf(request, 'CAP-003'), 0);

    const last = await request('POST', '/orders', order(['SOC-005', 1]));
    assert.equal(last.status, 201, 'the very last unit can be bought');
    assert.equal(await stockOf(request, 'SOC-005'), 0);

    const more = await request('POST', '/orders', order(['CAP-003', 1]));
    assert.equal(more.status, 409, 'nothing left: 409');
  });
});

test('money.order-total', async () => {
  await withServer(async ({ request }) => {
    const product = (await request('GET', '/products/TEE-002')).json();
    assert.equal(product.priceCents, 1999);
    assert.equal(product.price, '19.99');

    const res = await request('POST', '/orders', order(['TEE-002', 3], ['MUG-001', 1]));
    assert.equal(res.status, 201);
    const body = res.json();
    assert.equal(body.subtotalCents, 3 * 1999 + 250);
    assert.equal(body.taxCents, 500); // 8% of 62.47 = 4.9976
    assert.equal(body.totalCents, 6747);
    assert.equal(body.total, '67.47');
  });
});

test('http.unknown-order-404', async () => {
  await withServer(async ({ request }) => {
    const missing = await request('GET', '/orders/ord_9999');
    assert.equal(missing.status, 404, 'an order that does not exist is 404');
    assert.equal(typeof missing.json().error, 'string', 'with a JSON error body');

    const created = await request('POST', '/orders', order(['BAG-004', 1]));
    assert.equal(created.status, 201);
    const { id } = created.json();
    const found = await request('GET', `/orders/${id}`);
    assert.equal(found.status, 200, 'an existing order is still found');
    assert.equal(found.json().id, id);
  });
});

test('validation.quantity-positive-integer', async () => {
  await withServer(async ({ request }) => {
    for (const quantity of [-2, 0, 1.5, '2', null]) {
      const res = await request('POST', '/orders', order(['BAG-004', quantity]));
      assert.equal(res.status, 400, `quantity ${JSON.stringify(quantity)} is rejected with 400`);
    }
    const mixed = await request('POST', '/orders', order(['MUG-001', 1], ['BAG-004', -3]));
    assert.equal(mixed.status, 400, 'one bad line rejects the whole order');
    assert.equal(await stockOf(request, 'BAG-004'), 5, 'stock is unchanged');
    assert.equal(await stockOf(request, 'MUG-001'), 10, 'stock is unchanged');
  });
});

test('security.receipt-path-traversal', async () => {
  await withServer(async ({ request, dataDir }) => {
    await writeFile(path.join(dataDir, 'secret.txt'), 'TOP-SECRET-DATA');
    await writeFile(path.join(dataDir, 'receipts', 'ord_0042.txt'), 'Receipt ord_0042\n');

    const ok = await request('GET', '/receipts/ord_0042.txt');
    assert.equal(ok.status, 200, 'a real receipt is still served');

    for (const p of ['/receipts/..%2Fsecret.txt', '/receipts/%2E%2E%2Fsecret.txt', '/receipts/..%2F..%2F' + encodeURIComponent(path.basename(dataDir)) + '%2Fsecret.txt', '/receipts/..%5Csecret.txt']) {
      const res = await request('GET', p);
      assert.ok(res.status >= 400 && res.status < 500, `GET ${p} is refused with a 4xx (got ${res.status})`);
      assert.ok(!res.text.includes('TOP-SECRET-DATA'), `GET ${p} must not leak files outside receipts/`);
    }
  });
});

// --- behaviour that already works --------------------------------------------------------

test('regression.health', async () => {
  await withServer(async ({ request }) => {
    const res = await request('GET', '/health');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });
});

test('regression.products-pagination', async () => {
  await withServer(async ({ request }) => {
    const first = (await request('GET', '/products?limit=2')).json();
    assert.deepEqual(first.items.map((p) => p.sku), ['BAG-004', 'CAP-003']);
    assert.equal(first.total, 5);
    assert.equal(first.pages, 3);
    assert.equal(first.page, 1);

    const second = (await request('GET', '/products?page=2&limit=2')).json();
    assert.deepEqual(second.items.map((p) => p.sku), ['MUG-001', 'SOC-005']);
    const last = (await request('GET', '/products?page=3&limit=2')).json();
    assert.deepEqual(last.items.map((p) => p.sku), ['TEE-002']);

    assert.equal((await request('GET', '/products?page=0')).status, 400);
    assert.equal((await request('GET', '/products?limit=abc')).status, 400);
  });
});

test('regression.unknown-product-404', async () => {
  await withServer(async ({ request }) => {
    const res = await request('GET', '/products/NOPE-999');
    assert.equal(res.status, 404);
    assert.equal(typeof res.json().error, 'string');
    assert.equal((await request('GET', '/no/such/route')).status, 404);
  });
});

test('regression.place-order', async () => {
  await withServer(async ({ request }) => {
    const res = await request('POST', '/orders', order(['MUG-001', 2]));
    assert.equal(res.status, 201);
    const body = res.json();
    assert.match(body.id, /^ord_/);
    assert.equal(res.headers.location, `/orders/${body.id}`);
    assert.equal(body.subtotalCents, 500);
    assert.equal(body.taxCents, 40);
    assert.equal(body.totalCents, 540);
    assert.deepEqual(body.items.map((i) => [i.sku, i.quantity]), [['MUG-001', 2]]);
    assert.equal(await stockOf(request, 'MUG-001'), 8);

    const unknown = await request('POST', '/orders', order(['NOPE-999', 1]));
    assert.equal(unknown.status, 404, 'ordering an unknown product is 404');
    const tooMany = await request('POST', '/orders', order(['BAG-004', 6]));
    assert.equal(tooMany.status, 409, 'ordering more than the stock is 409');
    assert.equal(await stockOf(request, 'BAG-004'), 5);
  });
});

test('regression.receipt-download', async () => {
  await withServer(async ({ request }) => {
    const created = (await request('POST', '/orders', order(['MUG-001', 2]))).json();
    const res = await request('GET', created.receipt);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/plain/);
    assert.ok(res.text.includes(created.id), 'the receipt names the order');
    assert.match(res.text, /Total\s+5\.40/);
    assert.equal((await request('GET', '/receipts/ord_7777.txt')).status, 404);
  });
});

test('regression.bad-request-body', async () => {
  await withServer(async ({ request }) => {
    assert.equal((await request('POST', '/orders', '{"items": [')).status, 400, 'invalid JSON is 400');
    assert.equal((await request('POST', '/orders', { items: [] })).status, 400, 'an empty order is 400');
    assert.equal((await request('POST', '/orders', { items: [{ sku: 'MUG-001', quantity: 1 }, { sku: 'MUG-001', quantity: 1 }] })).status, 400);
    assert.equal(await stockOf(request, 'MUG-001'), 10);
  });
});
