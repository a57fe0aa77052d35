/** What each audience sees of a submission and its report. Built by whitelisting fields, never by deleting them. */
import { ownTestsSummary } from '../runner/report/insights-tests.ts';
import { redactedTail, redactSecrets } from '../runner/report/redact.ts';
import { CANDIDATE_FLAG_MESSAGES, CANDIDATE_LOG_STEPS, type Report } from '../runner/report/schema.ts';
import { stripTerminalEscapes } from '../runner/report/text.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';
import { NO_FEEDBACK, type CandidateFeedback } from './feedback.ts';
import { CandidateReportSchema, type CandidateReport, type ReviewerSubmissionView, type SubmissionView } from './schemas.ts';

export function publicView(r: SubmissionRecord): SubmissionView {
  return {
    id: r.id,
    status: r.status,
    stage: r.stage,
    challenge: r.challenge,
    repoUrl: r.repoUrl,
    ref: r.ref,
    ...(r.path ? { path: r.path } : {}),
    ...(r.commit ? { commit: r.commit } : {}),
    createdAt: r.createdAt,
    ...(r.startedAt ? { startedAt: r.startedAt } : {}),
    ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
    ...(r.score ? { score: r.score } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}

export function reviewerView(r: SubmissionRecord): ReviewerSubmissionView {
  return {
    ...publicView(r),
    ...(r.candidate ? { candidate: r.candidate } : {}),
    stages: r.stages,
    webhookDeliveries: r.webhookDeliveries,
    ...(r.callbackUrl ? { callbackUrl: r.callbackUrl } : {}),
    runs: r.runs,
    reportRuns: r.reportRuns,
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    ...(r.submittedBy ? { submittedBy: r.submittedBy } : {}),
  };
}

/** How much of a failed step's output the candidate sees: its end, where the error usually is. */
export const CANDIDATE_LOG_TAIL_CHARS = 4000;

/**
 * The candidate's report: visible tests only (hidden ones are removed, not blanked, so neither
 * their names nor their messages leak; the total score stays), steps with the cause and the
 * redacted end of the output of a failed install, build or start (their own output: what they
 * need to fix it) and no other logs, flag messages only for the flags written for candidates,
 * nothing about the runner, its images or the suite hash but the runtime's version, and none of
 * the insights unless the challenge shows them (`insights.showCandidates`).
 */
export function candidateReport(report: Report, feedback: CandidateFeedback = NO_FEEDBACK): CandidateReport {
  const runtimeVersion = report.runner.images.candidate?.version;
  const hidden = report.tests.filter((t) => t.visibility !== 'visible');
  return CandidateReportSchema.parse({
    schemaVersion: report.schemaVersion,
    submissionId: report.submissionId,
    attempt: report.attempt,
    challenge: { id: report.challenge.id, version: report.challenge.version },
    repoUrl: report.repoUrl,
    ref: report.ref,
    ...(report.path ? { path: report.path } : {}),
    commit: report.commit,
    status: report.status,
    runtime: report.runtime,
    ...(runtimeVersion ? { runtimeVersion } : {}),
    score: report.score,
    categories: report.categories,
    tests: report.tests.filter((t) => t.visibility === 'visible').map((t) => withHint(t, feedback.hints)),
    hiddenTests: { count: hidden.length, maxPoints: hidden.reduce((s, t) => s + t.maxPoints, 0) },
    steps: report.steps.map((s) => ({
      name: s.name,
      status: s.status,
      durationMs: s.durationMs,
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.status === 'failed' && s.log && CANDIDATE_LOG_STEPS.includes(s.name) ? { logTail: redactedTail(stripTerminalEscapes(s.log.text), CANDIDATE_LOG_TAIL_CHARS) } : {}),
    })),
    flags: report.flags.map((f) => (CANDIDATE_FLAG_MESSAGES.includes(f.code) ? { code: f.code, message: redactSecrets(f.message) } : { code: f.code })),
    ...(report.error ? { error: report.error } : {}),
    ...candidateInsights(report),
    ...(feedback.attempt ? { candidateAttempt: feedback.attempt } : {}),
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
  });
}

/** The insights the grading manifest chose to show the candidate (none by default): the lint summary of their own files, the summary of their own tests. */
function candidateInsights(report: Report): Pick<CandidateReport, 'insights'> {
  const shown = report.insights?.shownToCandidates ?? [];
  const lint = shown.includes('lint') ? report.insights?.lint : undefined;
  const own = shown.includes('ownTests') ? report.insights?.ownTests : undefined;
  return lint || own ? { insights: { ...(lint ? { lint } : {}), ...(own ? { ownTests: ownTestsSummary(own) } : {}) } } : {};
}

/** A visible test that did not pass gets its hint (tests/hint in the manifest); a passed or skipped one does not. */
function withHint(t: Report['tests'][number], hints: CandidateFeedback['hints']): Report['tests'][number] & { hint?: string } {
  const hint = t.status === 'failed' || t.status === 'error' || t.status === 'timeout' ? hints.get(t.id) : undefined;
  return hint ? { ...t, hint } : t;
}
