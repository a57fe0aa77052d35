/**
 * Anonymous review (a challenge's `review.anonymous`): reviewers do not learn whose submission
 * they are reading (the candidate's name, email and external id, the repository URL, the ref,
 * the commit and the callback URL, which often carries an ATS candidate id) until they have
 * submitted their own review of it. Admins always see everything: they run the process and can
 * read Redis anyway. The rule is `identityHidden`; `anonymise` and `anonymiseReport` take the
 * identity out of what a page, an API answer or an export shows; `recordsForViewer` does both
 * for a list of records (dashboards, exports).
 *
 * Best effort for what the candidate wrote: their name in a commit message or a file is
 * replaced only where it equals a hidden value (see `anonymiseReport`).
 */
import type { ChallengeRepository } from '../runner/challenges/repository.ts';
import type { Role } from '../runner/config.ts';
import type { Report } from '../runner/report/schema.ts';
import type { Review } from '../runner/review/review.ts';
import type { ReviewSettings } from '../runner/review/rubric.ts';
import type { SubmissionRecord, SubmissionStore } from '../runner/store/submissions.ts';

/** What replaces a hidden value. */
export const HIDDEN = '(hidden until you submit your review)';

/** Whoever is looking: an API key's or a UI session's name and role. */
export interface Viewer {
  name: string;
  role: Role;
}

/**
 * True when `viewer` must not see who made the submission: the challenge reviews anonymously,
 * the viewer is not an admin, and they have not submitted a review of it (a draft is not enough).
 */
export function identityHidden(settings: Pick<ReviewSettings, 'anonymous'> | undefined, viewer: Viewer, review: Pick<Review, 'submittedBy'> | undefined): boolean {
  if (!settings?.anonymous || viewer.role === 'admin') return false;
  return !(review?.submittedBy.includes(viewer.name) ?? false);
}

/** The record without its identity: no candidate, commit or callback URL; repository and ref replaced by HIDDEN. */
export function anonymise(record: SubmissionRecord): SubmissionRecord {
  const { candidate: _candidate, commit: _commit, pinnedCommit: _pinned, callbackUrl: _callback, ...rest } = record;
  return { ...rest, repoUrl: HIDDEN, ref: record.ref === null ? null : HIDDEN };
}

/**
 * The report without the identity of `record`'s author: repository, ref and commit replaced,
 * commit authors and hashes in the history replaced, and every other string (logs, messages,
 * findings) with the repository URL, the commit or the candidate's name, email or external id
 * in it has them replaced by HIDDEN.
 */
export function anonymiseReport(report: Report, record: SubmissionRecord): Report {
  const needles = identityStrings(record, report);
  const history = report.insights?.history;
  const scrubbed: Report = {
    ...report,
    repoUrl: HIDDEN,
    ref: HIDDEN,
    commit: null,
    ...(report.insights && history ? { insights: { ...report.insights, history: { ...history, timeline: history.timeline.map((c) => ({ ...c, sha: HIDDEN, author: HIDDEN })) } } } : {}),
  };
  return replaceStrings(scrubbed, needles) as Report;
}

/** The strings that name the author, longest first (so a URL is replaced before its host name is). */
function identityStrings(record: SubmissionRecord, report: Report): string[] {
  const repo = record.repoUrl;
  const bare = repo.replace(/^[a-z+]+:\/\//i, '').replace(/\.git$/i, '');
  const values = [repo, bare, record.commit, report.commit, record.candidate?.name, record.candidate?.email, record.candidate?.externalId, record.callbackUrl];
  // Very short values (a one-letter name) would blank out unrelated text.
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 3))].sort((a, b) => b.length - a.length);
}

function replaceStrings(value: unknown, needles: readonly string[]): unknown {
  if (typeof value === 'string') return needles.reduce((s, n) => (s.includes(n) ? s.split(n).join(HIDDEN) : s), value);
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, needles));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceStrings(v, needles)]));
  return value;
}

/** Where the rule's inputs come from: the challenges' settings and the current reviews. */
export interface AnonymityDeps {
  store: Pick<SubmissionStore, 'reviews'>;
  challenges: Pick<ChallengeRepository, 'load'>;
}

/** The ids among `records` whose identity `viewer` must not see (one challenge load per challenge, one review read for all). */
export async function hiddenIdentities(deps: AnonymityDeps, records: readonly SubmissionRecord[], viewer: Viewer): Promise<Set<string>> {
  if (viewer.role === 'admin' || records.length === 0) return new Set();
  const anonymous = new Map<string, boolean>();
  for (const challenge of new Set(records.map((r) => r.challenge))) {
    // A challenge that is gone (or broken) has no settings to apply: it was not anonymous as far as anyone can tell.
    const settings = await deps.challenges.load(challenge).then((c) => c.manifest.review, () => undefined);
    anonymous.set(challenge, settings?.anonymous ?? false);
  }
  const candidates = records.filter((r) => anonymous.get(r.challenge));
  const reviews = await deps.store.reviews.currentMany(candidates.map((r) => r.id));
  return new Set(candidates.filter((r) => identityHidden({ anonymous: true }, viewer, reviews.get(r.id))).map((r) => r.id));
}

/** `records` as `viewer` may see them: anonymised where their identity is hidden. */
export async function recordsForViewer(deps: AnonymityDeps, records: readonly SubmissionRecord[], viewer: Viewer): Promise<SubmissionRecord[]> {
  const hidden = await hiddenIdentities(deps, records, viewer);
  return records.map((r) => (hidden.has(r.id) ? anonymise(r) : r));
}

/** One record as `viewer` may see it. */
export async function recordForViewer(deps: AnonymityDeps, record: SubmissionRecord, viewer: Viewer): Promise<SubmissionRecord> {
  return (await hiddenIdentities(deps, [record], viewer)).has(record.id) ? anonymise(record) : record;
}
