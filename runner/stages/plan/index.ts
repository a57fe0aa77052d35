/**
 * Which runtime a submission uses and how it is installed, built and started, from its files
 * alone. Each runtime plans in its own module; the first one the challenge allows and the files
 * match wins. Then, for any runtime:
 * - a `Procfile` with a `web:` line names the start command (./procfile.ts), ahead of the
 *   runtime's convention (`npm start`; `main.py`, then `app.py`);
 * - Node: a package.json `build` script becomes the build step, and `.nvmrc`, `.node-version`
 *   or `engines.node` pick the Node.js major among the worker's images (./node-version.ts);
 * - the scripts the start command names are read for what would keep them from running
 *   (./start-scripts.ts), and a repository with no runtime is told what was found instead
 *   (./missing.ts).
 */
import path from 'node:path';
import type { Runtime } from '../../challenges/manifest.ts';
import { isRegularFile, readJson } from './files.ts';
import { missingRuntimeHints } from './missing.ts';
import { chooseNodeVersion, readNodeRequirements, type AvailableNode } from './node-version.ts';
import { planNode } from './node.ts';
import { procfileArgv, readProcfileWeb } from './procfile.ts';
import { planPython, type PythonPlanOptions } from './python.ts';
import { skippedLifecycleHint, startScriptHints } from './start-scripts.ts';
import type { RuntimePlan } from './types.ts';

export type { InstallPlan, PackageManager, RuntimePlan } from './types.ts';
export type { AvailableNode, NodeVersionChoice } from './node-version.ts';

export interface PlanOptions {
  /** Runtimes the challenge allows. */
  allowed: readonly Runtime[];
  npmRegistry: string;
  /**
   * Node.js majors the worker has images for, and the default one. Absent (or empty): the
   * default image is used and no version requirement is read.
   */
  node?: { available: readonly AvailableNode[]; defaultMajor: number };
  python?: PythonPlanOptions;
  /** Where the files are, in the words of a "not found" reason. @defaultValue "at the repository root" */
  where?: string;
}

/** Returns the plan, or the reason no allowed runtime was found. */
export async function planRuntime(dir: string, opts: PlanOptions): Promise<RuntimePlan | { missing: string }> {
  const found = await detect(dir, opts);
  if ('missing' in found) return found;
  const pkg = found.runtime === 'node' ? await readJson(path.join(dir, 'package.json')) : undefined;
  const plan = found.runtime === 'node' ? await withNodeProject(dir, found, pkg, opts) : found;
  const web = await readProcfileWeb(dir);
  const command = web ?? npmStartScript(pkg);
  const lifecycle = skippedLifecycleHint(pkg);
  const hints = [...(command ? await startScriptHints(dir, command, pkg) : []), ...(lifecycle ? [lifecycle] : [])];
  if (!web && plan.runtime === 'python' && plan.startArgv.at(-1) === 'main.py' && (await isRegularFile(path.join(dir, 'app.py')))) {
    hints.push('main.py was started, as it comes before app.py: if the server is in app.py, rename it main.py or add a Procfile with the line "web: python3 app.py"');
  }
  const withHints = hints.length ? { ...plan, startHints: hints } : plan;
  return web ? { ...withHints, startArgv: procfileArgv(web, plan.runtime), startFrom: 'Procfile' } : { ...withHints, startFrom: 'convention' };
}

function npmStartScript(pkg: unknown): string | undefined {
  const start = (pkg as { scripts?: { start?: unknown } } | undefined)?.scripts?.start;
  return typeof start === 'string' ? start : undefined;
}

async function detect(dir: string, opts: PlanOptions): Promise<RuntimePlan | { missing: string }> {
  if (opts.allowed.includes('node') && (await isRegularFile(path.join(dir, 'package.json')))) return planNode(dir, opts.npmRegistry);
  if (opts.allowed.includes('python')) {
    const python = await planPython(dir, opts.python);
    if (python) return python;
  }
  const wanted = opts.allowed.map((r) => (r === 'node' ? 'package.json (Node.js)' : 'main.py, app.py or requirements.txt (Python 3)')).join(' or ');
  return { missing: [`no ${wanted} ${opts.where ?? 'at the repository root'}`, ...(await missingRuntimeHints(dir, opts.allowed))].join('; ') };
}

