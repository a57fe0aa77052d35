/**
 * Python submissions: `main.py` or `app.py` at the root (a Procfile can name another start), or
 * a `requirements.txt` / `pyproject.toml` saying the repository is Python.
 * - Dependencies: `requirements.txt` (with its `-r`/`-c` includes) when present, else
 *   pyproject.toml's `[project] dependencies`. Checked against the policy (index only,
 *   python-policy.ts) before anything installs, then installed by pip into /workspace/.venv in
 *   the install sandbox (sandbox-images/python/pip-install) and handed to the candidate's
 *   container at the same path, in the same image.
 * - Start: `python3 <entry>` with the virtual environment first on PATH, so `python3`, `python`
 *   and the packages' scripts (gunicorn, uvicorn, flask) are the environment's.
 * - `requires-python` is checked against the image's Python: unmet, the submission still runs
 *   (most code runs on a nearby version) and the report carries a flag saying so.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { Flag } from '../../report/schema.ts';
import { checkRequirements, requirementProblem, resolveInclude } from '../install/python-policy.ts';
import { decodeText, firstRegularFile, hashFiles, isRegularFile } from './files.ts';
import type { RuntimePlan } from './types.ts';

/**
 * The Python of the python image (Debian bookworm's python3, which stays 3.11 for bookworm's
 * life). sandbox-images/python/Dockerfile fails its build on another minor version, and
 * test/python-deps.test.ts compares this with the built image.
 */
export const IMAGE_PYTHON_VERSION = '3.11.2';

export const VENV_DIR = '/workspace/.venv';
/** The image's PATH with the virtual environment first. */
const VENV_PATH = `${VENV_DIR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
/** In the python image: creates the virtual environment, then runs its pip with these arguments. */
const PIP_INSTALL = '/opt/assay/bin/pip-install';
const ENTRY_FILES = ['main.py', 'app.py'] as const;
/** Requirements files followed through -r/-c, at most (a loop or a sprawl is refused). */
const MAX_REQUIREMENT_FILES = 20;
const MAX_REQUIREMENTS_BYTES = 1024 * 1024;

export interface PythonPlanOptions {
  /** The challenge allows source distributions (`install.python.sdists`). @defaultValue false */
  sdists?: boolean;
}

export async function planPython(repoDir: string, opts: PythonPlanOptions = {}): Promise<RuntimePlan | undefined> {
  const entry = await firstRegularFile(repoDir, ENTRY_FILES);
  const hasRequirements = await isRegularFile(path.join(repoDir, 'requirements.txt'));
  const hasPyproject = await isRegularFile(path.join(repoDir, 'pyproject.toml'));
  if (!entry && !hasRequirements && !hasPyproject) return undefined;

  const startArgv = ['python3', entry ?? 'main.py'];
  const pyproject = hasPyproject ? await readPyproject(path.join(repoDir, 'pyproject.toml')) : undefined;
  const flags = pyproject?.requiresPython ? requiresPythonFlags(pyproject.requiresPython) : [];
  const base = { runtime: 'python' as const, startArgv, ...(flags.length ? { flags } : {}) };
  const reject = (reason: string): RuntimePlan => ({ ...base, install: { kind: 'reject', reason } });

  const formatArgs = opts.sdists ? ['--prefer-binary'] : ['--only-binary=:all:'];
  let requirementArgs: string[];
  let count: number;
  let inputs: string[];
  let hashed = false;
  if (hasRequirements) {
    const read = await readRequirements(repoDir, Boolean(opts.sdists));
    if (read.problems.length) return reject(read.problems.slice(0, 5).join('; '));
    if (read.count === 0) return { ...base, install: { kind: 'skip', reason: 'requirements.txt lists no packages' } };
    requirementArgs = ['-r', 'requirements.txt'];
    count = read.count;
    inputs = read.files;
    hashed = read.hashed;
  } else if (pyproject?.error) {
    return reject(pyproject.error);
  } else if (pyproject?.dependencies?.length) {
    const problems = pyproject.dependencies.map((d) => (/\$\{/.test(d) ? `${JSON.stringify(d.slice(0, 80))} contains \${...}` : requirementProblem(d))).filter((p): p is string => p !== undefined);
    if (problems.length) return reject(problems.slice(0, 5).map((p) => `pyproject.toml [project] dependencies: ${p}`).join('; '));
    // Passed to pip as arguments after "--": never an option, never through a shell.
    requirementArgs = ['--', ...pyproject.dependencies];
    count = pyproject.dependencies.length;
    inputs = ['pyproject.toml'];
  } else if (pyproject?.poetryDependencies) {
    return reject(
      `pyproject.toml lists ${pyproject.poetryDependencies} dependencies under [tool.poetry.dependencies], which pip does not read: ` +
        'add a requirements.txt (`poetry export -f requirements.txt -o requirements.txt`) or list them in [project] dependencies',
    );
  } else {
    return { ...base, install: { kind: 'skip', reason: 'no requirements.txt or [project] dependencies: the standard library only' } };
  }

  return {
    ...base,
    install: {
      kind: 'run',
      manager: 'pip',
      argv: [PIP_INSTALL, ...formatArgs, ...requirementArgs],
      dependencies: count,
      outputs: ['.venv'],
      notes: [`${count} ${count === 1 ? 'requirement' : 'requirements'} from ${inputs[0]}`, opts.sdists ? 'wheels preferred, sdists allowed' : 'wheels only', ...(hashed ? ['every package checked against its --hash'] : [])],
      // pip's resolution depends only on these files, the index and the image (all in the cache key):
      // an unpinned requirement resolves once per cache entry, as a lockfile would pin it.
      locked: { inputsHash: await hashFiles(repoDir, inputs) },
    },
    startEnv: { PATH: VENV_PATH, VIRTUAL_ENV: VENV_DIR },
  };
}

interface Pyproject {
  dependencies?: string[];
  requiresPython?: string;
  poetryDependencies?: number;
  /** Why the file cannot be used (not TOML, dependencies not a list of strings). */
  error?: string;
}

async function readPyproject(file: string): Promise<Pyproject> {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    return { error: `pyproject.toml is not valid TOML: ${String((err as Error).message).split('\n')[0]!.slice(0, 200)}` };
  }
  const project = table(doc.project);
  const out: Pyproject = {};
  if (typeof project?.['requires-python'] === 'string') out.requiresPython = project['requires-python'];
  const deps = project?.dependencies;
  if (deps !== undefined) {
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) return { ...out, error: 'pyproject.toml [project] dependencies must be a list of strings' };
    out.dependencies = (deps as string[]).map((d) => d.trim()).filter(Boolean);
  }
  const poetry = table(table(table(doc.tool)?.poetry)?.dependencies);
  if (poetry) out.poetryDependencies = Object.keys(poetry).filter((k) => k.toLowerCase() !== 'python').length;
  return out;
}

function table(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Reads requirements.txt and every file it includes (-r/-c), checking each against the policy. */
async function readRequirements(repoDir: string, sdists: boolean): Promise<{ count: number; files: string[]; problems: string[]; hashed: boolean }> {
  const files: string[] = [];
  const problems: string[] = [];
  let count = 0;
  let hashed = false;
  const queue = ['requirements.txt'];
  while (queue.length) {
    const rel = queue.shift()!;
    if (files.includes(rel)) continue;
    if (files.length >= MAX_REQUIREMENT_FILES) {
      problems.push(`more than ${MAX_REQUIREMENT_FILES} requirements files are included`);
      break;
    }
    files.push(rel);
    const abs = path.join(repoDir, rel);
    if (!(await isRegularFile(abs))) {
      problems.push(`${rel} is not a regular file in the repository`);
      continue;
    }
    if ((await stat(abs)).size > MAX_REQUIREMENTS_BYTES) {
      problems.push(`${rel} is larger than ${MAX_REQUIREMENTS_BYTES} bytes`);
      continue;
    }
    const check = checkRequirements(decodeText(await readFile(abs)), rel, { sdists });
    problems.push(...check.problems);
    hashed ||= check.hashed;
    // Constraints files name no packages to install; only requirements count.
    count += check.requirements.length;
    for (const ref of check.includes) {
      const resolved = resolveInclude(rel, ref);
      if ('problem' in resolved) problems.push(resolved.problem);
      else queue.push(resolved.path);
    }
  }
  return { count, files, problems, hashed };
}

function requiresPythonFlags(spec: string): Flag[] {
  const met = satisfiesSpecifiers(IMAGE_PYTHON_VERSION, spec);
  if (met !== false) return [];
  return [
    {
      code: 'runtime_version',
      message: `pyproject.toml requires-python ${JSON.stringify(spec.slice(0, 80))} is not met by the sandbox's Python ${IMAGE_PYTHON_VERSION}; the service was run with it anyway`,
    },
  ];
}

