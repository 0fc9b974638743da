import { Injectable } from '@nestjs/common';
import type { TenantPrincipal } from '../../shared/auth/principal';
import type { CheckpointResponseDto } from '../runs/dto/checkpoint-response.dto';
import { RunsService } from '../runs/runs.service';
import type {
  ForkCheckpointDto,
  ForkCheckpointResponseDto,
  RestoreCheckpointDto,
  RestoreCheckpointResponseDto,
} from './dto/restore-checkpoint.dto';

@Injectable()
export class CheckpointsService {
  constructor(private readonly runs: RunsService) {}

  get(tenantId: string, id: string): Promise<CheckpointResponseDto> {
    return this.runs.getCheckpoint(tenantId, id);
  }

  async restore(
    principal: TenantPrincipal,
    id: string,
    dto: RestoreCheckpointDto,
  ): Promise<RestoreCheckpointResponseDto> {
    const checkpoint = await this.runs.getCheckpointEntity(principal.tenant.id, id);
    const query = dto.modifications?.modified_query;
    if (dto.create_new_run === false) {
      const run = await this.runs.restoreInPlace(principal, checkpoint, query);
      return { new_run_id: run.id, message: `Run ${run.id} continues from step ${checkpoint.stepNum}` };
    }
    const { run } = await this.runs.createFromCheckpoint(principal, checkpoint, { modifiedQuery: query });
    return { new_run_id: run.id, message: `New run from checkpoint ${id} (step ${checkpoint.stepNum})` };
  }

  async fork(
    principal: TenantPrincipal,
    id: string,
    dto: ForkCheckpointDto,
  ): Promise<ForkCheckpointResponseDto> {
    const checkpoint = await this.runs.getCheckpointEntity(principal.tenant.id, id);
    const { run, mark } = await this.runs.createFromCheckpoint(principal, checkpoint, {
      systemPrompt: dto.modifications?.system_prompt,
      modifiedQuery: dto.modifications?.modified_query,
      fork: { description: dto.description },
    });
    return {
      new_run_id: run.id,
      checkpoint_id: mark!.id,
      message: `Forked run ${checkpoint.runId} at step ${checkpoint.stepNum}`,
    };
  }
}
