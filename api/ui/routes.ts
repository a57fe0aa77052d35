/**
 * The reviewer web UI under /ui: server-rendered pages behind a login with a reviewer or admin
 * API key. Forms are same-origin POSTs carrying the session's CSRF token; the session cookie is
 * SameSite=Strict as a second line. Every page is sent with a nonce-based CSP (html.ts).
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { ApiError, toApiError } from '../errors.ts';
import { cancelSubmission, rerunSubmission } from '../service.ts';
import { parseOr400, SubmissionIdSchema } from '../schemas.ts';
import { newNonce, sendPage } from './html.ts';
import { challengesPage, errorPage, loginPage, reportPage } from './pages.ts';
import { dashboardPage, loadDashboard } from './dashboard.ts';
import { statsPage } from './stats.ts';
import { cohortStats, loadChallengeOr404, withCohort } from '../cohort.ts';
import { DashboardQuerySchema, StatsQuerySchema } from '../cohort-schemas.ts';
import type { Session } from './session.ts';
import { reviewFormParser, reviewUiRoutes, withReview } from './review.ts';
import { loadSimilarityPage, similarityPage, SimilarityPageQuerySchema, withSimilaritySection } from './similarity.ts';

/** Login attempts per client address per minute. */
const LOGIN_ATTEMPTS_PER_MINUTE = 10;

const ReportQuery = z.strictObject({ run: z.coerce.number().int().min(1).max(1000).optional() });

interface Locals {
  session: Session;
  nonce: string;
}

