/**
 * Confinement of the git processes the fetch runs. git and libcurl parse every byte a server of
 * the candidate's choosing sends, on the worker host, next to the Docker socket. So every git
 * command runs through confined-git.sh:
 * - as a uid and gid of its own, picked at random for each fetch from a range no account or
 *   container uses, with no supplementary groups (so not the `docker` group), no capabilities and
 *   `no_new_privs` (a setuid binary gives nothing back). One uid per fetch rather than one shared
 *   `nobody`: a git process compromised by one candidate's server cannot read another fetch's
 *   token, write into another candidate's checkout or signal its processes, and RLIMIT_NPROC
 *   (which counts per uid) limits this fetch alone;
 * - under rlimits: address space (a pack declaring a huge object or delta cannot take gigabytes
 *   of the host's memory), processes, CPU seconds, file size, open files, no core dumps (a core
 *   would hold the token);
 * - with `GIT_ALLOC_LIMIT`, git's own ceiling on one allocation, which refuses the huge object
 *   with a clear message before the rlimit has to.
 * The uid can reach only what this module prepares: a work area in the temp directory (0711,
 * root's) holding the repository and a temp dir (0700, the uid's) and a home (0750, root's, group
 * the uid's gid) whose configuration git can read but not change. Once git is done every process
 * of the uid is killed and the repository is moved into the caller's directory, which is then
 * the uid's (0700): the worker, as root, reads it to pack it.
 * The next step is a sandbox container with no host network; see docs/security.md.
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PlatformError } from '../../errors.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** First uid (and gid) of the fetch range: 0x70000000, above every range systemd, Debian and container tooling assign. */
export const FETCH_UID_BASE = 0x7000_0000;
/** Size of the fetch range: two concurrent fetches share a uid with a chance of about one in a million. */
export const FETCH_UID_COUNT = 0x10_0000;

/** The wrapper every git command of the fetch runs through. */
export const CONFINED_GIT = fileURLToPath(new URL('./confined-git.sh', import.meta.url));

/** Limits for the git processes of one fetch; see gitLimits for how each is chosen. */
export interface GitLimits {
  /** `GIT_ALLOC_LIMIT`: the largest single allocation git makes. */
  readonly allocBytes: number;
  /** RLIMIT_AS of each git process. */
  readonly addressSpaceBytes: number;
  /** RLIMIT_NPROC: processes of the fetch's uid. */
  readonly processes: number;
  /** RLIMIT_CPU of each git process. */
  readonly cpuSeconds: number;
  /** RLIMIT_FSIZE: the largest file git may write. */
  readonly fileBytes: number;
  /** RLIMIT_NOFILE of each git process. */
  readonly openFiles: number;
}

/** Who git runs as, and under which limits. */
export interface Confinement {
  readonly uid: number;
  readonly gid: number;
  readonly limits: GitLimits;
}

/** Below this, GIT_ALLOC_LIMIT would start refusing git's own bookkeeping (object tables, buffers), not objects. */
const MIN_ALLOC_BYTES = 64 * MiB;
/** What git and libcurl map besides objects: libraries, thread stacks, malloc arenas, pack windows (core.packedGitLimit). */
const BASE_ADDRESS_SPACE = 1024 * MiB;

/**
 * Limits for a fetch of at most `maxBytes` within `timeoutMs`. No single object of an acceptable
 * repository is larger than the repository, so one allocation may be `maxBytes` (with a floor
 * for git's own tables); a process may map that twice (an object and a delta base) on top of the
 * base. No file may be larger than the whole repository. The CPU limit is a backstop behind the
 * deadline, which kills git first.
 */
export function gitLimits(maxBytes: number, timeoutMs: number): GitLimits {
  const allocBytes = Math.max(maxBytes, MIN_ALLOC_BYTES) + MiB;
  return {
    allocBytes,
    addressSpaceBytes: BASE_ADDRESS_SPACE + 2 * allocBytes,
    processes: 64,
    cpuSeconds: Math.ceil(timeoutMs / 1000) + 1,
    fileBytes: maxBytes,
    openFiles: 512,
  };
}

/**
 * A fresh confinement for one fetch. Throws PlatformError('INTERNAL') unless the worker runs as
 * root: without CAP_SETUID and CAP_SETGID git cannot be moved to its own uid, and running it
 * as the worker's user instead would keep the worker's groups (the Docker socket's among them).
 */
export function newConfinement(maxBytes: number, timeoutMs: number, pick: (count: number) => number = randomInt): Confinement {
  if (process.getuid?.() !== 0) {
    throw new PlatformError('INTERNAL', 'the fetch runs git as an unprivileged user of its own and needs the worker to run as root to switch to it');
  }
  const uid = FETCH_UID_BASE + pick(FETCH_UID_COUNT);
  return { uid, gid: uid, limits: gitLimits(maxBytes, timeoutMs) };
}

