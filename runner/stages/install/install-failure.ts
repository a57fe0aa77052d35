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

/**
 * pnpm and yarn name network failures inside their error lines: pnpm as `ERR_PNPM_FETCH_503` or
 * `ERR_PNPM_META_FETCH_FAIL ... reason: getaddrinfo ENOTFOUND`, yarn classic as `error An
 * unexpected error occurred: "...: getaddrinfo ENOTFOUND"` or `Request failed "503 ..."`, berry
 * as `YN0001: │ RequestError: ... ECONNREFUSED` or `HTTPError: Response code 503`. Anything
 * else (a package not found, an outdated lockfile, a checksum mismatch) is the candidate's.
 */
function otherManagerFault(log: string): InstallFault {
  const errorLines = log.split('\n').filter((l) => /ERR_PNPM_|^\s*error\b|YN0001|Error:/i.test(l)).join('\n');
  const http = /(?:ERR_PNPM_FETCH_|Response code |Request failed \\?"|status code )(5\d\d|429)\b/.exec(errorLines);
  if (http) return { fault: 'platform', code: `E${http[1]}` };
  for (const token of errorLines.match(/\b[A-Z][A-Z0-9_]{3,}\b/g) ?? []) if (PLATFORM_CODES.has(token)) return { fault: 'platform', code: token };
  if (/unable to get local issuer certificate|self[- ]signed certificate in certificate chain/i.test(errorLines)) return { fault: 'platform', code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' };
  const pnpmCode = /\b(ERR_PNPM_[A-Z0-9_]+)/.exec(log)?.[1] ?? /\b(YN\d{4})\b/.exec(errorLines)?.[1];
  return pnpmCode ? { fault: 'candidate', code: pnpmCode } : { fault: 'candidate' };
}

export function classifyInstallFailure(log: string, manager: 'npm' | 'pnpm' | 'yarn' = 'npm'): InstallFault {
  if (manager !== 'npm') return otherManagerFault(log);
  const code = npmErrorCode(log);
  if (code && PLATFORM_CODES.has(code)) return { fault: 'platform', code };
  // npm prints a bare "network" error class for some socket failures without a code line.
  if (!code && /^npm (?:error|ERR!) network /m.test(log)) return { fault: 'platform', code: 'NETWORK' };
  return code ? { fault: 'candidate', code } : { fault: 'candidate' };
}

/**
 * Whose fault a failed pip install is, from its output and its debug log (`PIP_LOG`, where pip
 * records each index request it gave up on). The index unreachable, timing out, refusing TLS or
 * answering 5xx/429, or a file it lists failing to download, is the platform's. A project or
 * version the index does not have ("No matching distribution found"), a hash mismatch
 * (--require-hashes), conflicting requirements or a package with no wheel for the sandbox are
 * the candidate's. Pure.
 */
const PIP_PLATFORM_PATTERNS: [RegExp, string][] = [
  [/\b(?:NewConnectionError|ConnectTimeoutError|Connection refused|No route to host|Network is unreachable|Connection reset by peer|RemoteDisconnected|ConnectionResetError)\b/, 'connection failed'],
  [/Temporary failure in name resolution|Name or service not known|nodename nor servname/, 'name resolution failed'],
  [/\b(?:ReadTimeoutError|Read timed out)/, 'timed out'],
  [/\bProxyError\b/, 'proxy error'],
  [/SSLError|CERTIFICATE_VERIFY_FAILED|certificate verify failed/, 'TLS failed'],
  [/\b(5\d\d|429) (?:Server|Client) Error\b|HTTP error (5\d\d|429)\b|too many (5\d\d|429) error responses/, 'HTTP error'],
  // A file the index listed that could not be fetched: the index's inconsistency, not the candidate's.
  [/HTTP error \d{3} while getting/, 'download failed'],
];

/** Failures pip states as the requirements' own, whatever the debug log says about earlier retried requests. */
const PIP_CANDIDATE_PATTERNS = /DO NOT MATCH THE HASHES|--require-hashes mode|ResolutionImpossible|conflicting dependencies|requires a different Python/;

export function classifyPipFailure(output: string, debugLog?: string): InstallFault {
  if (PIP_CANDIDATE_PATTERNS.test(output)) return { fault: 'candidate' };
  for (const text of [output, debugLog ?? '']) {
    for (const [re, code] of PIP_PLATFORM_PATTERNS) {
      const m = re.exec(text);
      const status = m?.slice(1).find(Boolean);
      if (m) return { fault: 'platform', code: status ? `HTTP ${status}` : code };
    }
  }
  return { fault: 'candidate' };
}
