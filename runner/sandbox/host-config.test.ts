import { describe, expect, it } from 'vitest';
import { buildCreateOptions, LABEL_JOB, LABEL_WORKER, tmpfsSizes } from './host-config.ts';
import { sandboxSeccompProfile } from './seccomp.ts';

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

describe('tmpfsSizes', () => {
  it('keeps every writable tmpfs together near 60% of the memory limit', () => {
    for (const memoryMb of [128, 256, 512, 1024, 4096]) {
      const s = tmpfsSizes({ memoryMb, cpus: 1, pids: 64, workspaceMb: 100_000 });
      expect(s.workspaceMb + s.tmpMb + s.shmMb, `memory ${memoryMb} MB`).toBeLessThanOrEqual(Math.ceil(memoryMb * 0.6) + 8);
    }
  });

  it('sizes /dev/shm and /tmp in the container', () => {
    const hc = buildCreateOptions(spec).HostConfig!;
    expect(hc.ShmSize).toBe(8 * 1024 * 1024);
    expect(hc.Tmpfs!['/tmp']).toContain('size=16m');
  });
});

describe('seccomp', () => {
  it('applies the sandbox profile, which refuses ptrace, process_vm_* and perf_event_open and creating namespaces', () => {
    const opt = buildCreateOptions(spec).HostConfig!.SecurityOpt!.find((o: string) => o.startsWith('seccomp='))!;
    const profile = JSON.parse(opt.slice('seccomp='.length)) as ReturnType<typeof sandboxSeccompProfile>;
    const denied = profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ERRNO' && !r.args).flatMap((r) => r.names);
    expect(denied).toEqual(expect.arrayContaining(['ptrace', 'process_vm_readv', 'process_vm_writev', 'perf_event_open', 'unshare', 'setns', 'keyctl', 'userfaultfd', 'clone3']));
    const cloneFlags = profile.syscalls.filter((r) => r.names.includes('clone')).map((r) => r.args![0]!.value);
    expect(cloneFlags).toContain(0x10000000); // CLONE_NEWUSER
  });
});
