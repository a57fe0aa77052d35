/**
 * The driver (sandbox-images/node/driver.mjs) and the harness's `driver` client
 * (sandbox-images/grader/harness.mjs) talking to each other as plain Node processes on
 * loopback: what a suite sees of the candidate's values, errors and concurrency, and how a
 * frozen driver is given up. No Docker here: the sandbox around them is tested in test/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHarnessOutput, type HarnessOutput } from './harness-output.ts';

const DRIVER = path.resolve('sandbox-images/node/driver.mjs');
const HARNESS = path.resolve('sandbox-images/grader/harness.mjs');

/** The candidate's module, as the driver imports it from the workspace. */
const CANDIDATE_MODULE = `
import { readFileSync } from 'node:fs';
import path from 'node:path';
export const add = (a, b) => a + b;
export function fail() {
  const err = new Error('not enough stock');
  err.name = 'HttpError';
  err.status = 409;
  err.details = { sku: 'A' };
  throw err;
}
export async function failLater() { throw Object.assign(new Error('later'), { status: 400 }); }
export const bytes = () => Buffer.from('héllo');
export const odd = () => ({ u: undefined, n: NaN, big: 10n, when: new Date(0), m: new Map([['a', 1]]), s: new Set([1]), fn() {}, $type: 'sneaky' });
export const readFrom = (dir) => readFileSync(path.join(dir, 'a.txt'), 'utf8');
export const notAFunction = 42;
/** Checks, then awaits, then takes: two takes started in one tick both pass the check. */
export class Stock {
  #n;
  constructor(n) { this.#n = n; }
  async take(k) {
    if (this.#n < k) throw Object.assign(new Error('conflict'), { status: 409 });
    await new Promise((r) => setTimeout(r, 10));
    this.#n -= k;
    return this.#n;
  }
  level() { return this.#n; }
}
export function freeze() { for (;;) {} }
`;

/** A suite as a challenge author writes it; every assertion runs in the harness process. */
const SUITE = `
import assert from 'node:assert/strict';
const lib = 'src/lib.js';
export default ({ test }) => {
  test('values', async ({ driver }) => {
    assert.equal(await driver.call(lib, 'add', 2, 3), 5);
    assert.deepEqual(await driver.call(lib, 'bytes'), Buffer.from('héllo'));
    const odd = await driver.call(lib, 'odd');
    assert.ok('u' in odd && odd.u === undefined);
    assert.ok(Number.isNaN(odd.n));
    assert.equal(odd.big, 10n);
    assert.equal(odd.when.getTime(), 0);
    assert.deepEqual(odd.m, new Map([['a', 1]]));
    assert.deepEqual(odd.s, new Set([1]));
    assert.equal(odd.fn.kind, 'function');
    assert.equal(odd.$type, 'sneaky');
  });
  test('errors', async ({ driver }) => {
    await assert.rejects(driver.call(lib, 'fail'), (err) => err.name === 'HttpError' && err.message === 'not enough stock' && err.status === 409 && err.details.sku === 'A');
    await assert.rejects(driver.call(lib, 'failLater'), (err) => err.status === 400);
    await assert.rejects(driver.call(lib, 'nope'), { name: 'AssayDriverError', message: /has no export "nope"/ });
    await assert.rejects(driver.call(lib, 'notAFunction'), { name: 'AssayDriverError', message: /is not a function/ });
    await assert.rejects(driver.call('src/missing.js', 'x'), { name: 'AssayDriverError', message: /could not import src\\/missing\\.js/ });
    await assert.rejects(driver.call('../etc/passwd', 'x'), { name: 'AssayDriverError', message: /relative path inside/ });
  });
  test('handles', async ({ driver }) => {
    const stock = await driver.construct(lib, 'Stock', 5);
    assert.equal(await driver.invoke(stock, 'take', 2), 3);
    assert.equal(await driver.invoke(stock, 'level'), 3);
    await assert.rejects(driver.invoke(stock, 'take', 9), (err) => err.status === 409);
    await assert.rejects(driver.invoke(stock, 'nope'), { name: 'AssayDriverError' });
  });
  test('settle starts every call in one tick', async ({ driver }) => {
    const stock = await driver.construct(lib, 'Stock', 3);
    const results = await driver.settle([
      { target: stock, method: 'take', args: [2] },
      { target: stock, method: 'take', args: [2] },
      { module: lib, export: 'fail' },
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected']);
    assert.equal(results[2].reason.status, 409);
    assert.equal(await driver.invoke(stock, 'level'), -1);
  });
  test('temp dirs', async ({ driver }) => {
    const dir = await driver.tempDir({ 'a.txt': 'hi', 'sub/b.txt': 'there' }, ['empty']);
    assert.equal(await driver.call(lib, 'readFrom', dir), 'hi');
    await assert.rejects(driver.tempDir({ '../escape.txt': 'x' }), /driver tempDir\\(\\): the driver answered 400/);
  });
  test('http still reaches the service', async ({ http }) => {
    assert.equal((await http.get('/')).status, 200);
  });
  test('a frozen driver is given up', async ({ driver }) => {
    for (let i = 0; i < 3; i++) {
      await assert.rejects(driver.run({ module: lib, export: 'freeze' }, { timeoutMs: 300 }), /no complete response within 300 ms/);
    }
    const started = Date.now();
    await assert.rejects(driver.call(lib, 'add', 1, 1), /driver src\\/lib\\.js add\\(\\): not sent: the driver .* stopped answering \\(3 requests in a row/);
    assert.ok(Date.now() - started < 100, 'fails at once');
  });
};
`;

