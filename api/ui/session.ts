/**
 * Reviewer UI sessions: a cookie `assay_session=<payload>.<mac>` where payload is base64url JSON
 * {n: key name, r: role, k: key fingerprint, e: expiry (unix s), i: random id} and mac is
 * HMAC-SHA256 over the payload with the session secret. HttpOnly, SameSite=Strict, Path=/,
 * Secure behind https.
 *
 * A session is valid only while a key with its name, role and fingerprint is configured. The
 * fingerprint is the first 16 hex of HMAC-SHA256(session secret, "key:" + key): never the key,
 * and not a plain hash of it, so a stolen cookie is no help in guessing the key. Rotating a key
 * (same name, new secret) or removing it therefore ends every session opened with it.
 *
 * The CSRF token of a session is HMAC(secret, "csrf." + payload): forms carry it, and it changes
 * with every login, so a page from another site can neither read nor guess it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Role } from '../../runner/config.ts';

export const SESSION_COOKIE = 'assay_session';
/** Sessions last this long. @defaultValue 8 hours */
export const SESSION_TTL_SECONDS = 8 * 3600;

/** Roles that may hold a UI session. */
const UI_ROLES: readonly Role[] = ['reviewer', 'admin'];

export interface Session {
  name: string;
  role: Role;
  expires: number;
  /** The signed payload; the CSRF token is derived from it. */
  payload: string;
}

/** A configured API key, as runner/config.ts parses ASSAY_API_KEYS. */
export interface ConfiguredKey {
  name: string;
  role: Role;
  key: string;
}

const PayloadSchema = z.strictObject({
  n: z.string(),
  r: z.enum(['reviewer', 'admin', 'submitter']),
  k: z.string().regex(/^[0-9a-f]{16}$/),
  e: z.number().int(),
  i: z.string(),
});

const mac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('base64url');

/** The key's fingerprint as a session records it (16 hex of an HMAC keyed with the session secret). */
export function keyFingerprint(secret: string, key: string): string {
  return createHmac('sha256', secret).update(`key:${key}`).digest('hex').slice(0, 16);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Issues, reads and clears UI sessions for one app: its secret, its configured keys, its scheme. */
export class UiSessions {
  /** The keys that may hold a session, with their fingerprints (computed once). */
  private readonly keys: readonly { name: string; role: Role; fingerprint: string }[];

  constructor(
    private readonly secret: string,
    keys: readonly ConfiguredKey[],
    /** Set the cookie's Secure flag (the public URL is https). */
    private readonly secure: boolean,
  ) {
    this.keys = keys.filter((k) => UI_ROLES.includes(k.role)).map((k) => ({ name: k.name, role: k.role, fingerprint: keyFingerprint(secret, k.key) }));
  }

  /** Sets the session cookie for `who`, who logged in with `key` (only its fingerprint is kept). */
  issue(res: Response, who: { name: string; role: Role }, key: string): void {
    const data: z.infer<typeof PayloadSchema> = { n: who.name, r: who.role, k: keyFingerprint(this.secret, key), e: Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS, i: randomBytes(9).toString('base64url') };
    const payload = Buffer.from(JSON.stringify(data)).toString('base64url');
    res.cookie(SESSION_COOKIE, `${payload}.${mac(this.secret, payload)}`, { httpOnly: true, sameSite: 'strict', secure: this.secure, path: '/', maxAge: SESSION_TTL_SECONDS * 1000 });
  }

  clear(res: Response): void {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: this.secure, path: '/' });
  }

  /**
   * The request's session when it is signed, unexpired, for a reviewer or admin, and a key with
   * its name, role and fingerprint is still configured; otherwise undefined.
   */
  read(req: Request): Session | undefined {
    const raw = cookieValue(req.get('cookie'), SESSION_COOKIE);
    if (!raw || raw.length > 1024) return undefined;
    const dot = raw.indexOf('.');
    if (dot < 0) return undefined;
    const payload = raw.slice(0, dot);
    if (!safeEqual(raw.slice(dot + 1), mac(this.secret, payload))) return undefined;
    let data: z.infer<typeof PayloadSchema>;
    try {
      data = PayloadSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      // Includes sessions issued before fingerprints (no `k`): their holders log in again.
      return undefined;
    }
    if (data.e < Date.now() / 1000) return undefined;
    let known = false;
    for (const k of this.keys) if (k.name === data.n && k.role === data.r && safeEqual(k.fingerprint, data.k)) known = true;
    if (!known) return undefined;
    return { name: data.n, role: data.r, expires: data.e, payload };
  }

  csrfToken(session: Session): string {
    return mac(this.secret, `csrf.${session.payload}`);
  }

  checkCsrf(session: Session, token: unknown): boolean {
    return typeof token === 'string' && safeEqual(token, this.csrfToken(session));
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
