/** What a test stage hands to scoring: per-test results and why the others did not run. */
import type { RawResult } from '../../report/score.ts';

export interface TestOutcome {
  results: RawResult[];
  /** Shown as the message of every declared test that reported nothing. */
  notRunReason?: string;
}
