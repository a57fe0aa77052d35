/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the handlers validate with
 * (zod 4's `z.toJSONSchema`, JSON Schema 2020-12, which OpenAPI 3.1 uses), so it cannot drift.
 */
import { z } from 'zod';
import { RUNNER_VERSION } from '../runner/version.ts';
import { REVIEW_DOC_SCHEMAS } from './routes/review.ts';
import { COHORT_DOC_SCHEMAS, CohortFilterSchema, StatsQuerySchema } from './cohort-schemas.ts';
import { SIMILARITY_DOC_SCHEMAS, SimilarityQuerySchema } from './routes/similarity.ts';
import { API_ERRORS, type ApiErrorCode } from './errors.ts';
import {
  CancelResponseSchema,
  CandidateReportSchema,
  ChallengeDetailSchema,
  ChallengeListResponseSchema,
  CreateSubmissionBodySchema,
  CreateSubmissionResponseSchema,
  ErrorResponseSchema,
  HealthResponseSchema,
  ListQuerySchema,
  ListResponseSchema,
  ReadyResponseSchema,
  RerunBodySchema,
  ReportQuerySchema,
  ReportSchema,
  ReviewerSubmissionViewSchema,
  SubmissionViewSchema,
} from './schemas.ts';

type JsonSchema = Record<string, unknown>;

function schema(s: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

const COMPONENTS: Record<string, [z.ZodType, 'input' | 'output']> = {
  Error: [ErrorResponseSchema, 'output'],
  CreateSubmission: [CreateSubmissionBodySchema, 'input'],
  CreateSubmissionResponse: [CreateSubmissionResponseSchema, 'output'],
  Submission: [SubmissionViewSchema, 'output'],
  ReviewerSubmission: [ReviewerSubmissionViewSchema, 'output'],
  SubmissionList: [ListResponseSchema, 'output'],
  Report: [ReportSchema, 'output'],
  CandidateReport: [CandidateReportSchema, 'output'],
  Rerun: [RerunBodySchema, 'input'],
  CancelResponse: [CancelResponseSchema, 'output'],
  ChallengeList: [ChallengeListResponseSchema, 'output'],
  Challenge: [ChallengeDetailSchema, 'output'],
  Health: [HealthResponseSchema, 'output'],
  Ready: [ReadyResponseSchema, 'output'],
  ...REVIEW_DOC_SCHEMAS,
  ...COHORT_DOC_SCHEMAS,
  ...SIMILARITY_DOC_SCHEMAS,
};

const ref = (name: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (s: JsonSchema) => ({ 'application/json': { schema: s } });

const retryAfter = { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds until the next request may succeed' } };

function errors(...codes: ApiErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const c of [...codes, 'INTERNAL' as const]) byStatus.set(API_ERRORS[c].status, [...(byStatus.get(API_ERRORS[c].status) ?? []), c]);
  return Object.fromEntries([...byStatus].map(([status, cs]) => [
      String(status),
      { description: cs.map((c) => `${c}: ${API_ERRORS[c].message}`).join('; '), ...(status === 429 || status === 503 ? { headers: retryAfter } : {}), content: jsonContent(ref('Error')) },
    ]));
}

function queryParams(obj: z.ZodObject): unknown[] {
  return Object.entries(obj.shape).map(([name, s]) => ({
    name,
    in: 'query',
    required: !(s as z.ZodType).safeParse(undefined).success,
    schema: schema(s as z.ZodType, 'input'),
  }));
}

const etagHeader = { ETag: { schema: { type: 'string' }, description: 'The strong ETag of the review version, e.g. `"r3"`: send it back in If-Match' } };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } };
const bearer = [{ bearer: [] }];
const challengeIdParam = { ...idParam, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } };

