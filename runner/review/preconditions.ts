/**
 * The conditional-request rules of a review write (RFC 9110 §13 and RFC 6585 §3), as one pure
 * decision so the API and its tests agree:
 *
 *   review exists? | If-Match          | If-None-Match | result
 *   no             | absent            | absent or *   | write version 1
 *   no             | present (any)     | -             | 412 (there is nothing to match)
 *   yes            | absent            | absent        | 428: say which version you edited
 *   yes            | -                 | *             | 412: the review exists already
 *   yes            | the current ETag  | absent        | write the next version
 *   yes            | *                 | absent        | write the next version
 *   yes            | another ETag      | absent        | 412, with the current ETag
 *
 * If-Match compares strongly: a weak ETag (`W/"r3"`) never matches. If-None-Match other than `*`
 * is a 400. An allowed write still names the version it expects to replace: the store writes
 * only if that is still the newest (compare-and-swap), so of two writers holding the same ETag
 * exactly one wins and the other gets the 412 too.
 */
export type PreconditionDecision =
  | { ok: true; /** The version the write replaces (0: none). */ expectedVersion: number }
  | { ok: false; failure: 'required' | 'failed' | 'malformed'; message: string };

/** The version a strong review ETag names (`"r3"` -> 3), or undefined. */
export function versionOfEtag(tag: string): number | undefined {
  const m = /^"r([1-9]\d{0,8})"$/.exec(tag.trim());
  return m ? Number(m[1]) : undefined;
}

export function checkReviewPreconditions(currentVersion: number, ifMatch: string | undefined, ifNoneMatch: string | undefined): PreconditionDecision {
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') return { ok: false, failure: 'malformed', message: 'only "If-None-Match: *" (create the first review) is supported' };
  if (ifNoneMatch !== undefined) {
    if (ifMatch !== undefined) return { ok: false, failure: 'malformed', message: 'send If-Match or If-None-Match, not both' };
    return currentVersion === 0 ? { ok: true, expectedVersion: 0 } : { ok: false, failure: 'failed', message: 'this submission has a review already; send If-Match with its ETag to change it' };
  }
  if (ifMatch === undefined) {
    return currentVersion === 0 ? { ok: true, expectedVersion: 0 } : { ok: false, failure: 'required', message: 'this submission has a review already: send If-Match with the ETag of the version you edited (GET the review for it)' };
  }
  if (ifMatch.length > 1000) return { ok: false, failure: 'malformed', message: 'the If-Match header is too long' };
  if (currentVersion === 0) return { ok: false, failure: 'failed', message: 'this submission has no review yet: send no If-Match (or If-None-Match: *)' };
  if (ifMatch.trim() === '*') return { ok: true, expectedVersion: currentVersion };
  const matched = ifMatch.split(',').some((tag) => versionOfEtag(tag) === currentVersion);
  return matched ? { ok: true, expectedVersion: currentVersion } : { ok: false, failure: 'failed', message: 'someone else changed this review meanwhile: read the current version and apply your changes to it' };
}
