/**
 * Serves one directory as a git repository over smart HTTP on a chosen address, for checks that
 * run Assay somewhere the host's loopback is not reachable (workers in compose containers).
 * Takes: --dir <folder> (committed as-is on `main`), --name <repo name>, --host <address to
 *   listen on, e.g. a compose network's gateway>, optionally --port <port> (default: any free).
 * Does: reuses the loopback git server of the tests (runner/devtools/git-server.ts) and relays
 *   TCP from <host>:<port> to it, so the repository is served exactly as in the tests.
 * Prints: one JSON line `{"url": "http://<host>:<port>/<name>", "commit": "<sha>"}` once the
 *   repository can be cloned, then nothing; stops cleanly on SIGTERM or SIGINT.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { startGitServer } from '../../runner/devtools/git-server.ts';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, name: { type: 'string' }, host: { type: 'string' }, port: { type: 'string', default: '0' } },
});
if (!values.dir || !values.name || !values.host) {
  console.error('usage: serve-git.ts --dir <folder> --name <repo> --host <address> [--port <port>]');
  process.exit(2);
}

const git = await startGitServer();
const sockets = new Set<net.Socket>();
const upstreamPort = Number(new URL(git.url).port);
const relay = net.createServer((client) => {
  const upstream = net.connect(upstreamPort, '127.0.0.1');
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    // A peer going away mid-clone is normal for a relay; the other side is simply closed.
    s.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream).pipe(client);
});

let stopping: Promise<void> | undefined;
const stop = (): Promise<void> =>
  (stopping ??= (async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
    await git.close();
  })());
const shutdown = (): void => {
  stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`serve-git: cleanup failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

try {
  const repo = await git.addRepo(values.name, { dir: values.dir });
  await new Promise<void>((resolve, reject) => {
    relay.once('error', reject);
    relay.listen(Number(values.port), values.host, resolve);
  });
  const { port } = relay.address() as net.AddressInfo;
  const host = values.host.includes(':') ? `[${values.host}]` : values.host;
  console.log(JSON.stringify({ url: `http://${host}:${port}/${values.name}`, commit: repo.commit }));
} catch (err) {
  console.error(`serve-git: ${(err as Error).message}`);
  await stop();
  process.exit(1);
}
