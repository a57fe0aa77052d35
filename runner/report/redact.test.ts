import { describe, expect, it } from 'vitest';
import { redactedTail, redactSecrets } from './redact.ts';

describe('redactSecrets', () => {
  it('hides values of variables named like secrets, in the usual spellings', () => {
    const log = [
      'GITHUB_TOKEN=ghx_notashape123',
      'export DB_PASSWORD="hunter2 with spaces"',
      "  SECRET_KEY: 'abc123',",
      '{"apiKey": "k-123", "name": "tasks"}',
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG',
      'mysql_pwd=pa55',
      'url?api_key=zzz&x=1',
    ].join('\n');
    const out = redactSecrets(log);
    for (const secret of ['ghx_notashape123', 'hunter2', 'abc123', 'k-123', 'wJalrXUtnFEMI', 'pa55', 'zzz']) expect(out).not.toContain(secret);
    expect(out).toContain('GITHUB_TOKEN=[redacted]');
    expect(out).toContain('export DB_PASSWORD="[redacted]"');
    expect(out).toContain("SECRET_KEY: '[redacted]',");
    expect(out).toContain('"apiKey": "[redacted]", "name": "tasks"');
    expect(out).toContain('&x=1');
  });

  it('keeps ordinary compiler and npm output as it is', () => {
    const log = [
      "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
      'npm error code ELIFECYCLE',
      'listening on 8080',
      'type Keys = keyof Task;',
    ].join('\n');
    expect(redactSecrets(log)).toBe(log);
  });

  it('hides private key blocks, whole or cut in half by the log cap', () => {
    const block = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabcdef\n-----END RSA PRIVATE KEY-----';
    expect(redactSecrets(`before\n${block}\nafter`)).toBe('before\n[redacted] (private key)\nafter');
    expect(redactSecrets('x\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n... 300 bytes cut ...')).toBe('x\n[redacted] (private key)');
    expect(redactSecrets('MIIEvQIBADANBg\nqwerty\n-----END OPENSSH PRIVATE KEY-----\nlistening')).toBe('[redacted] (private key)\nlistening');
  });

  it('hides URL credentials, authorization headers and well-known token shapes', () => {
    const out = redactSecrets(
      [
        'GET https://bob:s3cr3t@registry.example.com/express',
        'fetch https://x-access-token@github.com/a/b.git',
        'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig',
        'curl -H "authorization: token abcdefabcdef"',
        'token ghp_0123456789abcdefghijABCDEFGHIJ012345 in a sentence',
        'AKIAIOSFODNN7EXAMPLE',
        'npm_abcdefghijklmnopqrstuvwxyz0123456789',
      ].join('\n'),
    );
    for (const secret of ['s3cr3t', 'x-access-token', 'eyJhbGci', 'abcdefabcdef', 'ghp_0123', 'AKIAIOSFODNN7EXAMPLE', 'npm_abc']) expect(out).not.toContain(secret);
    expect(out).toContain('https://[redacted]@registry.example.com/express');
    expect(out).toContain('Authorization: Bearer [redacted]');
  });

  it('is idempotent', () => {
    const once = redactSecrets('PASSWORD=abc\nAuthorization: Bearer abcdefghijkl\nhttps://u:p@h/');
    expect(redactSecrets(once)).toBe(once);
  });
});

describe('redactedTail', () => {
  it('returns short logs whole and long ones from a line boundary near the end', () => {
    expect(redactedTail('a\nb', 100)).toBe('a\nb');
    const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const tail = redactedTail(long, 50);
    expect(tail.startsWith('…\n')).toBe(true);
    expect(tail.endsWith('line 99')).toBe(true);
    expect(tail.length).toBeLessThanOrEqual(52);
    expect(tail.split('\n')[1]).toMatch(/^line \d+$/);
  });

  it('redacts before cutting, so a cut never shows the middle of a secret', () => {
    const log = `TOKEN=${'x'.repeat(200)}\nend`;
    expect(redactedTail(log, 100)).not.toContain('xxx');
  });
});
