import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { RunStepEntity } from './run-step.entity';

@Injectable()
export class RunStepsRepository extends TenantScopedRepository<RunStepEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, RunStepEntity);
  }

  async forRun(tenantId: string, runId: string): Promise<RunStepEntity[]> {
    const [rows] = await this.findAndCountScoped(tenantId, { where: { runId }, order: { stepNum: 'ASC' } });
    return rows;
  }

  /** Drops the run's steps after `stepNum`: a run restored in place takes another path from there. */
  deleteAfter(tenantId: string, runId: string, stepNum: number, manager?: EntityManager): Promise<unknown> {
    return this.repo(manager).delete(this.scoped(tenantId, { runId, stepNum: MoreThan(stepNum) }));
  }
}
