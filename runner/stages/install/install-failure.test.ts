import { describe, expect, it } from 'vitest';
import { classifyInstallFailure } from './install-failure.ts';

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
