/**
 * Assay's configuration: one schema, parsed once from the environment at start-up, every
 * problem reported together, then frozen. No other module reads `process.env`.
 * Every variable is documented in the README ("Configuration").
 */
import { isIP } from 'node:net';
import os from 'node:os';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const ROLES = ['reviewer', 'admin', 'submitter'] as const;
export type Role = (typeof ROLES)[number];

/** `name:role:key` entries, comma separated. */
const apiKeys = z.string().transform((value, ctx) => {
  const keys: { name: string; role: Role; key: string }[] = [];
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, role, key] = entry.split(':');
    if (!name || !key || !ROLES.includes(role as Role) || key.length < 16) {
      ctx.addIssue({ code: 'custom', message: `"${name ?? entry}": expected name:role:key with role one of ${ROLES.join('|')} and a key of at least 16 characters` });
      continue;
    }
    keys.push({ name, role: role as Role, key });
  }
  return keys;
});

/**
 * Where a git token may be sent: a host and a path prefix of whole segments. `github.com/acme`
 * covers `https://github.com/acme/...` but not `/acmecorp/...`; a bare host covers every
 * repository on it (the original format, accepted but not recommended). No scheme, port,
 * credentials, query or percent-encoding: a scope names repositories as the candidate's URL does.
 */
export interface TokenScope {
  /** Lower-case host name, or an IP address without brackets (as the fetch sees it). */
  readonly host: string;
  /** Path segments, compared exactly (case-sensitive); empty for a bare host. */
  readonly path: readonly string[];
}

const SCOPE_SEGMENT = /^[A-Za-z0-9._~-]+$/;

/** Parses a token scope (`host[/segment...]`); throws a TypeError saying what is wrong. */
export function parseTokenScope(key: string): TokenScope {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(key)) throw new TypeError('write the scope without a scheme, e.g. "github.com/acme"');
  if (key === '' || /[^\x21-\x7e]|[?#@\\%]/.test(key)) throw new TypeError('expected host[/owner[/repo]] with no spaces, credentials, query or percent-encoding');
  const slash = key.indexOf('/');
  const hostPart = slash < 0 ? key : key.slice(0, slash);
  const rest = slash < 0 ? '' : key.slice(slash + 1).replace(/\/$/, '');
  const segments = rest === '' ? [] : rest.split('/');
  for (const segment of segments) {
    if (!SCOPE_SEGMENT.test(segment) || segment === '.' || segment === '..') throw new TypeError(`"${segment}" is not a path segment (letters, digits, "._~-"; no empty, "." or ".." segments)`);
  }
  let url: URL;
  try {
    url = new URL(`https://${hostPart}/`);
  } catch {
    throw new TypeError(`"${hostPart}" is not a host name`);
  }
  if (url.port !== '' || /:\d*$/.test(hostPart)) throw new TypeError('a scope has no port (a token is sent to its host on any port)');
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, path: segments };
}

/** The one spelling of a scope, used as its key once parsed. */
export function formatTokenScope(scope: TokenScope): string {
  const host = scope.host.includes(':') ? `[${scope.host}]` : scope.host;
  return [host, ...scope.path].join('/');
}

/** JSON object scope -> token, for private repositories: `{"github.com/acme": "<token>"}`. */
const gitTokens = z.string().transform((value, ctx) => {
  const example = 'expected a JSON object like {"github.com/acme": "<token>"}';
  let raw: Record<string, string>;
  try {
    raw = z.record(z.string(), z.string().min(1)).parse(JSON.parse(value));
  } catch {
    ctx.addIssue({ code: 'custom', message: example });
    return z.NEVER;
  }
  const tokens: Record<string, string> = {};
  for (const [key, token] of Object.entries(raw)) {
    // The key is configuration, not a secret, so it may be quoted; the token never is.
    let canonical: string;
    try {
      canonical = formatTokenScope(parseTokenScope(key));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `scope "${key}": ${(err as Error).message}` });
      continue;
    }
    if (/[\u0000-\u001f\u007f]/.test(token)) {
      ctx.addIssue({ code: 'custom', message: `scope "${key}": the token contains a control character` });
      continue;
    }
    if (Object.hasOwn(tokens, canonical)) {
      ctx.addIssue({ code: 'custom', message: `scope "${key}": another key names the same scope (${canonical})` });
      continue;
    }
    tokens[canonical] = token;
  }
  return tokens;
});

