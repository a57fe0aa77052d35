/** Everything a request handler needs, built once per app by createApp (no module-level state). */
import type { Config } from '../runner/config.ts';
import type { ChallengeRepository } from '../runner/challenges/repository.ts';
import type { Logger } from '../runner/log.ts';
import type { SubmissionQueue } from '../runner/queue/queue.ts';
import type { Redis } from '../runner/store/redis.ts';
import type { SubmissionStore } from '../runner/store/submissions.ts';
import type { Keyring } from './auth.ts';
import type { ApiMetrics } from './metrics.ts';
import type { UiSessions } from './ui/session.ts';

export interface AppDeps {
  config: Config;
  store: SubmissionStore;
  queue: SubmissionQueue;
  /** A store connection (not BullMQ's): readiness pings and cancel messages go through it. */
  redis: Redis;
  challenges: ChallengeRepository;
  /**
   * Rejects when the container engine does not answer; /readyz reports it as the `docker`
   * check. api/wire.ts builds it (loading runner/sandbox only then) when ASSAY_READYZ_DOCKER is
   * on, so the API never loads dockerode at import time.
   * @defaultValue absent: the check is reported as skipped
   */
  checkEngine?: () => Promise<void>;
  log: Logger;
}

export interface AppContext extends AppDeps {
  keyring: Keyring;
  metrics: ApiMetrics;
  /**
   * UI sessions, signed with ASSAY_SESSION_SECRET (or a random secret per app: sessions then end
   * on restart) and valid only while the key they were opened with is configured.
   */
  sessions: UiSessions;
  /** ASSAY_PUBLIC_URL or the listen address; links in responses and webhooks start with it. */
  baseUrl: string;
}
