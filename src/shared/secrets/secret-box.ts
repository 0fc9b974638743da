import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_SETTINGS } from '../settings/settings.module';
import type { AppSettings } from '../settings/settings';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

/** A secret as stored: AES-256-GCM ciphertext and the last characters shown when masked. */
export interface SealedSecret {
  $secret: string;
  last4: string;
}

export function isSealedSecret(value: unknown): value is SealedSecret {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SealedSecret).$secret === 'string' &&
    typeof (value as SealedSecret).last4 === 'string'
  );
}

/** What a secret looks like in any answer: four stars and its last four characters. */
export function maskOf(last4: string): string {
  return `****${last4}`;
}

export function devConfigKeyPath(dataDir: string): string {
  return join(dataDir, 'config-encryption-key');
}

/**
 * The configured key, or outside production one generated once under the data directory (like
 * the dev JWT secret), so secrets stay readable across restarts. Production refuses to start
 * without one (see loadSettings).
 */
export function configEncryptionKey(settings: AppSettings): Buffer {
  if (settings.configEncryptionKey) return settings.configEncryptionKey;
  if (settings.isProduction) throw new Error('CONFIG_ENCRYPTION_KEY is required in production');
  const path = devConfigKeyPath(settings.dataDir);
  if (!existsSync(path)) {
    mkdirSync(settings.dataDir, { recursive: true });
    try {
      writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process (a test file running in parallel) wrote it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
}

/** Seals and opens secrets with AES-256-GCM under the configured key. */
@Injectable()
export class SecretBox {
  private readonly key: Buffer;

  constructor(@Inject(APP_SETTINGS) settings: AppSettings) {
    this.key = configEncryptionKey(settings);
  }

  seal(plain: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    return { $secret: `${FORMAT}:${sealed}`, last4: plain.length >= 12 ? plain.slice(-4) : '' };
  }

  open(secret: SealedSecret): string {
    const raw = Buffer.from(secret.$secret.slice(FORMAT.length + 1), 'base64');
    const decipher = createDecipheriv(ALGORITHM, this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  }
}
