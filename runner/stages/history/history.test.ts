import { describe, expect, it } from 'vitest';
import { noHistory, summariseHistory, type HistoryRead } from './history.ts';

const sha = (n: number) => n.toString(16).padStart(40, '0');
const pad = (s: string, n: number) => s.padEnd(n, ' ');

function record(n: number, at: string, name: string, email: string, subject: string, stat?: string): string {
  return `\x1e${sha(n)}\0${sha(n - 1)}\0${at}\0${pad(name, 100)}\0${pad(email, 100)}\0${pad(subject, 120)}\n${stat ? `\n ${stat}\n` : ''}`;
}

function read(log: string, extra: Partial<Extract<HistoryRead, { ok: true }>> = {}): HistoryRead {
  return { ok: true, log, testCommits: [], shallow: [], durationMs: 42, ...extra };
}

describe('summariseHistory', () => {
  const log = [
    record(4, '2026-03-03T18:00:00+01:00', 'Ada', 'ada@example.com', 'Fix the rounding', '2 files changed, 30 insertions(+), 10 deletions(-)'),
    record(3, '2026-03-02T23:30:00-05:00', 'Ada', 'ADA@example.com', 'Add tests', '1 file changed, 40 insertions(+)'),
    record(2, '2026-03-02T09:00:00+01:00', 'Bob', 'bob@example.com', 'Merge branch'),
    record(1, '2026-03-01T10:00:00+01:00', 'Bob', 'bob@example.com', 'Initial commit', '10 files changed, 120 insertions(+)'),
  ].join('');

  it('counts commits, days, authors, test commits and lines, newest first', () => {
    const h = summariseHistory(read(log, { testCommits: [sha(3)] }), 200);
    expect(h).toMatchObject({
      status: 'read',
      commits: 4,
      truncated: false,
      firstAt: '2026-03-01T10:00:00+01:00',
      lastAt: '2026-03-03T18:00:00+01:00',
      activeDays: 3, // 2026-03-02 twice, in each author's own time zone
      authors: 2, // e-mail addresses compared without case
      testCommits: 1,
      linesAdded: 190,
      linesRemoved: 10,
      largestCommitShare: 0.6, // 120 of 200
      fetchMs: 42,
    });
    expect(h.timeline.map((c) => [c.subject, c.author, c.added, c.removed, c.files, c.touchesTests])).toEqual([
      ['Fix the rounding', 'Ada', 30, 10, 2, false],
      ['Add tests', 'Ada', 40, 0, 1, true],
      ['Merge branch', 'Bob', 0, 0, 0, false],
      ['Initial commit', 'Bob', 120, 0, 10, false],
    ]);
    expect(JSON.stringify(h)).not.toContain('example.com');
  });

  it('says the history was cut when the log has one commit past the cap, and leaves the lines of a commit whose parent was not fetched out', () => {
    const h = summariseHistory(read(log, { shallow: [sha(2)] }), 3);
    expect(h.truncated).toBe(true);
    expect(h.commits).toBe(3);
    expect(h.timeline[2]).toMatchObject({ sha: sha(2), boundary: true, added: 0, files: 0 });
    expect(h.linesAdded).toBe(70);
    expect(h.largestCommitShare).toBe(0.5); // 40 of 80 changed lines
    expect(h.authors).toBe(2); // the commit past the cap is not counted
    expect(summariseHistory(read(log), 4).truncated).toBe(false);
  });

  it('keeps at most maxCommits commits', () => {
    const h = summariseHistory(read(log), 2);
    expect(h.commits).toBe(2);
    expect(h.authors).toBe(1);
    expect(h.truncated).toBe(true);
  });

  it('cuts and cleans hostile names and subjects, and skips records that are not commits', () => {
    const hostile = `\x1enot-a-sha\0x\0y\0z\0w\0v\n${record(9, '2026-03-01T10:00:00Z', 'Eve\x07\x1b[31m', 'e@x', `${'A'.repeat(300)}\u0085`)}`;
    const h = summariseHistory(read(hostile), 10);
    expect(h.commits).toBe(1);
    expect(h.timeline[0]!.author).toBe('Eve [31m');
    expect(h.timeline[0]!.subject.length).toBeLessThanOrEqual(120);
    expect(h.largestCommitShare).toBeUndefined();
  });

  it('reports a history that could not be read as none, with the reason and its cost', () => {
    expect(summariseHistory({ ok: false, reason: 'the history could not be read: it did not finish within 20 s', durationMs: 20_000 }, 200)).toMatchObject({
      status: 'none',
      reason: 'the history could not be read: it did not finish within 20 s',
      commits: 0,
      fetchMs: 20_000,
    });
    expect(noHistory('graded from a local folder: no history', 200)).toMatchObject({ status: 'none', commits: 0, timeline: [] });
  });
});
