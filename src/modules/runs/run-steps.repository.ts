import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
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
}
