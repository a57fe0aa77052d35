/**
 * Reviewer UI sessions: a cookie `assay_session=<payload>.<mac>` where payload is base64url JSON
 * {n: key name, r: role, e: expiry (unix s), i: random id} and mac is HMAC-SHA256 over the
 * payload with the session secret. HttpOnly, SameSite=Strict, Path=/, Secure behind https.
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

export interface Session {
  name: string;
  role: Role;
  expires: number;
  /** The signed payload; the CSRF token is derived from it. */
  payload: string;
}

const PayloadSchema = z.strictObject({ n: z.string(), r: z.enum(['reviewer', 'admin', 'submitter']), e: z.number().int(), i: z.string() });

const mac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('base64url');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function issueSession(res: Response, secret: string, who: { name: string; role: Role }, secure: boolean): void {
  const payload = Buffer.from(JSON.stringify({ n: who.name, r: who.role, e: Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS, i: randomBytes(9).toString('base64url') })).toString('base64url');
  res.cookie(SESSION_COOKIE, `${payload}.${mac(secret, payload)}`, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: SESSION_TTL_SECONDS * 1000 });
}

export function clearSession(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure, path: '/' });
}

/** The valid, unexpired session of a request, or undefined. */
export function readSession(req: Request, secret: string): Session | undefined {
  const raw = cookieValue(req.get('cookie'), SESSION_COOKIE);
  if (!raw || raw.length > 1024) return undefined;
  const dot = raw.indexOf('.');
  if (dot < 0) return undefined;
  const payload = raw.slice(0, dot);
  if (!safeEqual(raw.slice(dot + 1), mac(secret, payload))) return undefined;
  let data: z.infer<typeof PayloadSchema>;
  try {
    data = PayloadSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
  if (data.e < Date.now() / 1000) return undefined;
  return { name: data.n, role: data.r, expires: data.e, payload };
}

export function csrfToken(secret: string, session: Session): string {
  return mac(secret, `csrf.${session.payload}`);
}

export function checkCsrf(secret: string, session: Session, token: unknown): boolean {
  return typeof token === 'string' && safeEqual(token, csrfToken(secret, session));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
