import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTotals, formatCents } from '../src/money.js';

test('formatCents prints two decimals', () => {
  assert.equal(formatCents(1999), '19.99');
  assert.equal(formatCents(500), '5.00');
  assert.equal(formatCents(7), '0.07');
  assert.equal(formatCents(-250), '-2.50');
});

test('computeTotals adds 8% tax to the subtotal', () => {
  const totals = computeTotals([
    { unitPriceCents: 1250, quantity: 2 },
    { unitPriceCents: 500, quantity: 1 },
  ]);
  assert.deepEqual(totals, { subtotal: 3000, tax: 240, total: 3240 });
});
