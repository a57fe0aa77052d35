/** /v1/submissions: create, read, list, report (JSON and HTML), rerun and cancel. */
import type { Express, Request, Response } from 'express';
import type { AppContext } from '../context.ts';
import { accessTo, principalOf, requireKey, unauthenticated, type Principal } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { cancelSubmission, createSubmission, rerunSubmission } from '../service.ts';
import {
  CreateSubmissionBodySchema,
  IdempotencyKeySchema,
  ListQuerySchema,
  parseOr400,
  RerunBodySchema,
  ReportQuerySchema,
  SubmissionIdSchema,
} from '../schemas.ts';
import { candidateReport, publicView, reviewerView } from '../views.ts';
import { withCohort, withCohortPosition } from '../cohort.ts';
import { recordForViewer, recordsForViewer } from '../anonymity.ts';
import { reviewerReport } from './review.ts';
import { withSimilarityInsight } from './similarity.ts';
import { withReview } from '../ui/review.ts';
import { candidateFeedback } from '../feedback.ts';
import { submissionLinks } from '../../runner/webhooks/deliver.ts';
import type { SubmissionRecord } from '../../runner/store/submissions.ts';
import { newNonce, sendPage } from '../ui/html.ts';
import { candidatePage, candidateShellPage, reportPage } from '../ui/pages.ts';
import { z } from 'zod';

const EmptyBodySchema = z.strictObject({});

