// Hidden suite of "debug-app", run by the grader harness (sandbox-images/grader/harness.mjs) in
// the grader container. Nothing of it ever enters the candidate's workspace.
//
// Two kinds of checks, and every verdict is decided here, never in the candidate's process:
// - HTTP checks, black-box, against the candidate's own service (`npm start`, PORT) with the
//   catalogue it ships (data/products.json). Tests run one after another against ONE running
//   service that keeps its state, so each reads the stock it needs first and asserts changes
//   relative to it.
// - Unit checks through Assay's driver (`driver`), which runs in the candidate's container,
//   calls the candidate's modules and answers what they returned or threw. The expected values
//   live only in this file.
import assert from 'node:assert/strict';

// --- helpers ---------------------------------------------------------------------------------

function snippet(text, max = 200) {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function describe(res) {
  return `${res.status} ${snippet(res.text) || '(empty body)'}`;
}

const order = (...items) => ({ items: items.map(([sku, quantity]) => ({ sku, quantity })) });

async function stockOf(http, sku) {
  const res = await http.get(`/products/${sku}`);
  assert.equal(res.status, 200, `GET /products/${sku}: ${describe(res)}`);
  assert.equal(typeof res.json?.stock, 'number', `GET /products/${sku} should answer a numeric stock, got ${snippet(res.text)}`);
  return res.json.stock;
}

async function placeOrder(http, body, what) {
  const res = await http.post('/orders', body);
  assert.equal(res.status, 201, `${what}: POST /orders ${snippet(JSON.stringify(body), 120)} should answer 201, got ${describe(res)}`);
  return res.json;
}

function assertJsonError(res, status, what) {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${describe(res)}`);
  assert.equal(typeof res.json?.error, 'string', `${what}: the ${status} body should be JSON like {"error": "..."}, got ${snippet(res.text)}`);
}

const text = (body) => (Buffer.isBuffer(body) ? body.toString('utf8') : String(body ?? ''));

// Strings that appear in files of the candidate's project but never in a receipt.
const LEAK_MARKERS = ['Enamel camping mug', '"priceCents"', '"scripts"', 'createServer', 'readPublicFile'];

// --- suite -----------------------------------------------------------------------------------

export default function ({ test }) {
  // Bugs.

  test('logic.last-units-can-be-sold', async ({ http }) => {
    const caps = await stockOf(http, 'CAP-003');
    assert.ok(caps > 0, 'CAP-003 should be in stock in data/products.json');
    await placeOrder(http, order(['CAP-003', caps]), `ordering exactly the ${caps} CAP-003 in stock`);
    assert.equal(await stockOf(http, 'CAP-003'), 0, 'after selling every CAP-003, its stock is 0');

    const socks = await stockOf(http, 'SOC-008');
    assert.ok(socks > 0, 'SOC-008 should be in stock in data/products.json');
    if (socks > 1) await placeOrder(http, order(['SOC-008', socks - 1]), 'ordering all SOC-008 but one');
    await placeOrder(http, order(['SOC-008', 1]), 'buying the very last SOC-008');
    assert.equal(await stockOf(http, 'SOC-008'), 0, 'after selling the last SOC-008, its stock is 0');

    const more = await http.post('/orders', order(['CAP-003', 1]));
    assertJsonError(more, 409, 'ordering a CAP-003 when none is left');
  });

  test('money.to-cents', async ({ driver }) => {
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
      assert.equal(await driver.call('src/money.js', 'toCents', input), expected, `toCents(${JSON.stringify(input)})`);
    }
  });

  test('money.order-total', async ({ http }) => {
    const tee = await http.get('/products/TEE-002');
    assert.equal(tee.status, 200, `GET /products/TEE-002: ${describe(tee)}`);
    assert.equal(tee.json?.priceCents, 1999, 'TEE-002 costs 19.99, so priceCents is 1999');
    assert.equal(tee.json?.price, '19.99');

    const body = await placeOrder(http, order(['TEE-002', 3], ['MUG-001', 1]), 'three T-shirts and a mug');
    assert.equal(body.subtotalCents, 3 * 1999 + 1250, 'subtotalCents');
    assert.equal(body.taxCents, 580, 'taxCents: 8% of 72.47 is 5.7976'); // rounded to the cent
    assert.equal(body.totalCents, 7827, 'totalCents');
    assert.equal(body.total, '78.27', 'total');
  });

  test('http.unknown-order-404', async ({ http }) => {
    for (const id of ['ord_9999', 'no-such-order']) {
      assertJsonError(await http.get(`/orders/${id}`), 404, `GET /orders/${id} (no such order)`);
    }
    const created = await placeOrder(http, order(['BAG-004', 1]), 'a tote bag');
    const found = await http.get(`/orders/${created.id}`);
    assert.equal(found.status, 200, `an existing order is still found: ${describe(found)}`);
    assert.equal(found.json?.id, created.id);
  });

  test('validation.quantity-positive-integer', async ({ http }) => {
    const bags = await stockOf(http, 'BAG-004');
    const mugs = await stockOf(http, 'MUG-001');
    for (const quantity of [-2, 0, 1.5, '2', null]) {
      const res = await http.post('/orders', order(['BAG-004', quantity]));
      assert.equal(res.status, 400, `quantity ${JSON.stringify(quantity)} is rejected with 400, got ${describe(res)}`);
    }
    const mixed = await http.post('/orders', order(['MUG-001', 1], ['BAG-004', -3]));
    assert.equal(mixed.status, 400, `one bad line rejects the whole order, got ${describe(mixed)}`);
    assert.equal(await stockOf(http, 'BAG-004'), bags, 'BAG-004 stock is unchanged');
    assert.equal(await stockOf(http, 'MUG-001'), mugs, 'MUG-001 stock is unchanged');
  });

  test('concurrency.no-oversell', async ({ driver }) => {
    const dir = await driver.tempDir({}, ['receipts']);
    const inventory = await driver.construct('src/inventory.js', 'Inventory', [{ sku: 'LAMP-1', name: 'Desk lamp', price: 30, stock: 3 }]);
    const orders = await driver.construct('src/orders.js', 'OrderService', { inventory, receiptsDir: `${dir}/receipts` });
    const lamps = { items: [{ sku: 'LAMP-1', quantity: 2 }] };

    // Two customers check out at the same moment; only one can get 2 of the 3 lamps.
    const results = await driver.settle([
      { target: orders, method: 'create', args: [lamps] },
      { target: orders, method: 'create', args: [lamps] },
    ]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected');
    assert.equal(fulfilled.length, 1, 'exactly one of the two concurrent orders succeeds');
    assert.equal(rejected.length, 1, 'the other one is refused');
    assert.equal(rejected[0].reason?.status, 409, `the refused order is a 409 conflict (not enough stock), got ${rejected[0].reason?.name}: ${rejected[0].reason?.message}`);
    assert.equal((await driver.invoke(inventory, 'get', 'LAMP-1'))?.stock, 1, 'stock never goes below zero');
    assert.equal((await driver.invoke(orders, 'list'))?.length, 1, 'only the successful order is recorded');
  });

  test('security.public-file-containment', async ({ driver }) => {
    const dir = await driver.tempDir({
      'receipts/ord_0001.txt': 'Receipt ord_0001\n',
      'secret.txt': 'TOP-SECRET-1',
      'receipts-archive/old.txt': 'TOP-SECRET-2',
    });
    const root = `${dir}/receipts`;
    const ok = await driver.call('src/files.js', 'readPublicFile', root, 'ord_0001.txt');
    assert.ok(ok, 'a file inside the folder is served');
    assert.equal(text(ok.body), 'Receipt ord_0001\n');

    for (const name of ['../secret.txt', '../../secret.txt', '../receipts-archive/old.txt', 'sub/../../secret.txt', `${dir}/secret.txt`]) {
      const file = await driver.call('src/files.js', 'readPublicFile', root, name);
      assert.ok(file === null || !/TOP-SECRET/.test(text(file?.body)), `readPublicFile(root, ${JSON.stringify(name)}) must not read outside the folder`);
    }
  });

  test('security.receipt-path-traversal', async ({ http }) => {
    const created = await placeOrder(http, order(['MUG-001', 1]), 'a mug');
    const ok = await http.get(created.receipt);
    assert.equal(ok.status, 200, `a real receipt is still served: ${describe(ok)}`);

    for (const p of [
      '/receipts/..%2Fproducts.json',
      '/receipts/%2E%2E%2Fproducts.json',
      '/receipts/..%2F..%2Fdata%2Fproducts.json',
      '/receipts/..%5Cproducts.json',
      '/receipts/..%2F..%2Fpackage.json',
      '/receipts/..%2F..%2Fsrc%2Fapp.js',
    ]) {
      const res = await http.get(p);
      assert.ok(res.status >= 400 && res.status < 500, `GET ${p} is refused with a 4xx (got ${res.status})`);
      const leaked = LEAK_MARKERS.find((m) => res.text.includes(m));
      assert.equal(leaked, undefined, `GET ${p} must not serve files outside receipts/`);
    }
  });

  // Behaviour that already works.

  test('regression.money-helpers', async ({ driver }) => {
    assert.equal(await driver.call('src/money.js', 'formatCents', 1999), '19.99');
    assert.equal(await driver.call('src/money.js', 'formatCents', 5), '0.05');
    assert.equal(await driver.call('src/money.js', 'formatCents', 120000), '1200.00');
    assert.deepEqual(
      await driver.call('src/money.js', 'computeTotals', [
        { unitPriceCents: 1250, quantity: 2 },
        { unitPriceCents: 499, quantity: 3 },
      ]),
      { subtotal: 3997, tax: 320, total: 4317 },
    );
  });

  test('regression.validate-order-shapes', async ({ driver }) => {
    const rejects = (input, label) =>
      assert.rejects(driver.call('src/orders.js', 'validateOrder', input), (err) => err?.status === 400, `${label} is rejected with 400`);
    await rejects(null, 'a null body');
    await rejects({}, 'a body without items');
    await rejects({ items: [] }, 'an empty order');
    await rejects({ items: [{ quantity: 1 }] }, 'a line without sku');
    await rejects({ items: [{ sku: 'A', quantity: 1 }, { sku: 'A', quantity: 2 }] }, 'a repeated sku');
    await rejects({ items: [{ sku: 'A' }] }, 'a line without quantity');

    const lines = await driver.call('src/orders.js', 'validateOrder', { items: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 3 }] });
    assert.deepEqual(
      lines?.map((l) => [l.sku, l.quantity]),
      [['A', 1], ['B', 3]],
    );
  });

  test('regression.health', async ({ http }) => {
    const res = await http.get('/health');
    assert.equal(res.status, 200, describe(res));
    assert.deepEqual(res.json, { status: 'ok' });
  });

  test('regression.products-pagination', async ({ http }) => {
    const all = await http.get('/products?limit=50');
    assert.equal(all.status, 200, describe(all));
    const skus = (all.json?.items ?? []).map((p) => p.sku);
    assert.ok(skus.length >= 3, `the catalogue lists at least 3 products, got ${skus.length}`);
    assert.deepEqual(skus, [...skus].sort(), 'products are sorted by SKU');
    assert.equal(all.json.total, skus.length);

    const pages = Math.ceil(skus.length / 2);
    for (let page = 1; page <= pages; page++) {
      const res = await http.get(`/products?page=${page}&limit=2`);
      assert.equal(res.status, 200, `GET /products?page=${page}&limit=2: ${describe(res)}`);
      assert.deepEqual(res.json?.items?.map((p) => p.sku), skus.slice((page - 1) * 2, page * 2), `page ${page} of 2 items`);
      assert.equal(res.json.page, page);
      assert.equal(res.json.limit, 2);
      assert.equal(res.json.total, skus.length);
      assert.equal(res.json.pages, pages);
    }
    assert.equal((await http.get('/products?page=0')).status, 400, 'page=0 is 400');
    assert.equal((await http.get('/products?limit=abc')).status, 400, 'limit=abc is 400');
  });

  test('regression.unknown-product-404', async ({ http }) => {
    assertJsonError(await http.get('/products/NOPE-999'), 404, 'GET /products/NOPE-999');
    assert.equal((await http.get('/no/such/route')).status, 404, 'an unknown route is 404');
  });

  test('regression.place-order', async ({ http }) => {
    const mugs = await stockOf(http, 'MUG-001');
    const res = await http.post('/orders', order(['MUG-001', 2]));
    assert.equal(res.status, 201, describe(res));
    const body = res.json;
    assert.match(String(body?.id), /^ord_/);
    assert.equal(res.headers.location, `/orders/${body.id}`);
    assert.equal(body.subtotalCents, 2500);
    assert.equal(body.taxCents, 200);
    assert.equal(body.totalCents, 2700);
    assert.deepEqual(body.items?.map((i) => [i.sku, i.quantity]), [['MUG-001', 2]]);
    assert.equal(await stockOf(http, 'MUG-001'), mugs - 2, 'two mugs are taken out of stock');

    assertJsonError(await http.post('/orders', order(['NOPE-999', 1])), 404, 'ordering an unknown product');
    const bags = await stockOf(http, 'BAG-004');
    assertJsonError(await http.post('/orders', order(['BAG-004', bags + 1])), 409, 'ordering more than the stock');
    assert.equal(await stockOf(http, 'BAG-004'), bags, 'a refused order takes nothing out of stock');
  });

  test('regression.receipt-download', async ({ http }) => {
    const created = await placeOrder(http, order(['MUG-001', 2]), 'two mugs');
    const res = await http.get(created.receipt);
    assert.equal(res.status, 200, describe(res));
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.ok(res.text.includes(created.id), 'the receipt names the order');
    assert.match(res.text, /Total\s+27\.00/);
    assert.equal((await http.get('/receipts/no-such-receipt.txt')).status, 404);
  });

  test('regression.bad-request-body', async ({ http }) => {
    const mugs = await stockOf(http, 'MUG-001');
    assert.equal((await http.post('/orders', undefined, { rawBody: '{"items": [' })).status, 400, 'invalid JSON is 400');
    assert.equal((await http.post('/orders', { items: [] })).status, 400, 'an empty order is 400');
    assert.equal((await http.post('/orders', order(['MUG-001', 1], ['MUG-001', 1]))).status, 400, 'a repeated SKU is 400');
    assert.equal(await stockOf(http, 'MUG-001'), mugs, 'stock is unchanged');
  });
}
