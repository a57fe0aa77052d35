/**
 * How a failed git command becomes the error a candidate or an operator sees: the candidate's
 * fault (REPO_NOT_FOUND, REPO_TOO_SLOW, REPO_TOO_LARGE, REPO_INVALID, and REPO_UNREACHABLE for a
 * server of their choosing that fails), a transient network failure on our side (retried), or
 * the platform's own problem. The messages are git's and curl's own wording (LC_ALL=C).
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

  const serverFailures = [
    ['Failed to connect to 93.184.215.14 port 443 after 3 ms: Connection refused'],
    ["Failed to connect to 93.184.215.14 port 443 after 3 ms: Couldn't connect to server"],
    ['Failed to connect to 93.184.215.14 port 443 after 130000 ms: Connection timed out'],
    ['Recv failure: Connection reset by peer'],
    ['The requested URL returned error: 502'],
    ['The requested URL returned error: 503'],
    ['Empty reply from server'],
  ];

  it.each(serverFailures)("blames a server the candidate chose for failing: %s", (reason) => {
    const err = classify(access(reason));
    expect(err).toBeInstanceOf(SubmissionError);
    expect(err).toMatchObject({ code: 'REPO_UNREACHABLE', fault: 'submission', retryable: false });
    expect(err.message).toMatch(/^the repository's server could not be reached or failed to answer: /);
  });

  it.each(serverFailures)("treats a failing host the operator allowed as the platform's, and retryable: %s", (reason) => {
    const err = classifyGitFailure(access(reason), [], url, { candidateHost: false });
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ code: 'FETCH_NETWORK', fault: 'platform', retryable: true });
  });

  it.each([['Could not resolve host: git.example.com'], ['SSL certificate problem: unable to get local issuer certificate']])(
    "treats our side of the network (resolver, TLS trust) as the platform's, and retryable: %s",
    (reason) => {
      for (const candidateHost of [true, false]) {
        const err = classifyGitFailure(access(reason), [], url, { candidateHost });
        expect(err).toBeInstanceOf(PlatformError);
        expect(err).toMatchObject({ code: 'FETCH_NETWORK', fault: 'platform', retryable: true });
      }
    },
  );

  it('treats a transfer cut mid-pack as a failing server', () => {
    const cut = new Error('error: RPC failed; curl 18 transfer closed with outstanding read data remaining\nfatal: early EOF\nfatal: fetch-pack: invalid index-pack output');
    expect(classify(cut)).toMatchObject({ code: 'REPO_UNREACHABLE' });
    expect(classifyGitFailure(cut, [], url, { candidateHost: false })).toMatchObject({ code: 'FETCH_NETWORK', retryable: true });
    expect(classify(new Error('fatal: the remote end hung up unexpectedly'))).toMatchObject({ code: 'REPO_UNREACHABLE' });
  });

  it.each([
    ['fatal: attempting to allocate 2147483649 over limit 68157440\nfatal: index-pack failed'],
    ['fatal: Out of memory, malloc failed (tried to allocate 2147483649 bytes)\nfatal: index-pack failed'],
    ['error: index-pack died of signal 25\nfatal: index-pack failed'],
  ])('calls a repository that hits git\'s memory or file-size ceiling too large: %s', (message) => {
    const err = classifyGitFailure(new Error(message), [], url, { maxBytes: 1024 * 1024 });
    expect(err).toMatchObject({ name: 'SubmissionError', code: 'REPO_TOO_LARGE', message: expect.stringMatching(/^the repository is larger than the limit of 1 MB: /) });
  });

  it.each([
    ['error: object 0123456789abcdef0123456789abcdef01234567: duplicateEntries: contains duplicate file entries\nfatal: fsck error in packed object\nfatal: index-pack failed'],
    ['fatal: pack has bad object at offset 12: inflate returned -3\nfatal: fetch-pack: invalid index-pack output'],
    ['fatal: premature end of pack file, 40 bytes missing\nfatal: index-pack failed'],
    ['fatal: pack is corrupted (SHA1 mismatch)\nfatal: index-pack failed'],
  ])('calls a pack that fails fsck, or is corrupt, malformed: %s', (message) => {
    expect(classify(new Error(message))).toMatchObject({ name: 'SubmissionError', code: 'REPO_INVALID', message: expect.stringMatching(/^the repository contains malformed git objects: /) });
  });

  it('ignores what the server printed: a "remote:" line or a "remote error:" naming our failures is still the candidate\'s', () => {
    const printed = new Error('remote: SSL certificate problem: unable to get local issuer certificate\nremote: attempting to allocate 9 over limit 1\nfatal: remote error: Could not resolve host: github.com');
    for (const candidateHost of [true, false]) {
      expect(classifyGitFailure(printed, [], url, { candidateHost })).toMatchObject({ name: 'SubmissionError', code: 'REPO_NOT_FOUND' });
    }
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