/**
 * Which proxies the API believes about the client's address (Express's `trust proxy`): `false`
 * (the socket's peer is the client), a hop count, or addresses, subnets and the names
 * `loopback`, `linklocal`, `uniquelocal`. Rate limits key on the address this yields.
 */
export type TrustProxy = false | number | readonly string[];

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** Why `entry` is not a proxy address or subnet Express can trust safely, or undefined when it is. */
function proxyEntryProblem(entry: string): string | undefined {
  if (PROXY_NAMES.includes(entry)) return undefined;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `"${entry}": expected an IP address, a subnet (address/prefix) or one of ${PROXY_NAMES.join('|')}`;
  if (prefix === undefined) return undefined;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  const max = family === 4 ? 32 : 128;
  if (!(bits >= 0 && bits <= max)) return `"${entry}": the prefix must be 1 to ${max}`;
  // A /0 trusts every address, which is "true" by another name.
  if (bits === 0) return `"${entry}": a /0 subnet trusts every client to name its own address`;
  return undefined;
}

/**
 * `false` (default), a hop count, or a comma list of addresses, subnets and names. `true` is
 * refused: it trusts every peer, so any client could pick its own address (X-Forwarded-For)
 * and with it its own rate-limit bucket.
 */
const trustProxy = z.string().transform((value, ctx): TrustProxy => {
  const v = value.trim();
  if (v === 'false' || v === '0') return false;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops <= 32) return hops;
    ctx.addIssue({ code: 'custom', message: `${v} hops: expected the number of proxies in front of the API (at most 32)` });
    return z.NEVER;
  }
  if (v === 'true') {
    ctx.addIssue({ code: 'custom', message: '"true" would trust every client to name its own address (X-Forwarded-For); give the number of proxies in front of the API, or their addresses (e.g. "loopback" or "10.0.0.0/8")' });
    return z.NEVER;
  }
  const entries = v.split(',').map((s) => s.trim()).filter(Boolean);
  const problems = entries.map(proxyEntryProblem).filter((p): p is string => p !== undefined);
  for (const message of problems) ctx.addIssue({ code: 'custom', message });
  if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'expected false, a hop count, or addresses, subnets or loopback|linklocal|uniquelocal' });
  return entries;
});