export function uiRouter(ctx: AppContext): Router {
  const router = express.Router();
  const { sessions } = ctx;
  const locals = (res: Response) => res.locals as Locals;
  const userOf = (s: Session) => ({ name: s.name, role: s.role, csrf: sessions.csrfToken(s) });

  router.use((req, res, next) => {
    res.locals.nonce = newNonce();
    if (req.method === 'POST' && !req.is('application/x-www-form-urlencoded')) {
      sendPage(res, errorPage(res.locals.nonce as string, 415, 'forms must be sent as application/x-www-form-urlencoded'), res.locals.nonce as string, 415);
      return;
    }
    next();
  });
  router.use('/submissions/:id/review', reviewFormParser);
  router.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 }));

  router.get('/login', (req, res) => {
    if (sessions.read(req)) return res.redirect(303, '/ui');
    sendPage(res, loginPage(locals(res).nonce), locals(res).nonce);
  });

  router.post('/login', async (req, res) => {
    const nonce = locals(res).nonce;
    // req.ip is the client behind the proxies ASSAY_TRUST_PROXY names, else the socket's peer.
    const attempts = await ctx.store.hit(`login:${req.ip ?? 'unknown'}`, 60);
    if (attempts > LOGIN_ATTEMPTS_PER_MINUTE) {
      res.set('Retry-After', '60');
      return sendPage(res, loginPage(nonce, 'Too many attempts; wait a minute.'), nonce, 429);
    }
    const field = (req.body as Record<string, unknown> | undefined)?.key;
    const key = typeof field === 'string' && field.length <= 512 ? field : undefined;
    const who = key === undefined ? undefined : ctx.keyring.match(key);
    if (!who || key === undefined) return sendPage(res, loginPage(nonce, 'That key is not valid.'), nonce, 401);
    if (who.role !== 'reviewer' && who.role !== 'admin') return sendPage(res, loginPage(nonce, 'Only reviewer and admin keys can log in.'), nonce, 403);
    sessions.issue(res, who, key);
    ctx.log.info({ key: who.name }, 'reviewer logged in');
    res.redirect(303, '/ui');
  });

  // Everything below needs a session.
  router.use((req, res, next) => {
    const session = sessions.read(req);
    if (!session) {
      if (req.method === 'GET') return res.redirect(303, '/ui/login');
      throw new ApiError('UNAUTHENTICATED', 'log in first');
    }
    locals(res).session = session;
    if (req.method === 'POST' && !sessions.checkCsrf(session, (req.body as Record<string, unknown> | undefined)?.csrf)) {
      throw new ApiError('FORBIDDEN', 'the form has expired or did not come from this site; reload the page and try again');
    }
    next();
  });

  router.post('/logout', (_req, res) => {
    sessions.clear(res);
    res.redirect(303, '/ui/login');
  });

  router.get('/', async (_req, res) => {
    const { nonce, session } = locals(res);
    sendPage(res, challengesPage(nonce, userOf(session), await ctx.challenges.list()), nonce);
  });

  router.get('/challenges/:id', async (req, res) => {
    const { nonce, session } = locals(res);
    const q = parseOr400(DashboardQuerySchema, req.query, 'query');
    const challenge = await loadChallengeOr404(ctx, String(req.params.id));
    sendPage(res, dashboardPage(nonce, userOf(session), await loadDashboard(ctx, challenge, q, session)), nonce);
  });

  router.get('/challenges/:id/stats', async (req, res) => {
    const { nonce, session } = locals(res);
    const q = parseOr400(StatsQuerySchema, req.query, 'query');
    const challenge = await loadChallengeOr404(ctx, String(req.params.id));
    sendPage(res, statsPage(nonce, userOf(session), challenge, await cohortStats(ctx, challenge, q.version ?? null)), nonce);
  });

  router.get('/challenges/:id/similarity', async (req, res) => {
    const { nonce, session } = locals(res);
    const q = parseOr400(SimilarityPageQuerySchema, req.query, 'query');
    const challenge = await loadChallengeOr404(ctx, String(req.params.id));
    sendPage(res, similarityPage(nonce, userOf(session), await loadSimilarityPage(ctx, challenge.manifest, q)), nonce);
  });

  router.get('/submissions/:id', async (req, res) => {
    const { nonce, session } = locals(res);
    const q = ReportQuery.safeParse(req.query);
    if (!q.success) throw new ApiError('VALIDATION_FAILED', 'run must be a positive number');
    const id = SubmissionIdSchema.safeParse(req.params.id);
    const record = id.success ? await ctx.store.get(id.data) : undefined;
    if (!record) throw new ApiError('NOT_FOUND', 'no such submission');
    const report = await ctx.store.getReport(record.id, q.data.run);
    const user = userOf(session);
    sendPage(res, reportPage(nonce, user, await withSimilaritySection(ctx, await withCohort(ctx, await withReview(ctx, { record, report, run: q.data.run, canAdmin: session.role === 'admin' }, session, user.csrf)))), nonce);
  });

  const adminAction = (action: (id: string) => Promise<unknown>) => async (req: Request, res: Response) => {
    if (locals(res).session.role !== 'admin') throw new ApiError('FORBIDDEN', 'only admins can do this');
    const id = SubmissionIdSchema.safeParse(req.params.id);
    if (!id.success) throw new ApiError('NOT_FOUND', 'no such submission');
    await action(id.data);
    res.redirect(303, `/ui/submissions/${encodeURIComponent(id.data)}`);
  };
  router.post('/submissions/:id/rerun', adminAction((id) => rerunSubmission(ctx, id)));
  router.post('/submissions/:id/cancel', adminAction((id) => cancelSubmission(ctx, id)));
  reviewUiRoutes(router, ctx, (res) => ({ user: userOf(locals(res).session), viewer: locals(res).session, nonce: locals(res).nonce }));

  router.use((_req, res) => {
    const nonce = (res.locals.nonce as string | undefined) ?? newNonce();
    sendPage(res, errorPage(nonce, 404, 'Not found.'), nonce, 404);
  });

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { error, unexpected } = toApiError(err);
    if (unexpected) ctx.log.error({ err, method: req.method, path: req.path }, 'unexpected error in the UI');
    const nonce = (res.locals.nonce as string | undefined) ?? newNonce();
    const session = res.locals.session as Session | undefined;
    for (const [k, v] of Object.entries(error.headers)) if (k !== 'WWW-Authenticate') res.set(k, v);
    sendPage(res, errorPage(nonce, error.status, error.message, session ? userOf(session) : undefined), nonce, error.status);
  });

  return router;
}
