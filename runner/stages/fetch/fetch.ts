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
 * fetchHistory reads the commit's bounded history (`insights.history`) the same way, in a
 * confinement and a work area of its own, beside the rest of the grading (see there).
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
/** Attempts of the transfer when the server refuses, fails or cuts it: one retry for a blip on either side. */
const FETCH_ATTEMPTS = 2;
/** Pause before that retry. */
const RETRY_BACKOFF_MS = 1000;
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
    await configureGit(area, confinement, gitConfig(input, area, url, host, address, token), input.policy, url);
    watchdog = watchSize(repo, input.maxBytes, stopWatchdog.signal, (err) => controller.abort(err));
    const git: SimpleGit = simpleGit({ baseDir: repo, binary: gitBinary(), maxConcurrentProcesses: 1, abort: controller.signal }).env(gitEnv(area, input.policy, confinement));

    for (let attempt = 1; ; attempt++) {
      try {
        // No `-q` on init and checkout: simple-git waits 50 ms more for a command that printed
        // nothing (its completion plugin), which was a third of this fetch on loopback.
        await git.raw(['init']);
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
    await git.raw(['checkout', '--detach', '--no-recurse-submodules', 'FETCH_HEAD']);
    const commit = (await git.raw(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new PlatformError('INTERNAL', 'git rev-parse returned an unexpected value');
    const bytes = await checkSize(repo, input.maxBytes);
    // Nothing of the uid may still run (and write) once the checkout is handed over.
    await reap(confinement);
    await moveInto(area, input.destDir);
    handedOver = true;
    return { commit, ref, bytes, durationMs: Math.round(performance.now() - started) };
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

export interface HistoryInput extends Omit<FetchInput, 'destDir'> {
  /** Commits to read (`ASSAY_HISTORY_MAX_COMMITS`); the fetch takes one more, so each of them has its parent. */
  maxCommits: number;
  /** The commit the submission's own fetch checked out, once it has: the log starts there. A rejection stops the history. */
  commit: Promise<string>;
}

/**
 * Reads the submitted commit's history, at most `maxCommits` commits, for `insights.history`.
 * It runs beside the rest of the grading (runner/stages/history/stage.ts) with everything the
 * fetch has: the URL and address policy, a confinement and a work area of its own (its own uid:
 * it never touches the checkout being packed), the same git configuration, a size watch against
 * `maxBytes` (and a look right after the transfer, which can end between two of the watch's) and
 * `timeoutMs` from the moment the commit is there. Its transfer starts once the submission's own
 * fetch is done: beside it, the two transfers (and the server's side of them) shared the cores
 * and the commit, which the grading waits for, came later. It fetches
 * `--depth=<maxCommits + 1>` of the same ref with no checkout (no work tree is written), then
 * reads the log from the commit the fetch checked out (if the ref moved in between and that
 * commit is not in it, there is no history). Names and subjects are cut by git's own format, so
 * the output stays small whatever the commits hold. Every failure is a reason (scrubbed like
 * git's other messages), never an error: the history costs the insight, never the grading.
 */
export async function fetchHistory(input: HistoryInput, signal?: AbortSignal): Promise<HistoryRead> {
  let started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const stop = new AbortController();
  let why: string | undefined;
  const halt = (reason: string) => {
    why ??= reason;
    stop.abort(new Error(reason));
  };
  const onAbort = () => halt('the grading was stopped');
  signal?.addEventListener('abort', onAbort, { once: true });
  input.commit.catch(() => halt('the commit itself could not be fetched'));
  const deadline = () => setTimeout(() => halt(`it did not finish within ${formatSeconds(input.timeoutMs)}`), input.timeoutMs);
  let timer = deadline();
  const tooLargeReason = `the repository with its history is larger than the limit of ${formatBytes(input.maxBytes)}`;
  const stopWatch = new AbortController();
  let watch: Promise<void> | undefined;
  let confinement: Confinement | undefined;
  let area: FetchArea | undefined;
  let secrets: string[] = [];
  let repoUrl: URL | undefined;
  const failed = (reason: string): HistoryRead => ({ ok: false, reason: `the history could not be read: ${reason}`, durationMs: elapsed() });
  try {
    const { url, host } = parseRepoUrl(input.repoUrl, input.policy);
    repoUrl = url;
    const ref = validateRef(input.ref ?? 'HEAD');
    const token = tokenFor(url, host, input.tokens);
    secrets = token ? [token, basicAuth(token)] : [];
    const address = await untilAborted(resolveAllowedAddress(host, input.policy), stop.signal);
    confinement = newConfinement(input.maxBytes, input.timeoutMs);
    area = await openFetchArea(confinement);
    await configureGit(area, confinement, gitConfig(input, area, url, host, address, token), input.policy, url);
    watch = watchSize(area.repo, input.maxBytes, stopWatch.signal, () => halt(tooLargeReason));
    const git: SimpleGit = simpleGit({ baseDir: area.repo, binary: gitBinary(), maxConcurrentProcesses: 2, abort: stop.signal }).env(gitEnv(area, input.policy, confinement));
    const max = input.maxCommits;
    // The wait is bounded by the fetch's own deadline (a failed fetch rejects the commit).
    const commit = await untilAborted(input.commit, stop.signal);
    clearTimeout(timer);
    timer = deadline();
    started = performance.now();
    await git.raw(['init']); // printing something saves simple-git's 50 ms wait (see fetchRepository)
    await git.raw(['fetch', `--depth=${max + 1}`, '--no-tags', '--no-recurse-submodules', '--no-auto-gc', '--no-write-commit-graph', '--', url.href, ref]);
    if ((await dirSize(area.repo)) > input.maxBytes) return failed(tooLargeReason);
    const kind = await git.raw(['cat-file', '-t', '--', commit]).catch(() => '');
    if (kind.trim() !== 'commit') return failed('the ref moved between the fetch of the commit and that of its history');
    const [log, tests] = await Promise.all([
      git.raw(['log', `--max-count=${max + 1}`, '--no-renames', '--no-mailmap', '--shortstat', `--format=${HISTORY_LOG_FORMAT}`, commit, '--']),
      git.raw(['log', `--max-count=${max}`, '--no-renames', '--format=%H', commit, '--', ...TEST_PATHSPECS]),
    ]);
    const testCommits = tests.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
    return { ok: true, log, testCommits, shallow: await readShallow(area.repo), durationMs: elapsed() };
  } catch (err) {
    if (why) return failed(why);
    // git stopped at a file-size or memory limit, or the directory grew past the size limit, is "too large" too.
    if (isAssayError(err) || !repoUrl) return failed(isAssayError(err) ? err.message : 'it could not be started');
    const classified = classifyGitFailure(err, secrets, repoUrl, { maxBytes: input.maxBytes });
    const tooLarge = classified.code === 'REPO_TOO_LARGE' || (area !== undefined && (await dirSize(area.repo)) > input.maxBytes);
    return failed(tooLarge ? tooLargeReason : `git failed: ${scrub(err instanceof Error ? err.message : String(err), secrets)}`);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    stopWatch.abort();
    await watch;
    // Best effort, as in fetchRepository: nothing of the uid outlives the history, and its area goes.
    if (confinement && area) await reap(confinement).catch(() => {});
    if (area) await closeFetchArea(area).catch(() => {});
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

function gitConfig(input: Pick<FetchInput, 'policy' | 'lowSpeedBytesPerSecond' | 'lowSpeedSeconds'>, area: FetchArea, url: URL, host: string, address: string, token: string | undefined): ConfigEntry[] {
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

/** Where git's TLS library looks for the system's CA certificates (Debian's ca-certificates). */
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * The fetch area's git configuration, and for https:// with `policy.extraCaFile` a CA bundle of
 * the system's certificates plus those: http.sslCAInfo replaces git's default bundle, so both go
 * in, and a host that only the extra CA signed (a TLS-inspecting proxy, a private git server)
 * is trusted without trusting it for anything but this fetch.
 */
async function configureGit(area: FetchArea, confinement: Confinement, entries: ConfigEntry[], policy: FetchPolicy, url: URL): Promise<void> {
  if (url.protocol === 'https:' && policy.extraCaFile) {
    const extra = await readFile(policy.extraCaFile).catch((err: unknown) => {
      throw new PlatformError('INTERNAL', `the fetch's CA file ${policy.extraCaFile} cannot be read (ASSAY_FETCH_CA_FILE)`, false, { cause: err });
    });
    const system = path.resolve(policy.extraCaFile) === SYSTEM_CA_BUNDLE ? Buffer.alloc(0) : await readFile(SYSTEM_CA_BUNDLE).catch(() => Buffer.alloc(0));
    const bundle = path.join(area.home, 'ca-bundle.pem');
    await writeFile(bundle, Buffer.concat([system, Buffer.from('\n'), extra]), { mode: 0o640 });
    await chown(bundle, 0, confinement.gid);
    entries = [...entries, ['http.sslCAInfo', bundle]];
  }
  await writeGitConfig(area, confinement, entries);
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
  if (/Could not resolve host|SSL certificate problem|SSL connect error|SSL_ERROR|gnutls_handshake|TLS connect error|server certificate verification failed/i.test(text)) {
    const hint = /certificate/i.test(text) ? ' (a TLS-inspecting proxy or a git host with a private CA: give its CA in ASSAY_FETCH_CA_FILE)' : '';
    return new PlatformError('FETCH_NETWORK', `network error while fetching: ${message}${hint}`, true, { cause });
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