const EnvSchema = z.object({
  ASSAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  ASSAY_REDIS_PASSWORD: z.string().optional(),
  ASSAY_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('assay'),
  DOCKER_HOST: z.string().optional(),
  ASSAY_CONTAINER_RUNTIME: z.string().regex(/^[a-z0-9_.-]*$/).default(''),
  ASSAY_IMAGES_FILE: z.string().default('.assay/images.json'),
  ASSAY_CHALLENGES_DIR: z.string().default('challenges'),
  ASSAY_WORKER_ID: z.string().regex(/^[A-Za-z0-9_.-]+$/).default(`${os.hostname()}-${process.pid}`),
  ASSAY_WORKER_CONCURRENCY: int(os.cpus().length, 1),
  ASSAY_WORKER_SHUTDOWN_GRACE_MS: int(30_000),
  ASSAY_JOB_ATTEMPTS: int(3, 1),
  ASSAY_JANITOR_INTERVAL_MS: int(60_000, 1000),
  ASSAY_WORKER_WARM_CONTAINERS: bool.default(true),
  ASSAY_WORKER_LOCK_MS: int(60_000, 2000),
  ASSAY_FETCH_ALLOW_HTTP: bool.default(false),
  ASSAY_FETCH_ALLOW_PRIVATE: bool.default(false),
  ASSAY_FETCH_ALLOWED_HOSTS: list.default([]),
  ASSAY_FETCH_TIMEOUT_MS: int(60_000, 1000),
  ASSAY_FETCH_MAX_BYTES: int(100 * 1024 * 1024, 1024),
  ASSAY_FETCH_LOW_SPEED_BYTES_PER_S: int(1024),
  ASSAY_FETCH_LOW_SPEED_SECONDS: int(20, 1),
  ASSAY_GIT_TOKENS: gitTokens.optional(),
  /** Commits of history fetched and read for insights.history (0: the submitted commit only). */
  ASSAY_HISTORY_MAX_COMMITS: int(200, 0).pipe(z.number().max(5000)),
  /** The candidate's own tests (and the challenge's mutants) run for insights.ownTests. */
  ASSAY_OWN_TESTS: bool.default(true),
  /** Similarity across a challenge's submissions (Dolos fingerprints): on unless false. */
  ASSAY_SIMILARITY: bool.default(true),
  /** Pairs at or above this similarity (0-1) are recorded; a challenge's manifest may set its own. */
  ASSAY_SIMILARITY_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  ASSAY_PACK_MAX_FILES: int(10_000, 1),
  ASSAY_PACK_MAX_BYTES: int(50 * 1024 * 1024, 1024),
  ASSAY_NPM_REGISTRY: z.string().url().default('https://registry.npmjs.org/'),
  /** PEP 503 simple index pip installs from (Python submissions); the only one it may use. */
  ASSAY_PIP_INDEX_URL: z.string().url().refine((u) => /^https?:\/\//.test(u), 'an http(s) URL').default('https://pypi.org/simple/'),
  ASSAY_SANDBOX_CA_FILE: z.string().optional(),
  /** CA certificates the fetch trusts besides the system's; unset: ASSAY_SANDBOX_CA_FILE's value, empty: none. */
  ASSAY_FETCH_CA_FILE: z.string().optional(),
  /** Read only as the default of ASSAY_SANDBOX_CA_FILE: the host's own proxy CA bundle. */
  NODE_EXTRA_CA_CERTS: z.string().optional(),
  ASSAY_INSTALL_NETWORK: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('assay-install'),
  /** Node dependencies' install scripts for challenges whose manifest does not say (`install.scripts`). */
  ASSAY_INSTALL_SCRIPTS: z.enum(['deny', 'sandboxed']).default('deny'),
  ASSAY_DEPS_CACHE_DIR: z.string().default('.assay/deps-cache'),
  ASSAY_DEPS_CACHE_MAX_MB: int(2048, 0),
  ASSAY_MAX_MEMORY_MB: int(2048, 32),
  ASSAY_MAX_CPUS: z.coerce.number().positive().default(2),
  ASSAY_MAX_PIDS: int(1024, 16),
  ASSAY_MAX_STEP_TIMEOUT_MS: int(600_000, 1000),
  ASSAY_API_HOST: z.string().default('127.0.0.1'),
  ASSAY_READYZ_DOCKER: bool.default(true),
  ASSAY_API_PORT: int(3000, 0),
  ASSAY_PUBLIC_URL: z.string().url().optional(),
  ASSAY_API_KEYS: apiKeys.default([]),
  ASSAY_OPEN_SUBMISSIONS: bool.default(false),
  ASSAY_SESSION_SECRET: z.string().min(16).optional(),
  ASSAY_TRUST_PROXY: trustProxy.optional(),
  ASSAY_METRICS_KEY: z.string().regex(/^[\x21-\x7e]{16,512}$/, 'at least 16 printable characters (sent as "Authorization: Bearer <key>")').optional(),
  ASSAY_WEBHOOK_SECRET: z.string().min(16).optional(),
  ASSAY_WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  ASSAY_RATE_LIMIT_PER_MINUTE: int(30, 1),
  ASSAY_MAX_QUEUED_PER_CANDIDATE: int(3, 1),
  /** Submissions per candidate and challenge where the manifest's `attempts.max` is unset (unset: unlimited). */
  ASSAY_MAX_ATTEMPTS: z.coerce.number().int().min(1).optional(),
  /** Seconds between a candidate's submissions to a challenge where the manifest's `attempts.cooldownSeconds` is unset (unset: none). */
  ASSAY_ATTEMPT_COOLDOWN_SECONDS: z.coerce.number().int().min(0).optional(),
});

export interface FetchPolicy {
  /** Plain http:// is refused unless true (tests serve repos on loopback). */
  readonly allowHttp: boolean;
  /** Hosts resolving to private, loopback or link-local addresses are refused unless true. */
  readonly allowPrivate: boolean;
  /** When non-empty, only these hosts are accepted. */
  readonly allowedHosts: readonly string[];
  /**
   * PEM certificates git trusts for https:// on top of the system's (a TLS-inspecting proxy, a
   * git host with a private CA): ASSAY_FETCH_CA_FILE, by default the install step's CA file.
   */
  readonly extraCaFile?: string;
}

/** Variables where an empty value means something (off) rather than "not set". */
const EMPTY_IS_MEANINGFUL = new Set(['ASSAY_SANDBOX_CA_FILE', 'ASSAY_FETCH_CA_FILE']);

export function buildConfig(env: Record<string, string | undefined>) {
  // `FOO=` (as docker compose writes for unset variables) means "not set", not "invalid".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== '' || EMPTY_IS_MEANINGFUL.has(k)));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  const config = {
    logLevel: e.ASSAY_LOG_LEVEL,
    redis: { url: e.REDIS_URL, password: e.ASSAY_REDIS_PASSWORD, prefix: e.ASSAY_KEY_PREFIX },
    docker: { host: e.DOCKER_HOST, runtime: e.ASSAY_CONTAINER_RUNTIME || undefined },
    imagesFile: e.ASSAY_IMAGES_FILE,
    challengesDir: e.ASSAY_CHALLENGES_DIR,
    worker: {
      id: e.ASSAY_WORKER_ID,
      concurrency: e.ASSAY_WORKER_CONCURRENCY,
      shutdownGraceMs: e.ASSAY_WORKER_SHUTDOWN_GRACE_MS,
      attempts: e.ASSAY_JOB_ATTEMPTS,
      janitorIntervalMs: e.ASSAY_JANITOR_INTERVAL_MS,
      /** Keep a grader and an analysis container started ahead of the next jobs (runner/sandbox/warm.ts), one of each per concurrent job. */
      warmContainers: e.ASSAY_WORKER_WARM_CONTAINERS,
      /** BullMQ job lock; a crashed worker's job is taken up again about this long after it died. */
      lockMs: e.ASSAY_WORKER_LOCK_MS,
    },
    fetch: {
      policy: {
        allowHttp: e.ASSAY_FETCH_ALLOW_HTTP,
        allowPrivate: e.ASSAY_FETCH_ALLOW_PRIVATE,
        allowedHosts: e.ASSAY_FETCH_ALLOWED_HOSTS,
        extraCaFile: (e.ASSAY_FETCH_CA_FILE ?? e.ASSAY_SANDBOX_CA_FILE ?? e.NODE_EXTRA_CA_CERTS) || undefined,
      } as FetchPolicy,
      timeoutMs: e.ASSAY_FETCH_TIMEOUT_MS,
      maxBytes: e.ASSAY_FETCH_MAX_BYTES,
      lowSpeedBytesPerSecond: e.ASSAY_FETCH_LOW_SPEED_BYTES_PER_S,
      lowSpeedSeconds: e.ASSAY_FETCH_LOW_SPEED_SECONDS,
      /** Canonical scope (`host[/segment...]`, see parseTokenScope) -> token; the longest matching scope wins. */
      tokens: e.ASSAY_GIT_TOKENS ?? {},
      /** insights.history: at most this many commits are fetched and read beyond the submitted one's own fetch (0: none). */
      historyMaxCommits: e.ASSAY_HISTORY_MAX_COMMITS,
    },
    /** insights.ownTests: run the candidate's own tests in a sandbox of their own (never scored). */
    ownTests: { enabled: e.ASSAY_OWN_TESTS },
    /** Similarity across submissions of a challenge (runner/store/similarity.ts): evidence for reviewers, never a verdict. */
    similarity: { enabled: e.ASSAY_SIMILARITY, threshold: e.ASSAY_SIMILARITY_THRESHOLD },
    pack: { maxFiles: e.ASSAY_PACK_MAX_FILES, maxBytes: e.ASSAY_PACK_MAX_BYTES },
    install: {
      npmRegistry: e.ASSAY_NPM_REGISTRY,
      pipIndexUrl: e.ASSAY_PIP_INDEX_URL,
      // An empty ASSAY_SANDBOX_CA_FILE turns the default (the host's NODE_EXTRA_CA_CERTS) off.
      caFile: (e.ASSAY_SANDBOX_CA_FILE ?? e.NODE_EXTRA_CA_CERTS) || undefined,
      network: e.ASSAY_INSTALL_NETWORK,
      /** Dependencies' install scripts where a challenge's manifest does not choose (deny: none run). */
      scripts: e.ASSAY_INSTALL_SCRIPTS,
      /** Installed node_modules by lockfile hash; 0 MB disables the cache. */
      cacheDir: e.ASSAY_DEPS_CACHE_DIR,
      cacheMaxMb: e.ASSAY_DEPS_CACHE_MAX_MB,
    },
    maxima: { memoryMb: e.ASSAY_MAX_MEMORY_MB, cpus: e.ASSAY_MAX_CPUS, pids: e.ASSAY_MAX_PIDS, stepTimeoutMs: e.ASSAY_MAX_STEP_TIMEOUT_MS },
    api: {
      host: e.ASSAY_API_HOST,
      port: e.ASSAY_API_PORT,
      /** /readyz also pings Docker (off where the API has no engine access, as in docker-compose.yml). */
      readyChecksDocker: e.ASSAY_READYZ_DOCKER,
      publicUrl: e.ASSAY_PUBLIC_URL,
      keys: e.ASSAY_API_KEYS,
      openSubmissions: e.ASSAY_OPEN_SUBMISSIONS,
      sessionSecret: e.ASSAY_SESSION_SECRET,
      /** Express's `trust proxy`: which peers' X-Forwarded-For gives the client address (rate limits, idempotency scopes). */
      trustProxy: (e.ASSAY_TRUST_PROXY ?? false) as TrustProxy,
      /** When set, GET /metrics needs `Authorization: Bearer <this key>`. */
      metricsKey: e.ASSAY_METRICS_KEY,
      webhookSecret: e.ASSAY_WEBHOOK_SECRET,
      webhookAllowPrivate: e.ASSAY_WEBHOOK_ALLOW_PRIVATE,
      rateLimitPerMinute: e.ASSAY_RATE_LIMIT_PER_MINUTE,
      maxQueuedPerCandidate: e.ASSAY_MAX_QUEUED_PER_CANDIDATE,
      /** The attempt policy of challenges whose manifest does not set one (api/attempts.ts); undefined: no limit. */
      attempts: { max: e.ASSAY_MAX_ATTEMPTS, cooldownSeconds: e.ASSAY_ATTEMPT_COOLDOWN_SECONDS },
    },
  };
  return deepFreeze(config);
}

export type Config = ReturnType<typeof buildConfig>;

/** Reads the process environment: the only place in Assay that does. */
export function loadConfig(overrides: Record<string, string | undefined> = {}): Config {
  return buildConfig({ ...process.env, ...overrides });
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
