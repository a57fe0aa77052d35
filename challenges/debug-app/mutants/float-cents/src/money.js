/**
 * Money helpers. Every amount inside the service is an integer number of cents;
 * decimal amounts only appear at the edges (the product catalogue and receipts).
 */

export const TAX_RATE = 0.08;

/** Converts a decimal amount such as 19.99 or "19.99" to integer cents. */
export function toCents(amount) {
  const value = typeof amount === 'string' ? Number(amount.trim()) : amount;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`not a valid amount: ${amount}`);
  }
  return Math.floor(value * 100);
}

/** Formats integer cents as a decimal string, e.g. 1999 -> "19.99". */
export function formatCents(cents) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Totals of an order. Each line has integer `unitPriceCents` and `quantity`.
 * Tax is charged on the subtotal and rounded to the nearest cent.
 */
export function computeTotals(lines, taxRate = TAX_RATE) {
  const subtotal = lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
  const tax = Math.round(subtotal * taxRate);
  return { subtotal, tax, total: subtotal + tax };
}
