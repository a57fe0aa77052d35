/** Parses the grader harness's event lines (see sandbox-images/grader/harness.mjs). Pure. */
import type { RawResult } from '../../report/score.ts';
import { TEST_STATUSES, type Restart, type TestStatus } from '../../report/schema.ts';

export interface HarnessOutput {
  /** `driverReady` only when the challenge has a driver. */
  ready?: { readyMs: number; driverReady?: boolean };
  notReady?: string;
  suiteError?: string;
  done: boolean;
  results: RawResult[];
  /** Targets the harness gave up after request timeouts in a row (`service`, `driver`), once each. */
  unresponsive?: { target: string; timeouts: number }[];
  /** Restarts of the candidate's service the suite asked for (ASSAY_RESTARTED), in order. */
  restarts?: Restart[];
}

/**
 * The id of a restart request ("ASSAY_RESTART {id, test}", see the harness), when `line` is one.
 * Read from the grader's stdout as it streams; the candidate cannot write there, and the
 * harness JSON-encodes whatever the candidate's responses carry, so no such line comes from them.
 */
export function restartRequestId(line: string): number | undefined {
  const m = /^ASSAY_RESTART (\{.*\})$/.exec(line.trim());
  if (!m) return undefined;
  try {
    const id = (JSON.parse(m[1]!) as { id?: unknown }).id;
    return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
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
      case 'RESTARTED':
        out.restarts = [
          ...(out.restarts ?? []),
          {
            test: String(data.test ?? ''),
            ok: data.ok === true,
            ...(typeof data.stopMs === 'number' ? { stopMs: data.stopMs } : {}),
            durationMs: Number(data.durationMs) || 0,
            ...(typeof data.reason === 'string' ? { reason: data.reason } : {}),
          },
        ];
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
