/**
 * Fetch stage: puts exactly one commit of the candidate's repository into an empty directory.
 * The candidate controls the URL, the ref and everything the server sends, so git runs with:
 * - the checked URL and ref only after `--` (never as options), https only (http if allowed);
 * - its connection pinned to the address that passed the private-address check;
 * - an environment that is replaced, not inherited, and a configuration that is ours alone:
 *   no hooks, no submodules, no redirects, no credential helpers or prompts, no LFS smudge;
 *   every received object checked by fsck; one thread; bounded caches;
 * - as an unprivileged uid of its own with rlimits and GIT_ALLOC_LIMIT (confine.ts);
 * - a deadline, a low-speed limit and a size watchdog;
 * - a token only for a URL inside the token's scope (tokens.ts).
 * With `history`, the commit's history is then deepened to a bounded number of commits and read
 * (`insights.history`) by the same confined git, under a budget and a size watch of its own: what
 * goes wrong there costs the insight, never the fetch (readHistory).
 * A server that refuses the connection, fails (5xx) or cuts the transfer is tried once more
 * after a short pause; if it fails again, a host the candidate chose is the candidate's problem
 * (REPO_UNREACHABLE, not retried), a host on the operator's allow-list the platform's (retried).
 * This is the only module that imports simple-git.
 *
 * Why the configuration is a file in a throwaway HOME rather than GIT_CONFIG_COUNT or `-c`:
 * simple-git (3.36) refuses, unless an `unsafe` option is enabled, to pass GIT_CONFIG_COUNT,
 * GIT_CONFIG_GLOBAL or GIT_ASKPASS in the environment and to set keys such as
 * `protocol.allow`, `core.hooksPath`, `credential.helper` or `filter.*.smudge` through `-c`.
 * Those guards exist to stop untrusted input from *loosening* git; every value we set tightens
 * it. Writing them to `$HOME/.gitconfig` of a fresh HOME (with system config off) gives git
 * exactly our settings while leaving every simple-git guard on. It also keeps the token out of
 * the process table: `-c` values are visible in `ps`, a 0640 file in a 0750 directory readable
 * only by root and the fetch's own gid is not. The wrapper (confined-git.sh) is given to
 * simple-git as its `binary`, which its default rules accept for a plain path; no `unsafe`
 * option is turned on.
 */
