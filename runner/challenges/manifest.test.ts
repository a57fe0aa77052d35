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

describe('service.driverPort', () => {
  it('is optional: no driver unless a challenge asks for one', () => {
    expect(ManifestSchema.parse(base).service).toEqual({ port: 8080 });
    expect(ManifestSchema.parse({ ...base, service: { driverPort: 8181 } }).service).toEqual({ port: 8080, driverPort: 8181 });
  });

  it('needs a Node service on another port', () => {
    expect(problems({ ...base, service: { port: 8181, driverPort: 8181 } })).toEqual(['service.driverPort: must differ from service.port']);
    expect(problems({ ...base, runtimes: ['node', 'python'], service: { driverPort: 8181 } })).toEqual(['service.driverPort: the driver imports Node modules: runtimes must be ["node"]']);
    expect(problems({ ...base, kind: 'tests', service: { driverPort: 8181 } })).toEqual(['service.driverPort: the driver runs beside a service: only for kind "service"']);
  });
});
