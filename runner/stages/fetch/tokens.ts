/**
 * Which configured git token, if any, a repository URL gets. Each token is scoped to a host and a
 * path prefix of whole segments (runner/config.ts, `parseTokenScope`): `github.com/acme` covers
 * `https://github.com/acme/api.git` but not `https://github.com/acmecorp/x` or
 * `https://github.com/other/x`. The longest matching scope wins, so an operator can give one
 * repository its own token. A URL outside every scope is fetched without a token.
 *
 * The URL is the WHATWG-normalised one git receives, so `..` and `%2e%2e` segments are already
 * resolved. Comparison is exact (case-sensitive): a spelling the operator did not write gets no
 * token, which fails closed (a private repository then looks missing). A path holding an encoded
 * slash or backslash (`acme%2F..%2Fother`) gets no scoped token at all: the server may decode it
 * into another owner's path.
 */
import { parseTokenScope, type TokenScope } from '../../config.ts';
import { PlatformError } from '../../errors.ts';

/**
 * The token whose scope is the longest prefix of `url` (host `host`, as parseRepoUrl returned
 * it), or undefined. Throws PlatformError('INTERNAL') for a scope that does not parse: the
 * configuration is checked at start-up, so only a programmatic caller can get here with one.
 */
export function tokenFor(url: URL, host: string, tokens: Readonly<Record<string, string>>): string | undefined {
  const segments = repoSegments(url);
  let best: { length: number; token: string } | undefined;
  for (const [key, token] of Object.entries(tokens)) {
    const scope = parseScope(key);
    if (scope.host !== host || !covers(scope, segments)) continue;
    if (best === undefined || scope.path.length > best.length) best = { length: scope.path.length, token };
  }
  return best?.token;
}

/** The URL's path segments for matching; null when one holds an encoded separator. */
function repoSegments(url: URL): string[] | null {
  const segments = url.pathname.split('/').filter((s) => s !== '');
  if (segments.some((s) => /%(2f|5c)/i.test(s))) return null;
  return segments;
}

function covers(scope: TokenScope, segments: readonly string[] | null): boolean {
  if (scope.path.length === 0) return true;
  if (segments === null || segments.length < scope.path.length) return false;
  return scope.path.every((part, i) => {
    const segment = segments[i] as string;
    // A scope naming the repository itself matches it with or without ".git", as hosts serve both.
    if (i === segments.length - 1) return withoutGit(part) === withoutGit(segment);
    return part === segment;
  });
}

const withoutGit = (segment: string) => (segment.endsWith('.git') && segment.length > 4 ? segment.slice(0, -4) : segment);

function parseScope(key: string): TokenScope {
  try {
    return parseTokenScope(key);
  } catch (err) {
    throw new PlatformError('INTERNAL', `invalid git token scope "${key}": ${(err as Error).message}`);
  }
}