export function submissionRoutes(app: Express, ctx: AppContext): void {
  const { store, config } = ctx;

  /** Loads a submission the caller may see; anything else is a 404 so existence is not revealed. */
  async function visible(req: Request, principal: Principal): Promise<{ record: SubmissionRecord; access: 'reviewer' | 'candidate' }> {
    if (principal.kind === 'anonymous') throw unauthenticated('an API key or the submission\'s access token is required');
    const id = SubmissionIdSchema.safeParse(req.params.id);
    const record = id.success ? await store.get(id.data) : undefined;
    const access = record ? accessTo(principal, record) : 'none';
    if (!record || access === 'none') throw new ApiError('NOT_FOUND', 'no such submission');
    return { record, access };
  }

  async function rateLimit(req: Request, principal: Principal): Promise<void> {
    const limit = config.api.rateLimitPerMinute;
    const buckets = [`create:ip:${req.ip ?? 'unknown'}`, ...(principal.kind === 'key' ? [`create:key:${principal.name}`] : [])];
    for (const bucket of buckets) {
      if ((await store.hit(bucket, 60)) > limit) {
        const retryAfter = String(60 - (Math.floor(Date.now() / 1000) % 60));
        throw new ApiError('RATE_LIMITED', `at most ${limit} submissions per minute`, undefined, { 'Retry-After': retryAfter });
      }
    }
  }

  app.post('/v1/submissions', async (req: Request, res: Response) => {
    const principal = principalOf(req, ctx.keyring);
    if (principal.kind === 'token') throw unauthenticated('the API key is not valid');
    if (!config.api.openSubmissions) requireKey(principal, ['submitter', 'admin']);
    await rateLimit(req, principal);
    const idemHeader = req.get('idempotency-key');
    const idempotencyKey = idemHeader === undefined ? undefined : parseOr400(IdempotencyKeySchema, idemHeader, 'header');
    const body = parseOr400(CreateSubmissionBodySchema, req.body, 'body');
    const result = await createSubmission(ctx, {
      body,
      ...(principal.kind === 'key' ? { submittedBy: principal.name } : {}),
      idempotencyScope: principal.kind === 'key' ? `key:${principal.name}` : `ip:${req.ip ?? 'unknown'}`,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
    const links = submissionLinks(ctx.baseUrl, result.record.id);
    // The candidate's link carries the token in the fragment, which browsers never send to a server.
    const candidate = result.accessToken ? { accessToken: result.accessToken, candidateUrl: `${links.reportHtml}#token=${result.accessToken}` } : {};
    res
      .status(result.created ? 202 : 200)
      .location(links.self)
      .set('Cache-Control', 'no-store')
      .json({ id: result.record.id, status: result.record.status, ...candidate, links });
  });

  app.get('/v1/submissions', async (req, res) => {
    const viewer = requireKey(principalOf(req, ctx.keyring), ['reviewer', 'admin']);
    const q = parseOr400(ListQuerySchema, req.query, 'query');
    if (q.sort === 'score' && !q.challenge) throw new ApiError('VALIDATION_FAILED', 'invalid query: sort=score needs challenge (scores are ranked per challenge)');
    const page = await store.list({ ...q, ...(q.cursor ? { cursor: q.cursor } : {}) });
    res.json({ items: (await recordsForViewer(ctx, page.items, viewer)).map(reviewerView), nextCursor: page.nextCursor ?? null });
  });

  app.get('/v1/submissions/:id', async (req, res) => {
    const principal = principalOf(req, ctx.keyring);
    const { record, access } = await visible(req, principal);
    // Anonymous review: `visible` gave reviewer access to keys only, so the principal is a key here.
    res.set('Cache-Control', 'no-store').json(access === 'reviewer' && principal.kind === 'key' ? reviewerView(await recordForViewer(ctx, record, principal)) : publicView(record));
  });

  app.get('/v1/submissions/:id/report', async (req, res) => {
    const principal = principalOf(req, ctx.keyring);
    const { record, access } = await visible(req, principal);
    const q = parseOr400(ReportQuerySchema, req.query, 'query');
    if (q.run !== undefined && q.run > record.runs) throw new ApiError('NOT_FOUND', `no run ${q.run} (this submission has ${record.runs})`);
    const report = await store.getReport(record.id, q.run);
    if (!report) throw new ApiError('REPORT_NOT_READY', `the report does not exist yet (status ${record.status}, stage ${record.stage})`, undefined, { 'Retry-After': '5' });
    res.set('Cache-Control', 'no-store').json(access === 'reviewer' && principal.kind === 'key' ? await withCohortPosition(ctx, await withSimilarityInsight(ctx, record, await reviewerReport(ctx, record, report, principal))) : candidateReport(report, await candidateFeedback(ctx, record, report)));
  });

  /**
   * The report page: the reviewer page for a UI session or a reviewer/admin key, the candidate
   * page for the access token as a Bearer. Without credentials, the candidate page's shell: its
   * script takes the token from the URL fragment and asks again with it. A token in the query
   * (the old `?token=` links) is refused: it has already been written to every log on the way.
   */
  app.get('/v1/submissions/:id/report.html', async (req, res) => {
    if (Object.hasOwn(req.query, 'token')) {
      throw new ApiError('TOKEN_IN_URL', 'the access token no longer goes in the URL, where proxies and browser history keep it: open this page with #token=<token> at the end of its address instead (the part after # never leaves the browser), or send "Authorization: Bearer <token>"');
    }
    const q = parseOr400(ReportQuerySchema, req.query, 'query');
    const session = ctx.sessions.read(req);
    let principal: Principal = principalOf(req, ctx.keyring);
    if (session) principal = { kind: 'key', name: session.name, role: session.role };
    const nonce = newNonce();
    if (principal.kind === 'anonymous') return sendPage(res, candidateShellPage(nonce), nonce, 200, { connect: true });
    const { record, access } = await visible(req, principal);
    const report = await store.getReport(record.id, q.run);
    if (access === 'reviewer' && principal.kind === 'key') {
      const user = { name: principal.name, role: principal.role, csrf: session ? ctx.sessions.csrfToken(session) : '' };
      const data = { record, report, ...(q.run ? { run: q.run } : {}), canAdmin: session !== undefined && principal.role === 'admin' };
      sendPage(res, reportPage(nonce, user, await withCohort(ctx, await withReview(ctx, data, principal, user.csrf))), nonce);
    } else {
      sendPage(res, candidatePage(nonce, record, report ? candidateReport(report, await candidateFeedback(ctx, record, report)) : undefined), nonce);
    }
  });

  app.post('/v1/submissions/:id/rerun', async (req, res) => {
    requireKey(principalOf(req, ctx.keyring), ['admin']);
    const body = parseOr400(RerunBodySchema, req.body ?? {}, 'body');
    const id = SubmissionIdSchema.safeParse(req.params.id);
    if (!id.success) throw new ApiError('NOT_FOUND', 'no such submission');
    const record = await rerunSubmission(ctx, id.data, body.ref);
    res.status(202).json(reviewerView(record));
  });

  app.post('/v1/submissions/:id/cancel', async (req, res) => {
    requireKey(principalOf(req, ctx.keyring), ['admin']);
    parseOr400(EmptyBodySchema, req.body ?? {}, 'body');
    const id = SubmissionIdSchema.safeParse(req.params.id);
    if (!id.success) throw new ApiError('NOT_FOUND', 'no such submission');
    const status = await cancelSubmission(ctx, id.data);
    res.status(202).json({ id: id.data, status });
  });
}
