/**
 * The API's one catalogue of errors (in the manner of fastify's lib/errors.js): every error a
 * client can see has a stable code, an HTTP status and a default message. Responses are always
 * `{"error": {"code", "message", "details"?}}`; anything not in this list is answered as
 * 500 INTERNAL with a generic message and logged, so a stack trace never reaches a client.
 */
import { isAssayError } from '../runner/errors.ts';

export const API_ERRORS = {
  BAD_REQUEST: { status: 400, message: 'the request is malformed' },
  VALIDATION_FAILED: { status: 400, message: 'the request does not match the schema' },
  MALFORMED_JSON: { status: 400, message: 'the body is not valid JSON' },
  TOKEN_IN_URL: { status: 400, message: 'the access token must not be sent in the URL; open the page with #token=<token> or send Authorization: Bearer <token>' },
  UNAUTHENTICATED: { status: 401, message: 'credentials are missing or not valid' },
  FORBIDDEN: { status: 403, message: 'these credentials may not do this' },
  NOT_FOUND: { status: 404, message: 'not found' },
  REPORT_NOT_READY: { status: 409, message: 'the report does not exist yet' },
  ALREADY_FINAL: { status: 409, message: 'the submission has already finished' },
  NOT_FINAL: { status: 409, message: 'the submission has not finished yet' },
  IDEMPOTENCY_MISMATCH: { status: 409, message: 'this Idempotency-Key was used for a different submission' },
  NOT_REVIEWABLE: { status: 409, message: 'this submission cannot be reviewed' },
  PRECONDITION_FAILED: { status: 412, message: 'the review has changed since the version you sent (If-Match)' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'the body is larger than allowed' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'the body must be application/json' },
  PRECONDITION_REQUIRED: { status: 428, message: 'send If-Match with the ETag of the review version you edited' },
  UNKNOWN_CHALLENGE: { status: 422, message: 'no such challenge' },
  URL_REJECTED: { status: 422, message: 'the repository URL is not allowed' },
  REF_INVALID: { status: 422, message: 'the ref is not a valid branch, tag or commit' },
  PATH_INVALID: { status: 422, message: 'the path is not a subdirectory of the repository' },
  REPO_NOT_FOUND: { status: 422, message: 'the repository host does not exist' },
  CALLBACK_REJECTED: { status: 422, message: 'the callback URL is not allowed' },
  RATE_LIMITED: { status: 429, message: 'too many requests' },
  TOO_MANY_QUEUED: { status: 429, message: 'this candidate has too many unfinished submissions' },
  ATTEMPTS_EXHAUSTED: { status: 429, message: 'this candidate has used every attempt the challenge allows' },
  ATTEMPT_COOLDOWN: { status: 429, message: 'the next attempt at this challenge is not allowed yet' },
  NOT_READY: { status: 503, message: 'a dependency is unavailable' },
  UNAVAILABLE: { status: 503, message: 'the service is temporarily unavailable; try again' },
  INTERNAL: { status: 500, message: 'an internal error occurred' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message?: string,
    readonly details?: unknown,
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? API_ERRORS[code].message);
    this.status = API_ERRORS[code].status;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * Maps anything thrown in a handler to a client-safe error. Assay's own submission errors keep
 * their code and message (they were written for the candidate); body-parser's errors become
 * 400/413; everything else is INTERNAL and `unexpected` tells the caller to log it.
 */
export function toApiError(err: unknown): { error: ApiError; unexpected: boolean } {
  if (err instanceof ApiError) return { error: err, unexpected: false };
  if (isAssayError(err)) {
    if (err.fault === 'submission' && err.code in API_ERRORS) return { error: new ApiError(err.code as ApiErrorCode, err.message), unexpected: false };
    if (err.code === 'FETCH_NETWORK') return { error: new ApiError('UNAVAILABLE', 'a DNS lookup failed; try again', undefined, { 'Retry-After': '5' }), unexpected: false };
  }
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return { error: new ApiError('PAYLOAD_TOO_LARGE'), unexpected: false };
  if (type === 'entity.parse.failed') return { error: new ApiError('MALFORMED_JSON'), unexpected: false };
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return { error: new ApiError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding or charset'), unexpected: false };
  if (type === 'request.aborted' || type === 'request.size.invalid' || type === 'stream.encoding.set') return { error: new ApiError('BAD_REQUEST'), unexpected: false };
  return { error: new ApiError('INTERNAL'), unexpected: true };
}

export function errorBody(e: ApiError): ErrorBody {
  return { error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } };
}
