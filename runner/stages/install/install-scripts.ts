/**
 * Dependencies' install scripts (`preinstall`, `install`, `postinstall`, or a binding.gyp that
 * package managers build with node-gyp). Every install runs with scripts off; then, per the
 * challenge's `install.scripts` (operator default ASSAY_INSTALL_SCRIPTS):
 * - `sandboxed`: the scripts of the installed dependencies that have any are run, in the same
 *   throwaway install container (candidate uid, the challenge's limits, the install network),
 *   with the image's build toolchain and Node headers. Only dependencies are named: the
 *   project's own lifecycle scripts never run. A failure is retried once building from source
 *   (a prebuilt binary's download, from outside the registry, cannot succeed).
 * - `deny`: nothing runs, and the packages that needed their scripts are named in the report
 *   (flag `install_scripts_needed`, and the install step's reason, which the candidate sees),
 *   with a pure-JS alternative where there is a well-known one.
 * Which packages have scripts is read from the installed tree by a trusted script in the image
 * (sandbox-images/node/install-scripts.mjs): it works the same for npm, pnpm and yarn trees.
 */
import { z } from 'zod';
import { PlatformError } from '../../errors.ts';
import type { Flag, Step } from '../../report/schema.ts';
import { describeVerdict, type SandboxContainer } from '../../sandbox/index.ts';
import type { InstallPlan } from '../plan/index.ts';
import { PACKAGE_NAME } from './dependency-policy.ts';
import { scriptsEnv, type ManagerEnvInput } from './node-managers.ts';

export type ScriptsMode = 'deny' | 'sandboxed';

/** The scanner in the image. */
export const SCAN_ARGV = ['node', '/opt/assay/install-scripts.mjs', '/workspace/node_modules'];

const ScriptedPackageSchema = z.object({
  name: z.string().max(214),
  version: z.string().max(50),
  scripts: z.partialRecord(z.enum(['preinstall', 'install', 'postinstall']), z.string().max(200)),
  gyp: z.boolean(),
  prebuilds: z.boolean(),
});
export type ScriptedPackage = z.infer<typeof ScriptedPackageSchema>;
const ScanSchema = z.object({ packages: z.array(ScriptedPackageSchema).max(200), truncated: z.boolean() });

/** The scanner's output, or undefined when it is not what the scanner prints. */
export function parseScan(stdout: string): ScriptedPackage[] | undefined {
  try {
    const parsed = ScanSchema.safeParse(JSON.parse(stdout));
    return parsed.success ? parsed.data.packages.filter((p) => PACKAGE_NAME.test(p.name)) : undefined;
  } catch {
    return undefined;
  }
}

const NATIVE_TOOLS = /\b(?:node-gyp|node-pre-gyp|prebuild-install|cmake-js|node-gyp-build)\b/;

/**
 * A native addon that needs its script: it builds with node-gyp (binding.gyp, or a script
 * calling one of the native build tools), unless it ships prebuilt binaries for node-gyp-build
 * (a `prebuilds` folder), which load without any script.
 */
export function isNative(p: ScriptedPackage): boolean {
  if (p.prebuilds) return false;
  return p.gyp || Object.values(p.scripts).some((s) => NATIVE_TOOLS.test(s));
}

/** Well-known drop-in replacements that need no install script. */
export const PURE_JS_ALTERNATIVES: Readonly<Record<string, string>> = {
  bcrypt: 'bcryptjs',
  argon2: '@node-rs/argon2 (prebuilt, no install script)',
  sqlite3: "Node's built-in node:sqlite",
  'better-sqlite3': "Node's built-in node:sqlite",
  'node-sass': 'sass',
  canvas: '@napi-rs/canvas (prebuilt, no install script)',
  bufferutil: 'nothing: ws works without it',
  'utf-8-validate': 'nothing: ws works without it',
};

function names(pkgs: ScriptedPackage[]): string {
  const list = [...new Set(pkgs.map((p) => p.name))];
  return list.length > 8 ? `${list.slice(0, 8).join(', ')} and ${list.length - 8} more` : list.join(', ');
}

/**
 * What the report says when scripts were not run: a flag when a native addon needed its script
 * (the likely cause of a service that then fails to start), and a note for the install step's
 * reason naming every package whose scripts were skipped.
 */
