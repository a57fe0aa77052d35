/**
 * The sandbox's limits on a real Docker engine. Each test would fail if its limit were removed
 * (several carry a control that shows the same probe succeeding without the limit).
 */
import net from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxContainer, type SandboxSpec } from '../runner/sandbox/index.ts';
import { createTar } from '../runner/stages/pack/tar.ts';
import { docker, images, leftovers, uniqueId } from '../runner/devtools/env.ts';

let jobId = uniqueId('sandbox');
afterEach(async () => {
  expect(await leftovers(jobId)).toBe(0);
  jobId = uniqueId('sandbox');
});

function spec(overrides: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    image: images.node.tag,
    role: 'candidate',
    jobId,
    workerId: 'test-worker',
    limits: { memoryMb: 128, cpus: 1, pids: 64, workspaceMb: 32 },
    network: { mode: 'none' },
    ...overrides,
  };
}

async function withSandbox<T>(s: SandboxSpec, fn: (box: SandboxContainer) => Promise<T>, files: Record<string, string> = {}): Promise<T> {
  const tar = await createTar(Object.entries(files).map(([path, content]) => ({ type: 'file' as const, path, content: Buffer.from(content) })));
  const box = await SandboxContainer.start(docker, s, tar, { outputBytes: 64 * 1024 });
  try {
    return await fn(box);
  } finally {
    await box.remove();
  }
}

const node = (script: string) => ['node', '-e', script];

