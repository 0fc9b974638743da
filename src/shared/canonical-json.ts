import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** RFC 8785 canonical JSON: the same value always gives the same string. */
export function canonicalJson(value: unknown): string {
  return canonicalize(value) as string;
}

/** `sha256:<hex>` of the canonical JSON: the hash of configs, versions and reviews. */
export function canonicalHash(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex')}`;
}
