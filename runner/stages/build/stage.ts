/**
 * Build stage: the project's own build (package.json `build` script: `tsc`, a bundler...), run
 * after the install and before the start, in the candidate's sandbox, which has no network. It
 * is the candidate's code in the candidate's box, so a failure is the candidate's outcome: the
 * service is not started, and the build's output (capped, secrets removed by the report) says
 * why, to the candidate and the reviewer. Bounded by the challenge's `limits.buildTimeoutMs`
 * (itself bounded by the operator's ASSAY_MAX_STEP_TIMEOUT_MS); a timeout stops the container.
 */
import type { Step } from '../../report/schema.ts';
import { describeVerdict, type SandboxContainer } from '../../sandbox/index.ts';
import type { Job } from '../job.ts';
import type { RuntimePlan } from '../plan/index.ts';

export type Built = { ok: true } | { ok: false; reason: string };

export async function buildStage(job: Job, plan: RuntimePlan, candidate: SandboxContainer): Promise<Built> {
  if (!plan.build) return { ok: true };
  await job.progress('building');
  const { limits } = job.challenge.manifest;
  const run = await candidate.exec(plan.build.argv, { timeoutMs: limits.buildTimeoutMs, outputBytes: limits.outputBytes, env: plan.build.env, signal: job.signal });
  const ok = run.verdict === 'ok';
  const reason = ok ? undefined : `${plan.build.label} ${describeVerdict(run.verdict, run, { memoryMb: limits.memoryMb, timeoutMs: limits.buildTimeoutMs })}`;
  const step: Step = { name: 'build', status: ok ? 'passed' : 'failed', verdict: run.verdict, exitCode: run.exitCode, durationMs: run.durationMs, ...(reason ? { reason } : {}), log: run.output };
  job.report.step(step);
  job.report.timing('build', run.durationMs);
  if (run.verdict === 'oom_killed') job.report.flag({ code: 'resource_limit', message: `the build hit its memory limit of ${limits.memoryMb} MB` });
  if (run.verdict === 'timeout') job.report.flag({ code: 'resource_limit', message: `the build did not finish within its time limit of ${limits.buildTimeoutMs} ms` });
  if (run.verdict === 'output_limit') job.report.flag({ code: 'output_limit', message: 'the build printed more output than allowed, so its container was stopped' });
  return ok ? { ok: true } : { ok: false, reason: `the build failed (${reason})` };
}