describe('sandbox', () => {
  it('receives its files and runs as an unprivileged user without capabilities', async () => {
    await withSandbox(spec(), async (box) => {
      const r = await box.exec(['sh', '-c', 'cat /workspace/hello.txt; id -u; grep CapEff /proc/self/status; ls /var/run/docker.sock 2>&1; touch /etc/x 2>&1; true'], { timeoutMs: 10_000, outputBytes: 8192 });
      expect(r.verdict).toBe('ok');
      expect(r.output.text).toContain('hello from the host');
      expect(r.output.text).toMatch(/^1000$/m);
      expect(r.output.text).toContain('CapEff:\t0000000000000000');
      expect(r.output.text).toMatch(/docker\.sock.*No such file/);
      expect(r.output.text).toMatch(/Read-only file system/);
    }, { 'hello.txt': 'hello from the host\n' });
  });

  it('stops a fork bomb at the pids limit', async () => {
    const spawnMany = `
      const { spawn } = require('node:child_process');
      let ok = 0, failed = 0, pending = 300;
      for (let i = 0; i < 300; i++) {
        const c = spawn('sleep', ['30']);
        c.on('spawn', () => { ok++; if (--pending === 0) done(); });
        c.on('error', () => { failed++; if (--pending === 0) done(); });
      }
      function done() { console.log(JSON.stringify({ ok, failed })); process.exit(0); }`;
    await withSandbox(spec({ limits: { memoryMb: 256, cpus: 1, pids: 64, workspaceMb: 16 } }), async (box) => {
      const r = await box.exec(node(spawnMany), { timeoutMs: 30_000, outputBytes: 8192 });
      const counts = JSON.parse(r.stdout.text.trim()) as { ok: number; failed: number };
      expect(counts.ok).toBeLessThan(64);
      expect(counts.failed).toBeGreaterThan(200);
      // The refusals are counted by the kernel (read from the host's cgroup files when the engine is local).
      expect(await box.pidsLimitHits()).toBeGreaterThan(200);
    });
    // The classic shell fork bomb ends at the deadline and leaves the host untouched.
    await withSandbox(spec(), async (box) => {
      const r = await box.exec(['sh', '-c', 'b() { b | b & }; b'], { timeoutMs: 3000, outputBytes: 8192 });
      expect(['timeout', 'ok', 'nonzero_exit']).toContain(r.verdict);
    });
  });

  it('OOM-kills a memory hog and reports it as such', async () => {
    await withSandbox(spec({ limits: { memoryMb: 64, cpus: 1, pids: 64, workspaceMb: 16 } }), async (box) => {
      const r = await box.exec(node('const a = []; for (;;) a.push(Buffer.alloc(4 * 1024 * 1024, 1));'), { timeoutMs: 30_000, outputBytes: 8192 });
      expect(r.verdict).toBe('oom_killed');
      expect(r.oomKilled).toBe(true);
      expect(await box.newOomKills()).toBe(0); // the exec's verdict counted the kill already
      const peak = await box.memoryPeakMb();
      expect(peak).toBeGreaterThan(48);
      expect(peak).toBeLessThanOrEqual(64);
    });
  });

  it('kills an infinite loop at the deadline', async () => {
    await withSandbox(spec(), async (box) => {
      const started = Date.now();
      const r = await box.exec(node('for (;;) {}'), { timeoutMs: 1500, outputBytes: 8192 });
      expect(r.verdict).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  it('caps 200 MB of output without buffering it in the worker', async () => {
    const flood = 'const b = Buffer.alloc(1 << 20, 120); let n = 0; (function w() { while (n < 200) { n++; if (!process.stdout.write(b)) return process.stdout.once("drain", w); } })();';
    await withSandbox(spec(), async (box) => {
      const rssBefore = process.memoryUsage().rss;
      const r = await box.exec(node(flood), { timeoutMs: 60_000, outputBytes: 64 * 1024, killAfterOutputBytes: 300 * 1024 * 1024 });
      expect(r.verdict).toBe('ok');
      expect(r.output.totalBytes).toBe(200 * 1024 * 1024);
      expect(r.output.cutBytes).toBe(200 * 1024 * 1024 - 64 * 1024);
      expect(Buffer.byteLength(r.output.text)).toBeLessThan(64 * 1024 + 200);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
    });
    // Past the kill threshold the step is stopped with its own verdict.
    await withSandbox(spec(), async (box) => {
      const r = await box.exec(node(flood), { timeoutMs: 60_000, outputBytes: 64 * 1024, killAfterOutputBytes: 8 * 1024 * 1024 });
      expect(r.verdict).toBe('output_limit');
    });
  });

  it('fails a disk fill at the workspace tmpfs limit and keeps the root file system read-only', async () => {
    const fill = `
      const fs = require('node:fs'); const chunk = Buffer.alloc(1 << 20, 1); let written = 0, code = '';
      try { const fd = fs.openSync('/workspace/fill', 'w'); for (let i = 0; i < 1024; i++) { fs.writeSync(fd, chunk); written += chunk.length; } } catch (e) { code = e.code; }
      let root = ''; try { fs.writeFileSync('/fill', 'x'); } catch (e) { root = e.code; }
      console.log(JSON.stringify({ written, code, root }));`;
    await withSandbox(spec({ limits: { memoryMb: 256, cpus: 1, pids: 64, workspaceMb: 16 } }), async (box) => {
      const r = await box.exec(node(fill), { timeoutMs: 30_000, outputBytes: 8192 });
      const out = JSON.parse(r.stdout.text.trim()) as { written: number; code: string; root: string };
      expect(out.code).toMatch(/ENOSPC|EFBIG/);
      expect(out.written).toBeLessThanOrEqual(16 * 1024 * 1024);
      expect(out.root).toBe('EROFS');
    });
  });

  it('reaches nothing on the network: not the host on any address, not the internet', async () => {
    // A listener on the host's 0.0.0.0, like a careless service would open.
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.end('reached\n');
    });
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    const port = (server.address() as net.AddressInfo).port;
    const hostAddresses = Object.values(os.networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4').map((i) => i!.address);
    const targets = [...new Set([...hostAddresses, '172.17.0.1', '127.0.0.1'])].flatMap((a) => [`${a}:${port}`, `${a}:6379`]).concat(['104.16.0.35:443', '1.1.1.1:53']);
    const probe = `
      const net = require('node:net'); const dns = require('node:dns');
      const targets = ${JSON.stringify(targets)};
      Promise.all(targets.map((t) => new Promise((resolve) => {
        const [host, port] = t.split(':'); const s = net.connect({ host, port: Number(port) });
        s.setTimeout(1500, () => { s.destroy(); resolve([t, 'timeout']); });
        s.on('connect', () => { s.destroy(); resolve([t, 'connected']); });
        s.on('error', (e) => resolve([t, e.code]));
      }))).then(async (results) => {
        const lookup = await dns.promises.lookup('registry.npmjs.org').then(() => 'resolved', (e) => e.code);
        console.log(JSON.stringify({ results, lookup }));
      });`;
    try {
      await withSandbox(spec(), async (box) => {
        const r = await box.exec(node(probe), { timeoutMs: 30_000, outputBytes: 16_384 });
        const out = JSON.parse(r.stdout.text.trim()) as { results: [string, string][]; lookup: string };
        expect(out.results.filter(([, res]) => res === 'connected')).toEqual([]);
        expect(out.lookup).not.toBe('resolved');
      });
      // The same holds for a candidate that joins a grader's network-less namespace.
      await withSandbox(spec({ role: 'grader' }), async (owner) => {
        await withSandbox(spec({ network: { mode: 'container', containerId: owner.id } }), async (box) => {
          const r = await box.exec(node(probe), { timeoutMs: 30_000, outputBytes: 16_384 });
          const out = JSON.parse(r.stdout.text.trim()) as { results: [string, string][]; lookup: string };
          expect(out.results.filter(([, res]) => res === 'connected')).toEqual([]);
        });
      });
      // Control: on a bridge network the same probe reaches the host listener through the
      // gateway, so the assertion above really depends on the sandbox having no network.
      await withSandbox(spec({ network: { mode: 'bridge', name: 'bridge' } }), async (box) => {
        const r = await box.exec(node(probe), { timeoutMs: 30_000, outputBytes: 16_384 });
        const out = JSON.parse(r.stdout.text.trim()) as { results: [string, string][] };
        expect(out.results.some(([t, res]) => t === `172.17.0.1:${port}` && res === 'connected')).toBe(true);
      });
    } finally {
      server.close();
    }
  });

  it('lets a grader reach the candidate over loopback by joining its network namespace', async () => {
    await withSandbox(spec(), async (candidate) => {
      await candidate.execInBackground(node('require("node:http").createServer((q, s) => s.end("pong")).listen(8080)'), { outputBytes: 4096 });
      const grader = await SandboxContainer.start(docker, spec({ image: images.grader.tag, role: 'grader', network: { mode: 'container', containerId: candidate.id } }), await createTar([]), { outputBytes: 8192 });
      try {
        const r = await grader.exec(node('(async () => { for (let i = 0; i < 100; i++) { try { console.log(await (await fetch("http://127.0.0.1:8080/")).text()); return; } catch { await new Promise((r) => setTimeout(r, 50)); } } })()'), { timeoutMs: 15_000, outputBytes: 4096 });
        expect(r.stdout.text.trim()).toBe('pong');
      } finally {
        await grader.remove();
      }
    });
  });
});

describe('install network', () => {
  it('reaches the registry but nothing on the host (firewall from scripts/setup.sh)', async () => {
    const { config } = await import('../runner/devtools/env.ts');
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.end('reached\n');
    });
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    const port = (server.address() as net.AddressInfo).port;
    const info = await docker.getNetwork(config.install.network).inspect();
    const gateway = (info.IPAM?.Config?.[0] as { Gateway?: string } | undefined)?.Gateway ?? '172.18.0.1';
    const hostAddresses = Object.values(os.networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4' && !i.internal).map((i) => i!.address);
    const targets = [...new Set([gateway, '172.17.0.1', ...hostAddresses])].flatMap((a) => [`${a}:${port}`, `${a}:6379`]);
    const probe = `
      const net = require('node:net');
      const targets = ${JSON.stringify(targets)};
      const tryConnect = (host, port) => new Promise((resolve) => {
        const s = net.connect({ host, port }); s.setTimeout(2000, () => { s.destroy(); resolve('timeout'); });
        s.on('connect', () => { s.destroy(); resolve('connected'); }); s.on('error', (e) => resolve(e.code));
      });
      (async () => {
        const results = await Promise.all(targets.map(async (t) => [t, await tryConnect(t.split(':')[0], Number(t.split(':')[1]))]));
        const registry = await tryConnect('registry.npmjs.org', 443);
        console.log(JSON.stringify({ results, registry }));
      })();`;
    try {
      await withSandbox(spec({ network: { mode: 'bridge', name: config.install.network } }), async (box) => {
        const r = await box.exec(node(probe), { timeoutMs: 30_000, outputBytes: 16_384 });
        const out = JSON.parse(r.stdout.text.trim()) as { results: [string, string][]; registry: string };
        expect(out.registry).toBe('connected');
        expect(out.results.filter(([, res]) => res === 'connected')).toEqual([]);
      });
    } finally {
      server.close();
    }
  });
});

describe('janitor', () => {
  it("removes a dead worker's containers and keeps a live worker's", async () => {
    const { sweepLeftovers } = await import('../runner/sandbox/index.ts');
    const dead = await SandboxContainer.start(docker, spec({ workerId: 'dead-worker' }), await createTar([]), { outputBytes: 1024 });
    const live = await SandboxContainer.start(docker, spec({ workerId: 'live-worker' }), await createTar([]), { outputBytes: 1024 });
    try {
      const removed = await sweepLeftovers(docker, { jobId, isWorkerAlive: async (w) => w === 'live-worker' });
      expect(removed.containers).toEqual([dead.id]);
      expect((await live.state()).running).toBe(true);
      expect((await dead.state()).running).toBe(false);
    } finally {
      await live.remove();
      await dead.remove();
    }
  });
});
