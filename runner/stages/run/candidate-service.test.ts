import { describe, expect, it } from 'vitest';
import { groupLeaderArgv, PID_FILE } from './candidate-service.ts';
import { parseHarnessOutput, restartRequestId } from './harness-output.ts';

describe('groupLeaderArgv', () => {
  it("passes the candidate's command as arguments, never as shell text", () => {
    const argv = groupLeaderArgv(['npm', 'start', '$(touch /tmp/x)', '; rm -rf /']);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).toBe(`echo "$$" > ${PID_FILE} 2>/dev/null; exec "$@"`);
    expect(argv.slice(3)).toEqual(['assay-service', 'npm', 'start', '$(touch /tmp/x)', '; rm -rf /']);
  });
});

describe('the restart protocol lines', () => {
  it('reads a restart request by its id', () => {
    expect(restartRequestId('ASSAY_RESTART {"id":3,"test":"persist.survives-restart"}')).toBe(3);
    expect(restartRequestId('  ASSAY_RESTART {"id":1}  ')).toBe(1);
  });

  it('ignores anything else', () => {
    for (const line of ['ASSAY_RESTART {"id":0}', 'ASSAY_RESTART {"id":"1"}', 'ASSAY_RESTART {"id":1.5}', 'ASSAY_RESTART {id:1}', 'x ASSAY_RESTART {"id":1}', 'ASSAY_RESTARTED {"id":1}', '']) {
      expect(restartRequestId(line), line).toBeUndefined();
    }
  });

  it('collects the restarts the harness reports', () => {
    const out = parseHarnessOutput(
      [
        'ASSAY_READY {"readyMs":5}',
        'ASSAY_RESTART {"id":1,"test":"p.a"}',
        'ASSAY_RESTARTED {"id":1,"test":"p.a","ok":true,"stopMs":90,"durationMs":250}',
        'ASSAY_RESTARTED {"id":2,"test":"p.b","ok":false,"reason":"it was started again but did not accept connections","durationMs":10000}',
        'ASSAY_DONE {}',
      ].join('\n'),
    );
    expect(out.restarts).toEqual([
      { test: 'p.a', ok: true, stopMs: 90, durationMs: 250 },
      { test: 'p.b', ok: false, reason: 'it was started again but did not accept connections', durationMs: 10000 },
    ]);
  });
});
