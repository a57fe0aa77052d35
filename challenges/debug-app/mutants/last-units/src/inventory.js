import { toCents } from './money.js';

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 50;

/** In-memory product catalogue with stock levels. */
export class Inventory {
  #items = new Map();

  /** @param {Array<{sku: string, name?: string, price: number|string, stock?: number}>} products */
  constructor(products = []) {
    for (const product of products) this.add(product);
  }

  add({ sku, name, price, stock = 0 }) {
    if (typeof sku !== 'string' || sku === '') throw new TypeError('product sku is required');
    if (!Number.isInteger(stock) || stock < 0) throw new TypeError(`invalid stock for ${sku}`);
    const item = { sku, name: name ?? sku, priceCents: toCents(price), stock };
    this.#items.set(sku, item);
    return { ...item };
  }

  /** A copy of the product, or undefined. */
  get(sku) {
    const item = this.#items.get(sku);
    return item ? { ...item } : undefined;
  }

  has(sku) {
    return this.#items.has(sku);
  }

  /** Whether `quantity` units of `sku` can be sold right now. */
  canFulfil(sku, quantity) {
    const item = this.#items.get(sku);
    return item !== undefined && item.stock > quantity;
  }

  /** Changes the stock of `sku` by `delta` (negative to take units out). Returns the new level. */
  adjust(sku, delta) {
    const item = this.#items.get(sku);
    if (!item) throw new Error(`unknown sku: ${sku}`);
    item.stock += delta;
    return item.stock;
  }

  /** One page of products, sorted by sku. Pages are numbered from 1. */
  list({ page = 1, limit = DEFAULT_PAGE_SIZE } = {}) {
    const all = [...this.#items.values()].sort((a, b) => a.sku.localeCompare(b.sku));
    const pages = Math.max(1, Math.ceil(all.length / limit));
    const start = (page - 1) * limit;
    const items = all.slice(start, start + limit).map((item) => ({ ...item }));
    return { items, page, limit, total: all.length, pages };
  }
}
