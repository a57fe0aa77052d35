/**
 * Who is calling. Three kinds of credentials, all as `Authorization: Bearer <secret>`:
 * - API keys from configuration (`name:role:key`), roles reviewer | admin | submitter;
 * - a candidate's access token, which opens exactly one submission (status and candidate
 *   report) and is only ever compared with the sha256 stored on that submission;
 * - the reviewer UI's signed session cookie (api/ui/session.ts), for the HTML pages.
 * Secrets are compared as sha256 digests with timingSafeEqual, over every configured key, so
 * neither a key's length nor where it differs shows in the timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Role } from '../runner/config.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';
import { ApiError } from './errors.ts';

export interface KeyPrincipal {
  kind: 'key';
  name: string;
  role: Role;
}
/** A bearer secret that is not an API key: possibly a candidate's access token. */
export interface TokenPrincipal {
  kind: 'token';
  token: string;
}
export interface AnonymousPrincipal {
  kind: 'anonymous';
}
export type Principal = KeyPrincipal | TokenPrincipal | AnonymousPrincipal;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class Keyring {
  private readonly entries: { name: string; role: Role; hash: Buffer }[];

  constructor(keys: readonly { name: string; role: Role; key: string }[]) {
    this.entries = keys.map((k) => ({ name: k.name, role: k.role, hash: digest(k.key) }));
  }

  /** The key's owner, or undefined. Always compares against every key. */
  match(secret: string): KeyPrincipal | undefined {
    const h = digest(secret);
    let found: KeyPrincipal | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(h, e.hash) && !found) found = { kind: 'key', name: e.name, role: e.role };
    }
    return found;
  }
}

/** True when `given` is `expected` (compared as sha256 digests, so neither length nor content shows in the timing). */
export function secretEquals(given: string | undefined, expected: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

/** The bearer secret of a request; undefined without an Authorization header; 401 when it is malformed. */
export function bearerOf(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header === undefined) return undefined;
  const m = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header.trim());
  if (!m?.[1]) throw unauthenticated('expected "Authorization: Bearer <key or access token>"');
  return m[1];
}

export function principalOf(req: Request, keyring: Keyring): Principal {
  const secret = bearerOf(req);
  if (secret === undefined) return { kind: 'anonymous' };
  return keyring.match(secret) ?? { kind: 'token', token: secret };
}

export function unauthenticated(message = 'credentials are missing or not valid'): ApiError {
  return new ApiError('UNAUTHENTICATED', message, undefined, { 'WWW-Authenticate': 'Bearer realm="assay"' });
}

/** Requires an API key with one of `roles`: 401 without a valid key, 403 with the wrong role. */
export function requireKey(principal: Principal, roles: readonly Role[]): KeyPrincipal {
  if (principal.kind !== 'key') throw unauthenticated(principal.kind === 'anonymous' ? 'an API key is required' : 'the API key is not valid');
  if (!roles.includes(principal.role)) throw new ApiError('FORBIDDEN', `the "${principal.role}" role may not do this (needs ${roles.join(' or ')})`);
  return principal;
}

/** True when `token` is the access token of `record` (compared as sha256 digests). */
export function tokenOpens(token: string, record: Pick<SubmissionRecord, 'accessTokenHash'>): boolean {
  const stored = Buffer.from(record.accessTokenHash, 'hex');
  const given = digest(token);
  return stored.length === given.length && timingSafeEqual(stored, given);
}

/** How much of a submission the caller may see: `none` is answered as 404, not to reveal it exists. */
export type Access = 'reviewer' | 'candidate' | 'none';

export function accessTo(principal: Principal, record: SubmissionRecord): Access {
  if (principal.kind === 'key') {
    if (principal.role === 'reviewer' || principal.role === 'admin') return 'reviewer';
    // Submitters (an ATS integration) follow the submissions they created, as the candidate would.
    return record.submittedBy === principal.name ? 'candidate' : 'none';
  }
  if (principal.kind === 'token') return tokenOpens(principal.token, record) ? 'candidate' : 'none';
  return 'none';
}
