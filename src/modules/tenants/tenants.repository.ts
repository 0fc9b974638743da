import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TenantEntity } from './tenant.entity';
import { UUID_SHAPE } from '../../shared/http/uuid-param';

export interface TenantFilter {
  active?: boolean;
  q?: string;
  limit: number;
  offset: number;
}

/**
 * Tenants are the scope itself, so this repository is not tenant-scoped: its callers are platform
 * operators, authentication and the first-start bootstrap.
 */
@Injectable()
export class TenantsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(TenantEntity);
  }

  findById(id: string, manager?: EntityManager): Promise<TenantEntity | null> {
    return this.repo(manager).findOne({ where: { id } });
  }

  findByIdOrSlug(idOrSlug: string): Promise<TenantEntity | null> {
    return this.repo().findOne({ where: UUID_SHAPE.test(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug } });
  }

  findBySlug(slug: string, manager?: EntityManager): Promise<TenantEntity | null> {
    return this.repo(manager).findOne({ where: { slug } });
  }

  lockById(id: string, manager: EntityManager): Promise<TenantEntity | null> {
    return this.repo(manager).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  insert(values: Pick<TenantEntity, 'slug' | 'name' | 'tier' | 'limitOverrides'>, manager: EntityManager) {
    const repo = this.repo(manager);
    return repo.save(repo.create(values));
  }

  save(tenant: TenantEntity, manager: EntityManager): Promise<TenantEntity> {
    return this.repo(manager).save(tenant);
  }

  exists(manager?: EntityManager): Promise<boolean> {
    return this.repo(manager).exists();
  }

  list(filter: TenantFilter): Promise<[TenantEntity[], number]> {
    const query = this.repo().createQueryBuilder('t');
    if (filter.active !== undefined) query.andWhere('t.active = :active', { active: filter.active });
    if (filter.q) {
      query.andWhere("(t.slug ILIKE :q ESCAPE '\\' OR t.name ILIKE :q ESCAPE '\\')", {
        q: `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      });
    }
    return query
      .orderBy('t.created_at', 'ASC')
      .addOrderBy('t.id')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
  }
}
