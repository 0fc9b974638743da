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
  /** Published change events older than this are pruned; resuming from before them answers 410. */
  changeRetentionHours: number;
  /** How often the outbox relay looks for unpublished rows besides the kick after each commit. */
  outboxPollMs: number;
  /** Interval of keep-alive comments on SSE streams. */
  sseKeepAliveMs: number;
  /** Most resolved configurations kept in memory per instance. */
  resolvedConfigCacheSize: number;
  /** node:cluster workers sharing the port (1: no cluster). */
  webConcurrency: number;
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
  const webConcurrency = integer(env, 'WEB_CONCURRENCY', 1, 1, 64);
  if (webConcurrency > 1 && (!read(env, 'DATABASE_URL') || !read(env, 'REDIS_URL'))) {
    // Workers cannot share the embedded database, and their caches stay coherent only through Redis.
    throw new SettingsError('WEB_CONCURRENCY', 'more than 1 worker needs DATABASE_URL and REDIS_URL');
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
    changeRetentionHours: integer(env, 'CHANGE_RETENTION_HOURS', 168, 1, 87_600),
    outboxPollMs: integer(env, 'OUTBOX_POLL_MS', 1_000, 10, 600_000),
    sseKeepAliveMs: integer(env, 'SSE_KEEPALIVE_MS', 15_000, 100, 600_000),
    resolvedConfigCacheSize: integer(env, 'RESOLVED_CONFIG_CACHE_SIZE', 10_000, 1, 10_000_000),
    webConcurrency,
  };
}
