/**
 * What the analyser (sandbox-images/analysis/analyse.mjs) prints, as the worker accepts it. It
 * is a trusted program, but it reads hostile files inside the sandbox, so its output is checked
 * like any other output of a sandbox: one JSON object, bounded, of this shape, or nothing is used.
 */
import { z } from 'zod';
import { DiffInsightSchema, HygieneInsightSchema, InsightNoteSchema, LintInsightSchema, SizeInsightSchema } from '../../report/insights.ts';
import { SubmissionPrintsSchema } from '../../similarity/compare.ts';

export const AnalyserResultSchema = z.object({
  lint: LintInsightSchema.optional(),
  size: SizeInsightSchema,
  secrets: HygieneInsightSchema.shape.secrets,
  diff: DiffInsightSchema.optional(),
  /** The Dolos fingerprints (when asked for): not part of the report, handed to the worker's similarity store. */
  similarity: SubmissionPrintsSchema.optional(),
  notes: z.array(InsightNoteSchema).max(50),
  durationMs: z.number(),
  /** The analyser process's wall time and CPU time since it started (its preloading included). */
  processMs: z.number().optional(),
  cpuMs: z.number().optional(),
});
export type AnalyserResult = z.infer<typeof AnalyserResultSchema>;

/** The analyser's one line of JSON, or why it could not be read. */
export function parseAnalyserOutput(stdout: string): { ok: true; result: AnalyserResult } | { ok: false; reason: string } {
  const line = stdout.trim().split('\n').pop() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, reason: line ? 'its output is not JSON' : 'it printed nothing' };
  }
  const parsed = AnalyserResultSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `its output does not match the schema (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})` };
  return { ok: true, result: parsed.data };
}
