import { describe, expect, it } from 'vitest';
import { parseHarnessOutput } from './harness-output.ts';

/** A line as the grader harness prints it (sandbox-images/grader/harness.mjs). */
const line = (kind: string, data: unknown) => `ASSAY_${kind} ${JSON.stringify(data)}`;

describe('parseHarnessOutput', () => {
  it('reads a complete run: ready, each test, done', () => {
    const out = parseHarnessOutput(
      [
        line('READY', { readyMs: 412 }),
        line('TEST', { id: 'core.health', status: 'passed', durationMs: 12 }),
        line('TEST', { id: 'core.create', status: 'failed', message: 'expected 201, got 500', durationMs: 20 }),
        line('DONE', {}),
        '',
      ].join('\n'),
    );
    expect(out).toEqual({
      ready: { readyMs: 412 },
      done: true,
      results: [
        { id: 'core.health', status: 'passed', durationMs: 12 },
        { id: 'core.create', status: 'failed', message: 'expected 201, got 500', durationMs: 20 },
      ],
    });
  });

  it('keeps the results reported before a run was cut short, and says it did not finish', () => {
    const out = parseHarnessOutput([line('READY', { readyMs: 5 }), line('TEST', { id: 'a', status: 'passed' }), 'ASSAY_TEST {"id":"b","sta'].join('\n'));
    expect(out.done).toBe(false);
    expect(out.results).toEqual([{ id: 'a', status: 'passed' }]);
  });

  it('reports why the service never became ready, and a suite that crashed', () => {
    expect(parseHarnessOutput(line('NOT_READY', { reason: 'nothing listened on 8080 within 20 s' })).notReady).toBe('nothing listened on 8080 within 20 s');
    expect(parseHarnessOutput(line('NOT_READY', {})).notReady).toBe('the service did not become ready');
    expect(parseHarnessOutput(line('SUITE_ERROR', { message: 'TypeError: x is not a function' })).suiteError).toBe('TypeError: x is not a function');
    expect(parseHarnessOutput(line('SUITE_ERROR', {})).suiteError).toBe('unknown error');
  });

  it('ignores lines that are not whole event lines: other output, prefixes mid-line, malformed JSON', () => {
    const out = parseHarnessOutput(
      [
        'npm WARN something',
        `echo ${line('TEST', { id: 'core.health', status: 'passed' })}`,
        'ASSAY_TEST {not json}',
        'ASSAY_TEST ["core.health", "passed"]',
        'ASSAY_test {"id":"core.health","status":"passed"}',
        'ASSAY_DONE',
      ].join('\n'),
    );
    expect(out).toEqual({ done: false, results: [] });
  });

  it('accepts the harness\'s own layout: CRLF endings and surrounding spaces', () => {
    const out = parseHarnessOutput(`  ${line('TEST', { id: 'a', status: 'passed' })}  \r\n${line('DONE', {})}\r\n`);
    expect(out.results).toEqual([{ id: 'a', status: 'passed' }]);
    expect(out.done).toBe(true);
  });

  it('drops test lines without a string id or with a status outside the closed list', () => {
    const out = parseHarnessOutput(
      [
        line('TEST', { id: 'a', status: 'passed' }),
        line('TEST', { id: 'b', status: 'PASSED' }),
        line('TEST', { id: 'c', status: 'ok' }),
        line('TEST', { id: 42, status: 'passed' }),
        line('TEST', { status: 'passed' }),
        ...['failed', 'error', 'timeout', 'skipped'].map((status, i) => line('TEST', { id: `s${i}`, status })),
      ].join('\n'),
    );
    expect(out.results.map((r) => [r.id, r.status])).toEqual([
      ['a', 'passed'],
      ['s0', 'failed'],
      ['s1', 'error'],
      ['s2', 'timeout'],
      ['s3', 'skipped'],
    ]);
  });

  it('keeps only well-typed optional fields: a message must be a string, a duration a number', () => {
    const out = parseHarnessOutput(line('TEST', { id: 'a', status: 'failed', message: { html: '<b>' }, durationMs: '12', extra: 'ignored' }));
    expect(out.results).toEqual([{ id: 'a', status: 'failed' }]);
  });

  it('keeps a test reported twice twice, so scoring sees both reports', () => {
    const out = parseHarnessOutput([line('TEST', { id: 'a', status: 'failed' }), line('TEST', { id: 'a', status: 'passed' })].join('\n'));
    expect(out.results).toEqual([
      { id: 'a', status: 'failed' },
      { id: 'a', status: 'passed' },
    ]);
  });

  it('reads a missing or non-numeric ready time as 0', () => {
    expect(parseHarnessOutput(line('READY', {})).ready).toEqual({ readyMs: 0 });
    expect(parseHarnessOutput(line('READY', { readyMs: 'soon' })).ready).toEqual({ readyMs: 0 });
  });

  it('reads whether the driver was ready, only when the harness says', () => {
    expect(parseHarnessOutput(line('READY', { readyMs: 7, driverReady: true })).ready).toEqual({ readyMs: 7, driverReady: true });
    expect(parseHarnessOutput(line('READY', { readyMs: 7, driverReady: false })).ready).toEqual({ readyMs: 7, driverReady: false });
    expect(parseHarnessOutput(line('READY', { readyMs: 7, driverReady: 'yes' })).ready).toEqual({ readyMs: 7 });
  });

  it('lists each target the harness gave up once, with its timeouts in a row', () => {
    const out = parseHarnessOutput(
      [
        line('READY', { readyMs: 1 }),
        line('TEST', { id: 'a', status: 'failed' }),
        line('UNRESPONSIVE', { target: 'service', timeouts: 3 }),
        line('UNRESPONSIVE', { target: 'service', timeouts: 4 }),
        line('UNRESPONSIVE', { target: 'driver', timeouts: 'three' }),
        line('DONE', {}),
      ].join('\n'),
    );
    expect(out.unresponsive).toEqual([
      { target: 'service', timeouts: 3 },
      { target: 'driver', timeouts: 0 },
    ]);
    expect(parseHarnessOutput(line('UNRESPONSIVE', {})).unresponsive).toEqual([{ target: 'service', timeouts: 0 }]);
    expect(parseHarnessOutput(line('DONE', {})).unresponsive).toBeUndefined();
  });

  it('finds nothing in empty output: not ready, not done, no results', () => {
    expect(parseHarnessOutput('')).toEqual({ done: false, results: [] });
  });
});
