import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TemplateEntity } from './template.entity';

export interface TemplateFilter {
  scope?: 'global' | 'tenant';
  tag?: string;
  q?: string;
  limit: number;
  offset: number;
}

type TemplateChanges = Partial<
  Pick<TemplateEntity, 'name' | 'description' | 'tags' | 'minTier' | 'version' | 'config'>
>;

/**
 * Not a TenantScopedRepository: a tenant sees the global templates (`tenant_id IS NULL`) as well as
 * its own, which the base's `tenant_id = :tenantId` filter cannot express. Every read here still
 * takes the tenant first and filters with `tenant_id = :tenantId OR tenant_id IS NULL`, so another
 * tenant's template is never found.
 */
@Injectable()
export class TemplatesRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(TemplateEntity);
  }

  private visible(tenantId: string, manager?: EntityManager): SelectQueryBuilder<TemplateEntity> {
    if (!tenantId) throw new Error('template query without a tenant id');
    return this.repo(manager)
      .createQueryBuilder('t')
      .where('(t.tenant_id = :tenantId OR t.tenant_id IS NULL)', { tenantId });
  }

  findVisible(tenantId: string, id: string, manager?: EntityManager): Promise<TemplateEntity | null> {
    return this.visible(tenantId, manager).andWhere('t.id = :id', { id }).getOne();
  }

  lockVisible(tenantId: string, id: string, manager: EntityManager): Promise<TemplateEntity | null> {
    return this.visible(tenantId, manager)
      .andWhere('t.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
  }

  list(tenantId: string, filter: TemplateFilter): Promise<[TemplateEntity[], number]> {
    const query = this.visible(tenantId);
    if (filter.scope === 'global') query.andWhere('t.tenant_id IS NULL');
    if (filter.scope === 'tenant') query.andWhere('t.tenant_id IS NOT NULL');
    if (filter.tag) query.andWhere('t.tags @> :tags::jsonb', { tags: JSON.stringify([filter.tag]) });
    if (filter.q) {
      query.andWhere("(t.name ILIKE :q ESCAPE '\\' OR t.description ILIKE :q ESCAPE '\\')", {
        q: `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      });
    }
    return query
      .orderBy('t.name', 'ASC')
      .addOrderBy('t.tenant_id', 'ASC', 'NULLS FIRST')
      .addOrderBy('t.id', 'ASC')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
  }

  /** Whether the name is used in the scope the template lives in (global, or the tenant's own). */
  async nameTaken(
    ownerTenantId: string | null,
    name: string,
    exceptId: string | null,
    manager: EntityManager,
  ): Promise<boolean> {
    const query = this.repo(manager).createQueryBuilder('t').where('t.name = :name', { name });
    if (ownerTenantId) query.andWhere('t.tenant_id = :ownerTenantId', { ownerTenantId });
    else query.andWhere('t.tenant_id IS NULL');
    if (exceptId) query.andWhere('t.id <> :exceptId', { exceptId });
    return (await query.getCount()) > 0;
  }

  insert(
    values: Pick<
      TemplateEntity,
      'tenantId' | 'name' | 'description' | 'tags' | 'minTier' | 'config' | 'createdBy'
    >,
    manager: EntityManager,
  ): Promise<TemplateEntity> {
    const repo = this.repo(manager);
    return repo.save(repo.create({ ...values, version: 1 }));
  }

  /** Applies the changes to a template the caller has locked; returns the new `updated_at`. */
  async update(id: string, changes: TemplateChanges, manager: EntityManager): Promise<Date> {
    const result = await this.repo(manager)
      .createQueryBuilder()
      .update()
      // TypeORM's deep-partial type trips over the inline model's index signature; the value is plain JSON.
      .set(changes as QueryDeepPartialEntity<TemplateEntity>)
      .where('id = :id', { id })
      .returning('updated_at')
      .execute();
    return new Date((result.raw as Array<{ updated_at: Date | string }>)[0].updated_at);
  }

  async delete(id: string, manager: EntityManager): Promise<void> {
    await this.repo(manager).delete({ id });
  }
}
