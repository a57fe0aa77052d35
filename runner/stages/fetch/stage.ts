/**
 * Fetch stage: the submission's files on the worker's disk. A git URL is fetched under the URL
 * policy (runner/stages/fetch/fetch.ts); a local folder (authors and the CLI only, never the
 * API) is graded as it is.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SubmissionError } from '../../errors.ts';
import type { Job } from '../job.ts';
import { fetchRepository } from './fetch.ts';

export interface FetchStageInput {
  repoUrl?: string;
  localPath?: string;
  ref: string;
}

export interface Fetched {
  repoDir: string;
}

export async function fetchStage(job: Job, input: FetchStageInput): Promise<Fetched> {
  if (input.localPath) {
    const repoDir = path.resolve(input.localPath);
    job.report.step({ name: 'fetch', status: 'skipped', durationMs: 0, reason: `graded from the local folder ${repoDir}` });
    return { repoDir };
  }
  if (!input.repoUrl) throw new SubmissionError('URL_REJECTED', 'a repository URL is required');
  const repoDir = path.join(job.workDir, 'repo');
  await mkdir(repoDir);
  const { fetch } = job.config;
  const fetched = await job.report.timed('fetch', () =>
    fetchRepository(
      {
        repoUrl: input.repoUrl!,
        ref: input.ref,
        destDir: repoDir,
        policy: fetch.policy,
        timeoutMs: fetch.timeoutMs,
        maxBytes: fetch.maxBytes,
        lowSpeedBytesPerSecond: fetch.lowSpeedBytesPerSecond,
        lowSpeedSeconds: fetch.lowSpeedSeconds,
        tokens: fetch.tokens,
      },
      job.signal,
    ),
  );
  job.report.setCommit(fetched.commit);
  job.report.step({ name: 'fetch', status: 'passed', durationMs: fetched.durationMs });
  return { repoDir };
}
