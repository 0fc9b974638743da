import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SyncedAgent } from './types';

export interface CacheFileContent {
  format: 1;
  version: number;
  saved_at: string;
  agents: SyncedAgent[];
}

/**
 * Writes the snapshot atomically: a temporary file in the same directory, then a rename over the
 * old one. A crash leaves either the old file or the new one, never a torn one.
 */
export async function writeCacheFile(path: string, content: CacheFileContent): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, JSON.stringify(content), { mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

export async function readCacheFile(path: string): Promise<CacheFileContent | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const content = JSON.parse(text) as CacheFileContent;
  if (content.format !== 1 || !Array.isArray(content.agents))
    throw new Error(`${path} is not a ConfigSync cache file`);
  return content;
}
