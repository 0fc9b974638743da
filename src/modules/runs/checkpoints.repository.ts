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

  /**
   * Where the run is now: its newest checkpoint. By time, not step: after a restore in place the
   * run goes on from an earlier step, and the later steps of the path it left are history.
   */
  latest(tenantId: string, runId: string, manager?: EntityManager): Promise<CheckpointEntity | null> {
    return this.repo(manager).findOne({
      where: this.scoped(tenantId, { runId }),
      order: { createdAt: 'DESC', stepNum: 'DESC' },
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
