import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { TenantsService } from '../tenants/tenants.service';

/** Serialises the first-start check across instances starting together. */
const BOOTSTRAP_LOCK = 7_202_611;

/**
 * On an empty database: a `default` tenant and an owner API key, printed once. Never again: the
 * check is "no tenant exists", under an advisory lock so that two instances starting together
 * cannot both bootstrap.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly apiKeys: ApiKeysService,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const key = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
      const [{ exists }] = (await manager.query('SELECT EXISTS (SELECT 1 FROM tenants) AS exists')) as [
        { exists: boolean },
      ];
      if (exists) return null;
      const tenant = await this.tenants.createIn(
        manager,
        { slug: 'default', name: 'Default tenant', tier: 'pro' },
        null,
      );
      const created = await this.apiKeys.createIn(
        manager,
        tenant.id,
        { name: 'bootstrap owner key', role: 'owner', createdBy: 'system' },
        null,
      );
      return created.key;
    });
    if (!key) return;
    const docs = `http://localhost:${this.settings.port}/docs`;
    this.logger.log(
      [
        'First start: created tenant "default" and an owner API key. It is shown this once only; keep it:',
        `    AGENTRY_API_KEY=${key}`,
        `  Use it as the X-API-Key header (curl -H "X-API-Key: ${key}" ...),`,
        `  or in Swagger UI at ${docs}: Authorize -> api-key -> paste the key.`,
        '  Create more keys at POST /api/v1/api-keys; mint JWTs with npm run token -- --tenant default --role owner.',
      ].join('\n'),
    );
  }
}
