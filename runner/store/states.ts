/**
 * The states a submission record can be in. They live here, at the ground, so that the API can
 * name them without loading the pipeline (and with it dockerode and simple-git).
 */

/** Where a submission is in its life (see runner/store/lifecycle.ts for the moves between them). */
export const SUBMISSION_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];
export const FINAL_STATUSES: readonly SubmissionStatus[] = ['completed', 'failed', 'canceled'];

/** Progress stages recorded on the submission while it runs, in order. */
export const STAGES = ['queued', 'fetching', 'packing', 'installing', 'building', 'starting', 'testing', 'scoring', 'completed', 'failed'] as const;
export type Stage = (typeof STAGES)[number];

/** The stages a running submission moves through (the others are set by final transitions). */
export const RUNNING_STAGES = ['fetching', 'packing', 'installing', 'building', 'starting', 'testing', 'scoring'] as const satisfies readonly Stage[];
export type RunningStage = (typeof RUNNING_STAGES)[number];

export function isFinalStatus(status: SubmissionStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

export function isRunningStage(stage: Stage): stage is RunningStage {
  return (RUNNING_STAGES as readonly Stage[]).includes(stage);
}
