import { describe, expect, it } from 'vitest';
import { buildCreateOptions, LABEL_JOB, LABEL_WORKER } from './host-config.ts';

const spec = {
  image: 'assay-node:test',
  role: 'candidate',
  jobId: 'job-1',
  workerId: 'w-1',
  limits: { memoryMb: 256, cpus: 0.5, pids: 64, workspaceMb: 100 },
  network: { mode: 'none' as const },
};

describe('buildCreateOptions', () => {
  it('hardens every container', () => {
    const opts = buildCreateOptions(spec);
    const hc = opts.HostConfig!;
    expect(hc.NetworkMode).toBe('none');
    expect(hc.Memory).toBe(256 * 1024 * 1024);
    expect(hc.MemorySwap).toBe(hc.Memory);
    expect(hc.NanoCpus).toBe(5e8);
    expect(hc.PidsLimit).toBe(64);
    expect(hc.ReadonlyRootfs).toBe(true);
    expect(hc.CapDrop).toEqual(['ALL']);
    expect(hc.SecurityOpt).toContain('no-new-privileges');
    expect(hc.Init).toBe(true);
    expect(hc.Privileged).toBe(false);
    expect(hc.Binds).toEqual([]);
    expect(hc.PortBindings).toEqual({});
    expect(opts.User).toBe('1000:1000');
    expect(hc.Tmpfs!['/workspace']).toContain('size=100m');
    expect(hc.Ulimits!.map((u) => u.Name).sort()).toEqual(['core', 'fsize', 'nofile']);
    expect(opts.Labels![LABEL_JOB]).toBe('job-1');
    expect(opts.Labels![LABEL_WORKER]).toBe('w-1');
  });

  it('joins another container namespace only when asked', () => {
    const opts = buildCreateOptions({ ...spec, network: { mode: 'container', containerId: 'abc' } });
    expect(opts.HostConfig!.NetworkMode).toBe('container:abc');
  });
});
