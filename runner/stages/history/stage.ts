/**
 * History stage (`insights.history`): the submitted commit's history, fetched and read beside the
 * rest of the grading (fetchHistory in runner/stages/fetch/fetch.ts: confined git, its own work
 * area, the fetch's URL policy, size limit and at most the fetch's time), so it never delays the
 * fetch. It needs the commit the fetch checked out, which it gets as a promise. Never throws: a
 * history that cannot be read is `status: "none"` with the reason.
 */
import { fetchHistory } from '../fetch/index.ts';
import type { Job } from '../job.ts';
import { summariseHistory } from './history.ts';

/** The history's own time limit; the fetch's (ASSAY_FETCH_TIMEOUT_MS) bounds it too. */
export const HISTORY_TIMEOUT_MS = 20_000;

/** Starts reading the history of `repoUrl` at `ref`; the score stage waits for it (ReportBuilder.insightsSettled). */
export function startHistory(job: Job, input: { repoUrl: string; ref: string }, commit: Promise<string>): void {
  const { fetch } = job.config;
  const maxCommits = fetch.historyMaxCommits;
  job.report.analysing(
    'history',
    (async () => {
      const read = await fetchHistory(
        {
          repoUrl: input.repoUrl,
          ref: input.ref,
          policy: fetch.policy,
          timeoutMs: Math.min(HISTORY_TIMEOUT_MS, fetch.timeoutMs),
          maxBytes: fetch.maxBytes,
          lowSpeedBytesPerSecond: fetch.lowSpeedBytesPerSecond,
          lowSpeedSeconds: fetch.lowSpeedSeconds,
          tokens: fetch.tokens,
          maxCommits,
          commit,
        },
        job.signal,
      );
      job.report.timing('history', read.durationMs);
      const history = summariseHistory(read, maxCommits);
      if (history.status === 'none') job.log.info({ reason: history.reason }, 'history not read');
      job.report.insight('history', history);
    })(),
    (err) => job.log.error({ err }, 'reading the history failed unexpectedly'),
  );
}
