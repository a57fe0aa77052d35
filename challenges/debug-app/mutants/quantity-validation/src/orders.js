import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { computeTotals, formatCents, TAX_RATE } from './money.js';
import { badRequest, conflict, notFound } from './errors.js';

const MAX_LINES = 50;

/**
 * Checks the body of POST /orders and returns normalised order lines.
 * Expected shape: { "items": [{ "sku": "MUG-001", "quantity": 2 }, ...] }
 */
export function validateOrder(input) {
  if (input === null || typeof input !== 'object' || !Array.isArray(input.items)) {
    throw badRequest('body must be an object with an "items" array');
  }
  if (input.items.length === 0) throw badRequest('an order needs at least one item');
  if (input.items.length > MAX_LINES) throw badRequest(`an order can have at most ${MAX_LINES} items`);

  const seen = new Set();
  return input.items.map((item, i) => {
    if (item === null || typeof item !== 'object') throw badRequest(`items[${i}] must be an object`);
    const { sku, quantity } = item;
    if (typeof sku !== 'string' || sku.trim() === '') throw badRequest(`items[${i}].sku is required`);
    if (typeof quantity !== 'number' || !quantity) {
      throw badRequest(`items[${i}].quantity must be a positive integer`);
    }
    if (seen.has(sku)) throw badRequest(`items[${i}]: ${sku} appears more than once`);
    seen.add(sku);
    return { sku, quantity };
  });
}

export class OrderService {
  #orders = new Map();
  #sequence = 0;

  /**
   * @param {object} options
   * @param {import('./inventory.js').Inventory} options.inventory
   * @param {string} options.receiptsDir  where receipts are written
   * @param {number} [options.taxRate]
   */
  constructor({ inventory, receiptsDir, taxRate = TAX_RATE }) {
    this.inventory = inventory;
    this.receiptsDir = receiptsDir;
    this.taxRate = taxRate;
  }

  /** Places an order: checks stock, writes the receipt and takes the units out of stock. */
  async create(input) {
    const lines = validateOrder(input).map((line) => {
      const product = this.inventory.get(line.sku);
      if (!product) throw notFound(`unknown product: ${line.sku}`);
      if (!this.inventory.canFulfil(line.sku, line.quantity)) {
        throw conflict(`not enough stock for ${line.sku}`, { sku: line.sku, available: product.stock });
      }
      return { ...line, name: product.name, unitPriceCents: product.priceCents };
    });

    const id = `ord_${String(++this.#sequence).padStart(4, '0')}`;
    const order = {
      id,
      status: 'confirmed',
      createdAt: new Date().toISOString(),
      lines,
      ...computeTotals(lines, this.taxRate),
      receipt: `/receipts/${id}.txt`,
    };

    for (const line of lines) this.inventory.adjust(line.sku, -line.quantity);
    this.#orders.set(id, order);
    await this.#writeReceipt(order);
    return order;
  }

  get(id) {
    return this.#orders.get(id);
  }

  list() {
    return [...this.#orders.values()];
  }

  async #writeReceipt(order) {
    const rows = order.lines.map(
      (l) => `${l.sku.padEnd(10)} ${String(l.quantity).padStart(4)} x ${formatCents(l.unitPriceCents).padStart(8)}  ${l.name}`,
    );
    const text = [
      `Receipt ${order.id}`,
      `Date    ${order.createdAt}`,
      '',
      ...rows,
      '',
      `Subtotal ${formatCents(order.subtotal)}`,
      `Tax      ${formatCents(order.tax)}`,
      `Total    ${formatCents(order.total)}`,
      '',
    ].join('\n');
    await mkdir(this.receiptsDir, { recursive: true });
    await writeFile(path.join(this.receiptsDir, `${order.id}.txt`), text, 'utf8');
  }
}
