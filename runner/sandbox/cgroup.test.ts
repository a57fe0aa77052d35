import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHostCgroupFile } from './cgroup.ts';

const id = 'ab'.repeat(32);
const pidsEvents = { v1Controller: 'pids', v1: 'pids.events', v2: 'pids.events' };

function rootWith(relative: string, text: string): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'assay-cgroup-'));
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), text);
  return root;
}

describe('readHostCgroupFile', () => {
  it.each([
    ['cgroup v1, cgroupfs driver', `pids/docker/${id}/pids.events`],
    ['cgroup v1, systemd driver', `pids/system.slice/docker-${id}.scope/pids.events`],
    ['cgroup v2, cgroupfs driver', `docker/${id}/pids.events`],
    ['cgroup v2, systemd driver', `system.slice/docker-${id}.scope/pids.events`],
  ])('finds the file under %s', async (_layout, relative) => {
    expect(await readHostCgroupFile(id, pidsEvents, rootWith(relative, 'max 3\n'))).toBe('max 3\n');
  });

  it('gives undefined when the container is not on this host (the caller then reads inside it)', async () => {
    expect(await readHostCgroupFile('cd'.repeat(32), pidsEvents, rootWith(`pids/docker/${id}/pids.events`, 'max 3\n'))).toBeUndefined();
  });

  it('never builds a path from anything but a full container id', async () => {
    const root = rootWith('pids/docker/x/pids.events', 'max 3\n');
    for (const bad of ['x', '../../etc', `${id}/..`, id.slice(1)]) expect(await readHostCgroupFile(bad, pidsEvents, root)).toBeUndefined();
  });
});
