import { describe, expect, it } from 'vitest';
import { ManifestSchema } from '../../challenges/manifest.ts';
import { tmpfsSizes } from '../../sandbox/host-config.ts';
import { planService, ReadyWatch, SERVICE_LIMITS } from './kinds.ts';

const secrets = { admin: 'A'.repeat(32), candidate: 'c_-1'.repeat(8) };
const declared = ManifestSchema.parse({
  id: 'x',
  title: 'x',
  version: '1.0.0',
  kind: 'service',
  runtimes: ['node'],
  suite: {},
  tests: [{ id: 'a', name: 'a', category: 'c', points: 1 }],
  services: [{ name: 'postgres', database: 'shop' }, { name: 'redis' }],
}).services;

describe('planService', () => {
  it('gives the candidate an ordinary Postgres role and the grader the superuser', () => {
    const plan = planService(declared[0]!, secrets);
    const url = `postgresql://app:${secrets.candidate}@127.0.0.1:5432/shop`;
    expect(plan.candidateEnv).toEqual({ DATABASE_URL: url, PGHOST: '127.0.0.1', PGPORT: '5432', PGUSER: 'app', PGPASSWORD: secrets.candidate, PGDATABASE: 'shop' });
    expect(plan.grader).toEqual({ adminUrl: `postgresql://postgres:${secrets.admin}@127.0.0.1:5432/shop`, candidateUrl: url, env: plan.candidateEnv });
    // The superuser's password reaches the container's files and the grader, never the candidate.
    expect(JSON.stringify(plan.candidateEnv)).not.toContain(secrets.admin);
    expect(plan.credentials).toBe(`${secrets.admin}\n${secrets.candidate}\nshop\n`);
    expect(plan).toMatchObject({ name: 'postgres', version: '15', command: ['/opt/assay/bin/postgres-start'], limits: SERVICE_LIMITS.postgres });
  });

  it('gives the candidate the Redis default user and the grader the assay user', () => {
    const plan = planService(declared[1]!, secrets);
    expect(plan.candidateEnv).toEqual({ REDIS_URL: `redis://default:${secrets.candidate}@127.0.0.1:6379` });
    expect(plan.grader.adminUrl).toBe(`redis://assay:${secrets.admin}@127.0.0.1:6379`);
    expect(plan.credentials).toBe(`${secrets.admin}\n${secrets.candidate}\n`);
    expect(JSON.stringify(plan.candidateEnv)).not.toContain(secrets.admin);
  });

  it('refuses secrets that could break a URL or a line of the credentials file', () => {
    expect(() => planService(declared[0]!, { ...secrets, candidate: 'short' })).toThrow(/URL-safe/);
    expect(() => planService(declared[0]!, { ...secrets, admin: `${'a'.repeat(20)}\n@x` })).toThrow(/URL-safe/);
  });

  it('keeps every service tmpfs within its memory (data fills end in ENOSPC, not an OOM kill)', () => {
    for (const limits of Object.values(SERVICE_LIMITS)) {
      const sizes = tmpfsSizes(limits);
      expect(sizes.workspaceMb + sizes.tmpMb + sizes.shmMb).toBeLessThanOrEqual(limits.memoryMb / 2);
    }
  });
});

describe('ReadyWatch', () => {
  it('sees the ready line split across chunks, and only as a whole line', async () => {
    const watch = new ReadyWatch();
    let seen = false;
    void watch.seen.then(() => (seen = true));
    watch.feed(Buffer.from('LOG: not assay:ready yet\nassay:re'));
    await Promise.resolve();
    expect(seen).toBe(false);
    watch.feed(Buffer.from('ady\n'));
    await watch.seen;
    expect(seen).toBe(true);
  });
});
