/**
 * Webhook signatures. Every delivery carries
 *   Assay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * in the manner of Stripe: the timestamp is signed with the body, so a captured delivery cannot
 * be replayed later than the receiver's tolerance. Receivers verify with {@link verifySignature}
 * (or the equivalent few lines shown in docs/api.md) on the raw body bytes, before parsing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Assay-Signature';
export const DELIVERY_HEADER = 'Assay-Delivery';

/** Returns the `Assay-Signature` header value for `body` signed at `timestamp` (unix seconds). */
export function signPayload(secret: string, body: string | Buffer, timestamp: number = Math.floor(Date.now() / 1000)): string {
  if (!Number.isInteger(timestamp) || timestamp < 0) throw new RangeError('timestamp must be a non-negative integer of unix seconds');
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'expired' | 'mismatch' };

/**
 * Checks a signature header against the raw body. Fails when the header is malformed, when its
 * timestamp is further than `toleranceSeconds` from `now`, or when no `v1` value matches
 * (several `v1=` values are accepted so a secret can be rotated).
 */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined | null, toleranceSeconds = 300, now: number = Math.floor(Date.now() / 1000)): VerifyResult {
  if (typeof header !== 'string' || header.length > 1000) return { ok: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      candidates.push(value);
    }
  }
  if (timestamp === undefined || candidates.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(now - timestamp) > toleranceSeconds) return { ok: false, reason: 'expired' };
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  const match = candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
  return match ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}

function hmac(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}