/**
 * Whether a final release `version` satisfies PEP 440 specifiers (`>=3.9,<4`, `~=3.10`,
 * `==3.11.*`, `!=3.12.*`); undefined when the specifiers cannot be read. Pre-, post- and
 * dev-release suffixes of the specifiers are compared by their release part only.
 */
export function satisfiesSpecifiers(version: string, specifiers: string): boolean | undefined {
  const have = release(version);
  if (!have) return undefined;
  const clauses = specifiers.split(',').map((s) => s.trim()).filter(Boolean);
  if (clauses.length === 0) return true;
  for (const clause of clauses) {
    const m = /^(===|==|!=|<=|>=|~=|<|>)\s*(\S+)$/.exec(clause);
    if (!m) return undefined;
    const [, op, raw] = m as unknown as [string, string, string];
    if (op === '===') {
      if (raw !== version) return false;
      continue;
    }
    const wildcard = raw.endsWith('.*');
    const want = release(wildcard ? raw.slice(0, -2) : raw);
    if (!want || (wildcard && op !== '==' && op !== '!=')) return undefined;
    const ok = (() => {
      switch (op) {
        case '==':
          return wildcard ? startsWith(have, want) : compare(have, want) === 0;
        case '!=':
          return wildcard ? !startsWith(have, want) : compare(have, want) !== 0;
        case '>=':
          return compare(have, want) >= 0;
        case '<=':
          return compare(have, want) <= 0;
        case '>':
          return compare(have, want) > 0;
        case '<':
          return compare(have, want) < 0;
        case '~=':
          // ~=X.Y.Z means >=X.Y.Z and ==X.Y.*; it needs at least two segments.
          return want.length >= 2 && compare(have, want) >= 0 && startsWith(have, want.slice(0, -1));
        default:
          return undefined;
      }
    })();
    if (ok === undefined) return undefined;
    if (!ok) return false;
  }
  return true;
}

/** The release segments of a PEP 440 version (`3.11.2`, `3.12.0rc1` → [3, 12, 0]); epochs other than 0 are not read. */
function release(v: string): number[] | undefined {
  const m = /^v?(?:0!)?(\d+(?:\.\d+)*)(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview|post|rev|r|dev)[-_.]?\d*)*(?:\+[A-Za-z0-9.]+)?$/i.exec(v.trim());
  return m ? m[1]!.split('.').map(Number) : undefined;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function startsWith(have: number[], prefix: number[]): boolean {
  return prefix.every((p, i) => (have[i] ?? 0) === p);
}
