import { commonError } from '../errors/common.errors';

/**
 * An `If-Match` header as version numbers: `"3"`, `3`, `W/"3"`, a comma-separated list of those,
 * or `*` (any existing version). Undefined when the header is absent; null when it cannot be read.
 */
export type IfMatch = { any: true } | { any: false; versions: number[] };

const ENTITY_TAG = /^(?:W\/)?"?([1-9]\d{0,9})"?$/;

export function parseIfMatch(header: string | undefined): IfMatch | undefined | null {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '') return null;
  if (trimmed === '*') return { any: true };
  const versions: number[] = [];
  for (const part of trimmed.split(',')) {
    const match = ENTITY_TAG.exec(part.trim());
    if (!match) return null;
    const quoted = part.trim().replace(/^W\//, '');
    // Either fully quoted or not quoted at all.
    if (quoted.startsWith('"') !== quoted.endsWith('"')) return null;
    versions.push(Number(match[1]));
  }
  return { any: false, versions };
}

/** True when the precondition holds for the resource's current version. */
export function ifMatchHolds(condition: IfMatch | undefined, currentVersion: number): boolean {
  if (!condition || condition.any) return true;
  return condition.versions.includes(currentVersion);
}

/** The ETag of a versioned resource. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** The `If-Match` header of a write: undefined when absent; 400 INVALID_IF_MATCH when unreadable. */
export function readIfMatch(header: string | undefined): IfMatch | undefined {
  const condition = parseIfMatch(header);
  if (condition === null) {
    throw commonError('INVALID_IF_MATCH', 'If-Match must be a version as an entity tag, e.g. "3", or *', [
      { field: 'If-Match', code: 'format', message: 'expected "<version>", W/"<version>", <version> or *' },
    ]);
  }
  return condition;
}

/**
 * Throws 412 VERSION_CONFLICT, with the current version in the details and as the ETag, unless the
 * precondition holds. `what` names the resource (`Agent 3f2c…`); `current` is null when it does not
 * exist yet.
 */
export function assertIfMatch(condition: IfMatch | undefined, current: number | null, what: string): void {
  if (current !== null && ifMatchHolds(condition, current)) return;
  if (current === null && !condition) return;
  throw commonError(
    'VERSION_CONFLICT',
    current === null
      ? `${what} does not exist; If-Match cannot hold`
      : `${what} is at version ${current}; If-Match does not match it`,
    [
      {
        field: 'If-Match',
        code: 'stale',
        message: `the current version is ${current ?? 'none'}`,
        current_version: current,
      },
    ],
    current === null ? {} : { ETag: etagOf(current) },
  );
}
