/**
 * Fetch stage: puts exactly one commit of the candidate's repository into an empty directory.
 * The candidate controls the URL, the ref and everything the server sends, so git runs with:
 * - the checked URL and ref only after `--` (never as options), https only (http if allowed);
 * - its connection pinned to the address that passed the private-address check;
 * - an environment that is replaced, not inherited, and a configuration that is ours alone:
 *   no hooks, no submodules, no redirects, no credential helpers or prompts, no LFS smudge;
 * - a deadline, a low-speed limit and a size watchdog.
 * This is the only module that imports simple-git.
 *
 * Why the configuration is a file in a throwaway HOME rather than GIT_CONFIG_COUNT or `-c`:
 * simple-git (3.36) refuses, unless an `unsafe` option is enabled, to pass GIT_CONFIG_COUNT,
 * GIT_CONFIG_GLOBAL or GIT_ASKPASS in the environment and to set keys such as
 * `protocol.allow`, `core.hooksPath`, `credential.helper` or `filter.*.smudge` through `-c`.
 * Those guards exist to stop untrusted input from *loosening* git; every value we set tightens
 * it. Writing them to `$HOME/.gitconfig` of a fresh HOME (with system config off) gives git
 * exactly our settings while leaving every simple-git guard on. It also keeps the token out of
 * the process table: `-c` values are visible in `ps`, a 0600 file in a 0700 directory is not.
 */
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { FetchPolicy } from '../../config.ts';
import { isAssayError, PlatformError, SubmissionError } from '../../errors.ts';
import { parseRepoUrl, resolveAllowedAddress, validateRef } from '../../net/url-policy.ts';

export interface FetchInput {
  /** The candidate's repository URL (untrusted). */
  repoUrl: string;
  /** Branch, tag or full commit SHA (untrusted). @defaultValue `'HEAD'` */
  ref?: string;
  /** An empty directory, created by the caller, to fetch into. */
  destDir: string;
  policy: FetchPolicy;
  /** Deadline for the whole fetch, checkout included. */
  timeoutMs: number;
  /** Largest the directory (`.git` plus work tree) may grow. */
  maxBytes: number;
  /** A transfer slower than this for `lowSpeedSeconds` is abandoned (curl's low-speed limit). */
  lowSpeedBytesPerSecond: number;
  lowSpeedSeconds: number;
  /** host -> token for private repositories, sent as HTTP Basic auth to that host only. */
  tokens: Record<string, string>;
}

export interface FetchResult {
  /** Full SHA of the commit checked out. */
  commit: string;
  /** The ref that was requested (`'HEAD'` when none was given). */
  ref: string;
  /** Size of the directory afterwards, `.git` included. */
  bytes: number;
  durationMs: number;
}

/** How often the size watchdog measures the directory. */
const WATCHDOG_INTERVAL_MS = 250;
/** Longest git message quoted in an error. */
const MAX_MESSAGE = 300;
/** git finds its helpers through its compiled-in exec path; PATH only matters for the few it runs by name. */
const SAFE_PATH = '/usr/bin:/bin';

