/**
 * Webhook delivery: a BullMQ worker on the `webhooks` queue (job data `{submissionId, event?}`; the
 * grading worker enqueues `submission.finished` when a submission with a callbackUrl reaches a
 * final state, the API `review.completed` when a review is submitted; 6 attempts with
 * exponential backoff).
 *
 * Each attempt re-checks the callback URL against the SSRF policy (the DNS answer may have
 * changed since the submission was accepted), connects to exactly the address that was checked
 * (no second lookup, so DNS rebinding cannot move it), POSTs a signed JSON summary, never follows
 * a redirect (a 3xx is a failure), drains at most a few KB of the response and gives up after 10 s.
 * Every attempt is recorded on the submission (`webhookDeliveries`, SubmissionStore.recordWebhookDelivery);
 * a failed attempt is retried by the queue. Problems no retry can fix (no secret, URL not allowed)
 * are rejected at once.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Config, FetchPolicy } from '../config.ts';
import type { Logger } from '../log.ts';
import { QueueConsumer, type ConsumedJob, type JobOutcome } from '../queue/consumer.ts';
import { WEBHOOKS_QUEUE, WebhookJobSchema, type WebhookJob } from '../queue/queue.ts';
import { isPrivateAddress, resolveAllowedAddress } from '../net/url-policy.ts';
import type { Report } from '../report/schema.ts';
import { reviewCompletedPayload } from '../review/webhook.ts';
import type { Redis } from '../store/redis.ts';
import type { SubmissionRecord, SubmissionStore, WebhookDelivery } from '../store/submissions.ts';
import { RUNNER_VERSION } from '../version.ts';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signPayload } from './sign.ts';

export interface WebhookWorkerDeps {
  config: Config;
  store: SubmissionStore;
  connection: Redis;
  log: Logger;
}

/** Per-attempt limit for connecting, sending and reading the status line. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Response bytes read (and ignored) before the connection is dropped. */
const MAX_RESPONSE_BYTES = 16 * 1024;

export class CallbackUrlError extends Error {
  override name = 'CallbackUrlError';
}

/** The policy callbacks are checked against: https only, public addresses only, unless the operator allows private ones (which also allows http, for local receivers). */
export function callbackPolicy(allowPrivate: boolean): FetchPolicy {
  return { allowHttp: allowPrivate, allowPrivate, allowedHosts: [] };
}

/**
 * Checks a callback URL's form without network I/O: http(s) only, no credentials, no fragment,
 * a valid host, and (for IP literals) a public address unless allowed. Throws CallbackUrlError.
 */
