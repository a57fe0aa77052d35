/**
 * A PEP 503 "simple" package index serving wheels the test built (./wheels.ts), for tests of
 * Python installs on a machine that cannot reach PyPI. It runs where installs can reach it: a
 * container of the python image on the install network, serving `/simple/<project>/` pages and
 * `/files/<wheel>` with `python3 -m http.server`'s handler (a few lines more: a request log, and a
 * switch that makes it answer an HTTP error, to stand for an index that is failing).
 *
 * The install bridge is created with inter-container traffic off (`enable_icc=false`, see
 * scripts/setup.sh): install containers of different submissions cannot reach each other, and so
 * not this index either. `startPipIndex` therefore opens one hole for the index's own address,
 * `iptables -I DOCKER-USER -i <bridge> -o <bridge> -d <index ip> -p tcp -j ACCEPT` (replies
 * pass Docker's own ESTABLISHED rule), and removes it on close: the traffic between install
 * containers stays dropped. That needs root and a local engine, as scripts/setup.sh does.
 * What a killed test process leaves behind (the container, its rule) is removed by the next
 * `startPipIndex`: the container carries the creating process's pid, the rule its container's id.
 *
 * ```ts
 * const index = await startPipIndex({ wheels: [buildWheel({...})] });
 * // ASSAY_PIP_INDEX_URL = index.url  (http://<ip>:8080/simple/)
 * await index.close();
 * ```
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { SandboxContainer, sweepLeftovers } from '../sandbox/index.ts';
import { createTar, type TarEntry } from '../stages/pack/tar.ts';
import { config, docker, images } from './env.ts';
import { eventually } from './eventually.ts';
import type { Wheel } from './wheels.ts';

const run = promisify(execFile);
const PORT = 8080;
const DEPLOYMENT = 'devtools-pip-index';
const WORKER_PREFIX = 'pip-index-pid-';
const RULE_COMMENT = 'assay-pip-index:';

export interface PipIndexOptions {
  wheels: readonly Wheel[];
  /** The Docker network installs use. @defaultValue the configured install network (ASSAY_INSTALL_NETWORK) */
  network?: string;
}

export interface PipIndex extends AsyncDisposable {
  /** The index URL as pip takes it (`--index-url`), reachable from install containers. */
  url: string;
  /** A URL on the index's address where nothing listens (connections are refused at once). */
  refusedUrl: string;
  /** Paths requested so far, in order. */
  requests(): Promise<string[]>;
  /** From now on, answer every request with this HTTP status (undefined: serve normally again). */
  setFailing(status: number | undefined): Promise<void>;
  /** Removes the firewall hole and the container; idempotent. */
  close(): Promise<void>;
}

/** The server: http.server's file handler over /workspace/index, with a request log and a failure switch. */
const SERVER = `
import http.server, os, sys
ROOT = "/workspace/index"
LOG = "/workspace/requests.log"
FAIL = "/workspace/fail"
class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=ROOT, **kw)
    def log_message(self, *a):
        pass
    def send_head(self):
        with open(LOG, "a") as f:
            f.write(self.path + "\\n")
        if os.path.exists(FAIL):
            with open(FAIL) as f:
                self.send_error(int(f.read().strip() or "503"))
            return None
        return super().send_head()
http.server.ThreadingHTTPServer(("0.0.0.0", ${PORT}), Handler).serve_forever()
`;

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The index's files: /simple/ pages per PEP 503 (with `#sha256=` and data-requires-python) and the wheels. */
export function indexFiles(wheels: readonly Wheel[]): TarEntry[] {
  const projects = new Map<string, Wheel[]>();
  for (const w of wheels) projects.set(w.project, [...(projects.get(w.project) ?? []), w]);
  const page = (title: string, links: string[]) => Buffer.from(`<!DOCTYPE html>\n<html><head><title>${escapeHtml(title)}</title></head><body>\n${links.join('<br>\n')}\n</body></html>\n`);
  const entries: TarEntry[] = [{ type: 'file', path: 'index/simple/index.html', content: page('Simple index', [...projects.keys()].map((p) => `<a href="${p}/">${p}</a>`)) }];
  for (const [project, files] of projects) {
    const links = files.map((w) => `<a href="../../files/${w.filename}#sha256=${w.sha256}"${w.requiresPython ? ` data-requires-python="${escapeHtml(w.requiresPython)}"` : ''}>${w.filename}</a>`);
    entries.push({ type: 'file', path: `index/simple/${project}/index.html`, content: page(`Links for ${project}`, links) });
  }
  for (const w of wheels) entries.push({ type: 'file', path: `index/files/${w.filename}`, content: w.bytes });
  entries.push({ type: 'file', path: 'serve.py', content: Buffer.from(SERVER) });
  return entries;
}

