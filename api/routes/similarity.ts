/**
 * Similarity across a challenge's submissions, for reviewers and admins only (candidates never
 * see it): `GET /v1/challenges/:id/similarity` lists the pairs at or above the threshold, and
 * `insights.similarity` joins the reviewer's report when it is read (reports are stored once and
 * never rewritten; the pairs live in runner/store/similarity.ts). Every answer says what a pair
 * is: evidence for a human reviewer, not a verdict.
 */
import type { Express, Request } from 'express';
import { z } from 'zod';
import type { ChallengeManifest } from '../../runner/challenges/manifest.ts';
import type { Report } from '../../runner/report/schema.ts';
import { similarityChoice } from '../../runner/similarity/settings.ts';
import type { SimilarityPair } from '../../runner/store/similarity.ts';
import type { SubmissionRecord } from '../../runner/store/submissions.ts';
import { principalOf, requireKey } from '../auth.ts';
import { loadChallengeOr404 } from '../cohort.ts';
import type { AppContext } from '../context.ts';
import { parseOr400 } from '../schemas.ts';

/** What every similarity answer says about itself. */
export const SIMILARITY_ABOUT =
  'Similarity is evidence for a human reviewer, not a verdict: the challenge\'s starter code is left out, but common idioms, frameworks\' boilerplate and shared tutorials make independent submissions alike too. Read the shared fragments before drawing any conclusion.';

const LineRangeSchema = z.object({ start: z.number().int(), end: z.number().int() });
const FragmentSchema = z.object({
  file: z.string().describe('the file in this submission (relative to the graded folder)'),
  lines: LineRangeSchema,
  otherFile: z.string().describe('the file in the other submission'),
  otherLines: LineRangeSchema,
  prints: z.number().int().describe('shared fingerprints in the fragment'),
});
const NoteSchema = z.object({ code: z.string(), message: z.string() });

export const SimilarityPairSchema = z.object({
  submissionId: z.string().describe('the other submission'),
  score: z.number().min(0).max(1).describe('the Dice coefficient of the two sets of Dolos fingerprints (1: the same code up to names, layout and comments)'),
  sharedPrints: z.number().int(),
  fragments: z.array(FragmentSchema).describe('the shared code, the longest first (at most 50)'),
  run: z.number().int().describe('the run of this submission that was compared'),
  otherRun: z.number().int(),
  comparedAt: z.string(),
});

export const SimilarityInsightSchema = z.object({
  about: z.string(),
  enabled: z.boolean().describe('whether the challenge\'s submissions are fingerprinted (ASSAY_SIMILARITY and the manifest\'s similarity.enabled)'),
  threshold: z.number().describe('pairs at or above this score are listed'),
  fingerprinted: z.boolean().describe('whether this submission\'s fingerprints are stored (its latest completed run)'),
  fingerprints: z.number().int(),
  starterPrints: z.number().int().describe('fingerprints left out because the starter has them too'),
  pairs: z.array(SimilarityPairSchema),
  notes: z.array(NoteSchema),
});
export type SimilarityInsight = z.infer<typeof SimilarityInsightSchema>;

export const ChallengeSimilarityPairSchema = SimilarityPairSchema.omit({ submissionId: true, run: true, otherRun: true }).extend({
  submissionId: z.string().describe('the first submission of the pair (fragments\' `file` and `lines` are in it)'),
  otherSubmissionId: z.string(),
});

export const ChallengeSimilaritySchema = z.object({
  challenge: z.string(),
  about: z.string(),
  enabled: z.boolean(),
  threshold: z.number(),
  pairs: z.array(ChallengeSimilarityPairSchema).describe('the most similar first'),
});
export type ChallengeSimilarity = z.infer<typeof ChallengeSimilaritySchema>;

export const SimilarityQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

/** For api/openapi.ts. */
export const SIMILARITY_DOC_SCHEMAS: Record<string, [z.ZodType, 'input' | 'output']> = {
  SimilarityInsight: [SimilarityInsightSchema, 'output'],
  ChallengeSimilarity: [ChallengeSimilaritySchema, 'output'],
};

const atThreshold = (threshold: number) => (p: { score: number }) => p.score >= threshold;

/**
 * The submission's similarity as a reviewer reads it: its stored pairs at or above the current
 * threshold. Undefined when nothing was stored for it (graded with similarity off, or before it
 * existed): the report then says nothing about similarity rather than something misleading.
 */
export async function similarityInsight(ctx: AppContext, record: SubmissionRecord, manifest: ChallengeManifest | undefined): Promise<SimilarityInsight | undefined> {
  const choice = similarityChoice(ctx.config, manifest);
  const [stored, pairs] = await Promise.all([ctx.store.similarity.printsOf(record.id), ctx.store.similarity.pairsFor(record.id)]);
  if (!stored && !pairs.length) return undefined;
  return {
    about: SIMILARITY_ABOUT,
    enabled: choice.enabled,
    threshold: choice.threshold,
    fingerprinted: stored !== undefined && stored.prints.length > 0,
    fingerprints: stored?.prints.length ?? 0,
    starterPrints: stored?.starterPrints ?? 0,
    pairs: pairs.filter(atThreshold(choice.threshold)),
    notes: stored?.notes ?? [],
  };
}

/** The reviewer's report with `insights.similarity` merged in (the stored report is left as it is). */
export async function withSimilarityInsight<R extends Report>(ctx: AppContext, record: SubmissionRecord, report: R): Promise<R> {
  if (report.status !== 'completed') return report;
  const manifest = await ctx.challenges.load(record.challenge).then((c) => c.manifest, () => undefined);
  const similarity = await similarityInsight(ctx, record, manifest);
  return similarity ? { ...report, insights: { ...(report.insights ?? { notes: [] }), similarity } } : report;
}

/** The challenge's pairs at or above its threshold, the most similar first. */
export async function challengeSimilarity(ctx: AppContext, manifest: ChallengeManifest, limit: number): Promise<{ body: ChallengeSimilarity; pairs: Array<SimilarityPair & { ofSubmissionId: string }> }> {
  const choice = similarityChoice(ctx.config, manifest);
  const pairs = (await ctx.store.similarity.challengePairs(manifest.id, limit)).filter(atThreshold(choice.threshold));
  return {
    body: {
      challenge: manifest.id,
      about: SIMILARITY_ABOUT,
      enabled: choice.enabled,
      threshold: choice.threshold,
      pairs: pairs.map((p) => ({ submissionId: p.ofSubmissionId, otherSubmissionId: p.submissionId, score: p.score, sharedPrints: p.sharedPrints, fragments: p.fragments, comparedAt: p.comparedAt })),
    },
    pairs,
  };
}

export function similarityRoutes(app: Express, ctx: AppContext): void {
  app.get('/v1/challenges/:id/similarity', async (req: Request, res) => {
    requireKey(principalOf(req, ctx.keyring), ['reviewer', 'admin']);
    const q = parseOr400(SimilarityQuerySchema, req.query, 'query');
    const challenge = await loadChallengeOr404(ctx, String(req.params.id));
    res.set('Cache-Control', 'no-store').json((await challengeSimilarity(ctx, challenge.manifest, q.limit)).body);
  });
}
