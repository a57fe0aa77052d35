/** What each audience sees of a submission and its report. Built by whitelisting fields, never by deleting them. */
import type { Report } from '../runner/report/schema.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';
import { CandidateReportSchema, type CandidateReport, type ReviewerSubmissionView, type SubmissionView } from './schemas.ts';

export function publicView(r: SubmissionRecord): SubmissionView {
  return {
    id: r.id,
    status: r.status,
    stage: r.stage,
    challenge: r.challenge,
    repoUrl: r.repoUrl,
    ref: r.ref,
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

/**
 * The candidate's report: visible tests only (hidden ones are removed, not blanked, so neither
 * their names nor their messages leak; the total score stays), steps without logs, flag codes
 * without their messages, and nothing about the runner, its images or the suite hash.
 */
export function candidateReport(report: Report): CandidateReport {
  const hidden = report.tests.filter((t) => t.visibility !== 'visible');
  return CandidateReportSchema.parse({
    schemaVersion: report.schemaVersion,
    submissionId: report.submissionId,
    attempt: report.attempt,
    challenge: { id: report.challenge.id, version: report.challenge.version },
    repoUrl: report.repoUrl,
    ref: report.ref,
    commit: report.commit,
    status: report.status,
    runtime: report.runtime,
    score: report.score,
    categories: report.categories,
    tests: report.tests.filter((t) => t.visibility === 'visible'),
    hiddenTests: { count: hidden.length, maxPoints: hidden.reduce((s, t) => s + t.maxPoints, 0) },
    steps: report.steps.map((s) => ({ name: s.name, status: s.status, durationMs: s.durationMs, ...(s.reason ? { reason: s.reason } : {}) })),
    flags: report.flags.map((f) => ({ code: f.code })),
    ...(report.error ? { error: report.error } : {}),
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
  });
}