/** simple-git's `binary` option: the shell and the wrapper (no exec bit needed, paths only). */
export function gitBinary(): [string, string] {
  // simple-git accepts only these characters in a binary path unless its unsafe option is on;
  // say so plainly rather than fail inside simple-git.
  if (!/^[A-Za-z0-9/._~-]+$/.test(CONFINED_GIT)) {
    throw new PlatformError('INTERNAL', `Assay is installed at a path simple-git refuses as a binary (${JSON.stringify(CONFINED_GIT)}); use letters, digits and "/._~-" only`);
  }
  return ['/bin/sh', CONFINED_GIT];
}

/** The variables confined-git.sh reads (it removes them before git starts), plus GIT_ALLOC_LIMIT for git itself. */
export function confinementEnv(c: Confinement): Record<string, string> {
  return {
    ASSAY_GIT_UID: String(c.uid),
    ASSAY_GIT_GID: String(c.gid),
    ASSAY_GIT_LIMIT_AS: String(c.limits.addressSpaceBytes),
    ASSAY_GIT_LIMIT_NPROC: String(c.limits.processes),
    ASSAY_GIT_LIMIT_CPU: String(c.limits.cpuSeconds),
    ASSAY_GIT_LIMIT_FSIZE: String(c.limits.fileBytes),
    ASSAY_GIT_LIMIT_NOFILE: String(c.limits.openFiles),
    GIT_ALLOC_LIMIT: String(c.limits.allocBytes),
  };
}

/** Where one fetch happens; see the module header for who owns what. */
export interface FetchArea {
  /** root-owned, 0711: the uid can pass through but not list it. */
  readonly root: string;
  /** HOME: root-owned, group the fetch's gid, 0750; holds the git configuration. */
  readonly home: string;
  /** TMPDIR of git: the uid's, 0700. */
  readonly tmp: string;
  /** The repository git fetches into: the uid's, 0700. */
  readonly repo: string;
}

/** Creates the work area in the temp directory (on the same file system as the pipeline's work directories). */
export async function openFetchArea(c: Confinement): Promise<FetchArea> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'assay-fetch-'));
  try {
    await chmod(root, 0o711);
    const area = { root, home: path.join(root, 'home'), tmp: path.join(root, 'tmp'), repo: path.join(root, 'repo') };
    await mkdir(area.home, { mode: 0o750 });
    await chown(area.home, 0, c.gid);
    await chmod(area.home, 0o750);
    await ownedDir(area.tmp, c);
    await ownedDir(area.repo, c);
    return area;
  } catch (err) {
    await rm(root, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/** Empties the repository directory for another attempt (after reap: nothing of the uid is still writing). */
export async function resetRepo(area: FetchArea, c: Confinement): Promise<void> {
  await rm(area.repo, { recursive: true, force: true });
  await ownedDir(area.repo, c);
}

/**
 * Moves the fetched repository into `destDir` (an empty directory, replaced by the rename), so
 * the caller's directory ends up the uid's and 0700. A rename cannot cross file systems; the
 * pipeline's work directories are in the temp directory like the area, so only a caller passing
 * a directory elsewhere can meet that, and is told.
 */
export async function moveInto(area: FetchArea, destDir: string): Promise<void> {
  try {
    await rename(area.repo, destDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    throw new PlatformError('INTERNAL', `the fetch directory ${destDir} must be on the same file system as the temp directory ${os.tmpdir()}`, false, { cause: err });
  }
}

/** Removes the work area (whatever git left in it). */
export async function closeFetchArea(area: FetchArea): Promise<void> {
  await rm(area.root, { recursive: true, force: true });
}

/**
 * Kills every process of the fetch's uid: a git (or whatever a compromised git started) must not
 * outlive the fetch, keep the host's network or write into the checkout while it is packed.
 * `kill -1` sent by the uid itself reaches exactly that uid's processes, atomically with respect
 * to fork, so a process cannot slip out by forking during the sweep.
 */
export async function reap(c: Confinement): Promise<void> {
  await run(
    '/usr/bin/setpriv',
    [`--reuid=${c.uid}`, `--regid=${c.gid}`, '--clear-groups', '--', '/bin/sh', '-c', 'kill -s KILL -- -1 2>/dev/null; exit 0'],
    { env: { PATH: '/usr/bin:/bin' }, timeout: 5000 },
  );
}

async function ownedDir(dir: string, c: Confinement): Promise<void> {
  await mkdir(dir, { mode: 0o700 });
  await chown(dir, c.uid, c.gid);
  await chmod(dir, 0o700);
}
