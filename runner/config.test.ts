import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError, parseTokenScope } from './config.ts';

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

  it("takes the operator's default for dependencies' install scripts: deny unless told", () => {
    expect(buildConfig({}).install.scripts).toBe('deny');
    expect(buildConfig({ ASSAY_INSTALL_SCRIPTS: 'sandboxed' }).install.scripts).toBe('sandboxed');
    expect(() => buildConfig({ ASSAY_INSTALL_SCRIPTS: 'yes' })).toThrowError(/ASSAY_INSTALL_SCRIPTS/);
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

  it('scopes git tokens to a host and a path prefix, in one spelling', () => {
    const c = buildConfig({ ASSAY_GIT_TOKENS: JSON.stringify({ 'GitHub.com/acme/': 'a', 'gitlab.example.com/group/sub/repo.git': 'b', '[::1]/x': 'c', 'git.example.com': 'd' }) });
    expect(c.fetch.tokens).toEqual({ 'github.com/acme': 'a', 'gitlab.example.com/group/sub/repo.git': 'b', '[::1]/x': 'c', 'git.example.com': 'd' });
    expect(Object.isFrozen(c.fetch.tokens)).toBe(true);
    expect(buildConfig({}).fetch.tokens).toEqual({});
  });

  it('reports every bad token scope together, without quoting a token', () => {
    const tokens = {
      'https://github.com/acme': 'secret-1',
      'github.com:443/acme': 'secret-2',
      'github.com/acme/../other': 'secret-3',
      'github.com//acme': 'secret-4',
      'github.com/ac%6De': 'secret-5',
      'user@github.com/acme': 'secret-6',
      'github.com/acme': 'line\nbreak',
      'github.com/x': 'fine',
      'GITHUB.COM/x': 'duplicate',
    };
    let message = '';
    try {
      buildConfig({ ASSAY_GIT_TOKENS: JSON.stringify(tokens) });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('scope "https://github.com/acme": write the scope without a scheme');
    expect(message).toContain('scope "github.com:443/acme": a scope has no port');
    expect(message).toContain('scope "github.com/acme/../other": ".." is not a path segment');
    expect(message).toContain('scope "github.com//acme": "" is not a path segment');
    expect(message).toContain('scope "github.com/ac%6De": expected host[/owner[/repo]]');
    expect(message).toContain('scope "user@github.com/acme": expected host[/owner[/repo]]');
    expect(message).toContain('scope "github.com/acme": the token contains a control character');
    expect(message).toContain('scope "GITHUB.COM/x": another key names the same scope (github.com/x)');
    expect(message).not.toMatch(/secret-|break|duplicate"/);
    expect(() => buildConfig({ ASSAY_GIT_TOKENS: '["github.com"]' })).toThrow(/expected a JSON object like \{"github.com\/acme": "<token>"\}/);
  });

  it('parses a scope into a lower-case host and exact segments', () => {
    expect(parseTokenScope('GitHub.com/Acme/API')).toEqual({ host: 'github.com', path: ['Acme', 'API'] });
    expect(parseTokenScope('127.0.0.1')).toEqual({ host: '127.0.0.1', path: [] });
    expect(parseTokenScope('[::1]/x')).toEqual({ host: '::1', path: ['x'] });
    expect(() => parseTokenScope('')).toThrow(TypeError);
    expect(() => parseTokenScope('github.com /acme')).toThrow(TypeError);
  });

  it('trusts no proxy by default, and takes a hop count or addresses, subnets and names', () => {
    expect(buildConfig({}).api.trustProxy).toBe(false);
    expect(buildConfig({ ASSAY_TRUST_PROXY: 'false' }).api.trustProxy).toBe(false);
    expect(buildConfig({ ASSAY_TRUST_PROXY: '0' }).api.trustProxy).toBe(false);
    expect(buildConfig({ ASSAY_TRUST_PROXY: '2' }).api.trustProxy).toBe(2);
    const c = buildConfig({ ASSAY_TRUST_PROXY: 'loopback, 10.0.0.0/8,192.168.1.7, fd00::/8, ::1' });
    expect(c.api.trustProxy).toEqual(['loopback', '10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1']);
    expect(Object.isFrozen(c.api.trustProxy)).toBe(true);
  });

  it('refuses a trust proxy that lets any client name its own address, with every problem together', () => {
    expect(() => buildConfig({ ASSAY_TRUST_PROXY: 'true' })).toThrow(/ASSAY_TRUST_PROXY: "true" would trust every client/);
    let message = '';
    try {
      buildConfig({ ASSAY_TRUST_PROXY: 'loopback,0.0.0.0/0,::/0,proxy.example.com,10.0.0.0/33,10.1.2.3/8/9', ASSAY_METRICS_KEY: 'short' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('"0.0.0.0/0": a /0 subnet trusts every client');
    expect(message).toContain('"::/0": a /0 subnet trusts every client');
    expect(message).toContain('"proxy.example.com": expected an IP address, a subnet (address/prefix) or one of loopback|linklocal|uniquelocal');
    expect(message).toContain('"10.0.0.0/33": the prefix must be 1 to 32');
    expect(message).toContain('"10.1.2.3/8/9": expected an IP address');
    expect(message).toContain('ASSAY_METRICS_KEY: at least 16 printable characters');
    expect(() => buildConfig({ ASSAY_TRUST_PROXY: '33' })).toThrow(/at most 32/);
  });

  it('protects /metrics only when a metrics key is set', () => {
    expect(buildConfig({}).api.metricsKey).toBeUndefined();
    expect(buildConfig({ ASSAY_METRICS_KEY: 'scrape-key-0123456789' }).api.metricsKey).toBe('scrape-key-0123456789');
  });
});