export function parseCallbackUrl(raw: string, allowPrivate: boolean): { url: URL; host: string } {
  const bad = (reason: string) => new CallbackUrlError(`the callback URL is not allowed: ${reason}`);
  if (raw.length > 2048) throw bad('it is longer than 2048 characters');
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(raw)) throw bad('it contains whitespace, control characters or a backslash');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('it is not a valid URL');
  }
  const allowed = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol)) throw bad(`the "${url.protocol}" scheme is not allowed; use ${allowed.map((p) => `${p}//`).join(' or ')}`);
  if (url.username !== '' || url.password !== '' || /^[a-z]+:\/\/[^/?#]*@/i.test(raw)) throw bad('credentials in the URL are not allowed');
  if (url.hash !== '' || raw.includes('#')) throw bad('a fragment ("#...") is not allowed');
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') throw bad('it has no host');
  if (isIP(host) !== 0) {
    if (!allowPrivate && isPrivateAddress(host)) throw bad(`the host ${host} is a private, loopback or reserved address`);
  } else if (host.length > 253 || !host.split('.').every((l) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(l)) || /^\d+$/.test(host.split('.').at(-1) ?? '')) {
    throw bad(`"${host}" is not a valid host name`);
  }
  return { url, host };
}

/** Parses and resolves a callback URL; returns the one address a delivery may connect to. */
export async function checkCallbackUrl(raw: string, allowPrivate: boolean): Promise<{ url: URL; host: string; address: string }> {
  const { url, host } = parseCallbackUrl(raw, allowPrivate);
  try {
    return { url, host, address: await resolveAllowedAddress(host, callbackPolicy(allowPrivate)) };
  } catch (err) {
    // resolveAllowedAddress speaks of "the repository URL"; callers want the callback's reason.
    const message = (err as Error).message.replace('the repository URL is not allowed', 'the callback URL is not allowed');
    throw new CallbackUrlError(message, { cause: err });
  }
}

/** The base URL links are built from: ASSAY_PUBLIC_URL, or the API's listen address. */
export function publicBaseUrl(config: Config): string {
  if (config.api.publicUrl) return config.api.publicUrl.replace(/\/+$/, '');
  const host = isIP(config.api.host) === 6 ? `[${config.api.host}]` : config.api.host;
  return `http://${host}:${config.api.port}`;
}

export function submissionLinks(baseUrl: string, id: string): { self: string; report: string; reportHtml: string } {
  const self = `${baseUrl}/v1/submissions/${encodeURIComponent(id)}`;
  return { self, report: `${self}/report`, reportHtml: `${self}/report.html` };
}

/**
 * The `submission.finished` event body: scores and ids, and the report's `insights` (the same JSON
 * as the reviewer's report: file paths, lint findings, the diff against the starter), which are
 * reviewer data like the report the links lead to.
 */
export function webhookPayload(record: SubmissionRecord, baseUrl: string, report?: Pick<Report, 'insights'>) {
  return {
    event: 'submission.finished' as const,
    id: record.id,
    status: record.status,
    challenge: record.challenge,
    score: record.score ?? null,
    commit: record.commit ?? null,
    finishedAt: record.finishedAt ?? null,
    links: submissionLinks(baseUrl, record.id),
    ...(report?.insights ? { insights: report.insights } : {}),
  };
}

/** The body of the job's event; undefined when what it reports is gone. */
async function eventPayload(deps: WebhookWorkerDeps, job: WebhookJob, record: SubmissionRecord): Promise<object | undefined> {
  const baseUrl = publicBaseUrl(deps.config);
  if (job.event !== 'review.completed') return webhookPayload(record, baseUrl, await deps.store.getReport(record.id));
  const review = job.reviewVersion === undefined ? undefined : await deps.store.reviews.version(record.id, job.reviewVersion);
  return review ? reviewCompletedPayload(record, review, submissionLinks(baseUrl, record.id)) : undefined;
}

export function startWebhookWorker(deps: WebhookWorkerDeps): { close(): Promise<void> } {
  const log = deps.log.child({ component: 'webhooks' });
  const consumer = new QueueConsumer<WebhookJob>(
    { queue: WEBHOOKS_QUEUE, connection: deps.connection, prefix: deps.config.redis.prefix, schema: WebhookJobSchema, concurrency: 4, log },
    (job) => processDelivery(deps, job, log),
  );
  consumer.start();
  return { close: () => consumer.close() };
}

async function processDelivery(deps: WebhookWorkerDeps, job: ConsumedJob<WebhookJob>, log: Logger): Promise<JobOutcome> {
  const { submissionId } = job.data;
  const { config, store } = deps;
  const record = await store.get(submissionId);
  if (!record?.callbackUrl) return { kind: 'reject', reason: 'no such submission or no callback URL' };
  const attempt = job.attemptsMade + 1;
  const started = Date.now();
  const recordAttempt = (d: Omit<WebhookDelivery, 'attempt' | 'at' | 'durationMs'>) =>
    store.recordWebhookDelivery(submissionId, { attempt, at: new Date(started).toISOString(), durationMs: Date.now() - started, event: job.data.event ?? 'submission.finished', ...d });

  const secret = config.api.webhookSecret;
  if (!secret) {
    await recordAttempt({ ok: false, error: 'not delivered: no webhook secret is configured (ASSAY_WEBHOOK_SECRET)' });
    return { kind: 'reject', reason: 'no webhook secret configured' };
  }
  let target: { url: URL; host: string; address: string };
  try {
    target = await checkCallbackUrl(record.callbackUrl, config.api.webhookAllowPrivate);
  } catch (err) {
    const message = (err as Error).message;
    await recordAttempt({ ok: false, error: message });
    const cause = (err as { cause?: { retryable?: boolean } }).cause;
    if (cause?.retryable) return { kind: 'retry', error: err }; // a resolver hiccup: worth another attempt
    return { kind: 'reject', reason: message };
  }

  const payload = await eventPayload(deps, job.data, record);
  if (!payload) {
    await recordAttempt({ ok: false, error: 'not delivered: the review version it reports does not exist' });
    return { kind: 'reject', reason: 'no such review version' };
  }
  const body = JSON.stringify(payload);
  const deliveryId = randomUUID();
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': `Assay-Webhooks/${RUNNER_VERSION}`,
    [SIGNATURE_HEADER]: signPayload(secret, body),
    [DELIVERY_HEADER]: deliveryId,
  };
  let outcome: { ok: boolean; status?: number; error?: string };
  try {
    const status = await postPinned(target, body, headers, WEBHOOK_TIMEOUT_MS);
    if (status >= 200 && status < 300) outcome = { ok: true, status };
    else if (status >= 300 && status < 400) outcome = { ok: false, status, error: `the receiver answered ${status}; redirects are not followed` };
    else outcome = { ok: false, status, error: `the receiver answered ${status}` };
  } catch (err) {
    outcome = { ok: false, error: describeNetworkError(err) };
  }
  await recordAttempt(outcome);
  log.info({ submissionId, deliveryId, attempt, ok: outcome.ok, status: outcome.status }, 'webhook attempt');
  return outcome.ok ? { kind: 'done' } : { kind: 'retry', error: new Error(`webhook delivery failed: ${outcome.error}`) };
}

/** POSTs `body` to `target.url`, connecting only to `target.address`. Resolves with the status code. */
function postPinned(target: { url: URL; host: string; address: string }, body: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  const { url, host, address } = target;
  const family = isIP(address) === 6 ? 6 : 4;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const req = client.request(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: host,
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)), Host: url.host },
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
        // Pin: whatever name the URL holds, the socket goes to the address that was checked.
        lookup: ((_name: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
          if (opts.all) cb(null, [{ address, family }]);
          else cb(null, address, family);
        }) as never,
        ...(isIP(host) === 0 && url.protocol === 'https:' ? { servername: host } : {}),
      },
      (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  return `network error: ${e.code ?? e.message ?? 'unknown'}`;
}
