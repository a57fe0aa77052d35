/**
 * End to end through the API: POST a submission whose repository is served by git over HTTP on
 * loopback -> BullMQ -> an in-process grading worker on the real Docker engine -> the report,
 * then the signed webhook to a local receiver. Needs Docker and the locally built images.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../runner/webhooks/sign.ts';
import { eventually } from '../runner/devtools/eventually.ts';
import { useGradingStack } from './support/grading.ts';

const SECRET = 'e2e-webhook-secret-0123456789';
const ADMIN = 'e2e-admin-key-0123456789abc';

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let receiver: http.Server;
let receiverUrl: string;
const deliveries: Delivery[] = [];

// The webhook receiver, registered before the stack: it is up before the stack starts and closes after it.
beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

const grading = useGradingStack({ env: { ASSAY_WEBHOOK_ALLOW_PRIVATE: 'true', ASSAY_WEBHOOK_SECRET: SECRET, ASSAY_API_KEYS: `ops:admin:${ADMIN}`, ASSAY_PUBLIC_URL: 'https://assay.example.test' } });

describe('API end to end', () => {
  it('grades the reference solution to 100%, shows the candidate only visible tests and delivers a signed webhook', async () => {
    // The stack's API, wired as api/main.ts wires it (createApiProcess).
    const { app } = grading.stack.api;
    const repo = await grading.git.addRepo('reference-node.git', { dir: 'challenges/simple-api/reference/node' });
    const created = await request(app)
      .post('/v1/submissions')
      .set('Authorization', `Bearer ${ADMIN}`)
      .send({ challenge: 'simple-api', repoUrl: repo.url, ref: 'main', candidate: { name: 'Ref Erence', email: 'ref@example.com' }, callbackUrl: `${receiverUrl}/hooks/assay?x=1` });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const { id, accessToken } = created.body as { id: string; accessToken: string };
    expect(created.body.links.self).toBe(`https://assay.example.test/v1/submissions/${id}`);
    expect(created.body.candidateUrl).toBe(`https://assay.example.test/v1/submissions/${id}/report.html#token=${accessToken}`);

    // Follow it as the candidate would, through the API, until it is final.
    const stagesSeen = new Set<string>();
    const final = await eventually(
      async () => {
        const res = await request(app).get(`/v1/submissions/${id}`).set('Authorization', `Bearer ${accessToken}`);
        expect(res.status).toBe(200);
        stagesSeen.add(res.body.stage);
        return ['completed', 'failed', 'canceled'].includes(res.body.status) ? res.body : undefined;
      },
      { timeoutMs: 170_000, intervalMs: 250, message: 'a final status' },
    );
    expect(final, JSON.stringify(final)).toMatchObject({ status: 'completed', commit: repo.commit, score: { percent: 100 } });
    expect(stagesSeen.has('completed')).toBe(true);

    const full = await request(app).get(`/v1/submissions/${id}/report`).set('Authorization', `Bearer ${ADMIN}`);
    expect(full.status).toBe(200);
    expect(full.body.score.percent).toBe(100);
    const hidden = (full.body.tests as { id: string; visibility: string }[]).filter((t) => t.visibility === 'hidden');
    expect(hidden.length).toBeGreaterThan(0);

    const cand = await request(app).get(`/v1/submissions/${id}/report`).set('Authorization', `Bearer ${accessToken}`);
    expect(cand.status).toBe(200);
    expect(cand.body.score.percent).toBe(100);
    expect(cand.body.tests.every((t: { visibility: string }) => t.visibility === 'visible')).toBe(true);
    expect(cand.body.hiddenTests.count).toBe(hidden.length);
    for (const t of hidden) expect(cand.text).not.toContain(`"${t.id}"`);
    expect(cand.body.steps.every((s: Record<string, unknown>) => s.log === undefined)).toBe(true);

    // The webhook: one delivery, signed over the raw body, recorded on the submission.
    const delivery = await eventually(() => deliveries[0], { timeoutMs: 30_000, message: 'a webhook delivery' });
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['assay-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const verified = verifySignature(SECRET, delivery.body, delivery.headers['assay-signature'] as string, 300);
    expect(verified.ok).toBe(true);
    expect(verifySignature('some-other-secret-0123456', delivery.body, delivery.headers['assay-signature'] as string, 300).ok).toBe(false);
    const payload = JSON.parse(delivery.body);
    expect(payload).toMatchObject({ event: 'submission.finished', id, status: 'completed', challenge: 'simple-api', commit: repo.commit, score: { percent: 100 }, links: { self: `https://assay.example.test/v1/submissions/${id}` } });
    const recorded = await eventually(
      async () => {
        const res = await request(app).get(`/v1/submissions/${id}`).set('Authorization', `Bearer ${ADMIN}`);
        return res.body.webhookDeliveries?.length ? res.body.webhookDeliveries : undefined;
      },
      { timeoutMs: 10_000, message: 'the delivery on the record' },
    );
    expect(recorded[0]).toMatchObject({ attempt: 1, ok: true, status: 204 });
  });
});