let root: string;
let service: http.Server;
let servicePort: number;
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startDriver(port: number): void {
  const child = spawn(process.execPath, [DRIVER, '--port', String(port), '--root', path.join(root, 'workspace')], { stdio: 'ignore' });
  children.push(child);
}

/** Runs the harness to its end and parses what it printed. */
async function runHarness(extra: string[]): Promise<HarnessOutput> {
  const child = spawn(process.execPath, [HARNESS, '--suite', path.join(root, 'tests.mjs'), '--port', String(servicePort), '--test-timeout-ms', '5000', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  await new Promise((resolve) => child.once('close', resolve));
  return parseHarnessOutput(stdout);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'assay-driver-test-'));
  await mkdir(path.join(root, 'workspace/src'), { recursive: true });
  await writeFile(path.join(root, 'workspace/src/lib.js'), CANDIDATE_MODULE);
  await writeFile(path.join(root, 'workspace/package.json'), '{"type": "module"}');
  await writeFile(path.join(root, 'tests.mjs'), SUITE);
  service = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  servicePort = (service.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await new Promise((resolve) => service?.close(resolve));
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the driver and the harness', () => {
  it('carry values, errors, handles, concurrent calls and folders; give a frozen driver up after 3 timeouts', async () => {
    const driverPort = await freePort();
    startDriver(driverPort);
    const out = await runHarness(['--driver-port', String(driverPort), '--ready-timeout-ms', '5000', '--unresponsive-after', '3']);
    expect(out.ready?.driverReady).toBe(true);
    expect(out.results.filter((r) => r.status !== 'passed')).toEqual([]);
    expect(out.results.map((r) => r.id)).toEqual(['values', 'errors', 'handles', 'settle starts every call in one tick', 'temp dirs', 'http still reaches the service', 'a frozen driver is given up']);
    expect(out.unresponsive).toEqual([{ target: 'driver', timeouts: 3 }]);
    expect(out.done).toBe(true);
  }, 30_000);

  it('runs the tests when the driver never listens, and fails every driver call at once', async () => {
    const out = await runHarness(['--driver-port', String(await freePort()), '--ready-timeout-ms', '300']);
    expect(out.ready?.driverReady).toBe(false);
    expect(out.results.find((r) => r.id === 'http still reaches the service')?.status).toBe('passed');
    const values = out.results.find((r) => r.id === 'values');
    expect(values?.status).toBe('failed');
    expect(values?.message).toMatch(/not sent: the driver did not accept connections/);
    expect(out.done).toBe(true);
  }, 30_000);
});
