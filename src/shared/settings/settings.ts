import { isAbsolute, resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Typed, validated application settings. Built once from the environment by `loadSettings`. */
export interface AppSettings {
  nodeEnv: NodeEnv;
  isProduction: boolean;
  version: string;
  port: number;
  host: string;
  dataDir: string;
  /** Unset: the embedded PostgreSQL under `dataDir/pglite`. */
  databaseUrl?: string;
  databasePoolSize: number;
  /** Unset: in-process change bus and rate-limit store. */
  redisUrl?: string;
  /** Prefix of every Redis key and channel this app uses. */
  redisPrefix: string;
  jwt: {
    secret?: string;
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
  };
  logLevel: LogLevel;
  logPretty: boolean;
  corsOrigins: string[];
  bodyLimitBytes: number;
  apiKeyCacheTtlMs: number;
  tenantCacheTtlMs: number;
  /** Failed authentications allowed per client IP and minute before 429. */
  authFailureLimit: number;
  /** Requests per minute per IP on routes that need no principal. */
  anonymousRateLimit: number;
  shutdownTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open. Longer than the idle timeout of whatever
   * pools connections in front (load balancers: 60 s is common), or a request sent on a connection
   * as the server closes it fails with a reset.
   */
  keepAliveTimeoutMs: number;
  /** Published change events older than this are pruned; resuming from before them answers 410. */
  changeRetentionHours: number;
  /** How often the outbox relay looks for unpublished rows besides the kick after each commit. */
  outboxPollMs: number;
  /** Interval of keep-alive comments on SSE streams. */
  sseKeepAliveMs: number;
  /** How often an open SSE stream's API key and tenant are checked again. */
  sseAuthRecheckMs: number;
  /** Most bytes an SSE stream holds for a client that does not read them before it is ended. */
  sseMaxBufferedBytes: number;
  /** Running agents: heartbeats, the interrupted sweep, event batching, HTTP tools. */
  runs: RunSettings;
  /** Most resolved configurations kept in memory per instance. */
  resolvedConfigCacheSize: number;
  /** node:cluster workers sharing the port (1: no cluster). */
  webConcurrency: number;
  /** Serve Prometheus metrics at /metrics. */
  metricsEnabled: boolean;
  /** When set, /metrics wants `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /**
   * AES-256 key for component secrets at rest. Unset outside production: generated once under
   * `dataDir` (see shared/secrets).
   */
  configEncryptionKey?: Buffer;
  /** The optional model-based config review, and the model component it asks. */
  llmReview: { enabled: boolean; model?: string };
}

export interface RunSettings {
  /** How often an instance heartbeats the runs it executes and re-reads their stored control intent. */
  heartbeatMs: number;
  /** A running run whose heartbeat is older than this is marked `interrupted` by any live instance. */
  interruptedAfterMs: number;
  /** Longest time a streamed event waits before it is written (events are inserted in batches). */
  eventFlushMs: number;
  /** Hosts (or IP addresses) HTTP tools may reach although they resolve to private addresses. */
  httpToolAllowHosts: string[];
}

export class SettingsError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid setting ${variable}: ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new SettingsError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new SettingsError(name, `expected ${min} to ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new SettingsError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new SettingsError(name, `expected true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new SettingsError(name, 'not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new SettingsError(name, `expected a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`);
  }
  return raw;
}

function encryptionKey(env: Env, name: string): Buffer | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) {
    throw new SettingsError(name, 'expected 32 bytes in base64 (e.g. openssl rand -base64 32)');
  }
  return key;
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Parses `1048576`, `512kb`, `1mb` into bytes. */
export function parseByteSize(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(raw);
  if (!match) return undefined;
  return Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]);
}

function byteSize(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const bytes = parseByteSize(raw);
  if (bytes === undefined || bytes < 1024 || bytes > 100 * 1024 ** 2) {
    throw new SettingsError(name, `expected a size from 1kb to 100mb such as "1mb" or "512kb", got "${raw}"`);
  }
  return bytes;
}

function origins(env: Env, name: string): string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  const list = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  for (const origin of list) {
    if (origin === '*') continue;
    try {
      const parsed = new URL(origin);
      if (parsed.origin !== origin) throw new Error('not an origin');
    } catch {
      throw new SettingsError(name, `"${origin}" is not an origin such as https://admin.example.com`);
    }
  }
  return list;
}

function runSettings(env: Env): RunSettings {
  const heartbeatMs = integer(env, 'RUN_HEARTBEAT_MS', 5_000, 50, 600_000);
  const interruptedAfterMs = integer(env, 'RUN_INTERRUPTED_AFTER_MS', 30_000, 100, 86_400_000);
  if (interruptedAfterMs <= heartbeatMs * 2) {
    throw new SettingsError('RUN_INTERRUPTED_AFTER_MS', 'must be more than twice RUN_HEARTBEAT_MS');
  }
  const hosts = (read(env, 'HTTP_TOOL_ALLOW_HOSTS') ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean);
  return {
    heartbeatMs,
    interruptedAfterMs,
    eventFlushMs: integer(env, 'RUN_EVENT_FLUSH_MS', 50, 1, 10_000),
    httpToolAllowHosts: hosts,
  };
}

