/** /v1/challenges: the candidate-facing view of each challenge (brief, limits, visible tests; hidden tests only counted). */
import type { Express } from 'express';
import type { Challenge } from '../../runner/challenges/repository.ts';
import { attemptPolicy } from '../attempts.ts';
import type { AppContext } from '../context.ts';
import { ApiError, toApiError } from '../errors.ts';
import { ChallengeIdSchema } from '../schemas.ts';

function summary(c: Challenge) {
  const m = c.manifest;
  return { id: m.id, title: m.title, version: m.version, kind: m.kind, runtimes: m.runtimes };
}

function detail(c: Challenge, ctx: AppContext) {
  const m = c.manifest;
  const hidden = m.tests.filter((t) => t.visibility !== 'visible');
  return {
    ...summary(c),
    readme: c.readme,
    limits: {
      installTimeoutMs: m.limits.installTimeoutMs,
      buildTimeoutMs: m.limits.buildTimeoutMs,
      startTimeoutMs: m.limits.startTimeoutMs,
      testTimeoutMs: m.limits.testTimeoutMs,
      perTestTimeoutMs: m.limits.perTestTimeoutMs,
      memoryMb: m.limits.memoryMb,
      cpus: m.limits.cpus,
      pids: m.limits.pids,
    },
    tests: m.tests.filter((t) => t.visibility === 'visible').map((t) => ({ id: t.id, name: t.name, category: t.category, points: t.points })),
    hiddenTests: { count: hidden.length, points: hidden.reduce((s, t) => s + t.points, 0) },
    maxPoints: m.tests.reduce((s, t) => s + t.points, 0),
    attempts: attemptPolicy(m, ctx.config.api.attempts),
  };
}

export function challengeRoutes(app: Express, ctx: AppContext): void {
  app.get('/v1/challenges', async (_req, res) => {
    res.json({ items: (await ctx.challenges.list()).map(summary) });
  });

  app.get('/v1/challenges/:id', async (req, res) => {
    const id = ChallengeIdSchema.safeParse(req.params.id);
    if (!id.success) throw new ApiError('NOT_FOUND', 'no such challenge');
    try {
      res.json(detail(await ctx.challenges.load(id.data), ctx));
    } catch (err) {
      if (toApiError(err).error.code === 'UNKNOWN_CHALLENGE') throw new ApiError('NOT_FOUND', 'no such challenge');
      throw err;
    }
  });
}
