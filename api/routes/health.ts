/**
 * Operational endpoints: liveness, readiness (Redis and Docker), Prometheus metrics, the OpenAPI
 * document. /metrics needs `Authorization: Bearer <ASSAY_METRICS_KEY>` when that key is set; it is
 * its own credential (not an API key), so a scraper's secret opens no submission.
 */
import type { Express } from 'express';
import { bearerOf, secretEquals, unauthenticated } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { buildOpenApi } from '../openapi.ts';

/** Each readiness check gets this long before it counts as failed. */
export const READY_TIMEOUT_MS = 2_000;

async function check(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: string; ms: number }> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, ms: Date.now() - t0 };
  } catch (err) {
    // The reason in a line, never a stack: "connect ECONNREFUSED 127.0.0.1:6379".
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: message.split('\n')[0]?.slice(0, 300) ?? 'failed', ms: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(app: Express, ctx: AppContext): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const [redis, docker] = await Promise.all([
      check(() => ctx.redis.ping()),
      ctx.checkEngine ? check(ctx.checkEngine) : Promise.resolve({ ok: true, skipped: true, ms: 0 }),
    ]);
    const ready = redis.ok && docker.ok;
    const failed = Object.entries({ redis, docker }).filter(([, c]) => !c.ok) as [string, { error?: string }][];
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({
        status: ready ? 'ready' : 'not_ready',
        checks: { redis, docker },
        ...(ready ? {} : { error: { code: 'NOT_READY', message: failed.map(([name, c]) => `${name}: ${c.error}`).join('; ') } }),
      });
  });

  const { metricsKey } = ctx.config.api;
  app.get('/metrics', async (req, res) => {
    if (metricsKey !== undefined && !secretEquals(bearerOf(req), metricsKey)) throw unauthenticated('the metrics key is required ("Authorization: Bearer <ASSAY_METRICS_KEY>")');
    res.set('Content-Type', ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  const openapi = buildOpenApi(ctx.baseUrl);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
}
