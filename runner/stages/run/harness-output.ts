/** Parses the grader harness's event lines (see sandbox-images/grader/harness.mjs). Pure. */
import type { RawResult } from '../../report/score.ts';
import { TEST_STATUSES, type TestStatus } from '../../report/schema.ts';

export interface HarnessOutput {
  /** `driverReady` only when the challenge has a driver. */
  ready?: { readyMs: number; driverReady?: boolean };
  notReady?: string;
  suiteError?: string;
  done: boolean;
  results: RawResult[];
  /** Targets the harness gave up after request timeouts in a row (`service`, `driver`), once each. */
  unresponsive?: { target: string; timeouts: number }[];
}

export function parseHarnessOutput(stdout: string): HarnessOutput {
  const out: HarnessOutput = { done: false, results: [] };
  for (const line of stdout.split('\n')) {
    const m = /^ASSAY_([A-Z_]+) (\{.*\})$/.exec(line.trim());
    if (!m) continue;
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(m[2]!) as Record<string, unknown>;
    } catch {
      continue;
    }
    switch (m[1]) {
      case 'READY':
        out.ready = { readyMs: Number(data.readyMs) || 0, ...(typeof data.driverReady === 'boolean' ? { driverReady: data.driverReady } : {}) };
        break;
      case 'UNRESPONSIVE': {
        const target = typeof data.target === 'string' ? data.target : 'service';
        if (!out.unresponsive?.some((u) => u.target === target)) {
          out.unresponsive = [...(out.unresponsive ?? []), { target, timeouts: Number(data.timeouts) || 0 }];
        }
        break;
      }
      case 'NOT_READY':
        out.notReady = String(data.reason ?? 'the service did not become ready');
        break;
      case 'SUITE_ERROR':
        out.suiteError = String(data.message ?? 'unknown error');
        break;
      case 'DONE':
        out.done = true;
        break;
      case 'TEST':
        if (typeof data.id === 'string' && TEST_STATUSES.includes(data.status as TestStatus)) {
          out.results.push({
            id: data.id,
            status: data.status as TestStatus,
            ...(typeof data.message === 'string' ? { message: data.message } : {}),
            ...(typeof data.durationMs === 'number' ? { durationMs: data.durationMs } : {}),
          });
        }
        break;
    }
  }
  return out;
}
