/**
 * Scoring: points come only from the challenge manifest and the suite's per-test results, so
 * nothing a candidate prints can award points. A manifest test that reported nothing counts as
 * failed, and zero tests run is never a pass.
 */
import type { TestDeclaration } from '../challenges/manifest.ts';
import type { Flag, Score, TestResult, TestStatus } from './schema.ts';

export interface RawResult {
  id: string;
  status: TestStatus;
  message?: string;
  durationMs?: number;
}

export interface Scored {
  score: Score;
  categories: { category: string; points: number; maxPoints: number }[];
  tests: TestResult[];
  flags: Flag[];
}

/**
 * @param notRunReason why tests without a result did not run (e.g. the service never started);
 *   shown as their message.
 */
export function scoreResults(declared: TestDeclaration[], raw: RawResult[], notRunReason = 'the test did not report a result'): Scored {
  const byId = new Map<string, RawResult[]>();
  for (const r of raw) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
  const declaredIds = new Set(declared.map((t) => t.id));
  const flags: Flag[] = [];

  const tests: TestResult[] = declared.map((t) => {
    const results = byId.get(t.id) ?? [];
    // A test reported more than once passes only if every report passed.
    const worst = results.find((r) => r.status !== 'passed') ?? results[0];
    const status: TestStatus = worst ? worst.status : 'failed';
    const message = worst ? worst.message : notRunReason;
    const durationMs = results.reduce((sum, r) => sum + (r.durationMs ?? 0), 0);
    return {
      id: t.id,
      name: t.name,
      category: t.category,
      status,
      points: status === 'passed' ? t.points : 0,
      maxPoints: t.points,
      ...(message ? { message } : {}),
      ...(results.length ? { durationMs } : {}),
      visibility: t.visibility,
    };
  });

  const unknown = [...byId.keys()].filter((id) => !declaredIds.has(id));
  if (unknown.length > 0) {
    flags.push({ code: 'unknown_tests', message: `results were reported for tests the challenge does not declare: ${unknown.slice(0, 10).join(', ')}` });
  }
  if (raw.filter((r) => declaredIds.has(r.id)).length === 0) {
    flags.push({ code: 'no_tests_ran', message: 'no declared test reported a result' });
  }

  const categories = new Map<string, { points: number; maxPoints: number }>();
  for (const t of tests) {
    const c = categories.get(t.category) ?? { points: 0, maxPoints: 0 };
    c.points += t.points;
    c.maxPoints += t.maxPoints;
    categories.set(t.category, c);
  }
  const points = tests.reduce((s, t) => s + t.points, 0);
  const maxPoints = tests.reduce((s, t) => s + t.maxPoints, 0);
  return {
    score: { points, maxPoints, percent: maxPoints === 0 ? 0 : Math.round((points / maxPoints) * 10000) / 100 },
    categories: [...categories].map(([category, c]) => ({ category, ...c })),
    tests,
    flags,
  };
}
