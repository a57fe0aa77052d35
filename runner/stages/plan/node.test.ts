import { describe, expect, it } from 'vitest';
import { startCommand } from './node.ts';

describe('startCommand', () => {
  it('runs a plain `node <file>` start script directly', () => {
    expect(startCommand({ scripts: { start: 'node server.js' } }, true)).toEqual(['node', 'server.js']);
    expect(startCommand({ scripts: { start: 'node src/index.js' } }, false)).toEqual(['node', 'src/index.js']);
  });

  it("uses npm's default when there is no start script but a server.js", () => {
    expect(startCommand({}, true)).toEqual(['node', 'server.js']);
  });

  it('leaves anything else to npm start', () => {
    for (const start of ['node --require ./x.js server.js', 'node server.js && echo hi', 'ts-node src/a.ts', 'node -e 1', 'node $(cat f)']) {
      expect(startCommand({ scripts: { start } }, true)).toEqual(['npm', 'start', '--silent']);
    }
    expect(startCommand({ scripts: { start: 'node server.js', prestart: 'echo' } }, true)).toEqual(['npm', 'start', '--silent']);
    expect(startCommand({}, false)).toEqual(['npm', 'start', '--silent']);
  });
});
