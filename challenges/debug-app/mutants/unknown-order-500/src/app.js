import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inventory, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './inventory.js';
import { OrderService } from './orders.js';
import { readPublicFile } from './files.js';
import { HttpError, badRequest, notFound } from './errors.js';
import { formatCents } from './money.js';

const DEFAULT_DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));
const MAX_BODY_BYTES = 64 * 1024;

function loadCatalogue(dataDir) {
  return JSON.parse(readFileSync(path.join(dataDir, 'products.json'), 'utf8'));
}

function sendJson(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}

function positiveInt(params, name, fallback) {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw badRequest(`${name} must be a positive integer`);
  return value;
}

function presentProduct(item) {
  return { sku: item.sku, name: item.name, price: formatCents(item.priceCents), priceCents: item.priceCents, stock: item.stock };
}

function presentOrder(order) {
  return {
    id: order.id,
    status: order.status,
    createdAt: order.createdAt,
    items: order.lines.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitPriceCents: l.unitPriceCents })),
    subtotalCents: order.subtotal,
    taxCents: order.tax,
    totalCents: order.total,
    total: formatCents(order.total),
    receipt: order.receipt,
  };
}

/**
 * Builds the application: its state and its request handler.
 * @param {object} [options]
 * @param {string} [options.dataDir]  folder with products.json and receipts/ (default: ./data)
 * @param {Array}  [options.products] catalogue to start with (default: dataDir/products.json)
 * @param {number} [options.taxRate]
 */
export function createApp(options = {}) {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const receiptsDir = path.join(dataDir, 'receipts');
  const inventory = new Inventory(options.products ?? loadCatalogue(dataDir));
  const orders = new OrderService({ inventory, receiptsDir, taxRate: options.taxRate });

  const routes = [
    ['GET', /^\/health$/, async (req, res) => sendJson(res, 200, { status: 'ok' })],

    ['GET', /^\/products$/, async (req, res, params, query) => {
      const page = positiveInt(query, 'page', 1);
      const limit = Math.min(positiveInt(query, 'limit', DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
      const result = inventory.list({ page, limit });
      sendJson(res, 200, { ...result, items: result.items.map(presentProduct) });
    }],

    ['GET', /^\/products\/([^/]+)$/, async (req, res, [sku]) => {
      const item = inventory.get(sku);
      if (!item) throw notFound(`unknown product: ${sku}`);
      sendJson(res, 200, presentProduct(item));
    }],

    ['POST', /^\/orders$/, async (req, res) => {
      const order = await orders.create(await readJson(req));
      res.setHeader('location', `/orders/${order.id}`);
      sendJson(res, 201, presentOrder(order));
    }],

    ['GET', /^\/orders\/([^/]+)$/, async (req, res, [id]) => {
      const order = orders.get(id);
      sendJson(res, 200, presentOrder(order));
    }],

    ['GET', /^\/receipts\/([^/]+)$/, async (req, res, [name]) => {
      const file = await readPublicFile(receiptsDir, name);
      if (!file) throw notFound('no such receipt');
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length });
      res.end(file.body);
    }],
  ];

  async function handle(req, res) {
    try {
      const url = new URL(req.url, 'http://localhost');
      const candidates = routes.filter(([, pattern]) => pattern.test(url.pathname));
      if (candidates.length === 0) throw notFound(`no route for ${url.pathname}`);
      const route = candidates.find(([method]) => method === req.method);
      if (!route) {
        res.setHeader('allow', candidates.map(([method]) => method).join(', '));
        throw new HttpError(405, `method ${req.method} not allowed`);
      }
      let params;
      try {
        params = route[1].exec(url.pathname).slice(1).map(decodeURIComponent);
      } catch {
        throw badRequest('malformed URL');
      }
      await route[2](req, res, params, url.searchParams);
    } catch (err) {
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message, ...(err.details && { details: err.details }) });
      } else {
        console.error(`${req.method} ${req.url} failed:`, err);
        sendJson(res, 500, { error: 'internal server error' });
      }
    }
  }

  return { inventory, orders, dataDir, receiptsDir, handle };
}

/** An http.Server for the app, not yet listening. The app is available as `server.app`. */
export function createServer(options = {}) {
  const app = createApp(options);
  const server = http.createServer((req, res) => {
    app.handle(req, res);
  });
  server.app = app;
  return server;
}
