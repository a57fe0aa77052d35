/**
 * Similarity between two submissions of a challenge, from their Dolos fingerprints (taken by the
 * analyser in its sandbox: sandbox-images/analysis/fingerprint.mjs). Pure set arithmetic on
 * numbers and line ranges: no candidate code is parsed here.
 *
 * - score: the Dice coefficient of the two sets of fingerprint hashes, 2|A∩B| / (|A|+|B|), in
 *   0-1 (1: the same code, up to names, layout and comments);
 * - fragments: runs of consecutive fingerprints that occur in the same order on both sides,
 *   merged where they touch, with the file and line range on each side.
 *
 * Evidence for a human reviewer, never a verdict: the starter's code is left out by the analyser,
 * but common idioms and shared tutorials make submissions alike too.
 */
import { z } from 'zod';

/** One winnowed fingerprint: hash (language family in its top bits), file index, ordinal in its file, first and last line (1-based). */
export const PrintSchema = z.tuple([z.number().int().min(0).max(2 ** 32 - 1), z.number().int().min(0), z.number().int().min(0), z.number().int().min(1), z.number().int().min(1)]);
export type Print = z.infer<typeof PrintSchema>;

export const FingerprintFileSchema = z.object({
  path: z.string().max(4096),
  language: z.string().max(40),
  /** The file's lines (secrets masked), kept so both sides of a match can be shown later; absent past the cap. */
  lines: z.array(z.string()).optional(),
});
export type FingerprintFile = z.infer<typeof FingerprintFileSchema>;

/** The fingerprints of one submission, as the analyser prints them and the store keeps them. */
export const SubmissionPrintsSchema = z.object({
  engine: z.object({ name: z.string(), version: z.string(), kgram: z.number(), window: z.number() }).optional(),
  files: z.array(FingerprintFileSchema).max(5000),
  prints: z.array(PrintSchema).max(50_000),
  /** Fingerprints dropped because the starter has them too. */
  starterPrints: z.number().int().min(0),
  notes: z.array(z.object({ code: z.string(), message: z.string() })).max(20),
});
export type SubmissionPrints = z.infer<typeof SubmissionPrintsSchema>;

/** A line range, both ends included (1-based). */
export interface LineRange {
  start: number;
  end: number;
}

/** Code both submissions share, seen from one of them (`file`, `lines`) and in the other (`otherFile`, `otherLines`). */
export interface Fragment {
  file: string;
  lines: LineRange;
  otherFile: string;
  otherLines: LineRange;
  /** Shared fingerprints in the fragment. */
  prints: number;
}

/** Most fragments listed for one pair (the longest first). */
export const MAX_FRAGMENTS = 50;
/** A hash that occurs more often than this on one side (boilerplate repeated in the file) pairs with its first occurrences only. */
const MAX_OCCURRENCES = 16;

/** The submission's distinct hashes, sorted (what the store keeps per submission for fast comparison). */
export function uniqueHashes(prints: readonly Print[]): Uint32Array {
  const all = Uint32Array.from(prints, (p) => p[0]).sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i]!;
  return all.slice(0, n);
}

/** How many hashes two sorted distinct-hash arrays share (one merge pass). */
export function sharedCount(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      shared++;
      i++;
      j++;
    }
  }
  return shared;
}

/** The Dice coefficient of two sorted distinct-hash arrays, rounded to three decimals; 0 when either is empty. */
export function similarityScore(a: Uint32Array, b: Uint32Array): { score: number; shared: number } {
  const shared = sharedCount(a, b);
  const total = a.length + b.length;
  return { score: total ? Math.round((2 * shared * 1000) / total) / 1000 : 0, shared };
}

export interface Run {
  aFile: number;
  bFile: number;
  aLines: LineRange;
  bLines: LineRange;
  prints: number;
}

/**
 * The fragments `a` shares with `b`, seen from `a`: every pair of equal fingerprints, chained
 * where both sides advance by one fingerprint (the same code in the same order), then merged
 * where the line ranges touch on both sides. Fragments shorter than `minLines` on both sides are
 * left out (they still count in the score); the longest MAX_FRAGMENTS are returned.
 */
