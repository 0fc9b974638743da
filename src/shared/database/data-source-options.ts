import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from './snake-naming.strategy';
import { TypeOrmLogger } from './typeorm-logger';

/** Where PostgreSQL is: a URL (production, tests) or the embedded server's local port. */
export type DatabaseTarget = { url: string; poolSize: number } | { host: string; port: number };

// Globs relative to this file work both from the TypeScript sources (tests) and from dist/.
const ROOT = join(__dirname, '..', '..', '..');
const ENTITIES = join(ROOT, 'src', '**', '*.entity.{ts,js}');
const MIGRATIONS = join(ROOT, 'migrations', '*.{ts,js}');

/** The one set of data source options, shared by the app, the tests and the migration CLI. */
export function buildDataSourceOptions(target: DatabaseTarget): DataSourceOptions {
  const connection =
    'url' in target
      ? { url: target.url, extra: { max: target.poolSize, connectionTimeoutMillis: 5_000 } }
      : {
          host: target.host,
          port: target.port,
          username: 'postgres',
          database: 'postgres',
          // PGlite serves one connection; a second one would wait forever.
          extra: { max: 1 },
        };
  return {
    type: 'postgres',
    ...connection,
    entities: [ENTITIES],
    migrations: [MIGRATIONS],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    // PGlite ships pgcrypto but not uuid-ossp.
    uuidExtension: 'pgcrypto',
    logging: ['error', 'warn', 'migration'],
    logger: new TypeOrmLogger(),
    maxQueryExecutionTime: 1_000,
  };
}
