/**
 * Git over smart HTTP on loopback for integration tests: a Node http server on 127.0.0.1 (a
 * random port) that runs `git http-backend` as a CGI for bare repositories under a temp root,
 * plus custom routes for hostile-server cases (redirects, trickling bytes). Every request is
 * recorded so a test can assert that nothing (or something) reached the server.
 */
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface AddRepoOptions {
  /** Branch to commit on. @defaultValue `'main'` */
  branch?: string;
  /** Also create this lightweight tag on the commit. */
  tag?: string;
  /** Gitlink (submodule) entries to add: path -> commit SHA. */
  gitlinks?: Record<string, string>;
  /** Paths (from `files`) to mark executable. */
  executable?: string[];
}

export interface GitServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Directory holding the bare repositories. */
  root: string;
  /** Every request received, in order (routes and git alike). */
  requests: RecordedRequest[];
  close(): Promise<void>;
  /** Creates a bare repo named `name` from files (or a directory), committed on `main`; returns its URL and commit SHA. */
  addRepo(name: string, files: Record<string, string | Buffer> | { dir: string }, opts?: AddRepoOptions): Promise<{ url: string; commit: string }>;
  /** Adds one more commit to an existing repo (amend + force-push to rewrite history); returns the new SHA. */
  commit(name: string, files: Record<string, string>, opts?: { amend?: boolean; force?: boolean }): Promise<string>;
  /** Registers a custom route: requests whose path starts with `pathPrefix` go to `handler`. */
  route(pathPrefix: string, handler: RouteHandler): void;
}

export interface GitServerOptions {
  /** Serve https:// with this key and certificate (PEM) instead of http://. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'assay-git-server-'));
  const root = path.join(base, 'repos');
  const work = path.join(base, 'work');
  const home = path.join(base, 'home');
  await Promise.all([mkdir(root), mkdir(work), mkdir(home)]);
  // git never sees the test process's environment (a developer's global config, hooksPath...).
  const gitEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
  const git = async (cwd: string, ...args: string[]) =>
    (
      await run('git', ['-c', 'user.name=Assay Test', '-c', 'user.email=test@assay.invalid', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
        cwd,
        env: gitEnv,
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout.trim();

  const routes: { prefix: string; handler: RouteHandler }[] = [];
  const requests: RecordedRequest[] = [];
  const branches = new Map<string, string>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((r) => pathname.startsWith(r.prefix));
    if (route) return route.handler(req, res);
    serveGit(req, res, root, gitEnv);
  };
  const server = opts.tls ? https.createServer(opts.tls, handle) : http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const writeFiles = async (dir: string, files: Record<string, string | Buffer>) => {
    for (const [rel, content] of Object.entries(files)) {
      const abs = path.join(dir, rel);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFile(abs, content);
    }
  };

  let closed = false;
  return {
    url,
    root,
    requests,
    route(prefix, handler) {
      routes.push({ prefix, handler });
    },
    async addRepo(name, files, opts = {}) {
      const branch = opts.branch ?? 'main';
      const dir = path.join(work, name);
      await mkdir(dir, { recursive: true });
      await git(dir, 'init', '-q', '-b', branch);
      if ('dir' in files && typeof files.dir === 'string') await cp(files.dir, dir, { recursive: true });
      else await writeFiles(dir, files as Record<string, string | Buffer>);
      await git(dir, 'add', '-A');
      for (const rel of opts.executable ?? []) await git(dir, 'update-index', '--chmod=+x', '--', rel);
      for (const [rel, sha] of Object.entries(opts.gitlinks ?? {})) {
        await git(dir, 'update-index', '--add', '--cacheinfo', `160000,${sha},${rel}`);
      }
      await git(dir, 'commit', '-q', '--allow-empty', '-m', 'initial');
      if (opts.tag) await git(dir, 'tag', opts.tag);
      const bare = path.join(root, name);
      await git(root, 'init', '-q', '--bare', bare);
      await git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
      await git(dir, 'push', '-q', bare, `refs/heads/${branch}:refs/heads/${branch}`, ...(opts.tag ? [`refs/tags/${opts.tag}:refs/tags/${opts.tag}`] : []));
      await git(bare, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`);
      branches.set(name, branch);
      return { url: `${url}/${name}`, commit: await git(dir, 'rev-parse', 'HEAD') };
    },
    async commit(name, files, opts = {}) {
      const dir = path.join(work, name);
      const branch = branches.get(name);
      if (branch === undefined) throw new Error(`no repo named ${name}`);
      await writeFiles(dir, files);
      await git(dir, 'add', '-A');
      await git(dir, 'commit', '-q', '--allow-empty', ...(opts.amend ? ['--amend'] : []), '-m', 'update');
      await git(dir, 'push', '-q', ...(opts.force || opts.amend ? ['--force'] : []), path.join(root, name), `refs/heads/${branch}:refs/heads/${branch}`);
      return git(dir, 'rev-parse', 'HEAD');
    },
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** Runs `git http-backend` as a CGI for one request, streaming the body both ways. */
function serveGit(req: IncomingMessage, res: ServerResponse, root: string, gitEnv: Record<string, string>): void {
  const u = new URL(req.url ?? '/', 'http://localhost');
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(', ') : (v ?? '');
  };
  const child = spawn('git', ['http-backend'], {
    env: {
      ...gitEnv,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(u.pathname),
      QUERY_STRING: u.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: header('content-type'),
      CONTENT_LENGTH: header('content-length'),
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      HTTP_CONTENT_ENCODING: header('content-encoding'),
      GIT_PROTOCOL: header('git-protocol'),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {}); // the backend may exit before reading a body it rejects

  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const lf = head.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, len: 4 } : lf >= 0 ? { at: lf, len: 2 } : null;
    if (end === null) return;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end.at).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = parseInt(value, 10) || 500;
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    const rest = head.subarray(end.at + end.len);
    if (rest.length > 0) res.write(rest);
  });
  child.on('close', () => {
    if (!headersSent) res.writeHead(500).end();
    else res.end();
  });
  child.on('error', () => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
  res.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
}