export function sharedFragments(a: SubmissionPrints, b: SubmissionPrints, minLines: number): Fragment[] {
  const inB = new Map<number, Print[]>();
  for (const p of b.prints) {
    const list = inB.get(p[0]);
    if (!list) inB.set(p[0], [p]);
    else if (list.length < MAX_OCCURRENCES) list.push(p);
  }
  // Matched pairs grouped by file pair and diagonal (ordinal in a minus ordinal in b).
  const diagonals = new Map<string, Array<[Print, Print]>>();
  for (const pa of a.prints) {
    for (const pb of inB.get(pa[0]) ?? []) {
      const key = `${pa[1]}:${pb[1]}:${pa[2] - pb[2]}`;
      const list = diagonals.get(key);
      if (list) list.push([pa, pb]);
      else diagonals.set(key, [[pa, pb]]);
    }
  }
  const runs: Run[] = [];
  for (const pairs of diagonals.values()) {
    pairs.sort((x, y) => x[0][2] - y[0][2]);
    let run: Run | undefined;
    let last = -2;
    for (const [pa, pb] of pairs) {
      if (run && pa[2] === last + 1) {
        extend(run.aLines, pa[3], pa[4]);
        extend(run.bLines, pb[3], pb[4]);
        run.prints++;
      } else {
        run = { aFile: pa[1], bFile: pb[1], aLines: { start: pa[3], end: pa[4] }, bLines: { start: pb[3], end: pb[4] }, prints: 1 };
        runs.push(run);
      }
      last = pa[2];
    }
  }
  const span = (r: LineRange) => r.end - r.start + 1;
  return mergeRuns(runs)
    .filter((r) => span(r.aLines) >= minLines || span(r.bLines) >= minLines)
    .sort((x, y) => span(y.aLines) - span(x.aLines) || y.prints - x.prints || x.aLines.start - y.aLines.start)
    .slice(0, MAX_FRAGMENTS)
    .map((r) => ({ file: a.files[r.aFile]?.path ?? '?', lines: r.aLines, otherFile: b.files[r.bFile]?.path ?? '?', otherLines: r.bLines, prints: r.prints }));
}

function extend(range: LineRange, start: number, end: number): void {
  range.start = Math.min(range.start, start);
  range.end = Math.max(range.end, end);
}

const touches = (x: LineRange, y: LineRange) => x.start <= y.end + 1 && y.start <= x.end + 1;
const overlaps = (x: LineRange, y: LineRange) => x.start <= y.end && y.start <= x.end;
/** Two runs are one fragment when they overlap on both sides, or follow each other in the same order on both (swapped blocks stay two). */
const joins = (m: Run, r: Run) =>
  touches(m.aLines, r.aLines) && touches(m.bLines, r.bLines) && ((overlaps(m.aLines, r.aLines) && overlaps(m.bLines, r.bLines)) || Math.sign(r.aLines.start - m.aLines.start) === Math.sign(r.bLines.start - m.bLines.start));

/** Merges runs of the same file pair that overlap on both sides or follow each other on both, until none do. */
export function mergeRuns(runs: readonly Run[]): Run[] {
  const byFiles = new Map<string, Run[]>();
  for (const r of runs) {
    const key = `${r.aFile}:${r.bFile}`;
    byFiles.set(key, [...(byFiles.get(key) ?? []), { ...r, aLines: { ...r.aLines }, bLines: { ...r.bLines } }]);
  }
  const out: Run[] = [];
  for (const group of byFiles.values()) {
    group.sort((x, y) => x.aLines.start - y.aLines.start || x.bLines.start - y.bLines.start);
    let merged = group;
    for (let changed = true; changed; ) {
      changed = false;
      const next: Run[] = [];
      for (const r of merged) {
        const into = next.find((m) => joins(m, r));
        if (into) {
          extend(into.aLines, r.aLines.start, r.aLines.end);
          extend(into.bLines, r.bLines.start, r.bLines.end);
          into.prints += r.prints;
          changed = true;
        } else next.push(r);
      }
      merged = next;
    }
    out.push(...merged);
  }
  return out;
}

/** The same fragments seen from the other submission. */
export function mirrored(fragments: readonly Fragment[]): Fragment[] {
  return fragments.map((f) => ({ file: f.otherFile, lines: f.otherLines, otherFile: f.file, otherLines: f.lines, prints: f.prints }));
}
