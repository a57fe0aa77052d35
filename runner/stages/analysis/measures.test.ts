/**
 * The analyser's pure measurements (sandbox-images/analysis/measures.mjs, plain JavaScript that
 * runs in the analysis image), tested here on the host: secrets, repeated blocks, Python
 * functions, minified and binary files.
 */
import { describe, expect, it } from 'vitest';

interface Measures {
  findSecrets(text: string, max?: number): { line: number; kind: string; masked: string }[];
  maskSecretsIn(text: string): string;
  maskSecret(value: string): string;
  findDuplicates(files: { file: string; text: string }[]): { blocks: number; lines: number; top: { lines: number; at: { file: string; line: number }[] }[] };
  pythonFunctions(text: string): { name: string; line: number; lines: number }[];
  isMinified(file: string, text: string): boolean;
  isBinary(buf: Buffer): boolean;
  languageOf(file: string): string | undefined;
  countLines(text: string): { lines: number; nonBlank: number };
}
const m = (await import(new URL('../../../sandbox-images/analysis/measures.mjs', import.meta.url).href)) as Measures;

describe('secret-looking strings', () => {
  it('finds keys and tokens with their line, and masks the value', () => {
    const aws = 'AKIA' + 'IOSFODNN7EXAMPLE';
    const gh = 'ghp_' + 'a1B2'.repeat(9);
    const text = ['const region = "eu-west-1";', `const key = "${aws}";`, '-----BEGIN OPENSSH PRIVATE KEY-----', `token: ${gh}`, 'JWT_SECRET=s3cr3t-v4lue-123', 'DB_PASSWORD=changeme'].join('\n');
    const found = m.findSecrets(text);
    expect(found.map((f) => [f.line, f.kind])).toEqual([
      [2, 'aws_access_key'],
      [3, 'private_key'],
      [4, 'github_token'],
      [5, 'generic_secret'],
    ]);
    const all = JSON.stringify(found);
    expect(all).not.toContain(aws);
    expect(all).not.toContain(gh);
    expect(all).not.toContain('s3cr3t-v4lue-123');
    expect(found[0]!.masked).toBe('AKIA******** (20 chars)');
  });

  it('leaves placeholders, references and plain words alone', () => {
    const text = ['API_KEY=your-api-key', 'const token = createToken(user);', 'password: "${DB_PASSWORD}"', "headers: { token: 'authorization' }", 'SECRET=<secret>'].join('\n');
    expect(m.findSecrets(text)).toEqual([]);
  });
});

describe('secrets masked in the text the diff shows', () => {
  it('masks each value in place and hides a private key block line by line, keeping the line count', () => {
    const aws = 'AKIA' + 'IOSFODNN7EXAMPLE';
    const text = [`AWS_ACCESS_KEY_ID=${aws}`, 'const region = "eu-west-1";', '-----BEGIN RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA75', 'c2VjcmV0', '-----END RSA PRIVATE KEY-----', 'export DB_PASSWORD="pa55word-long"', 'API_KEY=your-api-key'].join('\n');
    const masked = m.maskSecretsIn(text);
    expect(masked.split('\n')).toEqual([
      'AWS_ACCESS_KEY_ID=AKIA******** (20 chars)',
      'const region = "eu-west-1";',
      '[rsa private key hidden]',
      '[private key line hidden]',
      '[private key line hidden]',
      '[end of the private key]',
      'export DB_PASSWORD="pa5******** (13 chars)"',
      'API_KEY=your-api-key',
    ]);
  });
});

describe('repeated blocks', () => {
  const block = Array.from({ length: 8 }, (_, i) => `  total += items[${i}].price * items[${i}].quantity;`).join('\n');
  it('finds a block repeated across files, once, with where it repeats', () => {
    const d = m.findDuplicates([
      { file: 'a.js', text: `function a() {\n${block}\n}` },
      { file: 'b.js', text: `// b\nfunction b() {\n${block}\n}` },
      { file: 'c.js', text: 'const unique = 1;\n' },
    ]);
    expect(d.blocks).toBe(1);
    expect(d.lines).toBe(16);
    expect(d.top[0]).toEqual({ lines: 8, at: [{ file: 'a.js', line: 2 }, { file: 'b.js', line: 3 }] });
  });

  it('ignores short windows and bracket-only lines', () => {
    expect(m.findDuplicates([{ file: 'a.js', text: '}\n}\n}\n}\n}\n}\n}\n' }, { file: 'b.js', text: '}\n}\n}\n}\n}\n}\n}\n' }]).blocks).toBe(0);
  });
});

describe('files', () => {
  it('Python functions span their indented body, a signature over several lines included', () => {
    expect(m.pythonFunctions('def a(x,\n      y):\n    return x\n\nclass B:\n    async def m(self):\n        pass\n\n    # note\n    def n(self): pass\n')).toEqual([
      { name: 'a', line: 1, lines: 3 },
      { name: 'm', line: 6, lines: 2 },
      { name: 'n', line: 10, lines: 1 },
    ]);
  });

  it('minified, binary, languages and line counts', () => {
    expect(m.isMinified('app.min.js', 'x')).toBe(true);
    expect(m.isMinified('bundle.js', `var a=1;${'b+'.repeat(3000)}1`)).toBe(true);
    expect(m.isMinified('app.js', 'const a = 1;\nconst b = 2;\n')).toBe(false);
    expect(m.isBinary(Buffer.from([0x89, 0x50, 0x00, 0x01]))).toBe(true);
    expect(m.languageOf('src/a.tsx')).toBe('TypeScript');
    expect(m.languageOf('Makefile')).toBeUndefined();
    expect(m.countLines('a\n\nb\n')).toEqual({ lines: 3, nonBlank: 2 });
  });
});
