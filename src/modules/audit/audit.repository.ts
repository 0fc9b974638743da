import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { AuditEntryEntity } from './audit-entry.entity';
import { PlatformAuditEntryEntity } from './platform-audit-entry.entity';

export interface AuditFilter {
  resourceType?: string;
  resourceId?: string;
  actor?: string;
  action?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

@Injectable()
export class AuditRepository extends TenantScopedRepository<AuditEntryEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, AuditEntryEntity);
  }

  insert(
    tenantId: string,
    entry: Omit<AuditEntryEntity, 'id' | 'tenantId' | 'createdAt'>,
    manager?: EntityManager,
  ) {
    return this.insertScoped(tenantId, entry, manager);
  }

  list(tenantId: string, filter: AuditFilter): Promise<[AuditEntryEntity[], number]> {
    return filtered(this.scopedQuery(tenantId, 'a'), filter);
  }
}

/** The platform's own audit log: no tenant, written and read by platform operators only. */
@Injectable()
export class PlatformAuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(PlatformAuditEntryEntity);
  }

  async insert(entry: Omit<PlatformAuditEntryEntity, 'id' | 'createdAt'>, manager?: EntityManager) {
    await this.repo(manager).insert(entry as QueryDeepPartialEntity<PlatformAuditEntryEntity>);
  }

  list(filter: AuditFilter): Promise<[PlatformAuditEntryEntity[], number]> {
    return filtered(this.repo().createQueryBuilder('a'), filter);
  }
}

/** A page of entries matching the filter, newest first. */
function filtered<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  filter: AuditFilter,
): Promise<[T[], number]> {
  if (filter.resourceType) query.andWhere('a.resource_type = :resourceType', filter);
  if (filter.resourceId) query.andWhere('a.resource_id = :resourceId', filter);
  if (filter.actor) query.andWhere('a.actor = :actor', filter);
  if (filter.action) query.andWhere('a.action = :action', filter);
  if (filter.from) query.andWhere('a.created_at >= :from', filter);
  if (filter.to) query.andWhere('a.created_at < :to', filter);
  return query
    .orderBy('a.created_at', 'DESC')
    .addOrderBy('a.id', 'DESC')
    .take(filter.limit)
    .skip(filter.offset)
    .getManyAndCount();
}