export function describeSkipped(pkgs: ScriptedPackage[]): { flag?: Flag; note?: string } {
  if (pkgs.length === 0) return {};
  const native = pkgs.filter(isNative);
  const other = pkgs.filter((p) => !isNative(p));
  const parts: string[] = [];
  for (const p of native.slice(0, 5)) {
    const alt = PURE_JS_ALTERNATIVES[p.name];
    parts.push(`${p.name} needs its install script (it builds a native addon), which this challenge does not run${alt ? ` (a pure-JS alternative is ${alt})` : ''}`);
  }
  if (native.length > 5) parts.push(`so do ${names(native.slice(5))}`);
  if (other.length) parts.push(`install scripts not run: ${names(other)}`);
  const note = parts.join('; ');
  return native.length ? { flag: { code: 'install_scripts_needed', message: note }, note } : { note };
}

/** The scanner's list kept beside a cached tree (DependencyCache meta), or undefined when there is none. */
export function parseCachedScripts(meta: unknown): ScriptedPackage[] | undefined {
  const list = (meta as { scripted?: unknown } | null | undefined)?.scripted;
  const parsed = z.array(ScriptedPackageSchema).max(200).safeParse(list);
  return parsed.success ? parsed.data : undefined;
}

/** What the install step says when dependencies' scripts ran (also on a restore of their tree). */
export function ranNote(scripted: ScriptedPackage[]): string {
  return `ran the install scripts of ${names(scripted)} in the install sandbox`;
}

/** The names to pass to the rebuild command (valid package names only: they become argv). */
export function rebuildNames(pkgs: ScriptedPackage[]): string[] {
  return [...new Set(pkgs.map((p) => p.name))].filter((n) => PACKAGE_NAME.test(n) && !n.startsWith('-'));
}

type RunPlan = Extract<InstallPlan, { kind: 'run' }>;

export interface ScriptsInput extends ManagerEnvInput {
  box: SandboxContainer;
  plan: RunPlan;
  mode: ScriptsMode;
  /** The install step that passed; the scripts step is reported as part of it. */
  step: Step;
  outputBytes: number;
  extraEnv?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ScriptsOutcome {
  step: Step;
  /** Installed packages that have install scripts (run or not, per the mode); undefined when the scan failed. */
  scripted?: ScriptedPackage[];
}

/** Reads which packages have scripts and, in `sandboxed` mode, runs them. */
export async function runDependencyScripts(input: ScriptsInput): Promise<ScriptsOutcome> {
  const { box, plan, step } = input;
  const out = await box.execCaptureStdout(SCAN_ARGV, 256 * 1024, 30_000).catch(() => undefined);
  const scripted = out ? parseScan(out.toString('utf8')) : undefined;
  if (!scripted) {
    // Nothing to say rather than a guess; under `sandboxed` the scripts could not run, which the candidate did not cause.
    if (input.mode === 'sandboxed') throw new PlatformError('INTERNAL', "could not list the installed packages' install scripts", true);
    return { step };
  }
  if (input.mode === 'deny' || scripted.length === 0 || !plan.rebuildArgv) return { step, scripted };

  const targets = rebuildNames(scripted);
  if (targets.length === 0) return { step, scripted };
  let spent = step.durationMs;
  let run: Awaited<ReturnType<SandboxContainer['exec']>> | undefined;
  for (const buildFromSource of [false, true]) {
    const timeoutMs = input.timeoutMs - spent;
    if (timeoutMs < 1000) break;
    run = await box.exec([...plan.rebuildArgv, ...targets], { timeoutMs, outputBytes: input.outputBytes, env: { ...scriptsEnv(plan, input, buildFromSource), ...input.extraEnv }, signal: input.signal });
    spent += run.durationMs;
    if (run.verdict === 'ok' || run.verdict !== 'nonzero_exit') break;
  }
  const durationMs = spent;
  const what = `the install scripts of ${names(scripted)}`;
  if (run?.verdict === 'ok') return { step: { ...step, durationMs, reason: [step.reason, ranNote(scripted)].filter(Boolean).join('; '), log: run.output }, scripted };
  return {
    step: {
      ...step,
      status: 'failed',
      durationMs,
      ...(run ? { verdict: run.verdict, exitCode: run.exitCode } : {}),
      reason: run ? `${what} ${describeVerdict(run.verdict, run, { timeoutMs: input.timeoutMs })}` : `${what} had no time left to run`,
      ...(run ? { log: run.output } : {}),
    },
    scripted,
  };
}
