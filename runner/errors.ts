/**
 * One catalogue of Assay's errors (in the manner of fastify's lib/errors.js). Two families:
 * - SubmissionError: the submission cannot be graded as given (bad URL, missing repo, too
 *   large). Permanent; never retried; reported to the candidate with its reason.
 * - PlatformError: Assay itself failed (Docker or Redis unavailable, a broken suite). Retried
 *   when transient; after the last attempt the submission is `failed` and never blamed on the
 *   candidate.
 * A candidate's wrong or crashing code is neither: it is data (a verdict and a score).
 */
export const SUBMISSION_ERRORS = {
  URL_REJECTED: 'the repository URL is not allowed',
  REF_INVALID: 'the ref is not a valid branch, tag or commit',
  /** The submission's `path` is not a relative path to a real directory of the commit. */
  PATH_INVALID: 'the path is not a subdirectory of the repository',
  REPO_NOT_FOUND: 'the repository or ref could not be fetched',
  REPO_TOO_LARGE: 'the repository is larger than allowed',
  REPO_TOO_MANY_FILES: 'the repository has more files than allowed',
  REPO_TOO_SLOW: 'the repository could not be fetched within the time limit',
  /** The server the candidate chose refused the connection, failed (5xx) or cut the transfer, twice. */
  REPO_UNREACHABLE: "the repository's server could not be reached or failed to answer",
  /** git's fsck refused an object the server sent (a malformed tree, commit or .gitmodules). */
  REPO_INVALID: 'the repository contains malformed git objects',
  REPO_CHANGED: 'the repository changed while it was being packed',
  UNKNOWN_CHALLENGE: 'no such challenge',
  RUNTIME_NOT_DETECTED: 'no supported runtime entry point was found',
  DEPENDENCIES_REJECTED: 'the dependencies point somewhere other than the package registry',
} as const;
export type SubmissionErrorCode = keyof typeof SUBMISSION_ERRORS;

export const PLATFORM_ERRORS = {
  SANDBOX_UNAVAILABLE: 'the container engine is unavailable',
  FETCH_NETWORK: 'a network error interrupted the fetch',
  REGISTRY_UNAVAILABLE: 'the package registry could not be reached or answered with an error',
  SUITE_BROKEN: "the challenge's suite could not run",
  /** A service the challenge declares (Postgres, Redis) did not start: retried, never the candidate's fault. */
  SERVICE_UNAVAILABLE: "a service of the challenge (Postgres, Redis) could not be started",
  CHALLENGE_INVALID: 'the challenge definition is invalid',
  INTERNAL: 'an internal error occurred',
  CANCELED: 'the submission was canceled',
} as const;
export type PlatformErrorCode = keyof typeof PLATFORM_ERRORS;

export type ErrorCode = SubmissionErrorCode | PlatformErrorCode;

export class SubmissionError extends Error {
  override name = 'SubmissionError';
  readonly fault = 'submission' as const;
  readonly retryable = false;
  constructor(readonly code: SubmissionErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? SUBMISSION_ERRORS[code], options);
  }
}

export class PlatformError extends Error {
  override name = 'PlatformError';
  readonly fault = 'platform' as const;
  constructor(readonly code: PlatformErrorCode, message?: string, readonly retryable = false, options?: { cause?: unknown }) {
    super(message ?? PLATFORM_ERRORS[code], options);
  }
}

export type AssayError = SubmissionError | PlatformError;

export function isAssayError(err: unknown): err is AssayError {
  return err instanceof SubmissionError || err instanceof PlatformError;
}
