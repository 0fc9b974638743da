import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSettings } from '../settings/settings';

export function devJwtSecretPath(dataDir: string): string {
  return join(dataDir, 'jwt-secret');
}

/**
 * Outside production, with neither a secret nor a JWKS URL configured, keeps a generated HS256
 * secret under the data directory so that tokens survive restarts. Production refuses to start
 * without one (see loadSettings).
 */
export function withDevJwtSecret(settings: AppSettings): AppSettings {
  if (settings.jwt.secret || settings.jwt.jwksUrl || settings.isProduction) return settings;
  const path = devJwtSecretPath(settings.dataDir);
  if (!existsSync(path)) {
    mkdirSync(settings.dataDir, { recursive: true });
    writeFileSync(path, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return { ...settings, jwt: { ...settings.jwt, secret: readFileSync(path, 'utf8').trim() } };
}
