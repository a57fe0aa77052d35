import { describe, expect, it } from 'vitest';
import { scoreResults } from '../../report/score.ts';
import { parseReporterOutput } from './node-tests.ts';

const NONCE = '5f0c1e9a7b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c';
/** A line as Assay's node:test reporter prints it (sandbox-images/node/node-test-reporter.mjs). */
const line = (data: unknown, nonce = NONCE) => `ASSAY_TEST ${nonce} ${JSON.stringify(data)}`;

describe('parseReporterOutput', () => {
  it('reads one result per reporter line, with message and duration when given', () => {
    const stdout = [
      '▶ hidden suite',
      line({ name: 'money.to-cents', status: 'passed', durationMs: 3 }),
      line({ name: 'logic.last-units-can-be-sold', status: 'failed', durationMs: 7, message: 'expected 0 to equal 1' }),
      line({ name: 'extra.todo', status: 'skipped', durationMs: 0 }),
      '',
    ].join('\n');
    expect(parseReporterOutput(stdout, NONCE)).toEqual([
      { id: 'money.to-cents', status: 'passed', durationMs: 3 },
      { id: 'logic.last-units-can-be-sold', status: 'failed', durationMs: 7, message: 'expected 0 to equal 1' },
      { id: 'extra.todo', status: 'skipped', durationMs: 0 },
    ]);
  });

  it("ignores lines without this run's nonce: another nonce, none, a longer one, or the prefix mid-line", () => {
    const forged = { name: 'money.to-cents', status: 'passed' };
    const stdout = [
      line(forged, 'f'.repeat(48)),
      `ASSAY_TEST ${JSON.stringify(forged)}`,
      line(forged, `${NONCE}0`),
      line(forged, NONCE.slice(0, -1)),
      line(forged, 'missing'),
      `console: ${line(forged)}`,
      ` ${line(forged)}`,
    ].join('\n');
    expect(parseReporterOutput(stdout, NONCE)).toEqual([]);
  });

  it('ignores malformed JSON and keeps the lines around it', () => {
    const stdout = [
      line({ name: 'a', status: 'passed' }),
      `ASSAY_TEST ${NONCE} {"name":"b","status":"passed"`,
      `ASSAY_TEST ${NONCE} not json at all`,
      `ASSAY_TEST ${NONCE} `,
      line({ name: 'c', status: 'failed' }),
    ].join('\n');
    expect(parseReporterOutput(stdout, NONCE).map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('ignores a status outside the closed list, and a name that is not a string', () => {
    const stdout = [
      line({ name: 'a', status: 'PASSED' }),
      line({ name: 'b', status: 'ok' }),
      line({ name: 'c', status: true }),
      line({ name: 'd' }),
      line({ name: 42, status: 'passed' }),
      line({ status: 'passed' }),
      line(['e', 'passed']),
      line(null),
      line({ name: 'f', status: 'timeout' }),
    ].join('\n');
    expect(parseReporterOutput(stdout, NONCE)).toEqual([{ id: 'f', status: 'timeout' }]);
  });

  it('drops an empty or non-string message and a non-numeric duration', () => {
    const stdout = [line({ name: 'a', status: 'failed', message: '', durationMs: '5' }), line({ name: 'b', status: 'failed', message: { toString: 'x' } })].join('\n');
    expect(parseReporterOutput(stdout, NONCE)).toEqual([
      { id: 'a', status: 'failed' },
      { id: 'b', status: 'failed' },
    ]);
  });

  it('keeps every report of a test reported twice, so a second "passed" cannot hide a failure', () => {
    const stdout = [line({ name: 'money.to-cents', status: 'failed', message: 'wrong cents' }), line({ name: 'money.to-cents', status: 'passed' })].join('\n');
    const results = parseReporterOutput(stdout, NONCE);
    expect(results.filter((r) => r.id === 'money.to-cents').map((r) => r.status)).toContain('failed');
    const scored = scoreResults([{ id: 'money.to-cents', name: 'to cents', category: 'money', points: 10, visibility: 'hidden' }], results);
    expect(scored.tests[0]).toMatchObject({ status: 'failed', points: 0, message: 'wrong cents' });
    expect(scored.score.points).toBe(0);
  });

  it('accepts CRLF line endings', () => {
    expect(parseReporterOutput(`${line({ name: 'a', status: 'passed' })}\r\n`, NONCE)).toEqual([{ id: 'a', status: 'passed' }]);
  });
});
