/**
 * Loads challenges from a directory at job time, so adding or changing a challenge needs no
 * image rebuild and no worker restart. Parsed challenges are cached by the content hash of the
 * manifest and suite, which every report also records.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, lstat } from 'node:fs/promises';
import path from 'node:path';
import { PlatformError, SubmissionError } from '../errors.ts';
import { checkUniqueTestIds, ManifestSchema, type ChallengeManifest, type Limits } from './manifest.ts';

export interface SuiteFile {
  /** Path relative to the suite folder, with forward slashes. */
  path: string;
  content: Buffer;
}

export interface Challenge {
  manifest: ChallengeManifest;
  /** Folder of the challenge on disk. */
  dir: string;
  suiteFiles: SuiteFile[];
  /** sha256 of the manifest and every suite file. */
  suiteHash: string;
  /** The candidate-facing brief (README.md), if any. */
  readme: string;
}

export interface OperatorMaxima {
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Bounds every step's time limit: install, build, start and test (`ASSAY_MAX_STEP_TIMEOUT_MS`). */
  stepTimeoutMs: number;
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class ChallengeRepository {
  private readonly cache = new Map<string, Challenge>();

  constructor(readonly rootDir: string, private readonly maxima: OperatorMaxima) {}

  async list(): Promise<Challenge[]> {
    const names = (await readdir(this.rootDir, { withFileTypes: true })).filter((d) => d.isDirectory() && ID.test(d.name)).map((d) => d.name).sort();
    const out: Challenge[] = [];
    for (const name of names) {
      try {
        await lstat(path.join(this.rootDir, name, 'challenge.json'));
      } catch {
        continue;
      }
      out.push(await this.load(name));
    }
    return out;
  }

  async load(id: string): Promise<Challenge> {
    if (!ID.test(id)) throw new SubmissionError('UNKNOWN_CHALLENGE', `no such challenge: ${JSON.stringify(id).slice(0, 80)}`);
    const dir = path.join(path.resolve(this.rootDir), id);
    const manifestFile = path.join(dir, 'challenge.json');
    let manifestBytes: Buffer;
    try {
      manifestBytes = await readFile(manifestFile);
    } catch {
      throw new SubmissionError('UNKNOWN_CHALLENGE', `no such challenge: ${id}`);
    }
    const manifest = parseManifest(manifestBytes, manifestFile);
    if (manifest.id !== id) throw new PlatformError('CHALLENGE_INVALID', `${manifestFile}: id "${manifest.id}" does not match its folder "${id}"`);
    const suiteFiles = await readSuite(this.rootDir, id, manifest);
    const hash = createHash('sha256').update(manifestBytes);
    for (const f of suiteFiles) hash.update(`\0${f.path}\0`).update(f.content);
    const suiteHash = hash.digest('hex');
    const cached = this.cache.get(suiteHash);
    if (cached) return cached;
    let readme = '';
    try {
      readme = await readFile(path.join(dir, 'README.md'), 'utf8');
    } catch {
      // A challenge without a brief is allowed; the API then serves the title only.
    }
    const challenge: Challenge = { manifest: { ...manifest, limits: clampLimits(manifest.limits, this.maxima) }, dir, suiteFiles, suiteHash, readme };
    this.cache.set(suiteHash, challenge);
    return challenge;
  }
}

/** Parses a manifest, turning every schema problem into one message naming file and field. */
export function parseManifest(bytes: Buffer, file: string): ChallengeManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new PlatformError('CHALLENGE_INVALID', `${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new PlatformError('CHALLENGE_INVALID', problems.join('\n'));
  }
  const dupes = checkUniqueTestIds(parsed.data);
  if (dupes.length) throw new PlatformError('CHALLENGE_INVALID', dupes.map((d) => `${file}: ${d}`).join('\n'));
  return parsed.data;
}

/** Operator maxima from configuration bound whatever a manifest asks for. */
export function clampLimits(limits: Limits, max: OperatorMaxima): Limits {
  const memoryMb = Math.min(limits.memoryMb, max.memoryMb);
  return {
    ...limits,
    memoryMb,
    // The workspace is a tmpfs, whose pages count against the container's memory: keep it at
    // most half the memory limit, so filling the disk fails with ENOSPC rather than an OOM kill.
    workspaceMb: Math.min(limits.workspaceMb, Math.max(16, Math.floor(memoryMb / 2))),
    cpus: Math.min(limits.cpus, max.cpus),
    pids: Math.min(limits.pids, max.pids),
    installTimeoutMs: Math.min(limits.installTimeoutMs, max.stepTimeoutMs),
    buildTimeoutMs: Math.min(limits.buildTimeoutMs, max.stepTimeoutMs),
    startTimeoutMs: Math.min(limits.startTimeoutMs, max.stepTimeoutMs),
    testTimeoutMs: Math.min(limits.testTimeoutMs, max.stepTimeoutMs),
  };
}

/** The folder of a challenge holding the starter candidates begin from (debug challenges: the app with its bugs). */
export const STARTER_DIR = 'starter';
const MAX_STARTER_FILES = 2000;

/**
 * The challenge's starter files (its `starter/` folder), for the diff insight; none when the
 * challenge has no starter. Trusted content, read when a job needs it (not cached with the
 * challenge, so a starter edited on disk is seen by the next job).
 */
export async function readStarter(challenge: Pick<Challenge, 'dir'>): Promise<SuiteFile[]> {
  const dir = path.join(challenge.dir, STARTER_DIR);
  try {
    if (!(await lstat(dir)).isDirectory()) return [];
  } catch {
    return [];
  }
  // An author's local install or virtual environment is not part of the starter.
  const files = await readTree(dir, '', new Set(['node_modules', '.venv', '.git', '__pycache__']));
  if (files.length > MAX_STARTER_FILES) throw new PlatformError('CHALLENGE_INVALID', `${dir} holds more than ${MAX_STARTER_FILES} files`);
  return files;
}

/** Where an included challenge's suite is placed inside the including suite. */
export const INCLUDE_DIR = 'include';

/**
 * The files of a challenge's suite as the grader receives them: its own folder, plus the suite of
 * each challenge in `suite.include` under `include/<id>/`. The validator materialises the same
 * list, so a suite imports its includes by the same relative path there and in the grader.
 */
export async function readSuite(rootDir: string, id: string, manifest: ChallengeManifest): Promise<SuiteFile[]> {
  const own = await readTree(path.join(rootDir, id, manifest.suite.dir));
  const included: SuiteFile[] = [];
  for (const other of manifest.suite.include) {
    if (other === id) throw new PlatformError('CHALLENGE_INVALID', `${id}: suite.include names the challenge itself`);
    const otherFile = path.join(rootDir, other, 'challenge.json');
    const bytes = await readFile(otherFile).catch(() => {
      throw new PlatformError('CHALLENGE_INVALID', `${id}: suite.include: no challenge "${other}" (${otherFile})`);
    });
    const otherManifest = parseManifest(bytes, otherFile);
    for (const f of await readTree(path.join(rootDir, other, otherManifest.suite.dir))) {
      included.push({ path: `${INCLUDE_DIR}/${other}/${f.path}`, content: f.content });
    }
  }
  const ownPaths = new Set(own.map((f) => f.path));
  const clash = included.find((f) => ownPaths.has(f.path));
  if (clash) throw new PlatformError('CHALLENGE_INVALID', `${id}: the suite's own ${clash.path} would be replaced by an included suite's file`);
  return [...own, ...included];
}

async function readTree(root: string, rel = '', skip?: ReadonlySet<string>): Promise<SuiteFile[]> {
  const out: SuiteFile[] = [];
  let entries;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    throw new PlatformError('CHALLENGE_INVALID', `suite folder ${root} is missing`);
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (skip?.has(e.name)) continue;
    if (e.isDirectory()) out.push(...(await readTree(root, childRel, skip)));
    else if (e.isFile()) out.push({ path: childRel, content: await readFile(path.join(root, childRel)) });
  }
  return out;
}
