/**
 * Runs a Node submission's dependency install inside a sandbox with lifecycle scripts off, every
 * npm setting forced from the environment (which outranks any project configuration) and the
 * registry from server configuration. The sandbox is a throwaway install container: candidate
 * code never runs in it, and only node_modules leaves it (see stage.ts).
 */
import { PlatformError } from '../../errors.ts';
import type { Step } from '../../report/schema.ts';
import { describeVerdict, type SandboxContainer } from '../../sandbox/index.ts';
import type { InstallPlan } from '../plan/index.ts';
import { classifyInstallFailure, classifyPipFailure } from './install-failure.ts';

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

/** npm's settings, forced through the environment, which outranks any project configuration. */
function npmEnv(input: InstallInput): Record<string, string> {
  return {
    npm_config_registry: input.registry,
    npm_config_ignore_scripts: 'true',
    // Paths that cannot exist on the read-only root file system: no user or global npmrc.
    npm_config_userconfig: '/nonexistent/user.npmrc',
    npm_config_globalconfig: '/nonexistent/global.npmrc',
    npm_config_cache: '/workspace/.assay/npm-cache', // the install container is thrown away with it
    npm_config_update_notifier: 'false',
    npm_config_git: '/bin/false',
    npm_config_offline: input.online ? 'false' : 'true',
    npm_config_fetch_timeout: String(Math.min(input.timeoutMs, 60_000)),
    npm_config_fetch_retries: '1',
  };
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
    ...(plan.manager === 'npm' ? npmEnv(input) : {}),
    ...(plan.manager === 'pip' ? pipEnv(input) : {}),
    ...plan.env,
    ...(input.hasCaBundle ? { NODE_EXTRA_CA_CERTS: `/workspace/${CA_BUNDLE_PATH}` } : {}),
  };
  const run = await input.box.exec(plan.argv, { timeoutMs: input.timeoutMs, outputBytes: input.outputBytes, env, signal: input.signal });
  const ok = run.verdict === 'ok';
  if (!ok && run.verdict === 'nonzero_exit' && input.online && plan.manager === 'npm') {
    const blame = classifyInstallFailure(run.output.text);
    if (blame.fault === 'platform') {
      throw new PlatformError('REGISTRY_UNAVAILABLE', `the registry could not be used (npm error ${blame.code}); not the candidate's fault`, true);
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
    ...(ok ? {} : { reason: `${plan.manager === 'pip' ? 'pip install' : plan.argv.slice(0, 2).join(' ')} ${describeVerdict(run.verdict, run, { timeoutMs: input.timeoutMs })}` }),
    log: run.output,
  };
}
