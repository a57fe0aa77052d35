/**
 * How a failed git command becomes the error a candidate or an operator sees: the candidate's
 * fault (REPO_NOT_FOUND, REPO_TOO_SLOW), a transient network failure (retried), or the
 * platform's own problem. The messages are git's and curl's own wording (LC_ALL=C).
 */
import { describe, expect, it } from 'vitest';
import { PlatformError, SubmissionError } from '../../errors.ts';
import { classifyGitFailure } from './fetch.ts';

const url = new URL('https://93.184.215.14/acme/solution.git');
const access = (reason: string) => new Error(`fatal: unable to access '${url.href}/': ${reason}`);
const classify = (err: unknown, secrets: string[] = []) => classifyGitFailure(err, secrets, url);

describe('classifyGitFailure', () => {
  it.each([
    ["fatal: couldn't find remote ref refs/heads/feature/x"],
    [`fatal: repository '${url.href}/' not found`],
    [`fatal: Authentication failed for '${url.href}/'`],
    [`fatal: could not read Username for '${url.origin}': terminal prompts disabled`],
    [`fatal: unable to access '${url.href}/': The requested URL returned error: 404`],
    [`fatal: unable to access '${url.href}/': The requested URL returned error: 403`],
    ['fatal: protocol error: bad line length character: 0000'],
    [`fatal: unable to update url base from redirection:\n  asked for: ${url.href}/info/refs\n   redirect: http://127.0.0.1/x`],
    ['error: Server does not allow request for unadvertised object 0123456789abcdef0123456789abcdef01234567'],
    ['fatal: reference is not a tree: 0123456789abcdef0123456789abcdef01234567'],
  ])('blames the submission for a repository or ref that cannot be fetched: %s', (message) => {
    const err = classify(new Error(message));
    expect(err).toBeInstanceOf(SubmissionError);
    expect(err).toMatchObject({ code: 'REPO_NOT_FOUND', fault: 'submission', retryable: false });
    expect(err.message).toMatch(/^the repository or ref could not be fetched: /);
  });

  it.each([['Operation too slow. Less than 1024 bytes/sec transferred the last 10 seconds'], ['Operation timed out after 20001 milliseconds with 0 bytes received'], ['Timeout was reached']])(
    'calls a server below the speed limit too slow: %s',
    (reason) => {
      expect(classify(access(reason))).toMatchObject({ name: 'SubmissionError', code: 'REPO_TOO_SLOW', message: expect.stringMatching(/^the repository server was too slow: /) });
    },
  );

  it.each([
    ['Failed to connect to 93.184.215.14 port 443 after 3 ms: Connection refused'],
    ['Could not resolve host: git.example.com'],
    ['SSL certificate problem: unable to get local issuer certificate'],
    ['Recv failure: Connection reset by peer'],
    ['The requested URL returned error: 502'],
    ['Empty reply from server'],
  ])('treats a network failure as the platform\'s, and retryable: %s', (reason) => {
    const err = classify(access(reason));
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ code: 'FETCH_NETWORK', fault: 'platform', retryable: true });
  });

  it('treats a transfer cut mid-pack as a network failure', () => {
    expect(classify(new Error('error: RPC failed; curl 18 transfer closed with outstanding read data remaining\nfatal: early EOF\nfatal: fetch-pack: invalid index-pack output'))).toMatchObject({ code: 'FETCH_NETWORK' });
  });

  it('never blames the candidate for a failure it does not recognise (a full disk, a git bug)', () => {
    for (const message of ['fatal: write error: No space left on device', 'error: unknown failure', '']) {
      const err = classify(new Error(message));
      expect(err, message).toBeInstanceOf(PlatformError);
      expect(err).toMatchObject({ code: 'INTERNAL', fault: 'platform', retryable: false, message: expect.stringMatching(/^git failed: /) });
    }
  });

  it('ignores what the candidate chose: a URL naming a network failure is still a missing repository', () => {
    const hostile = new URL('https://93.184.215.14/SSL_ERROR-early-EOF.git');
    const err = classifyGitFailure(new Error(`fatal: unable to update url base from redirection:\n  asked for: ${hostile.href}/info/refs?service=git-upload-pack\n   redirect: https://93.184.215.14/elsewhere`), [], hostile);
    expect(err).toMatchObject({ code: 'REPO_NOT_FOUND' });
    // Quoted text (where git echoes the URL or a path) does not count either.
    expect(classify(new Error("fatal: 'Connection refused' does not appear to be a git repository"))).toMatchObject({ code: 'REPO_NOT_FOUND' });
  });

  it('removes the token, its Basic form and any Authorization header from the message and its cause', () => {
    const token = 'ghp_secret0123456789';
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const err = classify(new Error(`fatal: Authentication failed (token ${token}, header Authorization: Basic ${basic}, again authorization: Bearer abc.def)`), [token, basic]);
    const seen = `${err.message} ${(err.cause as Error).message}`;
    expect(seen).not.toContain(token);
    expect(seen).not.toContain(basic);
    expect(seen).not.toContain('abc.def');
    expect(err.message).toContain('[redacted]');
  });

  it('strips control characters, collapses whitespace and cuts a long message', () => {
    const err = classify(new Error(`fatal: repository not found\u001b[31m\r\n\t  red\u0007 ${'x'.repeat(1000)}`));
    const detail = err.message.replace(/^the repository or ref could not be fetched: /, '');
    expect(detail).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(detail).toMatch(/^fatal: repository not found \[31m red x+…$/);
    expect(detail.length).toBe(300);
  });

  it('accepts a thrown value that is not an Error', () => {
    expect(classify("fatal: couldn't find remote ref main")).toMatchObject({ code: 'REPO_NOT_FOUND' });
  });
});