/** The build script and the Node.js version of a Node project. */
async function withNodeProject(dir: string, plan: RuntimePlan, pkg: unknown, opts: PlanOptions): Promise<RuntimePlan> {
  const scripts = (pkg as { scripts?: Record<string, unknown> } | undefined)?.scripts;
  const build = scripts && typeof scripts === 'object' && typeof scripts.build === 'string' && scripts.build.trim() !== '';
  const out: RuntimePlan = { ...plan, ...(build ? { build: buildCommand(scripts, pkg as PackageIdentity) } : {}) };
  if (!opts.node || opts.node.available.length === 0) return out;
  const choice = chooseNodeVersion(await readNodeRequirements(dir, pkg), opts.node.available, opts.node.defaultMajor);
  const flags = choice.unmet ? [...(out.flags ?? []), { code: 'runtime_version' as const, message: choice.unmet }] : out.flags;
  return { ...out, nodeVersion: choice, ...(flags ? { flags } : {}) };
}

/** What npm reads from package.json to name a script's package (name and version, any type: checked here). */
type PackageIdentity = { name?: unknown; version?: unknown } | undefined;

/**
 * The build command. Both forms run the script through sh with node_modules/.bin first on PATH,
 * which is all a build needs whichever manager installed the tree (npm, pnpm, or yarn with the
 * node-modules linker), and keep its exit status. Run straight, it also gets the variables npm
 * gives a script that builds read (npm_package_name, npm_package_version, npm_lifecycle_event,
 * npm_package_json, INIT_CWD), without loading npm's own CLI: about 150 ms off every build.
 * npm runs it where the project needs more of npm: prebuild and postbuild scripts, or npm_*
 * variables in the script's text. (`node --run` would save the same, but reports a script
 * killed by a signal as exit code 0, and any failure as 1.)
 */
export function buildCommand(scripts: Record<string, unknown>, pkg?: PackageIdentity): { argv: string[]; env: Record<string, string>; label: string } {
  const script = String(scripts.build);
  const needsNpm = typeof scripts.prebuild === 'string' || typeof scripts.postbuild === 'string' || /\$\{?npm_/.test(script);
  if (needsNpm) return { argv: ['npm', 'run', 'build'], env: BUILD_ENV, label: 'npm run build' };
  const identity = Object.fromEntries(
    (['name', 'version'] as const).filter((k) => typeof pkg?.[k] === 'string').map((k) => [`npm_package_${k}`, envValue(pkg![k] as string)]),
  );
  const env = { ...BUILD_ENV, ...identity, npm_lifecycle_event: 'build', npm_lifecycle_script: envValue(script), npm_command: 'run-script' };
  // The script is $1 of the outer sh, so it reaches the inner one verbatim; the paths are the workspace's, as npm's are the package's.
  const wrapper = 'PATH="$PWD/node_modules/.bin:$PATH" npm_package_json="$PWD/package.json" INIT_CWD="$PWD"; export PATH npm_package_json INIT_CWD; exec sh -c "$1"';
  return { argv: ['sh', '-c', wrapper, 'build', script], env, label: 'the build script' }; // not its text, which may hold what the report must not show
}

/** A package.json string as an environment value: no NUL (the engine refuses it), at most 4 KiB. */
function envValue(text: string): string {
  return text.replace(/\0/g, '').slice(0, 4096);
}

/** npm's settings for the build: no network to try, no notices, nothing from a user config. */
const BUILD_ENV: Record<string, string> = {
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_userconfig: '/nonexistent/user.npmrc',
  npm_config_globalconfig: '/nonexistent/global.npmrc',
};
