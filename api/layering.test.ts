/**
 * The API process never loads the grading side: importing api/app.ts or api/wire.ts must not
 * load dockerode, simple-git, tar-stream, the pipeline, the stages, the sandbox or the worker.
 * (The engine readiness check loads runner/sandbox with import() only when it is enabled.)
 *
 * Each import runs in a fresh Node process (with tsx, as `npm run api` runs) that records every
 * module resolved through the ESM loader and every CommonJS module in require's cache. The same
 * process then imports the modules the API must not load, to show that the probe sees them: a
 * probe that saw nothing would pass any import.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Module URLs (or CommonJS file paths) the API must never load, as patterns. */
const FORBIDDEN: Record<string, RegExp> = {
  dockerode: /\/node_modules\/dockerode\//,
  'simple-git': /\/node_modules\/simple-git\//,
  'tar-stream': /\/node_modules\/tar-stream\//,
  'runner/pipeline': /\/runner\/pipeline\//,
  'runner/stages': /\/runner\/stages\//,
  'runner/sandbox': /\/runner\/sandbox\//,
  'runner/worker': /\/runner\/worker\//,
};

/** Imports `entry`, then `control`, in a fresh process; returns what each import loaded. */
async function modulesLoadedBy(entry: string, control: string[]): Promise<{ entry: string[]; control: string[] }> {
  const script = `
    import { register, createRequire } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const seen = new Set();
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (url) => seen.add(url));
    port1.unref();
    const hooks = 'export async function initialize({ port }) { globalThis.port = port; }' +
      'export async function resolve(s, c, next) { const r = await next(s, c); globalThis.port.postMessage(r.url); return r; }';
    register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
    const cache = () => Object.keys(createRequire(import.meta.url).cache);
    // Messages from the hooks thread arrive asynchronously: wait for them to drain.
    const settle = async () => { for (let n = -1; n !== seen.size; ) { n = seen.size; await new Promise((r) => setTimeout(r, 50)); } };
    await import(${JSON.stringify(pathToFileURL(path.join(ROOT, entry)).href)});
    await settle();
    const entry = [...seen, ...cache()];
    for (const c of ${JSON.stringify(control.map((c) => pathToFileURL(path.join(ROOT, c)).href))}) await import(c);
    await settle();
    process.stdout.write(JSON.stringify({ entry, control: [...seen, ...cache()] }));
    process.exit(0);
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as { entry: string[]; control: string[] };
}

function forbiddenIn(modules: string[]): string[] {
  return Object.entries(FORBIDDEN)
    .filter(([, re]) => modules.some((m) => re.test(m)))
    .map(([name]) => name);
}

describe('API layering at run time', () => {
  for (const entry of ['api/app.ts', 'api/wire.ts']) {
    it(`importing ${entry} loads none of the grading side`, async () => {
      const loaded = await modulesLoadedBy(entry, ['runner/sandbox/index.ts', 'runner/pipeline/grade.ts', 'runner/worker/wire.ts']);
      // The probe works: the API's own modules were seen, and so was everything the control imports pulled in.
      expect(loaded.entry.some((m) => m.endsWith('/api/app.ts'))).toBe(true);
      expect(forbiddenIn(loaded.control)).toEqual(expect.arrayContaining(['dockerode', 'simple-git', 'tar-stream', 'runner/pipeline', 'runner/stages', 'runner/sandbox', 'runner/worker']));
      expect(forbiddenIn(loaded.entry)).toEqual([]);
    }, 60_000);
  }
});
