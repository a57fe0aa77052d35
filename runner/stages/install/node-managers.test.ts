import { describe, expect, it } from 'vitest';
import type { InstallPlan } from '../plan/index.ts';
import { managerEnv, scriptsEnv } from './node-managers.ts';

type RunPlan = Extract<InstallPlan, { kind: 'run' }>;
const input = { registry: 'https://npm.example.internal/', online: true, timeoutMs: 120_000 };
const plan = (manager: RunPlan['manager'], tool?: RunPlan['tool'], rebuildArgv?: string[]): RunPlan => ({ kind: 'run', manager, argv: [], dependencies: 1, outputs: ['node_modules'], ...(tool ? { tool } : {}), ...(rebuildArgv ? { rebuildArgv } : {}) });

describe('managerEnv: every setting that matters, forced through the environment', () => {
  it('pnpm: the registry, no scripts, no version switching, for pnpm 9-10 (npm_config_) and 11 (pnpm_config_)', () => {
    const env = managerEnv(plan('pnpm', { name: 'pnpm', version: '10.34.9' }), input);
    for (const prefix of ['npm_config_', 'pnpm_config_']) {
      expect(env[`${prefix}registry`]).toBe(input.registry);
      expect(env[`${prefix}ignore_scripts`]).toBe('true');
      expect(env[`${prefix}manage_package_manager_versions`]).toBe('false');
      expect(env[`${prefix}pm_on_fail`]).toBe('ignore');
      expect(env[`${prefix}userconfig`]).toMatch(/^\/nonexistent\//);
      expect(env[`${prefix}store_dir`]).toMatch(/^\/workspace\/\.assay\//);
    }
    expect(env.XDG_CONFIG_HOME).toBe('/nonexistent');
  });

  it('yarn classic and berry get their own settings; berry the node-modules linker and no yarnPath', () => {
    const classic = managerEnv(plan('yarn', { name: 'yarn', version: '1.22.22' }), input);
    expect(classic).toMatchObject({ YARN_REGISTRY: input.registry, npm_config_registry: input.registry, YARN_IGNORE_SCRIPTS: 'true', SKIP_YARN_COREPACK_CHECK: '1' });
    const berry = managerEnv(plan('yarn', { name: 'yarn', version: '4.18.1' }), input);
    expect(berry).toMatchObject({ YARN_NODE_LINKER: 'node-modules', YARN_NPM_REGISTRY_SERVER: 'https://npm.example.internal', YARN_ENABLE_SCRIPTS: 'false', YARN_IGNORE_PATH: '1', YARN_ENABLE_GLOBAL_CACHE: 'false' });
    expect(managerEnv(plan('yarn', { name: 'yarn', version: '4.18.1' }), { ...input, online: false }).YARN_ENABLE_NETWORK).toBe('false');
  });

  it('npm as before', () => {
    expect(managerEnv(plan('npm'), input)).toMatchObject({ npm_config_registry: input.registry, npm_config_ignore_scripts: 'true', npm_config_offline: 'false' });
  });
});

describe('scriptsEnv: the dependency scripts step', () => {
  it('turns scripts on for every dependency and points node-gyp at the image headers', () => {
    const npm = scriptsEnv(plan('npm', undefined, ['npm', 'rebuild']), input, false);
    expect(npm).toMatchObject({ npm_config_ignore_scripts: 'false', npm_config_dangerously_allow_all_scripts: 'true', npm_config_nodedir: '/opt/node', npm_config_registry: input.registry });
    expect(npm.npm_config_build_from_source).toBeUndefined();
    expect(scriptsEnv(plan('npm', undefined, ['npm', 'rebuild']), input, true).npm_config_build_from_source).toBe('true');
    const pnpm = scriptsEnv(plan('pnpm', { name: 'pnpm', version: '11.28.11' }, ['node', 'pnpm.mjs', 'rebuild']), input, false);
    expect(pnpm).toMatchObject({ pnpm_config_ignore_scripts: 'false', pnpm_config_dangerously_allow_all_builds: 'true', npm_config_dangerously_allow_all_builds: 'true', npm_config_nodedir: '/opt/node' });
  });

  it('yarn trees are rebuilt by npm, with npm settings', () => {
    const env = scriptsEnv(plan('yarn', { name: 'yarn', version: '4.18.1' }, ['npm', 'rebuild']), input, false);
    expect(env).toMatchObject({ npm_config_registry: input.registry, npm_config_dangerously_allow_all_scripts: 'true' });
    expect(env.YARN_NODE_LINKER).toBeUndefined();
  });
});
