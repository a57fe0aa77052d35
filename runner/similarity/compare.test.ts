import { describe, expect, it } from 'vitest';
import { mergeRuns, mirrored, sharedFragments, similarityScore, uniqueHashes, type Print, type SubmissionPrints } from './compare.ts';
import { similarityChoice } from './settings.ts';

/** A file's fingerprints: one per hash, on consecutive ordinals, each covering `linesEach` lines from `firstLine`. */
function prints(file: number, hashes: number[], firstLine = 1, linesEach = 1, firstOrdinal = 0): Print[] {
  return hashes.map((h, i) => [h, file, firstOrdinal + i, firstLine + i * linesEach, firstLine + i * linesEach + linesEach - 1]);
}

function submission(files: string[], all: Print[]): SubmissionPrints {
  return { files: files.map((path) => ({ path, language: 'javascript' })), prints: all, starterPrints: 0, notes: [] };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('score', () => {
  it('is the Dice coefficient of the distinct hashes', () => {
    const a = uniqueHashes(prints(0, [1, 2, 3, 4, 4, 4]));
    const b = uniqueHashes(prints(0, [3, 4, 5, 6, 7, 8]));
    expect([...a]).toEqual([1, 2, 3, 4]);
    // 2 shared, 4 + 6 distinct
    expect(similarityScore(a, b)).toEqual({ score: 0.4, shared: 2 });
    expect(similarityScore(a, a)).toEqual({ score: 1, shared: 4 });
    expect(similarityScore(a, new Uint32Array())).toEqual({ score: 0, shared: 0 });
  });

  it('sorts hashes as unsigned numbers (the language family sits in the top bits)', () => {
    const big = 2 ** 31 + 5;
    expect([...uniqueHashes(prints(0, [big, 7, big]))]).toEqual([7, big]);
    expect(similarityScore(uniqueHashes(prints(0, [big, 7])), uniqueHashes(prints(0, [7, big]))).score).toBe(1);
  });
});

describe('fragments', () => {
  it('chains fingerprints in the same order on both sides into one fragment, with each side\'s lines', () => {
    // a: the shared run at lines 10-19 of src/a.js; b: the same run at lines 40-49 of lib/copy.js, after other code.
    const a = submission(['src/a.js'], [...prints(0, [900, 901], 1), ...prints(0, range(100, 10), 10, 1, 2)]);
    const b = submission(['other.js', 'lib/copy.js'], [...prints(0, [800]), ...prints(1, [700, 701, 702], 30), ...prints(1, range(100, 10), 40, 1, 3)]);
    const fragments = sharedFragments(a, b, 3);
    expect(fragments).toEqual([{ file: 'src/a.js', lines: { start: 10, end: 19 }, otherFile: 'lib/copy.js', otherLines: { start: 40, end: 49 }, prints: 10 }]);
    expect(mirrored(fragments)[0]).toEqual({ file: 'lib/copy.js', lines: { start: 40, end: 49 }, otherFile: 'src/a.js', otherLines: { start: 10, end: 19 }, prints: 10 });
  });

  it('splits where the order differs: two blocks swapped are two fragments', () => {
    const a = submission(['a.js'], prints(0, [...range(100, 5), ...range(200, 5)], 1, 2));
    const b = submission(['b.js'], prints(0, [...range(200, 5), ...range(100, 5)], 1, 2));
    const fragments = sharedFragments(a, b, 3);
    expect(fragments.map((f) => [f.lines, f.otherLines])).toEqual([
      [{ start: 1, end: 10 }, { start: 11, end: 20 }],
      [{ start: 11, end: 20 }, { start: 1, end: 10 }],
    ]);
  });

  it('leaves out fragments shorter than minLines on both sides, and counts them in the score anyway', () => {
    const a = submission(['a.js'], [...prints(0, [1, 2], 1), ...prints(0, [50], 20, 1, 9)]);
    const b = submission(['b.js'], [...prints(0, [1, 2], 5), ...prints(0, [50], 30, 1, 9)]);
    expect(sharedFragments(a, b, 3)).toEqual([]);
    expect(sharedFragments(a, b, 2)).toHaveLength(1);
    expect(similarityScore(uniqueHashes(a.prints), uniqueHashes(b.prints)).score).toBe(1);
  });

  it('finds nothing between unrelated submissions', () => {
    const a = submission(['a.py'], prints(0, range(1, 40)));
    const b = submission(['b.py'], prints(0, range(1000, 40)));
    expect(sharedFragments(a, b, 1)).toEqual([]);
  });
});

describe('merging', () => {
  const run = (aStart: number, aEnd: number, bStart: number, bEnd: number, aFile = 0, bFile = 0) => ({ aFile, bFile, aLines: { start: aStart, end: aEnd }, bLines: { start: bStart, end: bEnd }, prints: 1 });

  it('merges runs that touch or overlap on both sides, transitively', () => {
    const merged = mergeRuns([run(10, 14, 50, 54), run(15, 20, 55, 60), run(19, 30, 59, 70)]);
    expect(merged).toEqual([{ aFile: 0, bFile: 0, aLines: { start: 10, end: 30 }, bLines: { start: 50, end: 70 }, prints: 3 }]);
  });

  it('keeps runs apart when they touch on one side only, or are in other files', () => {
    expect(mergeRuns([run(10, 14, 50, 54), run(15, 20, 90, 95)])).toHaveLength(2);
    expect(mergeRuns([run(10, 14, 50, 54), run(10, 14, 50, 54, 1, 0)])).toHaveLength(2);
  });

  it('does not change the runs it is given', () => {
    const given = [run(1, 2, 1, 2), run(3, 4, 3, 4)];
    mergeRuns(given);
    expect(given[0]!.aLines).toEqual({ start: 1, end: 2 });
  });
});

describe('settings', () => {
  const config = { similarity: { enabled: true, threshold: 0.5 } };
  it('takes the operator\'s settings unless the manifest sets its own', () => {
    expect(similarityChoice(config, {})).toEqual({ enabled: true, threshold: 0.5, minFragmentLines: 3 });
    expect(similarityChoice(config, { similarity: { threshold: 0.8, minFragmentLines: 5 } })).toEqual({ enabled: true, threshold: 0.8, minFragmentLines: 5 });
    expect(similarityChoice(config, { similarity: { enabled: false } }).enabled).toBe(false);
    expect(similarityChoice({ similarity: { enabled: false, threshold: 0.5 } }, { similarity: { enabled: true } }).enabled).toBe(false);
  });
});
