import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served in this process over the wire protocol on a
 * free loopback port, with its data under `<dataDir>/pglite`. One connection at a time; no
 * LISTEN/NOTIFY.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = join(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create({ dataDir: dir, extensions: { pgcrypto } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  return {
    host: '127.0.0.1',
    port,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
