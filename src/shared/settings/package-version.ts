import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The version in the nearest package.json above this file (works from src/ and from dist/). */
export function packageVersion(): string {
  let dir = __dirname;
  while (dir !== dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate))
      return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
    dir = dirname(dir);
  }
  return '0.0.0';
}
