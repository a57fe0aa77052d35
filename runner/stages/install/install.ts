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
import { classifyInstallFailure } from './install-failure.ts';

export const CA_BUNDLE_PATH = '.assay/ca.pem';

export interface InstallInput {
  box: SandboxContainer;
  plan: Extract<InstallPlan, { kind: 'run' }>;
  registry: string;
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
 * Returns the install step (passed, or failed by the candidate's doing). A failure of the
 * registry or the network on the way to it throws a retryable PlatformError instead.
 */
export async function runInstall(input: InstallInput): Promise<Step> {
  const { plan } = input;
  const env: Record<string, string> = {
    ...(plan.manager === 'npm' ? npmEnv(input) : {}),
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
  return {
    name: 'install',
    status: ok ? 'passed' : 'failed',
    verdict: run.verdict,
    exitCode: run.exitCode,
    durationMs: run.durationMs,
    ...(ok ? {} : { reason: `${plan.argv.slice(0, 2).join(' ')} ${describeVerdict(run.verdict, run, { timeoutMs: input.timeoutMs })}` }),
    log: run.output,
  };
}
