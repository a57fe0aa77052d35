import { describe, expect, it } from 'vitest';
import { commandNotFound, exitedReason, withHints } from './start-failure.ts';

describe('commandNotFound', () => {
  it("reads the command from dash's and bash's messages", () => {
    expect(commandNotFound('sh: 1: gunicorn: not found\n')).toBe('gunicorn');
    expect(commandNotFound('> start\n> nodemon server.js\n\nsh: nodemon: command not found\n')).toBe('nodemon');
    expect(commandNotFound('/bin/sh: 1: uvicorn: not found')).toBe('uvicorn');
    expect(commandNotFound('Error: Cannot find module')).toBeUndefined();
  });
});

describe('exitedReason', () => {
  it('says which command is missing when the shell could not find it (127)', () => {
    expect(exitedReason(127, 'sh: 1: gunicorn: not found\n')).toMatch(/^the service exited with code 127 before accepting connections; the command "gunicorn" was not found: the sandbox has node/);
  });

  it('is the exit code alone otherwise, then the plan\'s hints', () => {
    expect(exitedReason(1, 'sh: 1: gunicorn: not found')).toBe('the service exited with code 1 before accepting connections');
    expect(exitedReason(0, '')).toBe('the service exited with code 0 before accepting connections; the start command ended without an error instead of serving: it must keep running, listening on PORT');
    expect(exitedReason(2, '', ['start.sh has Windows (CRLF) line endings'])).toBe('the service exited with code 2 before accepting connections; start.sh has Windows (CRLF) line endings');
  });
});

describe('withHints', () => {
  it('follows any reason with the hints, and is the reason alone without', () => {
    expect(withHints('the service listens on port 3000, not on 8080', ['the start command itself sets the port to 3000'])).toBe('the service listens on port 3000, not on 8080; the start command itself sets the port to 3000');
    expect(withHints('nothing accepted connections')).toBe('nothing accepted connections');
  });
});
