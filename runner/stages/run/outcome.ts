/** What a test stage hands to scoring: per-test results and why the others did not run. */
import type { RawResult } from '../../report/score.ts';
import { SandboxStoppedError } from '../../sandbox/index.ts';
import type { Job } from '../job.ts';

export interface TestOutcome {
  results: RawResult[];
  /** Shown as the message of every declared test that reported nothing. */
  notRunReason?: string;
}

/**
 * Runs a test stage; when the candidate's own code stopped its container before a step that
 * follows it, that is the candidate's outcome (a flag, the remaining tests not run), never an
 * engine failure to retry.
 */
export async function candidateStopsAreOutcomes(job: Job, stage: () => Promise<TestOutcome>): Promise<TestOutcome> {
  try {
    return await stage();
  } catch (err) {
    if (!(err instanceof SandboxStoppedError) || err.role !== 'candidate') throw err;
    job.log.info({ containerId: err.containerId }, 'the candidate container stopped during grading');
    job.report.flag({ code: 'sandbox_stopped', message: "the candidate's container stopped while it was being graded: its own code ended it (for example by signalling its init process)" });
    return { results: [], notRunReason: "not run: the candidate's container stopped" };
  }
}
