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
