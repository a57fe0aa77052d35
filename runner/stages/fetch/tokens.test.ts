/**
 * Which token a repository URL gets: the longest configured scope (host plus whole path
 * segments) covering it, or none.
 */
import { describe, expect, it } from 'vitest';
import type { FetchPolicy } from '../../config.ts';
import { parseRepoUrl } from '../../net/url-policy.ts';
import { tokenFor } from './tokens.ts';

const policy: FetchPolicy = { allowHttp: true, allowPrivate: true, allowedHosts: [] };
const tokenOf = (repoUrl: string, tokens: Record<string, string>) => {
  const { url, host } = parseRepoUrl(repoUrl, policy);
  return tokenFor(url, host, tokens);
};

describe('tokenFor', () => {
  const tokens = { 'github.com/acme': 'acme-token', 'github.com/acme/special-api': 'special-token', 'gitlab.example.com': 'host-token' };

  it.each([
    ['https://github.com/acme/api.git', 'acme-token'],
    ['https://github.com/acme/api', 'acme-token'],
    ['https://github.com/acme/group/sub/api.git', 'acme-token'],
    ['https://GitHub.com/acme/api.git', 'acme-token'],
    // The longest scope wins, with or without ".git".
    ['https://github.com/acme/special-api', 'special-token'],
    ['https://github.com/acme/special-api.git', 'special-token'],
    // A bare host covers the whole host.
    ['https://gitlab.example.com/anyone/anything.git', 'host-token'],
  ])('gives %s the token of its scope', (url, expected) => {
    expect(tokenOf(url, tokens)).toBe(expected);
  });

  it.each([
    // Segments, not string prefixes.
    ['https://github.com/acmecorp/x.git'],
    ['https://github.com/acme-evil/x.git'],
    ['https://github.com/other/acme.git'],
    // Exact spelling: a case the operator did not write fails closed.
    ['https://github.com/ACME/api.git'],
    // Another host, even one that ends like the scope's.
    ['https://evilgithub.com/acme/api.git'],
    ['https://github.com.evil.example/acme/api.git'],
    // ".." is resolved before matching, as git will send it.
    ['https://github.com/acme/../other/api.git'],
    ['https://github.com/acme/%2e%2e/other/api.git'],
    // An encoded separator could be decoded by the server into another owner's path.
    ['https://github.com/acme/..%2Fother%2Fapi.git'],
    ['https://github.com/acme%2F..%2Fother/api.git'],
    // "acme.git" is not the owner "acme" unless it is the repository itself.
    ['https://github.com/acme.git/x'],
  ])('gives %s no token', (url) => {
    expect(tokenOf(url, tokens)).toBeUndefined();
  });

  it('still sends a bare-host token (the original format) to every repository on its host', () => {
    expect(tokenOf('http://127.0.0.1:8080/x.git', { '127.0.0.1': 't' })).toBe('t');
    expect(tokenOf('http://127.0.0.1:8080/x.git', { '127.0.0.2': 't' })).toBeUndefined();
  });

  it('matches an IPv6 host written in brackets', () => {
    expect(tokenOf('http://[::1]:8080/acme/x.git', { '[::1]/acme': 't' })).toBe('t');
  });

  it('refuses a scope that does not parse rather than guess', () => {
    expect(() => tokenOf('https://github.com/acme/x.git', { 'https://github.com/acme': 't' })).toThrow(expect.objectContaining({ name: 'PlatformError', code: 'INTERNAL' }));
  });
});