import { chown, lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { FetchPolicy } from '../../config.ts';
import { isAssayError, PlatformError, SubmissionError, type AssayError } from '../../errors.ts';
import { parseRepoUrl, resolveAllowedAddress, validateRef } from '../../net/url-policy.ts';
import { HISTORY_LOG_FORMAT, TEST_PATHSPECS, type HistoryRead } from '../history/history.ts';
import { closeFetchArea, confinementEnv, gitBinary, moveInto, newConfinement, openFetchArea, reap, resetRepo, type Confinement, type FetchArea } from './confine.ts';
import { tokenFor } from './tokens.ts';

export interface FetchInput {
  /** The candidate's repository URL (untrusted). */
  repoUrl: string;
  /** Branch, tag or full commit SHA (untrusted). @defaultValue `'HEAD'` */
  ref?: string;
  /**
   * An empty directory, created by the caller, to fetch into, on the same file system as the
   * temp directory. It is replaced by the fetched repository: owned by the fetch's uid, 0700.
   */
  destDir: string;
  policy: FetchPolicy;
  /** Deadline for the whole fetch, checkout included. */
  timeoutMs: number;
  /** Largest the directory (`.git` plus work tree) may grow. */
  maxBytes: number;
  /** A transfer slower than this for `lowSpeedSeconds` is abandoned (curl's low-speed limit). */
  lowSpeedBytesPerSecond: number;
  lowSpeedSeconds: number;
  /**
   * Scope (`host[/owner[/repo]]`, see `parseTokenScope` in runner/config.ts) -> token for private
   * repositories. The longest scope covering the URL gives the token, sent as HTTP Basic auth to
   * that repository only; a URL no scope covers gets none.
   */
  tokens: Readonly<Record<string, string>>;
  /**
   * Also read the commit's history, at most `maxCommits` commits (`git fetch --deepen`, then
   * `git log`), within `timeoutMs` and what is left of the fetch's own deadline. Unset: the
   * commit alone, as before.
   */
  history?: { maxCommits: number; timeoutMs: number };
}

export interface FetchResult {
  /** Full SHA of the commit checked out. */
  commit: string;
  /** The ref that was requested (`'HEAD'` when none was given). */
  ref: string;
  /** Size of the directory afterwards, `.git` included. */
  bytes: number;
  durationMs: number;
  /** What was read of the history, when `history` was asked for (its own time is in it, not in durationMs). */
  history?: HistoryRead;
}

/** How often the size watchdog measures the directory. */
const WATCHDOG_INTERVAL_MS = 250;
/** Longest git message quoted in an error. */
const MAX_MESSAGE = 300;
/** git finds its helpers through its compiled-in exec path; PATH only matters for the few it runs by name. */
const SAFE_PATH = '/usr/bin:/bin';
/** Attempts of the transfer when the server refuses, fails or cuts it: one retry for a blip on either side. */
const FETCH_ATTEMPTS = 2;
/** Pause before that retry. */
const RETRY_BACKOFF_MS = 1000;
/** Below this much time left, the history is not even tried. */
const MIN_HISTORY_BUDGET_MS = 500;
/** `.git/shallow` lists one hash per line; anything larger is not git's. */
const MAX_SHALLOW_BYTES = 1024 * 1024;

export async function fetchRepository(input: FetchInput, signal?: AbortSignal): Promise<FetchResult> {
  const started = performance.now();
  signal?.throwIfAborted();
  const { url, host } = parseRepoUrl(input.repoUrl, input.policy);
  const ref = validateRef(input.ref ?? 'HEAD');
  if ((await readdir(input.destDir)).length > 0) {
    throw new PlatformError('INTERNAL', 'the fetch directory is not empty');
  }
  const token = tokenFor(url, host, input.tokens);
  const secrets = token ? [token, basicAuth(token)] : [];
  const failure: GitFailureContext = {
    candidateHost: !input.policy.allowedHosts.some((h) => h.toLowerCase() === host),
    maxBytes: input.maxBytes,
  };
  const confinement = newConfinement(input.maxBytes, input.timeoutMs);
  const deadlineAt = Date.now() + input.timeoutMs;

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
  let area: FetchArea | undefined;
  let handedOver = false;

  try {
    const address = await untilAborted(resolveAllowedAddress(host, input.policy), controller.signal);
    area = await openFetchArea(confinement);
    const repo = area.repo;
    await writeGitConfig(area, confinement, gitConfig(input, area, url, host, address, token));
    watchdog = watchSize(repo, input.maxBytes, stopWatchdog.signal, (err) => controller.abort(err));
    const git: SimpleGit = simpleGit({ baseDir: repo, binary: gitBinary(), maxConcurrentProcesses: 1, abort: controller.signal }).env(gitEnv(area, input.policy, confinement));

    for (let attempt = 1; ; attempt++) {
      try {
        await git.raw(['init', '-q']);
        await git.raw(['fetch', '--depth=1', '--no-tags', '--no-recurse-submodules', '--no-auto-gc', '--no-write-commit-graph', '--', url.href, ref]);
        break;
      } catch (err) {
        if (controller.signal.aborted || isAssayError(err)) throw err;
        const classified = await classifyInArea(err, secrets, url, failure, repo);
        if (!isTransient(classified)) throw classified;
        if (attempt >= FETCH_ATTEMPTS) throw afterRetries(classified, attempt);
        await sleep(RETRY_BACKOFF_MS, undefined, { signal: controller.signal });
        await reap(confinement);
        await resetRepo(area, confinement);
      }
    }
    await checkSize(repo, input.maxBytes);
    // A small pack can expand into a huge work tree (a compressible blob, one blob under many
    // names), so the tree's size is checked before anything is written out.
    await checkTreeSize(git, repo, input.maxBytes);
    await git.raw(['checkout', '-q', '--detach', '--no-recurse-submodules', 'FETCH_HEAD']);
    const commit = (await git.raw(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new PlatformError('INTERNAL', 'git rev-parse returned an unexpected value');
    const bytes = await checkSize(repo, input.maxBytes);
    const durationMs = Math.round(performance.now() - started);
    let history: HistoryRead | undefined;
    if (input.history && input.history.maxCommits > 0) {
      // The commit is in place: from here on the fetch's deadline and size watch would fail it
      // for the history's sake, so the history has its own (readHistory).
      clearTimeout(deadline);
      stopWatchdog.abort();
      await watchdog;
      const env = gitEnv(area, input.policy, confinement);
      history = await readHistory({ repo, env, url, ref, commit, secrets, maxBytes: input.maxBytes, ...input.history, budgetMs: Math.min(input.history.timeoutMs, deadlineAt - Date.now()), signal: controller.signal });
      signal?.throwIfAborted();
    }
    // Nothing of the uid may still run (and write) once the checkout is handed over.
    await reap(confinement);
    await moveInto(area, input.destDir);
    handedOver = true;
    return { commit, ref, bytes, durationMs, ...(history ? { history } : {}) };
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (controller.signal.aborted) throw controller.signal.reason;
    if (isAssayError(err)) throw err;
    throw area ? await classifyInArea(err, secrets, url, failure, area.repo) : classifyGitFailure(err, secrets, url, failure);
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener('abort', onCallerAbort);
    stopWatchdog.abort();
    await watchdog;
    if (area !== undefined) {
      // Best effort: a failure here must not hide the fetch's own outcome. reap can only fail
      // if setpriv itself is broken, and then no git command ran either.
      if (!handedOver) await reap(confinement).catch(() => {});
      await closeFetchArea(area).catch(() => {});
    }
  }
}

interface HistoryContext {
  repo: string;
  env: Record<string, string>;
  url: URL;
  ref: string;
  commit: string;
  secrets: readonly string[];
  maxBytes: number;
  maxCommits: number;
  budgetMs: number;
  /** The fetch's own controller: the caller stopping the job stops the history too. */
  signal: AbortSignal;
}

/**
 * Deepens the shallow checkout to `maxCommits` commits past the submitted one and reads them. It
 * fetches the same ref again (normally the same commit; if the ref moved meanwhile, the log still
 * starts at the commit that was checked out and its history may stay short). The size watch
 * covers the deepened repository against the fetch's own limit; the work tree is already checked
 * out, so stopping half-way leaves only unused objects behind. Every failure is returned as a
 * reason, scrubbed like git's other messages.
 */
async function readHistory(ctx: HistoryContext): Promise<HistoryRead> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (ctx.budgetMs < MIN_HISTORY_BUDGET_MS) return { ok: false, reason: 'the fetch used its whole time limit, so no history was read', durationMs: 0 };
  const stop = new AbortController();
  let why: string | undefined;
  const halt = (reason: string) => {
    why ??= reason;
    stop.abort(new Error(reason));
  };
  const onAbort = () => halt('the fetch was stopped');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => halt(`it did not finish within ${formatSeconds(ctx.budgetMs)}`), ctx.budgetMs);
  const stopWatch = new AbortController();
  const tooLargeReason = `the repository with its history is larger than the limit of ${formatBytes(ctx.maxBytes)}`;
  const watch = watchSize(ctx.repo, ctx.maxBytes, stopWatch.signal, () => halt(tooLargeReason));
  try {
    const git: SimpleGit = simpleGit({ baseDir: ctx.repo, binary: gitBinary(), maxConcurrentProcesses: 1, abort: stop.signal }).env(ctx.env);
    const max = ctx.maxCommits;
    await git.raw(['fetch', `--deepen=${max}`, '--no-tags', '--no-recurse-submodules', '--no-auto-gc', '--no-write-commit-graph', '--', ctx.url.href, ctx.ref]);
    // The watch looks every WATCHDOG_INTERVAL_MS: a quick deepen can finish past the limit between two looks.
    if ((await dirSize(ctx.repo)) > ctx.maxBytes) return { ok: false, reason: `the history could not be read: ${tooLargeReason}`, durationMs: elapsed() };
    const reachable = Number((await git.raw(['rev-list', '--count', `--max-count=${max + 1}`, ctx.commit])).trim());
    // Names and subjects are cut by the format itself, so the output stays small whatever the commits hold.
    const log = await git.raw(['log', `--max-count=${max}`, '--no-renames', '--no-mailmap', '--shortstat', `--format=${HISTORY_LOG_FORMAT}`, ctx.commit, '--']);
    const testCommits = (await git.raw(['log', `--max-count=${max}`, '--no-renames', '--format=%H', ctx.commit, '--', ...TEST_PATHSPECS])).split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
    return { ok: true, log, testCommits, shallow: await readShallow(ctx.repo), reachable: Number.isFinite(reachable) ? reachable : 0, durationMs: elapsed() };
  } catch (err) {
    // git stopped at a file-size or memory limit, or the directory grew past the size limit, is "too large" too.
    const classified = why ? undefined : classifyGitFailure(err, ctx.secrets, ctx.url, { maxBytes: ctx.maxBytes });
    const tooLarge = classified?.code === 'REPO_TOO_LARGE' || (!why && (await dirSize(ctx.repo)) > ctx.maxBytes);
    const reason = why ?? (tooLarge ? tooLargeReason : `git failed: ${scrub(err instanceof Error ? err.message : String(err), ctx.secrets)}`);
    return { ok: false, reason: `the history could not be read: ${reason}`, durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
    stopWatch.abort();
    await watch;
  }
}

/** The commits whose parents were not fetched (git's `.git/shallow`, written by git as the fetch's uid: read as a plain file, bounded). */
async function readShallow(repo: string): Promise<string[]> {
  const file = path.join(repo, '.git', 'shallow');
  try {
    const info = await lstat(file);
    if (!info.isFile() || info.size > MAX_SHALLOW_BYTES) return [];
    return (await readFile(file, 'utf8')).split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
  } catch {
    return [];
  }
}

/** A failure worth one more attempt: the server (or the network on the way) failed, not the repository. */
function isTransient(err: AssayError): boolean {
  return err.code === 'REPO_UNREACHABLE' || err.code === 'FETCH_NETWORK';
}

/** The final error after `attempts` attempts, saying so. */
function afterRetries(err: AssayError, attempts: number): AssayError {
  const message = `${err.message} (${attempts} attempts, ${formatSeconds(RETRY_BACKOFF_MS)} apart)`;
  return err instanceof SubmissionError ? new SubmissionError(err.code, message, { cause: err.cause }) : new PlatformError(err.code, message, err.retryable, { cause: err.cause });
}

/**
 * classifyGitFailure, except that a repository directory already past the size limit makes it
 * REPO_TOO_LARGE whatever git said: git killed for writing a file past RLIMIT_FSIZE, or cut
 * short while the watchdog had not yet looked, reports something else.
 */
async function classifyInArea(err: unknown, secrets: readonly string[], url: URL, context: GitFailureContext, repo: string): Promise<AssayError> {
  if (context.maxBytes !== undefined && (await dirSize(repo)) > context.maxBytes) return tooLarge(context.maxBytes);
  return classifyGitFailure(err, secrets, url, context);
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
function gitEnv(area: FetchArea, policy: FetchPolicy, confinement: Confinement): Record<string, string> {
  return {
    ...confinementEnv(confinement),
    HOME: area.home,
    XDG_CONFIG_HOME: area.home,
    TMPDIR: area.tmp,
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

function gitConfig(input: FetchInput, area: FetchArea, url: URL, host: string, address: string, token: string | undefined): ConfigEntry[] {
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
    ['core.logAllRefUpdates', 'false'],
    // Every object the server sends is checked (malformed trees, .gitmodules tricks), and the
    // pack is always indexed by index-pack (never unpacked into loose objects), in one thread.
    ['transfer.fsckObjects', 'true'],
    ['fetch.fsckObjects', 'true'],
    ['fetch.unpackLimit', '1'],
    ['pack.threads', '1'],
    ['index.threads', '1'],
    ['checkout.workers', '1'],
    // Bounded memory for an acceptable repository, well inside RLIMIT_AS (confine.ts): blobs above
    // the threshold are streamed rather than held whole, pack windows and caches stay small.
    ['core.bigFileThreshold', '16m'],
    ['core.packedGitWindowSize', '32m'],
    ['core.packedGitLimit', '256m'],
    ['core.deltaBaseCacheLimit', '32m'],
    // An empty template directory: no sample hooks or other files in the new .git.
    ['init.templateDir', path.join(area.home, 'template')],
  ];
  // DNS was checked once; curl must connect to that same address, not ask again.
  if (isIP(host) === 0) entries.push(['http.curloptResolve', `${host}:${port}:${pinned}`]);
  // Scoped to this repository's URL: git sends it only on requests under it.
  if (token) entries.push([`http.${url.href}.extraHeader`, `Authorization: Basic ${basicAuth(token)}`]);
  return entries;
}

/**
 * Writes the entries as `$HOME/.gitconfig`, quoting every value: root's, readable by the
 * fetch's gid only (0640), so git can read the token and the settings but not change them.
 */
async function writeGitConfig(area: FetchArea, confinement: Confinement, entries: readonly ConfigEntry[]): Promise<void> {
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
  const file = path.join(area.home, '.gitconfig');
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o640 });
  await chown(file, 0, confinement.gid);
  await mkdir(path.join(area.home, 'template'), { mode: 0o755 });
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

/** What classifyGitFailure needs to know beyond git's message. */
export interface GitFailureContext {
  /**
   * The host is the candidate's choice (no operator allow-list names it). A server that refuses
   * the connection, answers 5xx or cuts the transfer is then the candidate's problem; a host the
   * operator allowed (a code host Assay depends on) failing is the platform's, and retried.
   * @defaultValue `true`
   */
  candidateHost?: boolean;
  /** The size limit, quoted when git stopped at a memory or file-size limit. */
  maxBytes?: number;
}

/**
 * Maps a failed git command to the error the candidate or the operator sees. The text is
 * scrubbed of the token and control characters and cut short: it comes from a server the
 * candidate may control and ends up in their report. Classification ignores the parts the
 * candidate chose (the URL, quoted by git, the ref, and anything the server printed as
 * `remote: ...` or sent as `remote error: ...`, which counts as a refusal), so a repository named "connection-refused" or a server printing "SSL
 * certificate problem" cannot pass itself off as the platform's network failure.
 * A single failure is classified as it is; fetchRepository retries the transient ones once.
 */
export function classifyGitFailure(err: unknown, secrets: readonly string[], url: URL, context: GitFailureContext = {}): SubmissionError | PlatformError {
  const raw = err instanceof Error ? err.message : String(err);
  const message = scrub(raw, secrets);
  const cause = new Error(message);
  const notFound = () => new SubmissionError('REPO_NOT_FOUND', `the repository or ref could not be fetched: ${message}`, { cause });
  // The ref follows this phrase, so it is matched before the ref can confuse anything else.
  if (/couldn't find remote ref /.test(raw)) return notFound();
  const text = raw
    .split(url.href)
    .join('<url>')
    .split('\n')
    .filter((line) => !/^\s*remote:/.test(line))
    .join('\n')
    .replace(/(remote error:).*$/gm, '$1')
    .replace(/'[^'\n]*'/g, "''");
  // git's own ceilings (GIT_ALLOC_LIMIT, RLIMIT_AS, RLIMIT_FSIZE's SIGXFSZ): an object or a file
  // larger than any acceptable repository holds.
  if (/attempting to allocate \d+ over limit|Out of memory, \w+ failed|died of signal 25\b|File size limit exceeded/.test(text)) {
    const limit = context.maxBytes === undefined ? 'the limit' : `the limit of ${formatBytes(context.maxBytes)}`;
    return new SubmissionError('REPO_TOO_LARGE', `the repository is larger than ${limit}: ${message}`, { cause });
  }
  // fsck refused an object, or the pack itself is corrupt: what the server sent, not our disk.
  if (
    /fsck error in packed object|^error: object [0-9a-f]{40,64}: [A-Za-z]+: |pack has bad object|pack has junk|premature end of pack file|pack is corrupted|pack signature mismatch|pack version \d+ unsupported|unknown object type|delta base offset|inflate returned|serious inflate inconsistency/m.test(
      text,
    )
  ) {
    return new SubmissionError('REPO_INVALID', `the repository contains malformed git objects: ${message}`, { cause });
  }
  if (/Operation too slow|Operation timed out|Timeout was reached|died of signal 24\b/i.test(text)) {
    return new SubmissionError('REPO_TOO_SLOW', `the repository server was too slow: ${message}`, { cause });
  }
  // The server answered with a failure, refused the connection or cut it: its problem, unless
  // the operator chose the host.
  if (
    /Failed to connect to|Couldn't connect to server|Connection refused|Connection reset|Connection timed out|Recv failure|Send failure|Empty reply from server|The requested URL returned error: 5\d\d|RPC failed; HTTP 5\d\d|was not closed cleanly|transfer closed with|unexpected disconnect while reading|early EOF|hung up unexpectedly/i.test(
      text,
    )
  ) {
    if (context.candidateHost ?? true) {
      return new SubmissionError('REPO_UNREACHABLE', `the repository's server could not be reached or failed to answer: ${message}`, { cause });
    }
    return new PlatformError('FETCH_NETWORK', `network error while fetching: ${message}`, true, { cause });
  }
  // Our side of the network: the resolver (git is pinned, so this should not happen) or TLS,
  // which a proxy or CA store on the worker's side can break for every host at once.
  if (/Could not resolve host|SSL certificate problem|SSL connect error|SSL_ERROR|gnutls_handshake|TLS connect error/i.test(text)) {
    return new PlatformError('FETCH_NETWORK', `network error while fetching: ${message}`, true, { cause });
  }
  if (
    /not found|remote error:|not our ref|unadvertised object|does not appear to be a git repository|Authentication failed|could not read (Username|Password)|terminal prompts disabled|The requested URL returned error: [34]\d\d|redirect|protocol error|bad line length|invalid index-pack output|did not send all necessary objects|bad object|unknown revision|reference is not a tree|not a tree object|not a valid object/i.test(
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
