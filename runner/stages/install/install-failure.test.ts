import { describe, expect, it } from 'vitest';
import { classifyInstallFailure, classifyPipFailure } from './install-failure.ts';

describe('classifyInstallFailure', () => {
  it.each([
    ['npm error code ECONNREFUSED\nnpm error syscall connect\nnpm error errno ECONNREFUSED', 'ECONNREFUSED'],
    ['npm error code UNABLE_TO_GET_ISSUER_CERT_LOCALLY\nnpm error errno UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
    ['npm error code SELF_SIGNED_CERT_IN_CHAIN', 'SELF_SIGNED_CERT_IN_CHAIN'],
    ['npm error code E503\nnpm error 503 Service Unavailable - GET https://registry.npmjs.org/express', 'E503'],
    ['npm error code ETIMEDOUT', 'ETIMEDOUT'],
    ['npm ERR! code EAI_AGAIN', 'EAI_AGAIN'],
    ['npm error network request to https://registry.npmjs.org/x failed', 'NETWORK'],
  ])('blames the platform for %j', (log, code) => {
    expect(classifyInstallFailure(log)).toEqual({ fault: 'platform', code });
  });

  it.each([
    ['npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/no-such-package-xyz', 'E404'],
    ['npm error code ETARGET\nnpm error notarget No matching version found for express@99.0.0.', 'ETARGET'],
    ['npm error code EINTEGRITY\nnpm error sha512-... integrity checksum failed', 'EINTEGRITY'],
    ['npm error code EUSAGE\nnpm error `npm ci` can only install packages when your package.json and package-lock.json are in sync.', 'EUSAGE'],
  ])('blames the candidate for %j', (log, code) => {
    expect(classifyInstallFailure(log)).toEqual({ fault: 'candidate', code });
  });

  it('blames the candidate when npm says nothing classifiable (e.g. killed at its limits)', () => {
    expect(classifyInstallFailure('')).toEqual({ fault: 'candidate' });
  });
});

describe('classifyPipFailure', () => {
  // Output and debug-log lines as pip 23 (the python image's) prints them.
  const notFound = 'ERROR: Could not find a version that satisfies the requirement tinyid==2.0.1 (from versions: none)\nERROR: No matching distribution found for tinyid==2.0.1\n';

  it.each([
    [
      'a refused connection',
      "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPConnection object at 0x7f8933737990>: Failed to establish a new connection: [Errno 111] Connection refused')': /simple/tinyid/\n" + notFound,
      '',
      'connection failed',
    ],
    [
      '503s (seen only in the debug log)',
      notFound,
      "Could not fetch URL http://172.18.0.2:8080/simple/tinyid/: HTTPConnectionPool(host='172.18.0.2', port=8080): Max retries exceeded with url: /simple/tinyid/ (Caused by ResponseError('too many 503 error responses')) - skipping",
      'HTTP 503',
    ],
    ['a 502 on a project page', notFound, 'Could not fetch URL https://pypi.org/simple/x/: 502 Server Error: Bad Gateway for url: https://pypi.org/simple/x/ - skipping', 'HTTP 502'],
    ['a TLS failure (a proxy CA that is not configured)', "WARNING: Retrying ... after connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:992)'))': /simple/flask/\n" + notFound, '', 'TLS failed'],
    ['DNS', "WARNING: Retrying ... after connection broken by 'NewConnectionError(... [Errno -3] Temporary failure in name resolution')': /simple/flask/\n" + notFound, '', 'connection failed'],
    ['a listed file that cannot be downloaded', 'Collecting flask==3.0.3\nERROR: HTTP error 404 while getting https://files.example/flask-3.0.3-py3-none-any.whl\n', '', 'download failed'],
  ])('blames the platform for %s', (_what, output, debugLog, code) => {
    expect(classifyPipFailure(output, debugLog)).toEqual({ fault: 'platform', code });
  });

  it.each([
    ['a project the index does not have (404 in the debug log)', notFound, 'Could not fetch URL http://172.18.0.2:8080/simple/nosuchpkg/: 404 Client Error: File not found for url: http://172.18.0.2:8080/simple/nosuchpkg/ - skipping'],
    ['a version the index does not have', 'ERROR: Could not find a version that satisfies the requirement tinyid==9.9 (from versions: 2.0.1)\nERROR: No matching distribution found for tinyid==9.9\n', ''],
    [
      'a wrong hash, even after a retried timeout',
      'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes.\n    tinyid==2.0.1 from http://172.18.0.2:8080/files/tinyid-2.0.1-py3-none-any.whl#sha256=933d (from -r requirements.txt (line 1)):\n        Expected sha256 0000\n             Got        933d\n',
      "WARNING: Retrying (Retry(total=1, ...)) after connection broken by 'ReadTimeoutError(...)': /simple/tinyid/",
    ],
    ['an unpinned dependency in --require-hashes mode', 'ERROR: In --require-hashes mode, all requirements must have their versions pinned with ==. These do not:\n    base-kit>=1.0 from http://x/files/base_kit-1.2.0-py3-none-any.whl\n', ''],
    ['conflicting requirements', 'ERROR: Cannot install a==1 and b==2 because these package versions have conflicting dependencies.\nERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts\n', ''],
    ['a package for another Python', "ERROR: Package 'x' requires a different Python: 3.11.2 not in '>=3.12'\n", ''],
    ['nothing classifiable (killed at its limits)', '', undefined],
  ])("blames the candidate for %s", (_what, output, debugLog) => {
    expect(classifyPipFailure(output, debugLog)).toEqual({ fault: 'candidate' });
  });
});

describe('classifyInstallFailure for pnpm and yarn', () => {
  it.each([
    ['pnpm', ' ERR_PNPM_META_FETCH_FAIL  GET https://registry.npmjs.org/express: request to https://registry.npmjs.org/express failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org', 'ENOTFOUND'],
    ['pnpm', ' ERR_PNPM_FETCH_503  GET https://registry.npmjs.org/express/-/express-4.22.3.tgz: Service Unavailable - 503', 'E503'],
    ['yarn', 'error An unexpected error occurred: "https://registry.npmjs.org/express/-/express-4.22.3.tgz: getaddrinfo EAI_AGAIN registry.npmjs.org".', 'EAI_AGAIN'],
    ['yarn', 'error An unexpected error occurred: "https://registry.npmjs.org/express: Request failed \\"502 Bad Gateway\\"".', 'E502'],
    ['yarn', '➤ YN0001: │ RequestError: connect ECONNREFUSED 104.16.0.35:443', 'ECONNREFUSED'],
    ['yarn', '➤ YN0001: │ HTTPError: Response code 503 (Service Unavailable)', 'E503'],
    ['pnpm', ' ERR_PNPM_META_FETCH_FAIL  GET https://registry.npmjs.org/x: request to https://registry.npmjs.org/x failed, reason: unable to get local issuer certificate', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  ] as const)('blames the platform for %s: %j', (manager, log, code) => {
    expect(classifyInstallFailure(log, manager)).toEqual({ fault: 'platform', code });
  });

  it.each([
    ['pnpm', ' ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date with package.json', 'ERR_PNPM_OUTDATED_LOCKFILE'],
    ['pnpm', ' ERR_PNPM_FETCH_404  GET https://registry.npmjs.org/no-such-package-xyz: Not Found - 404', 'ERR_PNPM_FETCH_404'],
    ['yarn', '➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden.', undefined],
    ['yarn', 'error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.', undefined],
  ] as const)('blames the candidate for %s: %j', (manager, log, code) => {
    expect(classifyInstallFailure(log, manager)).toEqual(code ? { fault: 'candidate', code } : { fault: 'candidate' });
  });
});
