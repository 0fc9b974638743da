import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { CheckpointEntity } from './checkpoint.entity';

@Injectable()
export class CheckpointsRepository extends TenantScopedRepository<CheckpointEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, CheckpointEntity);
  }

  create(
    tenantId: string,
    values: Omit<CheckpointEntity, 'tenantId' | 'id' | 'createdAt'>,
    manager?: EntityManager,
  ): Promise<CheckpointEntity> {
    return this.insertScoped(tenantId, values, manager);
  }

  findById(tenantId: string, id: string): Promise<CheckpointEntity | null> {
    return this.findOneScoped(tenantId, { id });
  }

  latest(tenantId: string, runId: string): Promise<CheckpointEntity | null> {
    return this.repo().findOne({
      where: this.scoped(tenantId, { runId }),
      order: { stepNum: 'DESC', createdAt: 'DESC' },
    });
  }

  list(
    tenantId: string,
    runId: string,
    limit: number,
    offset: number,
  ): Promise<[CheckpointEntity[], number]> {
    return this.findAndCountScoped(tenantId, {
      where: { runId },
      order: { stepNum: 'ASC', createdAt: 'ASC' },
      take: limit,
      skip: offset,
    });
  }
}
