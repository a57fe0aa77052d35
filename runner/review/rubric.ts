/**
 * The rubric of a challenge (its manifest's `rubric` and `review`): criteria a reviewer scores by
 * hand, beside the automated score, and how the two are weighed. Pure schemas: the manifest
 * (runner/challenges/manifest.ts) embeds them, the review store and the API read them.
 */
import { z } from 'zod';

export const RubricCriterionSchema = z.strictObject({
  /** Stable id; a review scores the criterion under this id. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, starting with a letter or digit'),
  /** Shown on the review form and in exports, e.g. "Error handling". */
  title: z.string().trim().min(1).max(120),
  /** What the reviewer looks for: shown beside the score input. */
  description: z.string().trim().min(1).max(1000),
  /** The most points a reviewer can give (scores are whole numbers from 0). */
  maxPoints: z.number().int().min(1).max(100),
});
export type RubricCriterion = z.infer<typeof RubricCriterionSchema>;

/** At most 20 criteria, ids unique. @defaultValue [] (no rubric: submissions cannot be reviewed) */
export const RubricSchema = z
  .array(RubricCriterionSchema)
  .max(20)
  .refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, 'rubric criterion ids must be unique')
  .default([]);
export type Rubric = z.infer<typeof RubricSchema>;

/** The rubric's share of the weighted total when the manifest does not say. */
export const DEFAULT_RUBRIC_WEIGHT = 0.3;

export const ReviewSettingsSchema = z
  .strictObject({
    /**
     * The rubric's share of the weighted total: total = automated × (1 − w) + rubric × w, both in
     * percent. @defaultValue 0.3
     */
    rubricWeight: z.number().min(0).max(1).default(DEFAULT_RUBRIC_WEIGHT),
    /**
     * Anonymous review: reviewers (not admins) see neither the candidate nor the repository, its
     * ref or its commit until they have submitted their own review of that submission.
     * @defaultValue false
     */
    anonymous: z.boolean().default(false),
  })
  .default({ rubricWeight: DEFAULT_RUBRIC_WEIGHT, anonymous: false });
export type ReviewSettings = z.infer<typeof ReviewSettingsSchema>;
