/**
 * The closed set of ways a sandboxed process can end, and the one function that maps the raw
 * exit information onto it (in the manner of Judge0's status list).
 */
export const VERDICTS = ['ok', 'nonzero_exit', 'signaled', 'oom_killed', 'timeout', 'output_limit'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface ExitInfo {
  /** Exit code as reported by Docker; for a signal death it is 128 + signal. */
  exitCode: number | null;
  /** Docker's State.OOMKilled (the kernel killed something in the container for memory). */
  oomKilled: boolean;
  /** The runner killed the process at its wall-clock deadline. */
  timedOut: boolean;
  /** The runner killed the process because it printed more than allowed. */
  outputLimited: boolean;
}

/** Our own kills come first: they explain the exit code that follows them. */
export function verdictOf(info: ExitInfo): Verdict {
  if (info.outputLimited) return 'output_limit';
  if (info.timedOut) return 'timeout';
  if (info.oomKilled) return 'oom_killed';
  if (info.exitCode === 0) return 'ok';
  if (info.exitCode !== null && info.exitCode > 128 && info.exitCode < 160) return 'signaled';
  return 'nonzero_exit';
}

export function describeVerdict(verdict: Verdict, info: ExitInfo, limits?: { memoryMb?: number; timeoutMs?: number }): string {
  switch (verdict) {
    case 'ok':
      return 'exited with code 0';
    case 'nonzero_exit':
      return `exited with code ${info.exitCode ?? 'unknown'}`;
    case 'signaled':
      return `killed by signal ${(info.exitCode ?? 128) - 128}`;
    case 'oom_killed':
      return `killed for using more than its memory limit${limits?.memoryMb ? ` of ${limits.memoryMb} MB` : ''}`;
    case 'timeout':
      return `stopped at its time limit${limits?.timeoutMs ? ` of ${limits.timeoutMs} ms` : ''}`;
    case 'output_limit':
      return 'stopped for printing more output than allowed';
  }
}