export function buildOpenApi(baseUrl: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Assay API',
      version: RUNNER_VERSION,
      description: 'Submit repositories for grading, follow them, read reports. See docs/api.md for authentication, roles and webhooks.',
    },
    servers: [{ url: baseUrl }],
    components: {
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, [s, io]]) => [name, schema(s, io)])),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key (reviewer, admin or submitter) or, where stated, a submission\'s candidate access token.' },
      },
    },
    paths: {
      '/v1/submissions': {
        post: {
          operationId: 'createSubmission',
          summary: 'Submit a repository for grading (submitter or admin key; anyone when open submissions are enabled)',
          security: bearer,
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 }, description: 'Repeating a request with the same key returns the same submission (200) instead of creating another.' }],
          requestBody: { required: true, content: jsonContent(ref('CreateSubmission')) },
          responses: {
            '202': { description: 'Accepted and queued. The accessToken is shown only here.', content: jsonContent(ref('CreateSubmissionResponse')) },
            '200': { description: 'Replay of an earlier request with the same Idempotency-Key (no accessToken).', content: jsonContent(ref('CreateSubmissionResponse')) },
            ...errors('VALIDATION_FAILED', 'MALFORMED_JSON', 'UNAUTHENTICATED', 'FORBIDDEN', 'IDEMPOTENCY_MISMATCH', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'UNKNOWN_CHALLENGE', 'URL_REJECTED', 'REF_INVALID', 'PATH_INVALID', 'REPO_NOT_FOUND', 'CALLBACK_REJECTED', 'RATE_LIMITED', 'TOO_MANY_QUEUED', 'ATTEMPTS_EXHAUSTED', 'ATTEMPT_COOLDOWN', 'UNAVAILABLE'),
          },
        },
        get: {
          operationId: 'listSubmissions',
          summary: 'List submissions (reviewer or admin)',
          security: bearer,
          parameters: queryParams(ListQuerySchema),
          responses: { '200': { description: 'A page of submissions', content: jsonContent(ref('SubmissionList')) }, ...errors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN') },
        },
      },
      '/v1/submissions/{id}': {
        get: {
          operationId: 'getSubmission',
          summary: 'Status of a submission (reviewers see more; a candidate token opens only its own submission)',
          security: bearer,
          parameters: [idParam],
          responses: {
            '200': { description: 'The submission (ReviewerSubmission for reviewer and admin keys)', content: jsonContent({ oneOf: [ref('ReviewerSubmission'), ref('Submission')] }) },
            ...errors('UNAUTHENTICATED', 'NOT_FOUND'),
          },
        },
      },
      '/v1/submissions/{id}/report': {
        get: {
          operationId: 'getReport',
          summary: 'The JSON report (reviewers: full; candidate token: visible tests only, no logs)',
          security: bearer,
          parameters: [idParam, ...queryParams(ReportQuerySchema)],
          responses: {
            '200': { description: 'The report (ReviewerReport for reviewer and admin keys: with `review` scores when the challenge has a rubric; anonymised in anonymous review; a completed report\'s `insights.similarity` is a SimilarityInsight, merged in when read)', content: jsonContent({ oneOf: [ref('ReviewerReport'), ref('CandidateReport')] }) },
            ...errors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'NOT_FOUND', 'REPORT_NOT_READY'),
          },
        },
      },
      '/v1/submissions/{id}/report.html': {
        get: {
          operationId: 'getReportHtml',
          summary: 'The report page: the reviewer page for reviewer keys or a UI session, the candidate page for the access token as a Bearer',
          description:
            'Without credentials the answer is the candidate page\'s shell (no data): its script reads the token from the URL fragment (`report.html#token=<accessToken>`, the `candidateUrl` of the creation response), which browsers never send to a server, and fetches this page again with `Authorization: Bearer`. A `token` query parameter is refused with 400 TOKEN_IN_URL.',
          security: [{}, ...bearer],
          parameters: [idParam, ...queryParams(ReportQuerySchema)],
          responses: { '200': { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } }, ...errors('VALIDATION_FAILED', 'TOKEN_IN_URL', 'UNAUTHENTICATED', 'NOT_FOUND') },
        },
      },
      '/v1/submissions/{id}/review': {
        get: {
          operationId: 'getReview',
          summary: 'The current review (reviewer or admin); its version\'s ETag in the ETag header',
          security: bearer,
          parameters: [idParam],
          responses: { '200': { description: 'The current review', headers: etagHeader, content: jsonContent(ref('Review')) }, ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
        },
        put: {
          operationId: 'putReview',
          summary: 'Write the review as a new version (reviewer or admin): one score per rubric criterion, notes, draft or submitted',
          description:
            'Every write is a new version; all are kept. The first review needs no precondition (or `If-None-Match: *`); once one exists, send `If-Match` with the ETag of the version you edited: without it the answer is 428, with an older one 412 (details.currentEtag names the current version). Of two writers holding the same ETag exactly one wins. A submitted version sends the `review.completed` webhook when the submission has a callback URL.',
          security: bearer,
          parameters: [idParam, { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'The ETag of the version edited (`"r3"`), or `*`' }, { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string', enum: ['*'] }, description: 'Create only: fails with 412 when a review exists' }],
          requestBody: { required: true, content: jsonContent(ref('ReviewInput')) },
          responses: {
            '201': { description: 'The first version', headers: etagHeader, content: jsonContent(ref('Review')) },
            '200': { description: 'A new version', headers: etagHeader, content: jsonContent(ref('Review')) },
            ...errors('BAD_REQUEST', 'VALIDATION_FAILED', 'MALFORMED_JSON', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'NOT_REVIEWABLE', 'PRECONDITION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'PRECONDITION_REQUIRED'),
          },
        },
      },
      '/v1/submissions/{id}/review/versions': {
        get: {
          operationId: 'listReviewVersions',
          summary: 'Every version of the review, oldest first, with who wrote it and when (reviewer or admin)',
          security: bearer,
          parameters: [idParam],
          responses: { '200': { description: 'The versions (empty without a review)', content: jsonContent(ref('ReviewVersions')) }, ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
        },
      },
      '/v1/submissions/{id}/rerun': {
        post: {
          operationId: 'rerunSubmission',
          summary: 'Grade a finished submission again (admin): the same commit, or the given ref',
          security: bearer,
          parameters: [idParam],
          requestBody: { required: false, content: jsonContent(ref('Rerun')) },
          responses: { '202': { description: 'Queued as a new run', content: jsonContent(ref('ReviewerSubmission')) }, ...errors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'NOT_FINAL', 'UNSUPPORTED_MEDIA_TYPE', 'REF_INVALID') },
        },
      },
      '/v1/submissions/{id}/cancel': {
        post: {
          operationId: 'cancelSubmission',
          summary: 'Cancel a queued or running submission (admin)',
          security: bearer,
          parameters: [idParam],
          responses: { '202': { description: 'Canceled, or being canceled', content: jsonContent(ref('CancelResponse')) }, ...errors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'ALREADY_FINAL', 'UNSUPPORTED_MEDIA_TYPE') },
        },
      },
      '/v1/challenges': {
        get: { operationId: 'listChallenges', summary: 'The challenges (public)', responses: { '200': { description: 'Challenges', content: jsonContent(ref('ChallengeList')) }, ...errors() } },
      },
      '/v1/challenges/{id}': {
        get: {
          operationId: 'getChallenge',
          summary: 'A challenge as candidates see it: brief, limits, visible tests; hidden tests only counted (public)',
          parameters: [{ ...idParam, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } }],
          responses: { '200': { description: 'The challenge', content: jsonContent(ref('Challenge')) }, ...errors('NOT_FOUND') },
        },
      },
      '/v1/challenges/{id}/similarity': {
        get: {
          operationId: 'getChallengeSimilarity',
          summary: 'Pairs of the challenge\'s submissions at or above the similarity threshold, the most similar first, with the shared fragments (reviewer or admin key). Evidence for a human reviewer, not a verdict',
          security: bearer,
          parameters: [{ ...idParam, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } }, ...queryParams(SimilarityQuerySchema)],
          responses: { '200': { description: 'The pairs', content: jsonContent(ref('ChallengeSimilarity')) }, ...errors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
        },
      },
      '/v1/challenges/{id}/stats': {
        get: {
          operationId: 'getChallengeStats',
          summary: 'Statistics of the challenge\'s graded submissions (latest run each), for one version or all (reviewer or admin key): count, 10-point score histogram, p25/p50/p75/p90, pass rate per test (tests everyone fails or passes marked), median grading time, flag counts',
          security: bearer,
          parameters: [challengeIdParam, ...queryParams(StatsQuerySchema)],
          responses: { '200': { description: 'The statistics', content: jsonContent(ref('CohortStats')) }, ...errors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
        },
      },
      '/v1/challenges/{id}/submissions.csv': {
        get: {
          operationId: 'exportSubmissionsCsv',
          summary: 'The challenge\'s submissions as CSV (reviewer or admin key, or a UI session), with the dashboard\'s filters and order: candidate, status, scores, a column per category (`category:<name>`, percent) and rubric criterion (`rubric:<id>`, points), rubric percent, weighted total, flags (`;`-separated), highest similarity',
          description: 'RFC 4180 (CRLF, quoted fields with doubled quotes), sent as an attachment. A text cell starting with = + - @ TAB or CR gets a leading `\'` so a spreadsheet does not run it as a formula. Anonymous review leaves the candidate empty and the repository hidden.',
          security: bearer,
          parameters: [challengeIdParam, ...queryParams(CohortFilterSchema)],
          responses: { '200': { description: 'CSV, one row per submission', content: { 'text/csv': { schema: { type: 'string' } } } }, ...errors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
        },
      },
      '/v1/challenges/{id}/submissions.json': {
        get: {
          operationId: 'exportSubmissionsJson',
          summary: 'The same export as JSON (reviewer or admin key, or a UI session)',
          security: bearer,
          parameters: [challengeIdParam, ...queryParams(CohortFilterSchema)],
          responses: { '200': { description: 'One item per submission', content: jsonContent(ref('CohortExport')) }, ...errors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
        },
      },
      '/healthz': { get: { operationId: 'health', summary: 'The process is alive', responses: { '200': { description: 'Alive', content: jsonContent(ref('Health')) } } } },
      '/readyz': {
        get: {
          operationId: 'ready',
          summary: 'Redis and Docker answer',
          responses: { '200': { description: 'Ready', content: jsonContent(ref('Ready')) }, '503': { description: 'Not ready: which check failed and why', content: jsonContent(ref('Ready')) } },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics (with `Authorization: Bearer <ASSAY_METRICS_KEY>` when that key is configured)',
          security: [{}, ...bearer],
          responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors('UNAUTHENTICATED') },
        },
      },
      '/openapi.json': { get: { operationId: 'openapi', summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: jsonContent({ type: 'object' }) } } } },
    },
  };
}
