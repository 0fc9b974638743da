import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_KEY_PREFIX } from '../../shared/auth/auth.ports';

/** `agt_` + 43 base64url characters: 32 random bytes. */
const KEY_PATTERN = /^agt_[A-Za-z0-9_-]{43}$/;
/** `agt_` and the first 8 random characters: 48 bits, enough to find one row. */
const PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

export interface GeneratedApiKey {
  key: string;
  prefix: string;
  hash: string;
}

export function generateApiKey(): GeneratedApiKey {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, PREFIX_LENGTH), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The prefix to look a presented key up by, or undefined when it cannot be one of ours. */
export function prefixOf(presented: string): string | undefined {
  return KEY_PATTERN.test(presented) ? presented.slice(0, PREFIX_LENGTH) : undefined;
}

/** Constant-time comparison of two hex hashes. */
export function hashesMatch(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
