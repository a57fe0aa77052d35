import { describe, expect, it } from 'vitest';
import { procfileArgv, webCommand } from './procfile.ts';

describe('webCommand', () => {
  it('takes the web line among other process types, comments and CRLF endings', () => {
    expect(webCommand('release: npm run migrate\r\nweb: node dist/index.js --port $PORT\r\nworker: node worker.js\r\n')).toBe('node dist/index.js --port $PORT');
    expect(webCommand('# a comment\n  web:gunicorn app:app -b 0.0.0.0:$PORT  \n')).toBe('gunicorn app:app -b 0.0.0.0:$PORT');
  });

  it('finds nothing without a web line, or with an empty one', () => {
    expect(webCommand('worker: node worker.js\n')).toBeUndefined();
    expect(webCommand('web:\n')).toBeUndefined();
    expect(webCommand('webby: node x.js\n')).toBeUndefined();
    expect(webCommand('')).toBeUndefined();
  });
});

describe('procfileArgv', () => {
  it('keeps the command as its own argv element', () => {
    const cmd = 'node server.js; echo "$PORT"';
    expect(procfileArgv(cmd, 'python')).toEqual(['sh', '-c', cmd]);
    const node = procfileArgv(cmd, 'node');
    expect(node.at(-1)).toBe(cmd);
    expect(node.slice(0, -1).join(' ')).not.toContain('server.js');
  });
});
