/**
 * Install stage: puts the submission's dependencies next to its files and starts the
 * candidate's sandbox.
 * - Dependencies are installed in a throwaway install container (on the install bridge when the
 *   challenge allows the registry). Only its outputs (node_modules, .venv) leave it, as a tar
 *   archive; the container, the package manager's cache and the proxy's CA bundle go with it.
 * - node_modules is restored from the dependency cache when the package manager would install
 *   the same tree (the key covers every install input and the install-scripts mode). The cached
 *   tree is checked against the lockfile (restored-tree.ts) while the candidate's container
 *   takes it; the container runs nothing of the candidate's before the check has passed, and
 *   is removed if it fails (the tree is then installed afresh).
 * - Node: dependencies' install scripts are listed after the install and, per the challenge's
 *   `install.scripts`, run in the install container or named in the report (install-scripts.ts).
 * - The candidate's container starts fresh with no network: it joins the grader's network-less
 *   namespace (service challenges) or has none at all. It was never on any bridge.
 */
import { open as openFile, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { nodeImage, SandboxContainer, type SandboxNetwork, type SandboxSpec } from '../../sandbox/index.ts';
import type { Job } from '../job.ts';
import { createTar, readTarEntry } from '../pack/tar.ts';
import type { InstallPlan, RuntimePlan } from '../plan/index.ts';
import { DependencyCache, type CachedArchive } from './deps-cache.ts';
import { CA_BUNDLE_PATH, runInstall } from './install.ts';
import { describeSkipped, parseCachedScripts, ranNote, runDependencyScripts, type ScriptedPackage, type ScriptsMode } from './install-scripts.ts';
import { restoredTreeMismatchFor, TREE_RECORDS } from './restored-tree.ts';

export interface Installed {
  /** The candidate's container, when the dependencies are in place (or none were needed). */
  candidate?: SandboxContainer;
  /** The grader whose network namespace the candidate joined, when there is one. */
  grader?: SandboxContainer;
  /** The candidate's files as their container received them, to start other sandboxes from (their own tests). */
  files?: CandidateFiles;
}

/** The image and files of the candidate's container, for sandboxes of its own kind (no network, like it). */
export interface CandidateFiles {
  image: { tag: string; id: string };
  /** The installed dependencies, then the workspace, then each `overlay` tar (whose files win); a fresh stream per call. */
  open(...overlay: Buffer[]): Readable | Buffer;
}


export async function installStage(job: Job, plan: RuntimePlan, workspace: Buffer, graderStarting?: Promise<SandboxContainer>): Promise<Installed> {
  // Node: the major the plan chose (engines.node, .nvmrc, .node-version), for the install and the candidate alike.
  const image = plan.runtime === 'node' ? nodeImage(job.images, plan.nodeVersion?.major) : job.images.python;
  job.report.useImage('candidate', image);
  await job.progress('installing');

  const { limits } = job.challenge.manifest;
  let grader: SandboxContainer | undefined;
  type Tree = Buffer | CachedArchive | undefined;
  /** Starts the candidate's container; it takes the tree (once read) and then the workspace. */
  const startCandidate = async (tree: Tree | Promise<Tree>) => {
    grader ??= graderStarting ? await job.report.timed('grader', () => graderStarting) : undefined;
    const network: SandboxNetwork = grader ? { mode: 'container', containerId: grader.id } : { mode: 'none' };
    let archive: Tree;
    const open = (...overlay: Buffer[]) => (archive ? Readable.from(concat(archive, workspace, ...overlay)) : overlay.length ? Buffer.concat([workspace, ...overlay]) : workspace);
    const spec: SandboxSpec = { ...job.specBase, image: image.tag, role: 'candidate', network, limits: { memoryMb: limits.memoryMb, cpus: limits.cpus, pids: limits.pids, workspaceMb: limits.workspaceMb } };
    const candidate = await job.report.timed('sandbox', () =>
      job.containers.track(
        (async () => {
          // The engine starts the container while the tree is read from the cache.
          const launched = await SandboxContainer.launch(job.docker, spec, { outputBytes: limits.outputBytes, log: job.log });
          try {
            archive = await tree;
          } catch (err) {
            await launched.remove().catch(() => undefined);
            throw err;
          }
          return launched.deliver(open());
        })(),
      ),
    );
    return { candidate, ...(grader ? { grader } : {}), files: { image, open } };
  };

  if (plan.install.kind !== 'run') return skipped(job, plan.install) ? startCandidate(undefined) : {};
  const restored = await restoreFromCache(job, plan.install, image);
  if (restored) {
    // The candidate's container takes the cached tree while the tree is checked against the
    // lockfile: nothing of the candidate's runs before both are done, and a tree that fails the
    // check goes with its container.
    const started = startCandidate(restored.archive);
    const [mismatch, installed] = await Promise.all([restored.mismatch, started.catch((err: unknown) => err as Error)]);
    if (!mismatch) {
      if (installed instanceof Error) throw installed;
      restored.report();
      return installed;
    }
    job.log.warn({ key: restored.key, mismatch }, 'dependency cache entry does not match its lockfile (or could not be read); evicted');
    await Promise.all([restored.evict(), installed instanceof Error ? undefined : installed.candidate.remove()]);
  }
  const deps = await installDependencies(job, plan.install, workspace, image);
  return deps.ok ? startCandidate(deps.archive) : {};
}

type Dependencies = { ok: false } | { ok: true; archive: Buffer };
type RunInstall = Extract<InstallPlan, { kind: 'run' }>;

/** Reports an install that does not run; whether the candidate may still start. */
function skipped(job: Job, install: Exclude<InstallPlan, { kind: 'run' }>): boolean {
  if (install.kind === 'reject') {
    job.report.step({ name: 'install', status: 'failed', durationMs: 0, reason: `dependencies rejected: ${install.reason}` });
    return false;
  }
  job.report.step({ name: 'install', status: 'skipped', durationMs: 0, reason: install.reason });
  return true;
}

/** Where this install's tree is kept: the cache, its key (absent without a lockfile) and the install-scripts mode that is part of it. */
function cacheSlot(job: Job, install: RunInstall, image: { id: string }): { cache: DependencyCache; key?: string; scriptsMode?: ScriptsMode } {
  const { manifest } = job.challenge;
  const settings = job.config.install;
  const cache = new DependencyCache(settings.cacheDir, settings.cacheMaxMb * 1024 * 1024);
  // Node dependencies' install scripts: the challenge's choice, else the operator's (install-scripts.ts).
  const scriptsMode: ScriptsMode | undefined = install.manager === 'pip' ? undefined : (manifest.install.scripts ?? settings.scripts);
  const key = install.locked
    ? DependencyCache.key({
        inputsHash: install.locked.inputsHash,
        challengeId: manifest.id,
        challengeVersion: manifest.version,
        network: manifest.install.network,
        imageId: image.id,
        registry: install.manager === 'pip' ? settings.pipIndexUrl : settings.npmRegistry,
        argv: install.argv,
        ...(scriptsMode ? { scripts: scriptsMode } : {}),
      })
    : undefined;
  return { cache, ...(key ? { key } : {}), ...(scriptsMode ? { scriptsMode } : {}) };
}

/**
 * Cached trees up to this size are read into memory whole (as a fresh install's tree is): the
 * candidate's container takes them in one write, about 40% faster than streamed from disk, and
 * the check reads the same bytes. Larger ones are streamed, so a job never holds more of a
 * restored tree than this in memory.
 */
const IN_MEMORY_TREE_BYTES = 64 * 1024 * 1024;

/** A cached tree for this install, with its check against the lockfile already running. */
interface Restored {
  key: string;
  /** The tree, read into memory when small enough (IN_MEMORY_TREE_BYTES), else streamed from disk. */
  archive: Promise<Buffer | CachedArchive>;
  /** Why the cached tree is not what the lockfile says (or could not be read); undefined when it matches. */
  mismatch: Promise<string | undefined>;
  /** Records the install step (once the check has passed). */
  report(): void;
  evict(): Promise<void>;
}

async function restoreFromCache(job: Job, install: RunInstall, image: { id: string }): Promise<Restored | undefined> {
  const { cache, key, scriptsMode } = cacheSlot(job, install, image);
  const cached = key ? await cache.get(key) : undefined;
  if (!key || !cached) return undefined;
  const archive = cached.bytes <= IN_MEMORY_TREE_BYTES ? readWhole(cached) : Promise.resolve(cached);
  // An entry that cannot be read (or is not a tar archive) is treated as one that does not match: evicted, and installed afresh.
  const mismatch = archive
    .then((tree) => cachedTreeMismatch(tree, install.locked!.verify))
    .catch((err: unknown) => `it could not be read (${err instanceof Error ? err.message : String(err)})`);
  archive.catch(() => undefined); // awaited by the candidate's start; never an unhandled rejection meanwhile
  return {
    key,
    archive,
    mismatch,
    report() {
      const scripts = reportScripts(job, scriptsMode, parseCachedScripts(cached.meta), true);
      const tool = install.tool ? [`installed with ${install.tool.name} ${install.tool.version}`] : [];
      job.report.step({ name: 'install', status: 'passed', durationMs: 0, reason: [`restored ${install.outputs.join(', ')} from the dependency cache (key ${key.slice(0, 12)})`, ...tool, ...(install.notes ?? []), ...scripts].join('; ') });
    },
    evict: () => cache.evict(key),
  };
}

/** Installs the dependencies afresh in a throwaway install container, and keeps the tree in the cache. */
async function installDependencies(job: Job, install: RunInstall, workspace: Buffer, image: { tag: string; id: string }): Promise<Dependencies> {
  const { manifest } = job.challenge;
  const settings = job.config.install;
  const { cache, key, scriptsMode } = cacheSlot(job, install, image);

  const online = manifest.install.network === 'registry';
  // The proxy's CA bundle travels only into the install container, which is thrown away.
  const caBundle = online && settings.caFile ? await readFile(settings.caFile) : undefined;
  const caTar = caBundle ? await createTar([{ type: 'file', path: CA_BUNDLE_PATH, content: caBundle }]) : undefined;
  const started = job.containers.track(
    SandboxContainer.start(
      job.docker,
      {
        ...job.specBase,
        image: image.tag,
        role: 'install',
        network: online ? { mode: 'bridge', name: settings.network } : { mode: 'none' },
        limits: { memoryMb: manifest.limits.memoryMb, cpus: manifest.limits.cpus, pids: manifest.limits.pids, workspaceMb: manifest.limits.workspaceMb },
      },
      // Files the plan replaces for the install only (a lockfile mapped to the registry) come after the workspace, so they win.
      Buffer.concat([workspace, ...(install.installFiles?.length ? [await createTar(install.installFiles.map((f) => ({ type: 'file' as const, ...f })))] : []), ...(caTar ? [caTar] : [])]),
      { outputBytes: manifest.limits.outputBytes, log: job.log },
    ),
  );
  try {
    const box = await job.report.timed('installSandbox', () => started);
    let step = await job.report.timed('install', () =>
      runInstall({ box, plan: install, registry: settings.npmRegistry, pipIndexUrl: settings.pipIndexUrl, online, hasCaBundle: Boolean(caBundle), timeoutMs: manifest.limits.installTimeoutMs, outputBytes: manifest.limits.outputBytes, signal: job.signal }),
    );
    let scripted: ScriptedPackage[] | undefined;
    if (step.status === 'passed' && scriptsMode) {
      const extraEnv = caBundle ? { NODE_EXTRA_CA_CERTS: `/workspace/${CA_BUNDLE_PATH}` } : undefined;
      ({ step, scripted } = await job.report.timed('installScripts', () =>
        runDependencyScripts({ box, plan: install, mode: scriptsMode, step, registry: settings.npmRegistry, online, timeoutMs: manifest.limits.installTimeoutMs, outputBytes: manifest.limits.outputBytes, ...(extraEnv ? { extraEnv } : {}), signal: job.signal }),
      ));
      if (step.status === 'passed') {
        const said = reportScripts(job, scriptsMode, scripted);
        if (said.length) step = { ...step, reason: [step.reason, ...said].filter(Boolean).join('; ') };
      }
    }
    job.report.step(step);
    if (step.status === 'failed') {
      if (step.verdict === 'oom_killed' || step.verdict === 'timeout') job.report.flag({ code: 'resource_limit', message: `the install was ${step.reason}` });
      return { ok: false };
    }
    // node_modules must fit the candidate's workspace anyway; only npm (scripts off) has touched it.
    const archive = await box.execCaptureStdout(['tar', '-c', '-C', '/workspace', '--', ...install.outputs], manifest.limits.workspaceMb * 1024 * 1024, 60_000);
    if (!archive) {
      job.report.flag({ code: 'resource_limit', message: `the installed dependencies do not fit the workspace limit of ${manifest.limits.workspaceMb} MB` });
      return { ok: false };
    }
    // A tree whose scripts could not be listed is not kept: a restore could not report them.
    if (key && (scripted || !scriptsMode)) await cache.put(key, archive, scriptsMode ? { scripted } : undefined).catch((err: unknown) => job.log.warn({ err }, 'dependency cache write failed'));
    return { ok: true, archive };
  } finally {
    await job.containers.discard(started); // frees its memory before the candidate starts
  }
}

/**
 * What the report says about dependencies' install scripts: under `deny`, the packages that
 * needed theirs (a flag when a native addon did); under `sandboxed`, on a restore from the
 * cache, which ones ran when the tree was built. Returns the words for the install step.
 */
function reportScripts(job: Job, mode: ScriptsMode | undefined, scripted: ScriptedPackage[] | undefined, restored = false): string[] {
  if (!scripted?.length) return [];
  if (mode === 'sandboxed') return restored ? [ranNote(scripted)] : [];
  if (mode !== 'deny') return [];
  const { flag, note } = describeSkipped(scripted);
  if (flag) job.report.flag(flag);
  return note ? [note] : [];
}

/** The whole archive in one read of its known size (promises.readFile reads in 512 KiB turns of the event loop, several times slower). */
async function readWhole(cached: CachedArchive): Promise<Buffer> {
  const file = await openFile(cached.file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(cached.bytes);
    for (let at = 0; at < cached.bytes; ) {
      const { bytesRead } = await file.read({ buffer, position: at, offset: at, length: cached.bytes - at });
      if (bytesRead === 0) throw new Error(`the dependency cache entry ${cached.file} changed while it was read`);
      at += bytesRead;
    }
    return buffer;
  } finally {
    await file.close();
  }
}

async function* concat(archive: Buffer | CachedArchive, ...rest: Buffer[]): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(archive)) yield archive;
  else for await (const chunk of archive.open()) yield chunk as Buffer;
  yield* rest;
}

/** Checks a cached tree against what the plan says it must be; undefined when it matches. */
async function cachedTreeMismatch(cached: Buffer | CachedArchive, verify: NonNullable<Extract<InstallPlan, { kind: 'run' }>['locked']>['verify']): Promise<string | undefined> {
  if (!verify) return undefined;
  const archive = Buffer.isBuffer(cached) ? Readable.from([cached]) : cached.open();
  return restoredTreeMismatchFor(verify, await readTarEntry(archive, TREE_RECORDS[verify.kind], 64 * 1024 * 1024));
}
