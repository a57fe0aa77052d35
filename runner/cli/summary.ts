/** Renders a report as a terminal summary (plain text; candidate text is stripped of escapes). */
import { redactedTail } from '../report/redact.ts';
import { CANDIDATE_LOG_STEPS, type Report } from '../report/schema.ts';
import { stripTerminalEscapes } from '../report/text.ts';

export function renderSummary(report: Report): string {
  const lines: string[] = [];
  const clean = stripTerminalEscapes;
  lines.push(`${report.challenge.id} ${report.challenge.version}  ${clean(report.repoUrl)}${report.path ? `  path ${clean(report.path)}` : ''}  ref ${clean(report.ref)}${report.commit ? `  commit ${report.commit.slice(0, 12)}` : ''}`);
  if (report.status === 'failed') {
    lines.push(`FAILED (${report.error?.fault}): ${report.error?.code}: ${clean(report.error?.message ?? '')}`);
    return lines.join('\n');
  }
  const version = report.runner.images.candidate?.version;
  lines.push(`Score: ${report.score.points}/${report.score.maxPoints} (${report.score.percent}%)  runtime: ${report.runtime ?? 'none'}${version ? ` ${version}` : ''}`);
  for (const c of report.categories) lines.push(`  ${c.category.padEnd(24)} ${c.points}/${c.maxPoints}`);
  lines.push('Steps:');
  for (const s of report.steps) {
    lines.push(`  ${s.name.padEnd(8)} ${s.status.padEnd(8)} ${String(s.durationMs).padStart(6)} ms${s.reason ? `  ${clean(s.reason)}` : ''}`);
    // The end of a failed install, build or start: usually where the error is.
    if (s.status === 'failed' && s.log && CANDIDATE_LOG_STEPS.includes(s.name)) lines.push(...clean(redactedTail(s.log.text, 1500)).split('\n').map((l) => `    | ${l}`));
  }
  const failed = report.tests.filter((t) => t.status !== 'passed');
  lines.push(`Tests: ${report.tests.length - failed.length}/${report.tests.length} passed`);
  for (const t of failed.slice(0, 30)) lines.push(`  ✗ ${t.id} [${t.status}] ${clean(t.message ?? '').split('\n')[0]?.slice(0, 160) ?? ''}`);
  if (failed.length > 30) lines.push(`  … ${failed.length - 30} more`);
  for (const f of report.flags) lines.push(`Flag ${f.code}: ${clean(f.message)}`);
  return lines.join('\n');
}