/**
 * Whether the process that started an index may still be running (its pid is in the worker
 * label). An index labelled some other way is left alone: its owner is unknown.
 */
function creatorAlive(workerId: string): boolean {
  const pid = Number(workerId.slice(WORKER_PREFIX.length));
  if (!workerId.startsWith(WORKER_PREFIX) || !Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes indexes of dead test processes, then the firewall rules whose container is gone. */
async function reapLeftovers(): Promise<void> {
  await sweepLeftovers(docker, { deployment: DEPLOYMENT, isWorkerAlive: async (w) => creatorAlive(w) });
  const rules = await run('iptables', ['-S', 'DOCKER-USER']).then((r) => r.stdout.split('\n'), () => []);
  for (const rule of rules) {
    const id = new RegExp(`--comment "?${RULE_COMMENT}([0-9a-f]{12})`).exec(rule)?.[1];
    if (!id) continue;
    const gone = await docker.getContainer(id).inspect().then(() => false, () => true);
    if (gone) await run('iptables', ['-D', ...rule.replace(/^-A /, '').replace(/"/g, '').split(' ')]).catch(() => undefined);
  }
}

export async function startPipIndex(opts: PipIndexOptions): Promise<PipIndex> {
  const network = opts.network ?? config.install.network;
  const id = `pip-index-${randomUUID()}`;
  await reapLeftovers();
  const box = await SandboxContainer.start(
    docker,
    {
      image: images.python.tag,
      role: 'pip-index',
      jobId: id,
      workerId: `${WORKER_PREFIX}${process.pid}`,
      // A deployment of its own: no stack's janitor takes it for a dead worker's leftover.
      deployment: DEPLOYMENT,
      network: { mode: 'bridge', name: network },
      limits: { memoryMb: 128, cpus: 0.5, pids: 64, workspaceMb: 64 },
      command: ['python3', '-I', '/workspace/serve.py'],
    },
    await createTar(indexFiles(opts.wheels)),
    { outputBytes: 16 * 1024 },
  );
  let hole: string[] | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      if (hole) await run('iptables', ['-D', ...hole]);
    } finally {
      await box.remove();
    }
  };
  try {
    const info = await docker.getContainer(box.id).inspect();
    const ip = info.NetworkSettings.Networks[network]?.IPAddress;
    if (!ip) throw new Error(`the pip index container has no address on ${network}`);
    const net = await docker.getNetwork(network).inspect();
    const options = (net.Options ?? {}) as Record<string, string>;
    if (options['com.docker.network.bridge.enable_icc'] === 'false') {
      const bridge = options['com.docker.network.bridge.name'] ?? `br-${String(net.Id).slice(0, 12)}`;
      const rule = ['DOCKER-USER', '-i', bridge, '-o', bridge, '-d', `${ip}/32`, '-p', 'tcp', '-m', 'comment', '--comment', `${RULE_COMMENT}${box.id.slice(0, 12)}`, '-j', 'ACCEPT'];
      try {
        await run('iptables', ['-I', ...rule]);
      } catch (err) {
        throw new Error(`${network} drops traffic between its containers (enable_icc=false), and the ACCEPT rule for the index could not be added (root and a local engine are needed): ${(err as Error).message}`, { cause: err });
      }
      hole = rule;
    }
    const probe = ['python3', '-I', '-c', `import urllib.request; urllib.request.urlopen("http://127.0.0.1:${PORT}/simple/", timeout=2).read()`];
    await eventually(async () => (await box.exec(probe, { timeoutMs: 10_000, outputBytes: 4096 })).verdict === 'ok', { timeoutMs: 20_000, intervalMs: 200, message: 'the pip index to answer' });
    // The probe's own request is not one of the test's.
    await box.exec(['sh', '-c', ': > /workspace/requests.log'], { timeoutMs: 10_000, outputBytes: 1024 });
    return {
      url: `http://${ip}:${PORT}/simple/`,
      refusedUrl: `http://${ip}:${PORT + 1}/simple/`,
      async requests() {
        const out = await box.execCaptureStdout(['cat', '/workspace/requests.log'], 1024 * 1024, 10_000);
        return (out?.toString('utf8') ?? '').split('\n').filter(Boolean);
      },
      async setFailing(status) {
        const argv = status === undefined ? ['rm', '-f', '/workspace/fail'] : ['sh', '-c', `echo ${Number(status)} > /workspace/fail`];
        const r = await box.exec(argv, { timeoutMs: 10_000, outputBytes: 1024 });
        if (r.verdict !== 'ok') throw new Error(`could not switch the pip index: ${r.output.text}`);
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
