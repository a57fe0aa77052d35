import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError } from './config.ts';

describe('buildConfig', () => {
  it('applies defaults and freezes the result', () => {
    const c = buildConfig({});
    expect(c.redis.prefix).toBe('assay');
    expect(c.fetch.policy.allowHttp).toBe(false);
    expect(Object.isFrozen(c.fetch.policy)).toBe(true);
  });

  it('reports every problem together', () => {
    expect(() => buildConfig({ ASSAY_WORKER_CONCURRENCY: 'zero', ASSAY_API_KEYS: 'a:root:short', ASSAY_FETCH_ALLOW_HTTP: 'maybe' })).toThrowError(ConfigError);
    try {
      buildConfig({ ASSAY_WORKER_CONCURRENCY: 'zero', ASSAY_API_KEYS: 'a:root:short', ASSAY_FETCH_ALLOW_HTTP: 'maybe' });
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('ASSAY_WORKER_CONCURRENCY');
      expect(msg).toContain('ASSAY_API_KEYS');
      expect(msg).toContain('ASSAY_FETCH_ALLOW_HTTP');
    }
  });

  it('treats empty values as unset, except where empty means off', () => {
    const c = buildConfig({ ASSAY_SESSION_SECRET: '', ASSAY_SANDBOX_CA_FILE: '', NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
    expect(c.api.sessionSecret).toBeUndefined();
    expect(c.install.caFile).toBeUndefined();
    expect(buildConfig({ NODE_EXTRA_CA_CERTS: '/etc/ca.pem' }).install.caFile).toBe('/etc/ca.pem');
  });

  it('parses API keys with roles', () => {
    const c = buildConfig({ ASSAY_API_KEYS: 'ops:admin:0123456789abcdef0123, ats:submitter:fedcba9876543210fedc' });
    expect(c.api.keys.map((k) => [k.name, k.role])).toEqual([['ops', 'admin'], ['ats', 'submitter']]);
  });
});
