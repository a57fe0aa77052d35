// Hidden suite of "debug-app-python", run by the grader harness (sandbox-images/grader/harness.mjs)
// in the grader container. Nothing of it ever enters the candidate's workspace, and every
// verdict is decided here: the checks are black-box HTTP requests to the candidate's own service
// (`python3 main.py`, PORT).
//
// Tests run one after another against ONE running service that keeps its state, so each test
// creates its own invoices under a client name of its own and never assumes the book is empty.
// Each planted bug has exactly one test, and that test does not depend on any other bug being
// fixed (creations accept 200 as well as 201, listings are read through `total` or one client's
// invoices only), so fixing one bug earns exactly its points.
import assert from 'node:assert/strict';

// --- helpers ---------------------------------------------------------------------------------

let counter = 0;
/** A client name unique to this run and call, so the invoices of different tests never mix. */
function uniqueClient(label) {
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

function assertJsonError(res, status, what) {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${describe(res)}`);
  assert.equal(typeof res.json?.error, 'string', `${what}: the ${status} body should be JSON like {"error": "..."}, got ${snippet(res.text)}`);
}

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

/** An instant written as an ISO 8601 date-time at a UTC offset (minutes), to the second: 2024-05-01T21:00:00+09:00. */
function isoAt(ms, offsetMinutes) {
  const local = new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60 * 1000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}Z`;
  const abs = Math.abs(offsetMinutes);
  const pad = (n) => String(n).padStart(2, '0');
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A valid invoice body; `overrides` replace its fields. */
function invoiceBody(client, overrides = {}) {
  return {
    client,
    items: [{ description: 'Consulting', unit_price: '100.00', quantity: 1 }],
    tax_rate: '0',
    due_at: isoAt(Date.now() + 10 * DAY, 0),
    ...overrides,
  };
}

/** POST /invoices that must succeed. 200 is accepted too: answering 201 is a test of its own. */
async function createInvoice(http, body, what = 'creating an invoice', opts = {}) {
  const res = await http.post('/invoices', body, opts);
  assert.ok(res.status === 201 || res.status === 200, `${what}: POST /invoices ${snippet(JSON.stringify(body), 160)} should succeed, got ${describe(res)}`);
  assert.equal(typeof res.json?.number, 'string', `${what}: the created invoice should have a string "number", got ${snippet(res.text)}`);
  return res.json;
}

async function getInvoice(http, number) {
  const res = await http.get(`/invoices/${encodeURIComponent(number)}`);
  assert.equal(res.status, 200, `GET /invoices/${number}: ${describe(res)}`);
  return res.json;
}

async function listInvoices(http, query) {
  const res = await http.get(`/invoices?${query}`);
  assert.equal(res.status, 200, `GET /invoices?${query}: ${describe(res)}`);
  assert.ok(Array.isArray(res.json?.items), `GET /invoices?${query} should answer { items: [...], ... }, got ${snippet(res.text)}`);
  return res.json;
}

const numbers = (invoices) => invoices.map((i) => i?.number);

// What a file that is not an invoice document gives away: Python source, /etc/passwd.
const LEAK_MARKERS = ['import ', 'def ', 'root:x:0:0', 'sandbox:x:'];

// --- suite -----------------------------------------------------------------------------------

export default function ({ test }) {
  // Planted bugs: one test each.

  test('pagination.first-page', async ({ http }) => {
    const client = uniqueClient('pages');
    const created = [];
    for (let i = 0; i < 5; i += 1) created.push((await createInvoice(http, invoiceBody(client), `invoice ${i + 1} of 5`)).number);
    const q = `client=${encodeURIComponent(client)}&per_page=2`;
    const expected = [created.slice(0, 2), created.slice(2, 4), created.slice(4)];
    for (const [index, want] of expected.entries()) {
      const page = await listInvoices(http, `${q}&page=${index + 1}`);
      assert.deepEqual(numbers(page.items), want, `page ${index + 1} of ${client}'s 5 invoices, 2 per page, should list ${want.join(', ')}`);
      assert.equal(page.total, 5, 'total');
      assert.equal(page.pages, 3, 'pages');
    }
    const first = await listInvoices(http, `client=${encodeURIComponent(client)}`);
    assert.deepEqual(numbers(first.items), created, 'with the default page size, page 1 lists all 5 invoices');
  });

  test('http.create-201', async ({ http }) => {
    const res = await http.post('/invoices', invoiceBody(uniqueClient('created')));
    assert.equal(res.status, 201, `POST /invoices creates an invoice and should answer 201 Created, got ${describe(res)}`);
    assert.equal(typeof res.json?.number, 'string', `the answer is the created invoice, got ${snippet(res.text)}`);
    assert.equal(res.headers.location, `/invoices/${res.json.number}`, 'the Location header points at the new invoice');
    assert.equal((await getInvoice(http, res.json.number)).number, res.json.number);
  });

  test('http.unknown-invoice-404', async ({ http }) => {
    for (const number of ['INV-999999', 'no-such-invoice']) {
      assertJsonError(await http.get(`/invoices/${number}`), 404, `GET /invoices/${number} (no such invoice)`);
    }
    assertJsonError(await http.post('/invoices/INV-999999/pay'), 404, 'POST /invoices/INV-999999/pay (no such invoice)');
    const created = await createInvoice(http, invoiceBody(uniqueClient('exists')));
    assert.equal((await getInvoice(http, created.number)).number, created.number, 'an existing invoice is still found');
  });

  test('http.pay-twice-409', async ({ http }) => {
    const created = await createInvoice(http, invoiceBody(uniqueClient('paid-twice')));
    const first = await http.post(`/invoices/${created.number}/pay`);
    assert.equal(first.status, 200, `paying an open invoice: ${describe(first)}`);
    assert.equal(first.json?.status, 'paid');
    const paidAt = first.json?.paid_at;
    const again = await http.post(`/invoices/${created.number}/pay`);
    assertJsonError(again, 409, `paying ${created.number} a second time`);
    const after = await getInvoice(http, created.number);
    assert.equal(after.status, 'paid');
    assert.equal(after.paid_at, paidAt, 'paying again does not change when the invoice was paid');
  });

  test('time.due-with-offset', async ({ http }) => {
    const client = uniqueClient('time-zones');
    const now = Date.now();
    // Due three hours ago, written in Tokyo time (UTC+9): overdue.
    const tokyo = isoAt(now - 3 * HOUR, 9 * 60);
    const late = await createInvoice(http, invoiceBody(client, { due_at: tokyo }), `an invoice due at ${tokyo}`);
    assert.equal(Date.parse(late.due_at), Date.parse(tokyo), `due_at ${JSON.stringify(late.due_at)} should be the instant sent, ${tokyo} (with its offset or Z)`);
    assert.equal((await getInvoice(http, late.number)).overdue, true, `an invoice due at ${tokyo} (3 hours ago) is overdue`);
    // Due in three hours, written in New York winter time (UTC-5): not overdue yet.
    const newYork = isoAt(now + 3 * HOUR, -5 * 60);
    const early = await createInvoice(http, invoiceBody(client, { due_at: newYork }), `an invoice due at ${newYork}`);
    assert.equal(Date.parse(early.due_at), Date.parse(newYork), `due_at ${JSON.stringify(early.due_at)} should be the instant sent, ${newYork} (with its offset or Z)`);
    assert.equal((await getInvoice(http, early.number)).overdue, false, `an invoice due at ${newYork} (in 3 hours) is not overdue yet`);
  });

  test('money.exact-totals', async ({ http }) => {
    const client = uniqueClient('money');
    const cases = [
      // [items, tax_rate, subtotal, tax, total]: each tax is a half cent, rounded up.
      [[['Design review', '26.75', 1]], '10', '26.75', '2.68', '29.43'],
      [[['Stickers', '0.35', 3]], '10', '1.05', '0.11', '1.16'],
      [[['Hosting', 10.05, 1]], 10, '10.05', '1.01', '11.06'],
      [[['Printing', '4.35', 1], ['Envelopes', '0.10', 3]], '10', '4.65', '0.47', '5.12'],
    ];
    for (const [items, taxRate, subtotal, tax, total] of cases) {
      const body = invoiceBody(client, {
        items: items.map(([description, unit_price, quantity]) => ({ description, unit_price, quantity })),
        tax_rate: taxRate,
      });
      const what = `${items.map(([d, p, q]) => `${q} x ${d} at ${p}`).join(' + ')}, tax ${taxRate}%`;
      const invoice = await createInvoice(http, body, what);
      assert.deepEqual(
        [invoice.subtotal, invoice.tax, invoice.total],
        [subtotal, tax, total],
        `${what}: subtotal, tax and total should be ${subtotal}, ${tax}, ${total}`,
      );
    }
  });

  test('concurrency.invoice-numbers', async ({ http }) => {
    const client = uniqueClient('rush');
    const count = 40;
    // All at once, as a billing run at month end does. Generous timeouts: the requests queue.
    const created = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        createInvoice(http, invoiceBody(client, { items: [{ description: `Seat ${i + 1}`, unit_price: '9.00', quantity: 1 }] }), `concurrent invoice ${i + 1}`, { timeoutMs: 15000 })),
    );
    const distinct = new Set(numbers(created));
    assert.equal(distinct.size, count, `${count} invoices created at the same time should get ${count} different numbers, got ${distinct.size}`);
    const listed = await listInvoices(http, `client=${encodeURIComponent(client)}&per_page=100`);
    assert.equal(listed.total, count, `all ${count} invoices are kept, but the book lists ${listed.total}`);
  }, { timeoutMs: 30000 });

  test('security.document-path-traversal', async ({ http }) => {
    const created = await createInvoice(http, invoiceBody(uniqueClient('documents')));
    const ok = await http.get(created.document);
    assert.equal(ok.status, 200, `the invoice's own document is still served: ${describe(ok)}`);

    for (const p of [
      '/documents/..%2F..%2Fmain.py',
      '/documents/%2E%2E%2F%2E%2E%2Fmain.py',
      '/documents/..%2F..%2Fbilling%2Fapp.py',
      '/documents/%2Fetc%2Fpasswd',
      '/documents/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/documents/..%5C..%5Cmain.py',
    ]) {
      const res = await http.get(p);
      assert.ok(res.status >= 400 && res.status < 500, `GET ${p} should be refused with a 4xx, got ${res.status}`);
      const leaked = LEAK_MARKERS.find((m) => res.text.includes(m));
      assert.equal(leaked, undefined, `GET ${p} must not serve a file outside the documents folder`);
    }
  });

  // Behaviour that already works: a rewrite that breaks it loses these.

  test('regression.health', async ({ http }) => {
    const res = await http.get('/health');
    assert.equal(res.status, 200, describe(res));
    assert.deepEqual(res.json, { status: 'ok' });
  });

  test('regression.unknown-route-404', async ({ http }) => {
    assert.equal((await http.get('/no/such/route')).status, 404, 'an unknown route is 404');
    assert.equal((await http.get('/invoice')).status, 404, 'GET /invoice (singular) is 404');
  });

  test('regression.create-and-fetch', async ({ http }) => {
    const client = uniqueClient('Acme Ltd');
    const dueAt = isoAt(Date.now() + 14 * DAY, 0);
    const created = await createInvoice(http, {
      client,
      items: [
        { description: 'Consulting', unit_price: '19.99', quantity: 3 },
        { description: 'Travel', unit_price: '12.50', quantity: 2 },
      ],
      tax_rate: '8',
      due_at: dueAt,
    });
    assert.match(created.number, /^INV-\d{4,}$/, 'invoice numbers look like INV-0001');
    const fetched = await getInvoice(http, created.number);
    for (const invoice of [created, fetched]) {
      assert.equal(invoice.client, client);
      assert.deepEqual(invoice.items?.map((i) => [i.description, i.unit_price, i.quantity, i.amount]), [
        ['Consulting', '19.99', 3, '59.97'],
        ['Travel', '12.50', 2, '25.00'],
      ]);
      assert.deepEqual([invoice.subtotal, invoice.tax, invoice.total], ['84.97', '6.80', '91.77']);
      assert.equal(invoice.status, 'open');
      assert.equal(invoice.paid_at, null);
      assert.equal(invoice.overdue, false);
      assert.equal(invoice.document, `/documents/${created.number}.txt`);
    }
  });

  test('regression.validation', async ({ http }) => {
    const client = uniqueClient('invalid');
    const item = { description: 'Consulting', unit_price: '10.00', quantity: 1 };
    const bad = [
      ['invalid JSON', { rawBody: '{"client": ' }],
      ['a body that is not an object', { body: [1, 2] }],
      ['no client', { body: { ...invoiceBody(client), client: undefined } }],
      ['an empty client', { body: invoiceBody('   ') }],
      ['no items', { body: invoiceBody(client, { items: [] }) }],
      ['quantity 0', { body: invoiceBody(client, { items: [{ ...item, quantity: 0 }] }) }],
      ['quantity 1.5', { body: invoiceBody(client, { items: [{ ...item, quantity: 1.5 }] }) }],
      ['quantity "2"', { body: invoiceBody(client, { items: [{ ...item, quantity: '2' }] }) }],
      ['a negative price', { body: invoiceBody(client, { items: [{ ...item, unit_price: '-5.00' }] }) }],
      ['a price with three decimals', { body: invoiceBody(client, { items: [{ ...item, unit_price: '1.999' }] }) }],
      ['a price that is not a number', { body: invoiceBody(client, { items: [{ ...item, unit_price: 'ten' }] }) }],
      ['a tax rate over 100', { body: invoiceBody(client, { tax_rate: '150' }) }],
      ['no due_at', { body: { ...invoiceBody(client), due_at: undefined } }],
      ['a due_at that is not a date', { body: invoiceBody(client, { due_at: 'next Friday' }) }],
    ];
    for (const [what, req] of bad) {
      const res = await http.request({ method: 'POST', path: '/invoices', headers: { 'content-type': 'application/json' }, ...(req.rawBody ? { rawBody: req.rawBody } : { body: req.body }) });
      assertJsonError(res, 400, `POST /invoices with ${what}`);
    }
    const listed = await listInvoices(http, `client=${encodeURIComponent(client)}`);
    assert.equal(listed.total, 0, 'rejected invoices are not created');
    assert.equal((await http.get('/health')).status, 200, 'the service still answers');
  });

  test('regression.list-filters', async ({ http }) => {
    const client = uniqueClient('filters');
    const other = uniqueClient('other');
    const mine = [];
    for (let i = 0; i < 3; i += 1) mine.push(await createInvoice(http, invoiceBody(client)));
    await createInvoice(http, invoiceBody(other));
    const paid = await http.post(`/invoices/${mine[1].number}/pay`);
    assert.equal(paid.status, 200, `paying an invoice: ${describe(paid)}`);

    const q = encodeURIComponent(client);
    const all = await listInvoices(http, `client=${q}&per_page=100`);
    assert.equal(all.total, 3, `${client} has 3 invoices`);
    assert.ok(all.items.every((i) => i.client === client), 'the client filter lists only that client');
    assert.equal((await listInvoices(http, `client=${q}&status=paid`)).total, 1, 'one of them is paid');
    assert.equal((await listInvoices(http, `client=${q}&status=open`)).total, 2, 'two are open');
    for (const query of ['page=0', 'page=abc', 'per_page=0', 'per_page=101', 'status=maybe']) {
      assertJsonError(await http.get(`/invoices?${query}`), 400, `GET /invoices?${query}`);
    }
  });

  test('regression.overdue-days', async ({ http }) => {
    const client = uniqueClient('overdue');
    const past = await createInvoice(http, invoiceBody(client, { due_at: isoAt(Date.now() - 3 * DAY, 0) }), 'an invoice due 3 days ago');
    assert.equal(past.overdue, true, 'an invoice due 3 days ago is overdue');
    const future = await createInvoice(http, invoiceBody(client, { due_at: isoAt(Date.now() + 3 * DAY, 0) }), 'an invoice due in 3 days');
    assert.equal(future.overdue, false, 'an invoice due in 3 days is not overdue');
    const paid = await http.post(`/invoices/${past.number}/pay`);
    assert.equal(paid.status, 200, describe(paid));
    assert.equal(paid.json?.overdue, false, 'a paid invoice is not overdue');
  });

  test('regression.pay', async ({ http }) => {
    const created = await createInvoice(http, invoiceBody(uniqueClient('pay')));
    const res = await http.post(`/invoices/${created.number}/pay`);
    assert.equal(res.status, 200, describe(res));
    assert.equal(res.json?.status, 'paid');
    assert.ok(!Number.isNaN(Date.parse(res.json?.paid_at)), `paid_at is a date-time, got ${JSON.stringify(res.json?.paid_at)}`);
    assert.equal((await getInvoice(http, created.number)).status, 'paid', 'the payment is kept');
  });

  test('regression.document', async ({ http }) => {
    const created = await createInvoice(http, invoiceBody(uniqueClient('document'), {
      items: [{ description: 'Workshop', unit_price: '250.00', quantity: 2 }],
      tax_rate: '20',
    }));
    const res = await http.get(created.document);
    assert.equal(res.status, 200, describe(res));
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.ok(res.text.includes(created.number), 'the document names the invoice');
    assert.match(res.text, /Total\s+600\.00/, 'the document shows the total');
    assertJsonError(await http.get('/documents/INV-999999.txt'), 404, 'GET /documents/INV-999999.txt');
  });
}
