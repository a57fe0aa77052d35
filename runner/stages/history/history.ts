/**
 * `insights.history` from what fetchHistory read with git (runner/stages/fetch/fetch.ts runs the
 * commands below through its confined git, beside the grading; ./stage.ts starts it). Pure: the
 * text is the candidate's (names, dates and subjects are whatever their commits say), so every
 * field is parsed defensively and cut short; e-mail addresses are used to count authors and
 * never kept.
 */
import type { History, HistoryCommit } from '../../report/insights-history.ts';

/**
 * One record per commit: a record separator, then NUL-separated fields (hex, ISO date, and the
 * three texts git cuts to a bounded width, so a huge name or subject cannot flood the output),
 * then the `--shortstat` line on the following lines.
 */
export const HISTORY_LOG_FORMAT = '%x1e%H%x00%P%x00%aI%x00%<(100,trunc)%an%x00%<(100,trunc)%ae%x00%<(120,trunc)%s';

/** Pathspecs of test files (git's glob magic; `**` also matches no folder at all). */
export const TEST_PATHSPECS = [
  ':(glob,icase)**/test/**',
  ':(glob,icase)**/tests/**',
  ':(glob,icase)**/__tests__/**',
  ':(glob,icase)**/spec/**',
  ':(glob,icase)**/*.test.*',
  ':(glob,icase)**/*.spec.*',
  ':(glob,icase)**/test_*.py',
  ':(glob,icase)**/*_test.py',
  ':(glob,icase)**/*_test.go',
];

/** What the fetch read: the outputs of the commands above, or why it could not. */
export type HistoryRead =
  | {
      ok: true;
      /** `git log --max-count=<max + 1> --no-renames --shortstat --format=HISTORY_LOG_FORMAT <commit>`: one more than max means there is more history. */
      log: string;
      /** `git log --max-count=<max> --format=%H <commit> -- TEST_PATHSPECS` */
      testCommits: string[];
      /** Commits whose parents were not fetched (`.git/shallow`). */
      shallow: string[];
      durationMs: number;
    }
  | { ok: false; reason: string; durationMs: number };

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const SHORTSTAT = /(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?/;

/** No history at all, with the reason a reviewer reads. */
export function noHistory(reason: string, maxCommits: number): History {
  return { status: 'none', reason, commits: 0, maxCommits, truncated: false, activeDays: 0, authors: 0, testCommits: 0, linesAdded: 0, linesRemoved: 0, timeline: [] };
}

export function summariseHistory(read: HistoryRead, maxCommits: number): History {
  if (!read.ok) return { ...noHistory(read.reason, maxCommits), fetchMs: read.durationMs };
  const shallow = new Set(read.shallow);
  const touchesTests = new Set(read.testCommits);
  const emails = new Set<string>();
  const timeline: HistoryCommit[] = [];
  let more = false;
  for (const record of read.log.split('\x1e').slice(1)) {
    if (timeline.length >= maxCommits) {
      more = true; // the log reads one commit past the cap to tell
      break;
    }
    const parsed = parseRecord(record, shallow, touchesTests, emails);
    if (parsed) timeline.push(parsed);
  }
  const counted = timeline.filter((c) => !c.boundary);
  const linesAdded = sum(counted.map((c) => c.added));
  const linesRemoved = sum(counted.map((c) => c.removed));
  const changed = linesAdded + linesRemoved;
  const largest = Math.max(0, ...counted.map((c) => c.added + c.removed));
  const times = timeline.map((c) => ({ at: c.at, ms: Date.parse(c.at) })).filter((t) => Number.isFinite(t.ms)).sort((a, b) => a.ms - b.ms);
  return {
    status: 'read',
    commits: timeline.length,
    maxCommits,
    truncated: more,
    ...(times.length ? { firstAt: times[0]!.at, lastAt: times[times.length - 1]!.at } : {}),
    activeDays: new Set(timeline.map((c) => c.at.slice(0, 10))).size,
    authors: emails.size,
    testCommits: timeline.filter((c) => c.touchesTests).length,
    linesAdded,
    linesRemoved,
    ...(changed > 0 ? { largestCommitShare: Math.round((largest / changed) * 1000) / 1000 } : {}),
    fetchMs: read.durationMs,
    timeline,
  };
}

function parseRecord(record: string, shallow: Set<string>, touchesTests: Set<string>, emails: Set<string>): HistoryCommit | undefined {
  const newline = record.indexOf('\n');
  const header = newline < 0 ? record : record.slice(0, newline);
  const fields = header.split('\0');
  if (fields.length < 6) return undefined;
  const [sha = '', , at = ''] = fields;
  if (!SHA.test(sha) || !/^\d{4}-\d\d-\d\dT/.test(at)) return undefined;
  const author = clean(fields[3] ?? '', 100);
  const email = clean(fields[4] ?? '', 100).toLowerCase();
  emails.add(email || `name:${author}`);
  const stat = newline < 0 ? null : SHORTSTAT.exec(record.slice(newline));
  const boundary = shallow.has(sha);
  return {
    sha,
    at,
    author,
    subject: clean(fields.slice(5).join(' '), 120),
    added: boundary ? 0 : Number(stat?.[2] ?? 0),
    removed: boundary ? 0 : Number(stat?.[3] ?? 0),
    files: boundary ? 0 : Number(stat?.[1] ?? 0),
    touchesTests: touchesTests.has(sha),
    ...(boundary ? { boundary: true } : {}),
  };
}

/** Control characters out, git's truncation padding off, cut at `max` characters. */
function clean(text: string, max: number): string {
  const out = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