/** The only place that reads the environment. Throws `SettingsError` naming the variable at fault. */
export function loadSettings(env: Env = process.env, version = '0.0.0'): AppSettings {
  const nodeEnv = oneOf(env, 'NODE_ENV', NODE_ENVS, 'development');
  const isProduction = nodeEnv === 'production';
  const dataDirRaw = read(env, 'DATA_DIR') ?? './data';
  const jwt = {
    secret: read(env, 'JWT_SECRET'),
    jwksUrl: url(env, 'JWT_JWKS_URL', ['http:', 'https:']),
    issuer: read(env, 'JWT_ISSUER'),
    audience: read(env, 'JWT_AUDIENCE'),
  };
  if (jwt.secret !== undefined && Buffer.byteLength(jwt.secret) < 32) {
    throw new SettingsError('JWT_SECRET', 'must be at least 32 bytes long');
  }
  if (isProduction && !jwt.secret && !jwt.jwksUrl) {
    throw new SettingsError('JWT_SECRET', 'JWT_SECRET or JWT_JWKS_URL is required when NODE_ENV=production');
  }
  const redisPrefix = read(env, 'REDIS_PREFIX') ?? 'agentry:';
  if (!/^[\w:.-]{1,64}$/.test(redisPrefix)) {
    throw new SettingsError('REDIS_PREFIX', 'letters, digits and _ : . - only, at most 64 characters');
  }
  const metricsToken = read(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    throw new SettingsError('METRICS_TOKEN', 'must be at least 16 characters long');
  }
  const webConcurrency = integer(env, 'WEB_CONCURRENCY', 1, 1, 64);
  if (webConcurrency > 1 && (!read(env, 'DATABASE_URL') || !read(env, 'REDIS_URL'))) {
    // Workers cannot share the embedded database, and their caches stay coherent only through Redis.
    throw new SettingsError('WEB_CONCURRENCY', 'more than 1 worker needs DATABASE_URL and REDIS_URL');
  }
  const configEncryptionKey = encryptionKey(env, 'CONFIG_ENCRYPTION_KEY');
  if (isProduction && !configEncryptionKey) {
    throw new SettingsError(
      'CONFIG_ENCRYPTION_KEY',
      'a 32-byte key in base64 is required when NODE_ENV=production (e.g. openssl rand -base64 32)',
    );
  }
  const llmReview = { enabled: bool(env, 'ENABLE_LLM_REVIEW', false), model: read(env, 'LLM_REVIEW_MODEL') };
  if (llmReview.enabled && !llmReview.model) {
    throw new SettingsError(
      'LLM_REVIEW_MODEL',
      'name the model component to review with when ENABLE_LLM_REVIEW=true',
    );
  }
  return {
    nodeEnv,
    isProduction,
    version,
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: read(env, 'HOST') ?? '0.0.0.0',
    dataDir: isAbsolute(dataDirRaw) ? dataDirRaw : resolve(process.cwd(), dataDirRaw),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix,
    jwt,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logPretty: bool(env, 'LOG_PRETTY', nodeEnv === 'development'),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    bodyLimitBytes: byteSize(env, 'BODY_LIMIT', 1024 ** 2),
    apiKeyCacheTtlMs: integer(env, 'API_KEY_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    tenantCacheTtlMs: integer(env, 'TENANT_CACHE_TTL_MS', 5_000, 0, 3_600_000),
    authFailureLimit: integer(env, 'AUTH_FAILURE_LIMIT', 30, 1, 1_000_000),
    anonymousRateLimit: integer(env, 'ANONYMOUS_RATE_LIMIT', 600, 1, 1_000_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 65_000, 1_000, 600_000),
    changeRetentionHours: integer(env, 'CHANGE_RETENTION_HOURS', 168, 1, 87_600),
    outboxPollMs: integer(env, 'OUTBOX_POLL_MS', 1_000, 10, 600_000),
    sseKeepAliveMs: integer(env, 'SSE_KEEPALIVE_MS', 15_000, 100, 600_000),
    sseAuthRecheckMs: integer(env, 'SSE_AUTH_RECHECK_MS', 15_000, 100, 600_000),
    sseMaxBufferedBytes: byteSize(env, 'SSE_MAX_BUFFERED', 1024 ** 2),
    runs: runSettings(env),
    resolvedConfigCacheSize: integer(env, 'RESOLVED_CONFIG_CACHE_SIZE', 10_000, 1, 10_000_000),
    webConcurrency,
    metricsEnabled: bool(env, 'METRICS_ENABLED', true),
    metricsToken,
    configEncryptionKey,
    llmReview,
  };
}
