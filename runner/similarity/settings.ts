/**
 * Whether a challenge's submissions are fingerprinted, and what the comparison uses: the
 * operator's settings (ASSAY_SIMILARITY, ASSAY_SIMILARITY_THRESHOLD) with the manifest's
 * `similarity` overrides.
 */
import type { ChallengeManifest } from '../challenges/manifest.ts';
import type { Config } from '../config.ts';

/** Fragments shorter than this on both sides are not listed unless the manifest says otherwise. */
export const DEFAULT_MIN_FRAGMENT_LINES = 3;

export interface SimilarityChoice {
  enabled: boolean;
  threshold: number;
  minFragmentLines: number;
}

export function similarityChoice(config: Pick<Config, 'similarity'>, manifest: Pick<ChallengeManifest, 'similarity'> | undefined): SimilarityChoice {
  const own = manifest?.similarity;
  return {
    enabled: config.similarity.enabled && own?.enabled !== false,
    threshold: own?.threshold ?? config.similarity.threshold,
    minFragmentLines: own?.minFragmentLines ?? DEFAULT_MIN_FRAGMENT_LINES,
  };
}
