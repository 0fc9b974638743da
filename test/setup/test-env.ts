import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The servers the suites use: the environment first, then .env.example (this machine's servers). */
export function testServerUrls(): { databaseUrl: string; redisUrl: string } {
  const example = parseEnvFile(join(__dirname, '..', '..', '.env.example'));
  return {
    databaseUrl:
      process.env.DATABASE_URL || example.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/agentry',
    redisUrl: process.env.REDIS_URL || example.REDIS_URL || 'redis://127.0.0.1:6379',
  };
}

function parseEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match && match[2] !== '') values[match[1]] = match[2];
  }
  return values;
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
