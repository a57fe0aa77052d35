/**
 * The HTTP API and reviewer UI as an Express 5 app, built from its dependencies and not
 * listening (api/main.ts listens; tests use supertest or listen on port 0).
 *
 * Order matters: security headers and metrics first; then under /v1 the media-type check (415)
 * and a 32 KB JSON body parser (413/400; 256 KB for reviews, api/routes/review.ts); the
 * routes; a JSON 404; and one error handler that answers every error from the catalogue in
 * api/errors.ts and turns anything unexpected into a logged 500 with a generic message, so no
 * stack trace ever leaves the process.
 */
import { randomBytes } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { publicBaseUrl } from '../runner/webhooks/deliver.ts';
import { Keyring } from './auth.ts';
import type { AppContext, AppDeps } from './context.ts';
import { ApiError, errorBody, toApiError } from './errors.ts';
import { createMetrics } from './metrics.ts';
import { challengeRoutes } from './routes/challenges.ts';
import { cohortRoutes } from './routes/cohort.ts';
import { similarityRoutes } from './routes/similarity.ts';
import { healthRoutes } from './routes/health.ts';
import { submissionRoutes } from './routes/submissions.ts';
import { reviewBodyParser, reviewRoutes } from './routes/review.ts';
import { newNonce, sendPage } from './ui/html.ts';
import { errorPage } from './ui/pages.ts';
import { uiRouter } from './ui/routes.ts';
import { UiSessions } from './ui/session.ts';

export type { AppDeps } from './context.ts';

/** Largest JSON body accepted. @defaultValue 32 KB */
export const MAX_BODY_BYTES = 32 * 1024;

export interface AppOptions {
  /** Also collect prom-client's process metrics (the process entry does; tests need not). @defaultValue false */
  defaultMetrics?: boolean;
}

export function createApp(deps: AppDeps, opts: AppOptions = {}): Express {
  const { api } = deps.config;
  const baseUrl = publicBaseUrl(deps.config);
  const ctx: AppContext = {
    ...deps,
    keyring: new Keyring(api.keys),
    metrics: createMetrics(deps.queue, { defaultMetrics: opts.defaultMetrics ?? false }),
    sessions: new UiSessions(api.sessionSecret ?? randomBytes(32).toString('hex'), api.keys, baseUrl.startsWith('https:')),
    baseUrl,
  };
  const log = deps.log.child({ component: 'api' });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // req.ip, which the rate limits key on, is the socket's peer unless ASSAY_TRUST_PROXY names the
  // proxies whose X-Forwarded-For to believe (a copy: Express's proxy-addr rewrites the list).
  const { trustProxy } = api;
  app.set('trust proxy', Array.isArray(trustProxy) ? [...trustProxy] : trustProxy);

  app.use((req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
    });
    const end = ctx.metrics.httpDuration.startTimer();
    const t0 = Date.now();
    res.on('finish', () => {
      // The route template, never the raw path: ids and tokens must not become label values.
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ route, method: req.method, status: String(res.statusCode) });
      log.debug({ method: req.method, route, status: res.statusCode, ms: Date.now() - t0 }, 'request');
    });
    next();
  });

  app.use('/v1', (req, _res, next) => {
    // A bare POST (no body, or Content-Length: 0) is fine, e.g. to /cancel; any body must be JSON.
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (req.method !== 'GET' && req.method !== 'HEAD' && hasBody && !req.is('application/json')) throw new ApiError('UNSUPPORTED_MEDIA_TYPE');
    next();
  });
  app.use('/v1/submissions/:id/review', reviewBodyParser);
  app.use('/v1', express.json({ limit: MAX_BODY_BYTES, type: 'application/json', strict: true }));

  healthRoutes(app, ctx);
  challengeRoutes(app, ctx);
  cohortRoutes(app, ctx);
  similarityRoutes(app, ctx);
  submissionRoutes(app, ctx);
  reviewRoutes(app, ctx);
  app.use('/ui', uiRouter(ctx));
  app.get('/', (_req, res) => res.redirect(303, '/ui'));

  app.use((req, _res, next) => next(new ApiError('NOT_FOUND', `no route for ${req.method} ${req.path.slice(0, 200)}`)));

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { error, unexpected } = toApiError(err);
    if (unexpected) log.error({ err, method: req.method, path: req.path }, 'unexpected error');
    if (res.headersSent) return void res.end();
    res.set(error.headers);
    if (req.path.endsWith('.html')) {
      const nonce = newNonce();
      return sendPage(res, errorPage(nonce, error.status, error.message), nonce, error.status);
    }
    res.status(error.status).json(errorBody(error));
  });

  return app;
}
