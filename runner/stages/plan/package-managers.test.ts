import { describe, expect, it } from 'vitest';
import { BAKED, parsePackageManagerField, pickVersion } from './package-managers.ts';

describe('parsePackageManagerField', () => {
  it('reads name and version, without the corepack hash', () => {
    expect(parsePackageManagerField('pnpm@9.12.0')).toEqual({ name: 'pnpm', version: '9.12.0' });
    expect(parsePackageManagerField('yarn@4.5.1+sha512.341db9396b6e289fecc30cd7ab3af65060e05ebff4b3b47547b278b9e67b08f485ecd8c79006b405446262142c7a38154771526a5c')).toEqual({ name: 'yarn', version: '4.5.1' });
    expect(parsePackageManagerField('npm@10.9.0')).toEqual({ name: 'npm', version: '10.9.0' });
  });

  it('ignores anything else', () => {
    for (const v of [undefined, 42, 'pnpm', 'pnpm@latest', 'pnpm@https://evil.example/pnpm.tgz', 'evil@1.0.0', 'pnpm@9; rm -rf /']) expect(parsePackageManagerField(v)).toBeUndefined();
  });
});

describe('pickVersion', () => {
  it('takes the baked version of the same major, silently', () => {
    const pick = pickVersion('pnpm', '9.12.0');
    expect(pick.baked.version).toMatch(/^9\./);
    expect(pick.entryPath).toBe(`/opt/assay/pm/pnpm-9/${pick.baked.entry}`);
    expect(pick.note).toBeUndefined();
  });

  it('takes the closest major with a note when the major is not baked', () => {
    const older = pickVersion('pnpm', '8.15.0');
    expect(older.baked.id).toBe('pnpm-9');
    expect(older.note).toMatch(/asks for pnpm@8\.15\.0; Assay has .*so pnpm 9\.\d+\.\d+ \(the closest\) was used/);
    expect(pickVersion('pnpm', '12.1.0').baked.id).toBe('pnpm-11');
    expect(pickVersion('yarn', '2.4.3', (m) => !m.version.startsWith('1.')).baked.id).toBe('yarn-3');
  });

  it('keeps classic and berry apart', () => {
    expect(pickVersion('yarn', '4.9.2', (m) => m.version.startsWith('1.')).baked.id).toBe('yarn-1');
    expect(pickVersion('yarn', undefined, (m) => !m.version.startsWith('1.')).baked.id).toBe('yarn-4');
  });

  it('lists plain JS packages from the registry, each with an entry the image can run with node', () => {
    for (const m of [...BAKED.pnpm, ...BAKED.yarn]) {
      expect(['pnpm', 'yarn', '@yarnpkg/cli-dist']).toContain(m.package);
      expect(m.entry).toMatch(/^bin\/[\w.-]+\.(c|m)?js$/);
      expect(m.id).toMatch(/^(pnpm|yarn)-\d+$/);
    }
  });
});
