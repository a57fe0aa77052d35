/**
 * The confinement of git: who it runs as, under which limits, and what confined-git.sh makes of
 * the settings (run for real: the wrapper is executed with `id` and `ulimit` in place of git's
 * work, through the same prlimit and setpriv).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONFINED_GIT, confinementEnv, FETCH_UID_BASE, FETCH_UID_COUNT, gitBinary, gitLimits, newConfinement } from './confine.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;

describe('gitLimits', () => {
  it('lets one allocation hold the largest acceptable object, with a floor for git itself', () => {
    expect(gitLimits(100 * MiB, 60_000).allocBytes).toBe(101 * MiB);
    expect(gitLimits(1 * MiB, 60_000).allocBytes).toBe(65 * MiB);
  });

  it('bounds the address space, processes, CPU, file size and open files', () => {
    const limits = gitLimits(100 * MiB, 60_000);
    expect(limits.addressSpaceBytes).toBe(1024 * MiB + 2 * 101 * MiB);
    expect(limits.addressSpaceBytes).toBeLessThan(2048 * MiB);
    expect(limits.processes).toBe(64);
    // A backstop behind the deadline, never before it.
    expect(limits.cpuSeconds).toBe(61);
    expect(gitLimits(100 * MiB, 1500).cpuSeconds).toBe(3);
    expect(limits.fileBytes).toBe(100 * MiB);
    expect(limits.openFiles).toBe(512);
  });
});

describe('newConfinement', () => {
  it.runIf(isRoot)('picks a uid and gid of its own from the fetch range, never root', () => {
    expect(newConfinement(MiB, 1000, () => 0)).toMatchObject({ uid: FETCH_UID_BASE, gid: FETCH_UID_BASE });
    expect(newConfinement(MiB, 1000, (n) => n - 1).uid).toBe(FETCH_UID_BASE + FETCH_UID_COUNT - 1);
    const uids = new Set(Array.from({ length: 50 }, () => newConfinement(MiB, 1000).uid));
    expect(uids.size).toBeGreaterThan(45);
    for (const uid of uids) expect(uid).toBeGreaterThanOrEqual(FETCH_UID_BASE);
    // Below 2^31: tools that read uids as signed numbers still see a plain positive id.
    expect(FETCH_UID_BASE + FETCH_UID_COUNT).toBeLessThan(2 ** 31);
  });
});

describe('confinementEnv', () => {
  it('passes the uid, every limit and GIT_ALLOC_LIMIT as decimal numbers', () => {
    const env = confinementEnv({ uid: FETCH_UID_BASE + 7, gid: FETCH_UID_BASE + 7, limits: gitLimits(10 * MiB, 20_000) });
    expect(env).toEqual({
      ASSAY_GIT_UID: String(FETCH_UID_BASE + 7),
      ASSAY_GIT_GID: String(FETCH_UID_BASE + 7),
      ASSAY_GIT_LIMIT_AS: String(1024 * MiB + 2 * 65 * MiB),
      ASSAY_GIT_LIMIT_NPROC: '64',
      ASSAY_GIT_LIMIT_CPU: '21',
      ASSAY_GIT_LIMIT_FSIZE: String(10 * MiB),
      ASSAY_GIT_LIMIT_NOFILE: '512',
      GIT_ALLOC_LIMIT: String(65 * MiB),
    });
  });
});

describe('gitBinary', () => {
  it('is the wrapper, run by the shell, a path simple-git accepts without its unsafe option', () => {
    const [shell, script] = gitBinary();
    expect(shell).toBe('/bin/sh');
    expect(script).toBe(CONFINED_GIT);
    expect(script).toMatch(/^[A-Za-z0-9/._~-]+$/);
  });
});

describe('confined-git.sh', () => {
  const uid = FETCH_UID_BASE + 4242;
  const env = { ...confinementEnv({ uid, gid: uid, limits: gitLimits(10 * MiB, 20_000) }), PATH: '/usr/bin:/bin' };

  it('execs prlimit, then setpriv, then /usr/bin/git, with every argument passed on', async () => {
    const script = await readFile(CONFINED_GIT, 'utf8');
    const exec = script.slice(script.indexOf('exec /usr/bin/prlimit'));
    expect(exec).toMatch(/--core=0/);
    expect(exec).toMatch(/--clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs/);
    expect(exec.trim().endsWith('/usr/bin/git "$@"')).toBe(true);
  });

  it.runIf(isRoot)('runs git as the uid with no groups, no capabilities, no_new_privs and the limits, and hides its settings from git', async () => {
    // git's own `-c alias` runs a shell command as git would run any helper: same process tree, same credentials.
    const probe = '!f() { id -u; id -g; id -G; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status; ulimit -v; ulimit -p; ulimit -t; ulimit -f; ulimit -n; ulimit -c; env | grep -c "^ASSAY_GIT_" || true; }; f';
    const { stdout } = await run('/bin/sh', [CONFINED_GIT, '-c', `alias.probe=${probe}`, 'probe'], { env, cwd: '/' });
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual([
      String(uid),
      String(uid),
      String(uid),
      'CapEff:\t0000000000000000',
      'CapBnd:\t0000000000000000',
      'NoNewPrivs:\t1',
      String((1024 * MiB + 2 * 65 * MiB) / 1024),
      '64',
      '21',
      String((10 * MiB) / 512),
      '512',
      '0',
      '0',
    ]);
  });

  it.each([
    ['ASSAY_GIT_UID', '0', /refusing to run git as root/],
    ['ASSAY_GIT_GID', '0', /refusing to run git as root/],
    ['ASSAY_GIT_UID', '', /ASSAY_GIT_UID must be a decimal number/],
    ['ASSAY_GIT_LIMIT_AS', '1g', /ASSAY_GIT_LIMIT_AS must be a decimal number/],
    ['ASSAY_GIT_LIMIT_NPROC', '-1', /ASSAY_GIT_LIMIT_NPROC must be a decimal number/],
  ])('refuses to start git when %s is %j', async (name, value, message) => {
    const err = (await run('/bin/sh', [CONFINED_GIT, '--version'], { env: { ...env, [name]: value } }).catch((e: unknown) => e)) as { code: number; stderr: string; stdout: string };
    expect(err.code).toBe(126);
    expect(err.stderr).toMatch(message);
    expect(err.stdout).toBe('');
  });
});
