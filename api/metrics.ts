/**
 * Prometheus metrics of one API instance, in its own registry (not prom-client's global one),
 * so several apps in one process (tests) never collide and the worker can add its own.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SubmissionQueue } from '../runner/queue/queue.ts';

export interface ApiMetrics {
  registry: Registry;
  submissionsCreated: Counter<'challenge'>;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
}

export function createMetrics(queue: SubmissionQueue, opts: { defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'assay_queue_jobs',
    help: 'Grading jobs in the queue, by state (read from BullMQ at scrape time)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await queue.depth();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  const submissionsCreated = new Counter({
    name: 'assay_submissions_created_total',
    help: 'Submissions accepted by the API',
    labelNames: ['challenge'],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'assay_http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, submissionsCreated, httpDuration };
}
