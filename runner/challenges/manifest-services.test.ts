import { describe, expect, it } from 'vitest';
import { ManifestSchema } from './manifest.ts';

const base = {
  id: 'shop',
  title: 'Shop',
  version: '1.0.0',
  kind: 'service',
  runtimes: ['node'],
  suite: {},
  tests: [{ id: 'a', name: 'a', category: 'c', points: 1 }],
};

function problems(manifest: unknown): string[] {
  const parsed = ManifestSchema.safeParse(manifest);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('services', () => {
  it('are none by default; each gets its defaults', () => {
    expect(ManifestSchema.parse(base).services).toEqual([]);
    expect(ManifestSchema.parse({ ...base, services: [{ name: 'postgres' }, { name: 'redis' }] }).services).toEqual([
      { name: 'postgres', version: '15', database: 'app' },
      { name: 'redis', version: '7' },
    ]);
  });

  it('refuses unknown services, versions, settings and database names', () => {
    expect(problems({ ...base, services: [{ name: 'mysql' }] })).toHaveLength(1);
    expect(problems({ ...base, services: [{ name: 'postgres', version: '16' }] })).toHaveLength(1);
    expect(problems({ ...base, services: [{ name: 'redis', database: 'x' }] })).toEqual(['services.0: Unrecognized key: "database"']);
    expect(problems({ ...base, services: [{ name: 'postgres', database: 'Shop; DROP' }] })).toHaveLength(1);
    expect(problems({ ...base, services: [{ name: 'postgres', database: 'template1' }] })).toEqual(['services.0.database: a name Postgres keeps for itself']);
  });

  it('run beside a service only, once each, on ports the candidate does not use', () => {
    expect(problems({ ...base, kind: 'tests', services: [{ name: 'redis' }] })).toEqual(['services.0: services run beside a service: only for kind "service"']);
    expect(problems({ ...base, services: [{ name: 'redis' }, { name: 'redis' }] })).toEqual(['services.1.name: redis is declared more than once']);
    expect(problems({ ...base, service: { port: 5432 }, services: [{ name: 'postgres' }] })).toEqual(["service.port: 5432 is postgres's port in the shared namespace"]);
    expect(problems({ ...base, service: { driverPort: 6379 }, services: [{ name: 'redis' }] })).toEqual(["service.driverPort: 6379 is redis's port in the shared namespace"]);
  });
});
