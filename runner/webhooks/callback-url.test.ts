/**
 * Callback URLs: what a submitter may give as the webhook target, and the base URL links in the
 * webhook point at. Only IP literals and host names that need no lookup are used here, so no DNS
 * is involved (the delivery-time lookup is covered by test/api.test.ts on a real receiver).
 */
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../config.ts';
import { CallbackUrlError, checkCallbackUrl, parseCallbackUrl, publicBaseUrl, submissionLinks } from './deliver.ts';

const PUBLIC_IP = '93.184.215.14';

/** The reason parseCallbackUrl gives for refusing `raw`; fails the test if it is accepted. */
function refusal(raw: string, allowPrivate = false): string {
  try {
    parseCallbackUrl(raw, allowPrivate);
  } catch (err) {
    expect(err).toBeInstanceOf(CallbackUrlError);
    expect((err as Error).message).toMatch(/^the callback URL is not allowed: /);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

describe('parseCallbackUrl', () => {
  it('accepts an https URL on a public address, keeping its port, path and query', () => {
    const { url, host } = parseCallbackUrl(`https://${PUBLIC_IP}:8443/hooks/assay?team=7`, false);
    expect(host).toBe(PUBLIC_IP);
    expect(url.port).toBe('8443');
    expect(`${url.pathname}${url.search}`).toBe('/hooks/assay?team=7');
  });

  it('accepts a well-formed host name without looking it up', () => {
    expect(parseCallbackUrl('https://Hooks.Example.COM/x', false).host).toBe('hooks.example.com');
  });

  it('allows https only, and http too when private receivers are allowed', () => {
    expect(refusal(`http://${PUBLIC_IP}/hook`)).toMatch(/"http:" scheme is not allowed; use https:\/\/$/);
    expect(parseCallbackUrl(`http://${PUBLIC_IP}/hook`, true).url.protocol).toBe('http:');
    for (const raw of ['file:///etc/passwd', `ftp://${PUBLIC_IP}/`, 'javascript:alert(1)', `gopher://${PUBLIC_IP}/`, 'data:text/plain,hi']) {
      expect(refusal(raw, true), raw).toMatch(/scheme is not allowed; use https:\/\/ or http:\/\//);
    }
  });

  it('refuses credentials in any form', () => {
    for (const raw of [`https://user:secret@${PUBLIC_IP}/hook`, `https://token@${PUBLIC_IP}/hook`, `https://:secret@${PUBLIC_IP}/hook`, `https://@${PUBLIC_IP}/hook`]) {
      expect(refusal(raw), raw).toMatch(/credentials in the URL/);
    }
  });

  it('refuses a fragment, even an empty one', () => {
    expect(refusal(`https://${PUBLIC_IP}/hook#frag`)).toMatch(/fragment/);
    expect(refusal(`https://${PUBLIC_IP}/hook#`)).toMatch(/fragment/);
  });

  it('refuses a port out of range, text that is not a URL, and a URL over 2048 characters', () => {
    expect(refusal(`https://${PUBLIC_IP}:99999/hook`)).toMatch(/not a valid URL/);
    expect(refusal('hooks.example.com/x')).toMatch(/not a valid URL/);
    expect(refusal(`https://${PUBLIC_IP}/${'a'.repeat(2048)}`)).toMatch(/longer than 2048/);
  });

  it('refuses whitespace, control characters and backslashes anywhere', () => {
    for (const raw of [`https://${PUBLIC_IP}/a b`, ` https://${PUBLIC_IP}/`, `https://${PUBLIC_IP}/\n`, `https://${PUBLIC_IP}/\u0000`, `https://${PUBLIC_IP}\\@127.0.0.1/`, `https://${PUBLIC_IP}/\u0085`]) {
      expect(refusal(raw), JSON.stringify(raw)).toMatch(/whitespace, control characters or a backslash/);
    }
  });

  it('refuses private, loopback and reserved address literals in every spelling, unless allowed', () => {
    const literals = ['127.0.0.1', '10.1.2.3', '192.168.0.10', '172.17.0.1', '169.254.169.254', '0.0.0.0', '[::1]', '[::ffff:10.0.0.1]', '[fe80::1]', '2130706433', '0x7f.1'];
    for (const h of literals) {
      expect(refusal(`https://${h}/hook`), h).toMatch(/is a private, loopback or reserved address/);
      expect(() => parseCallbackUrl(`https://${h}/hook`, true), h).not.toThrow();
    }
  });

  it('refuses host names that are not valid DNS names', () => {
    for (const h of ['-bad.example.com', 'bad-.example.com', 'under_score.example.com', 'example.com.', `${'a'.repeat(64)}.example.com`]) {
      expect(refusal(`https://${h}/hook`), h).toMatch(/is not a valid host name/);
    }
  });
});

describe('checkCallbackUrl (address literals: no DNS)', () => {
  it('returns the literal as the one address a delivery connects to', async () => {
    await expect(checkCallbackUrl(`https://${PUBLIC_IP}:8443/hook`, false)).resolves.toMatchObject({ host: PUBLIC_IP, address: PUBLIC_IP });
    await expect(checkCallbackUrl('https://[2606:4700:4700::1111]/hook', false)).resolves.toMatchObject({ address: '2606:4700:4700::1111' });
    await expect(checkCallbackUrl('http://127.0.0.1:9000/hook', true)).resolves.toMatchObject({ address: '127.0.0.1' });
  });

  it('rejects what parseCallbackUrl refuses, as a CallbackUrlError', async () => {
    await expect(checkCallbackUrl('https://127.0.0.1/hook', false)).rejects.toBeInstanceOf(CallbackUrlError);
    await expect(checkCallbackUrl(`ftp://${PUBLIC_IP}/`, true)).rejects.toThrow(/the callback URL is not allowed: the "ftp:" scheme/);
    await expect(checkCallbackUrl(`https://u:p@${PUBLIC_IP}/`, false)).rejects.toThrow(/credentials/);
  });
});

describe('publicBaseUrl and submissionLinks', () => {
  it('uses ASSAY_PUBLIC_URL without its trailing slashes', () => {
    expect(publicBaseUrl(buildConfig({ ASSAY_PUBLIC_URL: 'https://assay.example.com/' }))).toBe('https://assay.example.com');
    expect(publicBaseUrl(buildConfig({ ASSAY_PUBLIC_URL: 'https://example.com/assay//' }))).toBe('https://example.com/assay');
  });

  it("falls back to the API's listen address, bracketing IPv6", () => {
    expect(publicBaseUrl(buildConfig({ ASSAY_API_HOST: '0.0.0.0', ASSAY_API_PORT: '8080' }))).toBe('http://0.0.0.0:8080');
    expect(publicBaseUrl(buildConfig({ ASSAY_API_HOST: '::1', ASSAY_API_PORT: '3000' }))).toBe('http://[::1]:3000');
  });

  it('builds links under the base, with the id encoded', () => {
    expect(submissionLinks('https://assay.example.com', 'a/b?c')).toEqual({
      self: 'https://assay.example.com/v1/submissions/a%2Fb%3Fc',
      report: 'https://assay.example.com/v1/submissions/a%2Fb%3Fc/report',
      reportHtml: 'https://assay.example.com/v1/submissions/a%2Fb%3Fc/report.html',
    });
  });
});