export async function fetchRepository(input: FetchInput, signal?: AbortSignal): Promise<FetchResult> {
  const started = performance.now();
  signal?.throwIfAborted();
  const { url, host } = parseRepoUrl(input.repoUrl, input.policy);
  const ref = validateRef(input.ref ?? 'HEAD');
  if ((await readdir(input.destDir)).length > 0) {
    throw new PlatformError('INTERNAL', 'the fetch directory is not empty');
  }
  const token = input.tokens[host];
  const secrets = token ? [token, basicAuth(token)] : [];

  // One controller stops the fetch for every reason: the deadline (which covers DNS too), the
  // size watchdog, the caller.
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  const deadline = setTimeout(
    () => controller.abort(new SubmissionError('REPO_TOO_SLOW', `the repository could not be fetched within ${formatSeconds(input.timeoutMs)}`)),
    input.timeoutMs,
  );
  const stopWatchdog = new AbortController();
  let watchdog: Promise<void> | undefined;
  let home: string | undefined;

  try {
    const address = await untilAborted(resolveAllowedAddress(host, input.policy), controller.signal);
    home = await mkdtemp(path.join(os.tmpdir(), 'assay-git-home-'));
    await writeGitConfig(home, gitConfig(input, home, url, host, address, token));
    watchdog = watchSize(input.destDir, input.maxBytes, stopWatchdog.signal, (err) => controller.abort(err));
    const git: SimpleGit = simpleGit({ baseDir: input.destDir, maxConcurrentProcesses: 1, abort: controller.signal }).env(gitEnv(home, input.policy));

    await git.raw(['init', '-q']);
    await git.raw(['fetch', '--depth=1', '--no-tags', '--no-recurse-submodules', '--no-auto-gc', '--no-write-commit-graph', '--', url.href, ref]);
    await checkSize(input.destDir, input.maxBytes);
    // A small pack can expand into a huge work tree (a compressible blob, one blob under many
    // names), so the tree's size is checked before anything is written out.
    await checkTreeSize(git, input.destDir, input.maxBytes);
    await git.raw(['checkout', '-q', '--detach', '--no-recurse-submodules', 'FETCH_HEAD']);
    const commit = (await git.raw(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new PlatformError('INTERNAL', 'git rev-parse returned an unexpected value');
    const bytes = await checkSize(input.destDir, input.maxBytes);
    return { commit, ref, bytes, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (controller.signal.aborted) throw controller.signal.reason;
    if (isAssayError(err)) throw err;
    throw classifyGitFailure(err, secrets, url);
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener('abort', onCallerAbort);
    stopWatchdog.abort();
    await watchdog;
    if (home !== undefined) await rm(home, { recursive: true, force: true }).catch(() => {});
  }
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (DNS lookups cannot be canceled). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The whole environment git sees: nothing is inherited from the worker's. */
function gitEnv(home: string, policy: FetchPolicy): Record<string, string> {
  return {
    HOME: home,
    XDG_CONFIG_HOME: home,
    TMPDIR: home,
    PATH: SAFE_PATH,
    // English messages, so failures can be classified.
    LC_ALL: 'C',
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_LFS_SKIP_SMUDGE: '1',
    GIT_NO_REPLACE_OBJECTS: '1',
    // Wins over any protocol.* setting, including for submodules and `transport::` helpers.
    GIT_ALLOW_PROTOCOL: policy.allowHttp ? 'https:http' : 'https',
    GIT_PROTOCOL_FROM_USER: '0',
  };
}

type ConfigEntry = readonly [key: string, value: string];

function gitConfig(input: FetchInput, home: string, url: URL, host: string, address: string, token: string | undefined): ConfigEntry[] {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const pinned = address.includes(':') ? `[${address}]` : address;
  const entries: ConfigEntry[] = [
    ['protocol.allow', 'never'],
    ['protocol.https.allow', 'always'],
    ...(input.policy.allowHttp ? ([['protocol.http.allow', 'always']] as const) : []),
    ['http.followRedirects', 'false'],
    ['http.lowSpeedLimit', String(input.lowSpeedBytesPerSecond)],
    ['http.lowSpeedTime', String(input.lowSpeedSeconds)],
    ['transfer.credentialsInUrl', 'die'],
    ['credential.helper', ''],
    ['core.askPass', ''],
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['core.symlinks', 'true'],
    ['core.protectNTFS', 'true'],
    ['core.protectHFS', 'true'],
    ['submodule.recurse', 'false'],
    ['fetch.recurseSubmodules', 'false'],
    ['filter.lfs.smudge', ''],
    ['filter.lfs.process', ''],
    ['filter.lfs.required', 'false'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
    ['advice.detachedHead', 'false'],
    // An empty template directory: no sample hooks or other files in the new .git.
    ['init.templateDir', path.join(home, 'template')],
  ];
  // DNS was checked once; curl must connect to that same address, not ask again.
  if (isIP(host) === 0) entries.push(['http.curloptResolve', `${host}:${port}:${pinned}`]);
  if (token) entries.push([`http.${url.origin}/.extraHeader`, `Authorization: Basic ${basicAuth(token)}`]);
  return entries;
}

/** Writes the entries as `$HOME/.gitconfig` (0600), quoting every value. */
async function writeGitConfig(home: string, entries: readonly ConfigEntry[]): Promise<void> {
  const quote = (s: string) => {
    if (/[\u0000-\u001f\u007f]/.test(s)) throw new PlatformError('INTERNAL', 'a git configuration value contains a control character');
    return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  };
  const lines: string[] = [];
  for (const [key, value] of entries) {
    const first = key.indexOf('.');
    const last = key.lastIndexOf('.');
    const section = key.slice(0, first);
    const name = key.slice(last + 1);
    const sub = first === last ? '' : ` ${quote(key.slice(first + 1, last))}`;
    lines.push(`[${section}${sub}]`, `\t${name} = ${quote(value)}`);
  }
  await writeFile(path.join(home, '.gitconfig'), `${lines.join('\n')}\n`, { mode: 0o600 });
  await mkdir(path.join(home, 'template'));
}

function basicAuth(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString('base64');
}

/** Polls the directory's size until stopped; calls `onTooLarge` once when it passes `maxBytes`. */
async function watchSize(dir: string, maxBytes: number, stop: AbortSignal, onTooLarge: (err: SubmissionError) => void): Promise<void> {
  while (!stop.aborted) {
    try {
      await sleep(WATCHDOG_INTERVAL_MS, undefined, { signal: stop });
    } catch {
      return;
    }
    const size = await dirSize(dir, stop);
    if (size > maxBytes) {
      onTooLarge(tooLarge(maxBytes));
      return;
    }
  }
}

async function checkSize(dir: string, maxBytes: number): Promise<number> {
  const size = await dirSize(dir);
  if (size > maxBytes) throw tooLarge(maxBytes);
  return size;
}

async function checkTreeSize(git: SimpleGit, dir: string, maxBytes: number): Promise<void> {
  const listing = await git.raw(['ls-tree', '-r', '-l', '-z', '--full-tree', 'FETCH_HEAD']);
  let total = await dirSize(dir);
  for (const entry of listing.split('\0')) {
    // "<mode> <type> <object> <size>\t<path>"; size is "-" for gitlinks.
    const size = /^\d+ blob [0-9a-f]+ +(\d+)\t/.exec(entry)?.[1];
    if (size !== undefined) total += Number(size);
    if (total > maxBytes) throw tooLarge(maxBytes);
  }
}

function tooLarge(maxBytes: number): SubmissionError {
  return new SubmissionError('REPO_TOO_LARGE', `the repository is larger than the limit of ${formatBytes(maxBytes)}`);
}

/** Bytes under `dir` (files and symlinks, by lstat); files that vanish mid-walk count as 0. */
async function dirSize(dir: string, stop?: AbortSignal): Promise<number> {
  let total = 0;
  const pending = [dir];
  while (pending.length > 0 && !stop?.aborted) {
    const current = pending.pop() as string;
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const abs = path.join(current, entry.name);
      if (entry.isDirectory()) {
        pending.push(abs);
        continue;
      }
      try {
        total += (await lstat(abs)).size;
      } catch {
        // removed between readdir and lstat (git's temporary files)
      }
    }
  }
  return total;
}

/**
 * Maps a failed git command to the error the candidate or the operator sees. The text is
 * scrubbed of the token and control characters and cut short: it comes from a server the
 * candidate may control and ends up in their report. Classification ignores the parts the
 * candidate chose (the URL, quoted by git, and the ref), so a repository named
 * "connection-refused" cannot pass itself off as a network failure.
 */
export function classifyGitFailure(err: unknown, secrets: readonly string[], url: URL): SubmissionError | PlatformError {
  const raw = err instanceof Error ? err.message : String(err);
  const message = scrub(raw, secrets);
  const cause = new Error(message);
  const notFound = () => new SubmissionError('REPO_NOT_FOUND', `the repository or ref could not be fetched: ${message}`, { cause });
  // The ref follows this phrase, so it is matched before the ref can confuse anything else.
  if (/couldn't find remote ref /.test(raw)) return notFound();
  const text = raw.split(url.href).join('<url>').replace(/'[^'\n]*'/g, "''");
  if (/Operation too slow|Operation timed out|Timeout was reached/i.test(text)) {
    return new SubmissionError('REPO_TOO_SLOW', `the repository server was too slow: ${message}`, { cause });
  }
  if (
    /Could not resolve host|Failed to connect to|Couldn't connect to server|Connection refused|Connection reset|Connection timed out|Recv failure|Send failure|Empty reply from server|SSL certificate problem|SSL connect error|SSL_ERROR|gnutls_handshake|TLS connect error|The requested URL returned error: 5\d\d|was not closed cleanly|transfer closed with|unexpected disconnect while reading|early EOF/i.test(
      text,
    )
  ) {
    return new PlatformError('FETCH_NETWORK', `network error while fetching: ${message}`, true, { cause });
  }
  if (
    /not found|not our ref|unadvertised object|does not appear to be a git repository|Authentication failed|could not read (Username|Password)|terminal prompts disabled|The requested URL returned error: [34]\d\d|redirect|protocol error|bad line length|invalid index-pack output|did not send all necessary objects|bad object|unknown revision|reference is not a tree|not a tree object|not a valid object/i.test(
      text,
    )
  ) {
    return notFound();
  }
  // Not recognised: the platform's problem (a full disk, a git bug), never blamed on the candidate.
  return new PlatformError('INTERNAL', `git failed: ${message}`, false, { cause });
}

/** Removes secrets and control characters, collapses whitespace, and truncates. */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  out = out
    .replace(/(authorization:\s*)\S+(\s+\S+)?/gi, '$1[redacted]')
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE - 1)}…` : out;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}
