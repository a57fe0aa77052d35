/**
 * Whose fault a failed npm install is, from npm's own error code in its log. Pure.
 * The registry being unreachable, slow, refusing TLS (a proxy CA that is not configured) or
 * answering 5xx/429 is the platform's problem: the job is retried and, if it persists, reported
 * as not the candidate's fault. A package or version that does not exist, an integrity
 * mismatch or a lockfile out of sync with package.json is the candidate's.
 */

export type InstallFault = { fault: 'platform'; code: string } | { fault: 'candidate'; code?: string };

const PLATFORM_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ERR_SOCKET_TIMEOUT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO',
  'E429', 'E500', 'E502', 'E503', 'E504',
]);

/** The first `npm error code X` (or `errno X`) in the log. */
function npmErrorCode(log: string): string | undefined {
  return /^npm (?:error|ERR!) code (\S+)/m.exec(log)?.[1] ?? /^npm (?:error|ERR!) errno (\S+)/m.exec(log)?.[1];
}

export function classifyInstallFailure(log: string): InstallFault {
  const code = npmErrorCode(log);
  if (code && PLATFORM_CODES.has(code)) return { fault: 'platform', code };
  // npm prints a bare "network" error class for some socket failures without a code line.
  if (!code && /^npm (?:error|ERR!) network /m.test(log)) return { fault: 'platform', code: 'NETWORK' };
  return code ? { fault: 'candidate', code } : { fault: 'candidate' };
}
