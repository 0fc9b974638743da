import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { RunStepEntity } from './run-step.entity';

@Injectable()
export class RunStepsRepository extends TenantScopedRepository<RunStepEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, RunStepEntity);
  }

  /** Writes a step; a step re-run after a restore replaces the earlier one. */
  async save(
    tenantId: string,
    step: Omit<RunStepEntity, 'tenantId' | 'createdAt'>,
    manager?: EntityManager,
  ): Promise<void> {
    await this.repo(manager).upsert({ ...step, tenantId } as QueryDeepPartialEntity<RunStepEntity>, [
      'runId',
      'stepNum',
    ]);
  }

  async forRun(tenantId: string, runId: string): Promise<RunStepEntity[]> {
    const [rows] = await this.findAndCountScoped(tenantId, { where: { runId }, order: { stepNum: 'ASC' } });
    return rows;
  }
}
