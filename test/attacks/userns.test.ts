/**
 * Docker's user-namespace remapping (`userns-remap`), seen from the host: a sandbox process that
 * is uid 1000 inside its container is, on the host, a high uid from the remap user's subordinate
 * range, so a process that escaped the container would own nothing on the host.
 *
 * Runs only against a remapped daemon on this very host (the test reads the host's /proc):
 * scripts/userns-check.sh starts one and sets ASSAY_USERNS_CHECK to the remap user's name
 * (`dockremap`). Without it the file is skipped, as on the main daemon in CI. With it, a daemon
 * that does not remap fails the test.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { docker, images, leftovers, uniqueId } from '../../runner/devtools/env.ts';
import { SANDBOX_UID, SandboxContainer, type SandboxSpec } from '../../runner/sandbox/index.ts';

const remapUser = process.env.ASSAY_USERNS_CHECK;

let jobId = uniqueId('userns');
afterEach(async () => {
  expect(await leftovers(jobId)).toBe(0);
  jobId = uniqueId('userns');
});

function spec(): SandboxSpec {
  return { image: images.python.tag, role: 'candidate', jobId, workerId: 'test', limits: { memoryMb: 64, cpus: 0.5, pids: 32, workspaceMb: 16 }, network: { mode: 'none' } };
}

/** `/etc/subuid`-style ranges of one user: [first id, count]. */
function subordinateRanges(file: string, user: string): [number, number][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .filter(([name]) => name === user)
    .map(([, start, count]) => [Number(start), Number(count)]);
}

/** The real, effective, saved and file-system ids on one `Uid:` or `Gid:` line of /proc/<pid>/status. */
function statusIds(status: string, field: 'Uid' | 'Gid'): number[] {
  const line = status.split('\n').find((l) => l.startsWith(`${field}:`));
  return (line ?? '').split(/\s+/).slice(1).filter(Boolean).map(Number);
}

describe.skipIf(!remapUser)('user-namespace remapping', () => {
  it('runs a sandbox\'s uid 1000 as a high host uid from the userns-remap range', async () => {
    const info = (await docker.info()) as { SecurityOptions?: string[] };
    expect(info.SecurityOptions ?? []).toContain('name=userns');

    const box = await SandboxContainer.start(docker, spec(), Buffer.alloc(1024), { outputBytes: 4096 });
    try {
      const inside = await box.exec(['id', '-u'], { timeoutMs: 10_000, outputBytes: 1024 });
      expect(inside.stdout.text.trim()).toBe(String(SANDBOX_UID));

      // The container's first process (docker-init, running as the sandbox user), seen from the host.
      const pid = (await docker.getContainer(box.id).inspect()).State.Pid;
      expect(pid).toBeGreaterThan(0);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      for (const [field, file] of [['Uid', '/etc/subuid'], ['Gid', '/etc/subgid']] as const) {
        const ranges = subordinateRanges(file, remapUser!);
        expect(ranges.length, `${remapUser} has no range in ${file}`).toBeGreaterThan(0);
        const [first] = ranges[0]!;
        // Docker maps container id 0 to the first subordinate id, so 1000 lands 1000 further.
        expect(statusIds(status, field)).toEqual(Array(4).fill(first + SANDBOX_UID));
      }
    } finally {
      await box.remove();
    }
  });
});
