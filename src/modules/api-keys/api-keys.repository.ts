import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { ApiKeyEntity } from './api-key.entity';

@Injectable()
export class ApiKeysRepository extends TenantScopedRepository<ApiKeyEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, ApiKeyEntity);
  }

  /**
   * Crosses tenants on purpose: authentication knows only the presented key, and the tenant is what
   * it is about to learn. The prefix is unique, so this finds at most one row.
   */
  findByPrefixForAuthentication(prefix: string): Promise<ApiKeyEntity | null> {
    return this.repo().findOne({ where: { prefix } });
  }

  /** Also crosses tenants: `last_used_at` bookkeeping by key id after authentication. */
  async touchLastUsed(id: string, at: Date): Promise<void> {
    await this.repo().update({ id }, { lastUsedAt: at });
  }

  /* Platform service keys belong to no tenant; only platform operators reach these methods. */

  createPlatform(
    values: Omit<
      ApiKeyEntity,
      'id' | 'tenantId' | 'createdAt' | 'lastUsedAt' | 'revokedAt' | 'platform' | 'role' | 'allowSecrets'
    >,
    manager?: EntityManager,
  ) {
    const repo = this.repo(manager);
    // Platform keys read every tenant: they never carry secrets decrypted.
    return repo.save(repo.create({ ...values, role: 'service', platform: true, allowSecrets: false }));
  }

  listPlatform(includeRevoked: boolean, limit: number, offset: number) {
    return this.repo().findAndCount({
      where: includeRevoked ? { platform: true } : { platform: true, revokedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
  }

  findPlatformById(id: string): Promise<ApiKeyEntity | null> {
    return this.repo().findOne({ where: { id, platform: true } });
  }

  async revokePlatform(id: string, at: Date, manager?: EntityManager): Promise<number> {
    const result = await this.repo(manager).update(
      { id, platform: true, revokedAt: IsNull() },
      { revokedAt: at },
    );
    return result.affected ?? 0;
  }

  list(tenantId: string, includeRevoked: boolean, limit: number, offset: number) {
    return this.findAndCountScoped(tenantId, {
      where: includeRevoked ? {} : { revokedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
  }

  findById(tenantId: string, id: string, manager?: EntityManager) {
    return this.findOneScoped(tenantId, { id }, manager);
  }

  create(
    tenantId: string,
    values: Omit<ApiKeyEntity, 'id' | 'tenantId' | 'createdAt' | 'lastUsedAt' | 'revokedAt'>,
    manager: EntityManager,
  ) {
    return this.insertScoped(tenantId, values, manager);
  }

  revoke(tenantId: string, id: string, at: Date, manager: EntityManager): Promise<number> {
    return this.updateScoped(tenantId, { id, revokedAt: IsNull() }, { revokedAt: at }, manager);
  }
}
