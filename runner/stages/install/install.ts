/**
 * Runs a submission's dependency install (npm, pnpm, yarn or pip, as the plan says) inside a
 * sandbox with lifecycle scripts off, every setting forced from the environment (which outranks
 * any project configuration; node-managers.ts) and the registry from server configuration. The
 * sandbox is a throwaway install container: candidate code never runs in it, and only the
 * install's outputs leave it (see stage.ts). Dependencies' own install scripts, when the
 * challenge allows them, run afterwards in the same container (install-scripts.ts).
 */
import { PlatformError } from '../../errors.ts';
import type { Step } from '../../report/schema.ts';
import { describeVerdict, type SandboxContainer } from '../../sandbox/index.ts';
import type { InstallPlan } from '../plan/index.ts';
import { classifyInstallFailure, classifyPipFailure } from './install-failure.ts';
import { managerEnv } from './node-managers.ts';

export const CA_BUNDLE_PATH = '.assay/ca.pem';
/** pip's debug log (every request and its outcome), read to tell whose fault a failed install is. */
const PIP_LOG = '/workspace/.assay/pip.log';

export interface InstallInput {
  box: SandboxContainer;
  plan: Extract<InstallPlan, { kind: 'run' }>;
  registry: string;
  /** The PEP 503 index pip installs from (ASSAY_PIP_INDEX_URL). */
  pipIndexUrl?: string;
  /** Registry access allowed by the challenge. */
  online: boolean;
  /** A CA bundle was shipped at CA_BUNDLE_PATH (TLS-inspecting proxies). */
  hasCaBundle: boolean;
  timeoutMs: number;
  outputBytes: number;
  signal?: AbortSignal;
}

/**
 * pip's settings, forced through the environment (`PIP_*` outrank everything but the command
 * line, which the plan writes). PIP_CONFIG_FILE=/dev/null makes pip read no configuration file
 * at all (user, global, site or the virtual environment's pip.conf).
 */
function pipEnv(input: InstallInput): Record<string, string> {
  const index = input.pipIndexUrl ?? 'https://pypi.org/simple/';
  const ca = `/workspace/${CA_BUNDLE_PATH}`;
  return {
    PIP_CONFIG_FILE: '/dev/null',
    PIP_NO_INPUT: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_PROGRESS_BAR: 'off',
    PIP_NO_COLOR: '1',
    // The container is thrown away: a cache would only double the bytes in the memory-backed workspace.
    PIP_NO_CACHE_DIR: '1',
    PIP_LOG,
    PIP_RETRIES: '2',
    PIP_TIMEOUT: String(Math.max(5, Math.min(60, Math.floor(input.timeoutMs / 4000)))),
    ...(input.online
      ? {
          PIP_INDEX_URL: index,
          // pip refuses plain http from any host but loopback unless told: the operator configured this one.
          ...(new URL(index).protocol === 'http:' ? { PIP_TRUSTED_HOST: new URL(index).host } : {}),
        }
      : { PIP_NO_INDEX: '1' }),
    ...(input.hasCaBundle ? { PIP_CERT: ca, REQUESTS_CA_BUNDLE: ca } : {}),
  };
}

/**
 * Returns the install step (passed, or failed by the candidate's doing). A failure of the
 * registry or the network on the way to it throws a retryable PlatformError instead.
 */
export async function runInstall(input: InstallInput): Promise<Step> {
  const { plan } = input;
  const env: Record<string, string> = {
    // npm, pnpm and yarn settings (node-managers.ts).
    ...managerEnv(plan, input),
    ...(plan.manager === 'pip' ? pipEnv(input) : {}),
    ...plan.env,
    ...(input.hasCaBundle ? { NODE_EXTRA_CA_CERTS: `/workspace/${CA_BUNDLE_PATH}` } : {}),
  };
  const run = await input.box.exec(plan.argv, { timeoutMs: input.timeoutMs, outputBytes: input.outputBytes, env, signal: input.signal });
  const ok = run.verdict === 'ok';
  if (!ok && run.verdict === 'nonzero_exit' && input.online && plan.manager !== 'pip') {
    const blame = classifyInstallFailure(run.output.text, plan.manager);
    if (blame.fault === 'platform') {
      throw new PlatformError('REGISTRY_UNAVAILABLE', `the registry could not be used (${plan.manager} error ${blame.code}); not the candidate's fault`, true);
    }
  }
  if (!ok && run.verdict === 'nonzero_exit' && input.online && plan.manager === 'pip') {
    // pip logs a failed index request (a 5xx, a refused connection) only in its debug log.
    const debugLog = await input.box.execCaptureStdout(['tail', '-c', '4000000', PIP_LOG], 4_100_000, 10_000).catch(() => undefined);
    const blame = classifyPipFailure(run.output.text, debugLog?.toString('utf8'));
    if (blame.fault === 'platform') {
      throw new PlatformError('REGISTRY_UNAVAILABLE', `the package index could not be used (${blame.code}); not the candidate's fault`, true);
    }
  }
  return {
    name: 'install',
    status: ok ? 'passed' : 'failed',
    verdict: run.verdict,
    exitCode: run.exitCode,
    durationMs: run.durationMs,
    ...(ok ? installedReason(plan) : { reason: `${commandName(plan)} ${describeVerdict(run.verdict, run, { timeoutMs: input.timeoutMs })}` }),
    log: run.output,
  };
}

/** How the report names the install command: `pnpm install` rather than node and a path into the image. */
function commandName(plan: InstallInput['plan']): string {
  if (plan.manager === 'pip') return 'pip install';
  return plan.tool ? `${plan.tool.name} ${plan.argv[2] ?? 'install'}` : plan.argv.slice(0, 2).join(' ');
}

/** A passed install's reason: which pnpm or yarn ran it, and the plan's notes (a version Assay did not have...). */
function installedReason(plan: InstallInput['plan']): { reason?: string } {
  const parts = [...(plan.tool ? [`installed with ${plan.tool.name} ${plan.tool.version}`] : []), ...(plan.notes ?? [])];
  return parts.length ? { reason: parts.join('; ') } : {};
}
