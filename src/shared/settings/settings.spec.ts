import { resolve } from 'node:path';
import { loadSettings, parseByteSize, SettingsError } from './settings';

/** Runs loadSettings and returns the SettingsError it throws (fails the test when it does not throw). */
function settingsError(env: Record<string, string>): SettingsError {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error(`loadSettings accepted ${JSON.stringify(env)}`);
}

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('loadSettings', () => {
  it('applies the documented defaults to an empty environment', () => {
    const settings = loadSettings({}, '1.2.3');
    // Containing, not equal: features add their own settings, each with its own default.
    expect(settings).toEqual(
      expect.objectContaining({
        nodeEnv: 'development',
        isProduction: false,
        version: '1.2.3',
        port: 3000,
        host: '0.0.0.0',
        dataDir: resolve(process.cwd(), './data'),
        databaseUrl: undefined,
        databasePoolSize: 10,
        redisUrl: undefined,
        redisPrefix: 'agentry:',
        jwt: { secret: undefined, jwksUrl: undefined, issuer: undefined, audience: undefined },
        logLevel: 'info',
        logPretty: true,
        corsOrigins: [],
        bodyLimitBytes: 1024 * 1024,
        sseMaxBufferedBytes: 1024 ** 2,
        apiKeyCacheTtlMs: 30_000,
        tenantCacheTtlMs: 5_000,
        authFailureLimit: 30,
        anonymousRateLimit: 600,
        shutdownTimeoutMs: 10_000,
        keepAliveTimeoutMs: 65_000,
      }),
    );
  });

  it('treats blank values as unset', () => {
    const settings = loadSettings({ PORT: '  ', JWT_SECRET: '', CORS_ORIGINS: '' });
    expect(settings.port).toBe(3000);
    expect(settings.jwt.secret).toBeUndefined();
    expect(settings.corsOrigins).toEqual([]);
  });

  it('reads valid values into typed settings', () => {
    const settings = loadSettings({
      NODE_ENV: 'production',
      CONFIG_ENCRYPTION_KEY: KEY,
      PORT: '8080',
      DATA_DIR: '/var/lib/agentry',
      DATABASE_URL: 'postgres://u:p@db:5432/agentry',
      REDIS_URL: 'redis://cache:6379',
      JWT_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      JWT_ISSUER: 'https://idp.example.com',
      JWT_AUDIENCE: 'agentry',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'no',
      CORS_ORIGINS: 'https://admin.example.com, http://localhost:5173',
      BODY_LIMIT: '512kb',
      SSE_MAX_BUFFERED: '4mb',
    });
    expect(settings).toEqual(
      expect.objectContaining({
        nodeEnv: 'production',
        isProduction: true,
        port: 8080,
        dataDir: '/var/lib/agentry',
        databaseUrl: 'postgres://u:p@db:5432/agentry',
        redisUrl: 'redis://cache:6379',
        logLevel: 'warn',
        logPretty: false,
        corsOrigins: ['https://admin.example.com', 'http://localhost:5173'],
        bodyLimitBytes: 512 * 1024,
        sseMaxBufferedBytes: 4 * 1024 ** 2,
      }),
    );
    expect(settings.jwt).toEqual({
      secret: undefined,
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
      issuer: 'https://idp.example.com',
      audience: 'agentry',
    });
  });

  it.each([
    ['PORT', { PORT: 'abc' }, /whole number/],
    ['PORT', { PORT: '70000' }, /0 to 65535/],
    ['DATABASE_URL', { DATABASE_URL: 'http://x' }, /postgres/],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }, /not a valid URL/],
    ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }, /redis/],
    ['BODY_LIMIT', { BODY_LIMIT: 'huge' }, /size/],
    ['BODY_LIMIT', { BODY_LIMIT: '10b' }, /1kb to 100mb/],
    ['SSE_MAX_BUFFERED', { SSE_MAX_BUFFERED: '200mb' }, /1kb to 100mb/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /one of fatal, error/],
    ['LOG_PRETTY', { LOG_PRETTY: 'maybe' }, /true or false/],
    ['NODE_ENV', { NODE_ENV: 'staging' }, /one of development, production, test/],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'not-an-origin' }, /not an origin/],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'https://admin.example.com/path' }, /not an origin/],
    ['JWT_SECRET', { JWT_SECRET: 'too-short' }, /at least 32 bytes/],
    ['JWT_JWKS_URL', { JWT_JWKS_URL: 'ftp://idp/jwks' }, /http/],
    ['JWT_SECRET', { NODE_ENV: 'production' }, /required when NODE_ENV=production/],
    [
      'CONFIG_ENCRYPTION_KEY',
      { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) },
      /required when NODE_ENV=production/,
    ],
    ['CONFIG_ENCRYPTION_KEY', { CONFIG_ENCRYPTION_KEY: 'c2hvcnQ=' }, /32 bytes/],
    ['ENABLE_LLM_REVIEW', { ENABLE_LLM_REVIEW: 'maybe' }, /true or false/],
    ['LLM_REVIEW_MODEL', { ENABLE_LLM_REVIEW: 'true' }, /model component/],
    ['REDIS_PREFIX', { REDIS_PREFIX: 'has spaces' }, /letters, digits/],
    ['AUTH_FAILURE_LIMIT', { AUTH_FAILURE_LIMIT: '0' }, /1 to/],
  ])('stops on a bad %s (%j)', (variable, env, problem) => {
    const error = settingsError(env as Record<string, string>);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^Invalid setting ${variable}: `));
    expect(error.message).toMatch(problem);
  });

  it('accepts production with a JWKS URL instead of a secret, and with a long secret', () => {
    expect(
      loadSettings({
        NODE_ENV: 'production',
        JWT_JWKS_URL: 'https://idp.example.com/jwks',
        CONFIG_ENCRYPTION_KEY: KEY,
      }).isProduction,
    ).toBe(true);
    const secret = 'x'.repeat(32);
    expect(
      loadSettings({ NODE_ENV: 'production', JWT_SECRET: secret, CONFIG_ENCRYPTION_KEY: KEY }).jwt.secret,
    ).toBe(secret);
  });

  it('reads the config encryption key and the model-based review settings', () => {
    const settings = loadSettings({
      CONFIG_ENCRYPTION_KEY: KEY,
      ENABLE_LLM_REVIEW: 'true',
      LLM_REVIEW_MODEL: 'reviewer',
    });
    expect(settings.configEncryptionKey).toEqual(Buffer.alloc(32, 7));
    expect(settings.llmReview).toEqual({ enabled: true, model: 'reviewer' });
    expect(loadSettings({}).llmReview).toEqual({ enabled: false, model: undefined });
  });
});

describe('parseByteSize', () => {
  it.each([
    ['1048576', 1048576],
    ['512kb', 512 * 1024],
    ['1MB', 1024 * 1024],
    ['1.5mb', Math.floor(1.5 * 1024 * 1024)],
    ['2 gb', 2 * 1024 ** 3],
  ])('parses %s', (raw, bytes) => {
    expect(parseByteSize(raw)).toBe(bytes);
  });

  it.each(['huge', '-1kb', '1tb', ''])('refuses %j', (raw) => {
    expect(parseByteSize(raw)).toBeUndefined();
  });
});
