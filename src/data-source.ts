import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './shared/database/data-source-options';
import { loadSettings } from './shared/settings/settings';

/**
 * The TypeORM CLI's data source (`npm run migration:*`): the same options as the app, against
 * `DATABASE_URL`, or this machine's default PostgreSQL when unset.
 */
const settings = loadSettings();
export default new DataSource(
  buildDataSourceOptions({
    url: settings.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/agentry',
    poolSize: 2,
  }),
);
