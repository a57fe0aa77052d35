/**
 * The sandbox's seccomp profile on a real engine: from inside a candidate container, ptrace,
 * process_vm_readv, perf_event_open and creating a user namespace all fail with EPERM. A control
 * container with the engine's default profile shows the same probe does get through there, so
 * the assertions are about Assay's profile, not about the kernel.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { docker, images, leftovers, uniqueId } from '../../runner/devtools/env.ts';
import { buildCreateOptions, SandboxContainer, type SandboxSpec } from '../../runner/sandbox/index.ts';

// Raw syscalls through ctypes (x86_64 numbers); prints one line per probe: name and errno (0 = allowed).
const PROBE = `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def call(name, nr, *args):
    r = libc.syscall(nr, *args)
    print(name, 0 if r >= 0 else ctypes.get_errno(), flush=True)
call('ptrace_traceme', 101, 0, 0, 0, 0)
call('process_vm_readv', 310, os.getpid(), 0, 0, 0, 0, 0)
call('perf_event_open', 298, 0, 0, -1, -1, 0)
call('unshare_user', 272, 0x10000000)
call('keyctl', 250, 0, 0, 0, 0, 0)
print('PROBES DONE', flush=True)
`;

const jobIds: string[] = [];
afterEach(async () => {
  for (const id of jobIds.splice(0)) await leftovers(id);
});

function spec(): SandboxSpec {
  const jobId = uniqueId('seccomp');
  jobIds.push(jobId);
  return { image: images.python.tag, role: 'candidate', jobId, workerId: 'test', limits: { memoryMb: 128, cpus: 0.5, pids: 32, workspaceMb: 16 }, network: { mode: 'none' } };
}

function results(text: string): Record<string, number> {
  return Object.fromEntries([...text.matchAll(/^(\w+) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe('seccomp profile', () => {
  it('refuses ptrace, process_vm_readv, perf_event_open, user namespaces and keyrings in a sandbox', async () => {
    const box = await SandboxContainer.start(docker, spec(), Buffer.alloc(1024), { outputBytes: 16 * 1024 });
    try {
      const run = await box.exec(['python3', '-c', PROBE], { timeoutMs: 20_000, outputBytes: 16 * 1024 });
      expect(run.output.text).toContain('PROBES DONE');
      const EPERM = 1;
      expect(results(run.stdout.text)).toEqual({ ptrace_traceme: EPERM, process_vm_readv: EPERM, perf_event_open: EPERM, unshare_user: EPERM, keyctl: EPERM });
    } finally {
      await box.remove();
    }
  });

  it('control: under the engine\'s default profile, ptrace(TRACEME) is allowed', async () => {
    const options = buildCreateOptions(spec());
    options.HostConfig!.SecurityOpt = ['no-new-privileges'];
    options.Cmd = ['python3', '-c', PROBE];
    options.Entrypoint = [];
    options.OpenStdin = false;
    options.AttachStdin = false;
    const container = await docker.createContainer(options);
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      let out = '';
      // Docker frames the two streams; a line may span frames, so demultiplex before matching.
      const sink = new Writable({ write: (c: Buffer, _e, done) => ((out += c.toString('utf8')), done()) });
      docker.modem.demuxStream(stream, sink, sink);
      await container.start();
      await container.wait();
      expect(out).toContain('PROBES DONE');
      expect(out).toMatch(/ptrace_traceme 0/);
    } finally {
      await container.remove({ force: true });
    }
  });
});
