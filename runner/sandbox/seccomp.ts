/**
 * The seccomp profile every sandbox container runs under. A custom profile replaces the
 * engine's default, so this one keeps the default's refusals that matter for a process with no
 * capabilities (every Assay container drops them all) and adds the ones the default allows but
 * a grader must not: reading or steering another process (ptrace, process_vm_readv/writev,
 * pidfd_getfd, kcmp, process_madvise) and performance counters (perf_event_open, a side channel
 * and a long history of kernel bugs).
 *
 * It is a deny-list over a default of allow, chosen over an allow-list for robustness: a new
 * syscall a runtime starts to use (Node and glibc pick up new ones) keeps working, while the
 * refused ones fail with EPERM as they would without the capability. Namespace creation is
 * refused outright (unshare, setns, and clone with any CLONE_NEW* flag); clone3 answers ENOSYS so
 * that libc falls back to clone, whose flags can be inspected.
 */

const EPERM = 1;
const ENOSYS = 38;

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET (and NEWTIME, 0x80). */
const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

/** Refused for every sandbox, grouped by why. */
export const DENIED_SYSCALLS: Readonly<Record<string, readonly string[]>> = {
  'inspecting or steering other processes': ['ptrace', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd', 'kcmp', 'process_madvise'],
  'performance counters and tracing': ['perf_event_open', 'bpf', 'lookup_dcookie'],
  'namespaces and mounts': ['unshare', 'setns', 'mount', 'umount', 'umount2', 'pivot_root', 'chroot', 'mount_setattr', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick'],
  'kernel keyrings and memory tricks': ['keyctl', 'add_key', 'request_key', 'userfaultfd', 'move_pages', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node', 'get_mempolicy'],
  'the host itself': ['reboot', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'create_module', 'swapon', 'swapoff', 'acct', 'syslog', 'quotactl', 'quotactl_fd', 'sethostname', 'setdomainname', 'settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'clock_adjtime', 'clock_adjtime64', 'adjtimex', 'iopl', 'ioperm', 'vhangup', 'nfsservctl', 'uselib', 'vm86', 'vm86old', '_sysctl', 'get_kernel_syms', 'query_module'],
  'file handles that bypass path checks': ['open_by_handle_at', 'name_to_handle_at', 'fanotify_init'],
  'asynchronous I/O rings (kernel attack surface)': ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
};

export interface SeccompProfile {
  defaultAction: string;
  archMap: { architecture: string; subArchitectures: string[] }[];
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number; valueTwo?: number; op: string }[]; comment?: string }[];
}

export function sandboxSeccompProfile(): SeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    // Every ABI a process on these hosts can call the kernel through, so a 32-bit syscall cannot slip past a name.
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls: [
      ...Object.entries(DENIED_SYSCALLS).map(([why, names]) => ({ names: [...names], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, comment: why })),
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, comment: 'its flags live in memory seccomp cannot read: libc falls back to clone' },
      ...cloneWithNamespaceRules(),
    ],
  };
}

/**
 * One rule per namespace flag: seccomp compares masked values for equality, so "any of these
 * bits set" is written as "this bit set", once per bit.
 */
function cloneWithNamespaceRules(): SeccompProfile['syscalls'] {
  const rules: SeccompProfile['syscalls'] = [];
  for (let bit = 0; bit < 32; bit++) {
    const flag = 2 ** bit;
    if ((CLONE_NAMESPACE_FLAGS & flag) === 0) continue;
    rules.push({ names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }], comment: `clone with namespace flag 0x${flag.toString(16)}` });
  }
  return rules;
}

/** The profile as the engine's API takes it (`SecurityOpt: ["seccomp=<json>"]`). */
export const SANDBOX_SECCOMP = `seccomp=${JSON.stringify(sandboxSeccompProfile())}`;
