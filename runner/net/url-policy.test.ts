import { describe, expect, it } from 'vitest';
import type { FetchPolicy } from '../config.ts';
import { SubmissionError } from '../errors.ts';
import { isPrivateAddress, parseRepoUrl, resolveAllowedAddress, validateRef } from './url-policy.ts';

const strict: FetchPolicy = { allowHttp: false, allowPrivate: false, allowedHosts: [] };
const lax: FetchPolicy = { allowHttp: true, allowPrivate: true, allowedHosts: [] };

function rejection(fn: () => unknown): SubmissionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SubmissionError);
    return err as SubmissionError;
  }
  throw new Error('expected a rejection');
}

describe('parseRepoUrl', () => {
  it('accepts a plain https URL and returns the normalised URL and host', () => {
    const { url, host } = parseRepoUrl('https://GitHub.com/acme/take-home.git', strict);
    expect(url.href).toBe('https://github.com/acme/take-home.git');
    expect(host).toBe('github.com');
  });

  it('accepts a non-default port and an internationalised host (as punycode)', () => {
    expect(parseRepoUrl('https://git.example.com:8443/a/b', strict).url.port).toBe('8443');
    expect(parseRepoUrl('https://bücher.example/a/b', strict).host).toBe('xn--bcher-kva.example');
  });

  it.each([
    ['file:///etc/passwd', /"file:\/\/" scheme/],
    ['file:/etc/passwd', /"file:" scheme/],
    ['ssh://git@github.com/a/b.git', /"ssh:\/\/" scheme/],
    ['git://github.com/a/b.git', /"git:\/\/" scheme/],
    ['ftp://example.com/a', /"ftp:\/\/" scheme/],
    ['http://github.com/a/b', /"http:\/\/" scheme/],
    ['ext::sh -c touch% /tmp/pwned', /whitespace|remote-helper/],
    ['ext::sh', /remote-helper/],
    ['fd::17', /remote-helper/],
    ['https::github.com/a/b', /remote-helper/],
    ['git@github.com:acme/repo.git', /scp-style/],
    ['github.com:acme/repo.git', /scp-style/],
    ['/srv/repos/secret.git', /local path/],
    ['./repo', /local path/],
    ['../../etc', /local path/],
    ['~/repo', /local path/],
    ['C:/repos/x', /local path/],
    ['repo', /not an https:\/\/ URL/],
    ['--upload-pack=touch /tmp/pwned', /starts with "-"/],
    ['-uhttps://github.com/a/b', /starts with "-"/],
    ['https://user:pass@github.com/a/b', /credentials/],
    ['https://token@github.com/a/b', /credentials/],
    ['https://github.com@evil.example/a/b', /credentials/],
    ['https://:@github.com/a/b', /credentials/],
    ['https://github.com/a b', /whitespace/],
    [' https://github.com/a/b', /whitespace/],
    ['https://github.com/a/b\n', /control characters/],
    ['https://github.com/a/b\u0000', /control characters/],
    ['https://github.com/a\tb', /control characters/],
    ['https://github.com/a\u00a0b', /whitespace/],
    ['https://github.com\\@evil.example/a', /backslash/],
    ['https://github.com/a/b?x=1', /query string/],
    ['https://github.com/a/b#frag', /fragment/],
    ['https://github.com', /no repository path/],
    ['https://github.com/', /no repository path/],
    ['https://a"b.example/x', /not a valid host name/],
    ['https://-bad.example/x', /not a valid host name/],
    ['https://exa_mple.com/x', /not a valid host name/],
    ['https://[::1/x', /not a valid URL/],
    ['https://1.2.3.4.5/x', /not a valid URL/],
    ['', /empty/],
    [`https://github.com/${'a'.repeat(2100)}`, /longer than 2048/],
  ])('rejects %j', (raw, reason) => {
    const err = rejection(() => parseRepoUrl(raw, strict));
    expect(err.code).toBe('URL_REJECTED');
    expect(err.message).toMatch(reason);
  });

  it('accepts http only when the policy allows it', () => {
    expect(parseRepoUrl('http://example.com/a/b', { ...strict, allowHttp: true }).url.protocol).toBe('http:');
  });

  it.each([
    ['http://2130706433/a', '127.0.0.1'],
    ['http://0x7f.1/a', '127.0.0.1'],
    ['http://0x7f000001/a', '127.0.0.1'],
    ['http://0177.0.0.1/a', '127.0.0.1'],
    ['http://127.1/a', '127.0.0.1'],
    ['http://%31%32%37.0.0.1/a', '127.0.0.1'],
    ['http://0.0.0.0/a', '0.0.0.0'],
    ['http://0/a', '0.0.0.0'],
    ['http://[::1]/a', '::1'],
    ['http://[::]/a', '::'],
    ['http://[::ffff:127.0.0.1]/a', '::ffff:7f00:1'],
    ['http://[0:0:0:0:0:ffff:a9fe:a9fe]/a', '::ffff:a9fe:a9fe'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['http://10.1.2.3/a', '10.1.2.3'],
    ['http://[fe80::1]/a', 'fe80::1'],
    ['http://[fd00::1]/a', 'fd00::1'],
    ['http://100.64.0.1/a', '100.64.0.1'],
    ['http://255.255.255.255/a', '255.255.255.255'],
  ])('recognises the IP literal in %s as the private address %s', (raw, address) => {
    const policy = { ...strict, allowHttp: true };
    const err = rejection(() => parseRepoUrl(raw, policy));
    expect(err.code).toBe('URL_REJECTED');
    expect(err.message).toContain(`host ${address} is a private`);
    // The same address is accepted, normalised, when private addresses are allowed.
    expect(parseRepoUrl(raw, lax).host).toBe(address);
  });

  it('accepts a public IP literal', () => {
    expect(parseRepoUrl('https://140.82.112.3/a/b', strict).host).toBe('140.82.112.3');
  });

  it('enforces the host allow-list when it is not empty', () => {
    const policy = { ...strict, allowedHosts: ['github.com', 'GitLab.com'] };
    expect(parseRepoUrl('https://gitlab.com/a/b', policy).host).toBe('gitlab.com');
    const err = rejection(() => parseRepoUrl('https://github.com.evil.example/a/b', policy));
    expect(err.message).toMatch(/not one of the allowed hosts/);
    expect(rejection(() => parseRepoUrl('https://api.github.com/a/b', policy)).message).toMatch(/allowed hosts/);
  });
});

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1',
    '169.254.169.254', '100.64.0.1', '100.127.255.255', '0.0.0.0', '0.1.2.3', '224.0.0.1',
    '239.255.255.250', '255.255.255.255', '240.0.0.1', '198.18.0.1', '192.0.2.1',
    '::', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254',
    '64:ff9b::7f00:1', '2002:7f00:1::', '2002:a00:1::1', '::127.0.0.1',
    'fe80::1', 'fe80::1%eth0', 'febf::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '2001:db8::1',
    '[::1]', 'not-an-ip', '', '1.2.3', '::ffff:999.0.0.1',
  ])('%s is private', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each(['8.8.8.8', '140.82.112.3', '172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '11.0.0.1',
    '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    '%s is public',
    (ip) => {
      expect(isPrivateAddress(ip)).toBe(false);
    },
  );
});

