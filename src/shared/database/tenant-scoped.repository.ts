import {
  DataSource,
  DeepPartial,
  EntityManager,
  EntityTarget,
  FindManyOptions,
  FindOptionsWhere,
  ObjectLiteral,
  Repository,
  SelectQueryBuilder,
} from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

export interface TenantOwned extends ObjectLiteral {
  tenantId: string;
}

function assertTenant(tenantId: string): void {
  if (typeof tenantId !== 'string' || tenantId.length === 0) {
    throw new Error('tenant-scoped query without a tenant id');
  }
}

/**
 * Base of every repository over tenant-owned rows: each method takes the tenant first, refuses an
 * empty one, and stamps or filters `tenant_id` itself, so no caller can forget it. Pass a
 * transaction's manager to work inside it (with the embedded database's single connection, a
 * query outside the open transaction would wait for it forever).
 */
export abstract class TenantScopedRepository<T extends TenantOwned> {
  protected constructor(
    protected readonly dataSource: DataSource,
    private readonly entity: EntityTarget<T>,
  ) {}

  protected repo(manager?: EntityManager): Repository<T> {
    return (manager ?? this.dataSource.manager).getRepository(this.entity);
  }

  protected scoped(tenantId: string, where: FindOptionsWhere<T> = {}): FindOptionsWhere<T> {
    assertTenant(tenantId);
    return { ...where, tenantId } as FindOptionsWhere<T>;
  }

  findOneScoped(tenantId: string, where: FindOptionsWhere<T>, manager?: EntityManager): Promise<T | null> {
    return this.repo(manager).findOne({ where: this.scoped(tenantId, where) });
  }

  findAndCountScoped(
    tenantId: string,
    options: Omit<FindManyOptions<T>, 'where'> & { where?: FindOptionsWhere<T> },
    manager?: EntityManager,
  ): Promise<[T[], number]> {
    return this.repo(manager).findAndCount({ ...options, where: this.scoped(tenantId, options.where) });
  }

  countScoped(tenantId: string, where: FindOptionsWhere<T> = {}, manager?: EntityManager): Promise<number> {
    return this.repo(manager).count({ where: this.scoped(tenantId, where) });
  }

  insertScoped(
    tenantId: string,
    values: Omit<DeepPartial<T>, 'tenantId'>,
    manager?: EntityManager,
  ): Promise<T> {
    assertTenant(tenantId);
    const repo = this.repo(manager);
    return repo.save(repo.create({ ...values, tenantId } as DeepPartial<T>));
  }

  async updateScoped(
    tenantId: string,
    where: FindOptionsWhere<T>,
    values: QueryDeepPartialEntity<T>,
    manager?: EntityManager,
  ): Promise<number> {
    const result = await this.repo(manager).update(this.scoped(tenantId, where), values);
    return result.affected ?? 0;
  }

  /** A query builder already filtered to the tenant. */
  scopedQuery(tenantId: string, alias: string, manager?: EntityManager): SelectQueryBuilder<T> {
    assertTenant(tenantId);
    return this.repo(manager).createQueryBuilder(alias).where(`${alias}.tenant_id = :tenantId`, { tenantId });
  }
}
