import { DataSource, MigrationExecutor } from 'typeorm';

/** The advisory lock migrations run under: the first 8 bytes of sha256("agentry migrations"). */
export const MIGRATION_LOCK_KEY = '-3630150646934061713';

/**
 * Runs the pending migrations holding a PostgreSQL advisory lock, on that lock's own connection.
 * Instances starting together on one database would otherwise run the same migrations at once:
 * both create the migrations table or the same type, and the loser exits with a unique violation
 * (23505). Here the second waits for the first, then finds nothing pending. One connection serves
 * the lock and the migrations, so this also works where the pool has only one (embedded PGlite).
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      await executor.executePendingMigrations();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