describe('resolveAllowedAddress', () => {
  it('refuses a name that resolves to loopback', async () => {
    await expect(resolveAllowedAddress('localhost', strict)).rejects.toMatchObject({
      code: 'URL_REJECTED',
      message: expect.stringMatching(/resolves to a private address/),
    });
  });

  it('returns the address of a private name when the policy allows it', async () => {
    expect(isPrivateAddress(await resolveAllowedAddress('localhost', lax))).toBe(true);
  });

  it('checks IP literals without DNS', async () => {
    await expect(resolveAllowedAddress('127.0.0.1', strict)).rejects.toMatchObject({ code: 'URL_REJECTED' });
    await expect(resolveAllowedAddress('[::1]', strict)).rejects.toMatchObject({ code: 'URL_REJECTED' });
    expect(await resolveAllowedAddress('8.8.8.8', strict)).toBe('8.8.8.8');
  });

  it('reports a name that does not exist as the candidate\'s', async () => {
    // .invalid is reserved (RFC 2606) and never resolves.
    await expect(resolveAllowedAddress('no-such-host.invalid', strict)).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
  });
});

describe('validateRef', () => {
  it.each(['main', 'HEAD', 'feature/login-form', 'refs/heads/main', 'refs/tags/v1.2.3', 'v1.0', 'release-2024_01',
    'a'.repeat(200), '0123456789abcdef0123456789abcdef01234567', 'deadbee', 'ünïcode'])('accepts %j', (ref) => {
    expect(validateRef(ref)).toBe(ref);
  });

  it.each([
    ['', /empty/],
    ['a'.repeat(201), /longer than 200/],
    ['--upload-pack=evil', /starts with "-"/],
    ['-b', /starts with "-"/],
    ['+main', /starts with "\+"/],
    ['main:refs/heads/evil', /character ":"/],
    ['main~1', /character "~"/],
    ['main^', /character "\^"/],
    ['^main', /character "\^"/],
    ['ma?n', /character "\?"/],
    ['refs/heads/*', /character "\*"/],
    ['ma[in', /character "\["/],
    ['ma\\in', /character "\\"/],
    ['main..other', /contains "\.\."/],
    ['main@{1}', /contains "@\{"/],
    ['@', /"@" alone/],
    ['my branch', /whitespace/],
    ['main\n', /control characters/],
    ['main\u0000', /control characters/],
    ['main\u007f', /control characters/],
    ['main.lock', /\.lock/],
    ['refs/heads/x.lock/y', /\.lock/],
    ['main/', /ends with "\/"/],
    ['/main', /starts with "\/"/],
    ['a//b', /contains "\/\/"/],
    ['main.', /ends with "\."/],
    ['.hidden', /starts with "\."/],
    ['refs/.hidden', /starts with "\."/],
  ])('rejects %j', (ref, reason) => {
    const err = rejection(() => validateRef(ref));
    expect(err.code).toBe('REF_INVALID');
    expect(err.message).toMatch(reason);
  });
});
