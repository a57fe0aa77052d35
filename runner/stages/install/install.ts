/**
 * Install stage: installs a Node submission's dependencies inside its own sandbox with lifecycle
 * scripts off, every npm setting forced from the environment (which outranks any project
 * configuration) and the registry from server configuration. Only this step may have network,
 * and only when the challenge allows registry access.
 */
import type { SandboxContainer } from '../../sandbox/index.ts';
import type { Step } from '../../report/schema.ts';
import { describeVerdict } from '../../sandbox/index.ts';
import type { InstallPlan } from '../runtime.ts';

export const CA_BUNDLE_PATH = '.assay/ca.pem';

export interface InstallInput {
  box: SandboxContainer;
  plan: InstallPlan;
  registry: string;
  /** Registry access allowed by the challenge. */
  online: boolean;
  /** A CA bundle was shipped at CA_BUNDLE_PATH (TLS-inspecting proxies). */
  hasCaBundle: boolean;
  timeoutMs: number;
  outputBytes: number;
  signal?: AbortSignal;
}

export async function runInstall(input: InstallInput): Promise<Step> {
  const { plan } = input;
  if (plan.kind === 'skip') return { name: 'install', status: 'skipped', durationMs: 0, reason: plan.reason };
  if (plan.kind === 'reject') return { name: 'install', status: 'failed', durationMs: 0, reason: `dependencies rejected: ${plan.reason}` };
  const env: Record<string, string> = {
    npm_config_registry: input.registry,
    npm_config_ignore_scripts: 'true',
    // Paths that cannot exist on the read-only root file system: no user or global npmrc.
    npm_config_userconfig: '/nonexistent/user.npmrc',
    npm_config_globalconfig: '/nonexistent/global.npmrc',
    npm_config_cache: '/workspace/.assay/npm-cache',
    npm_config_update_notifier: 'false',
    npm_config_git: '/bin/false',
    npm_config_offline: input.online ? 'false' : 'true',
    npm_config_fetch_timeout: String(Math.min(input.timeoutMs, 60_000)),
    npm_config_fetch_retries: '1',
    ...(input.hasCaBundle ? { NODE_EXTRA_CA_CERTS: `/workspace/${CA_BUNDLE_PATH}` } : {}),
  };
  const run = await input.box.exec(plan.argv, { timeoutMs: input.timeoutMs, outputBytes: input.outputBytes, env, signal: input.signal });
  // The cache is only useful during the install; it must not eat the workspace.
  if (run.verdict !== 'timeout' && run.verdict !== 'output_limit') {
    await input.box.exec(['rm', '-rf', '/workspace/.assay/npm-cache'], { timeoutMs: 30_000, outputBytes: 4096 }).catch(() => undefined);
  }
  const ok = run.verdict === 'ok';
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
