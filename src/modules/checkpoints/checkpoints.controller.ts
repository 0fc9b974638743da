import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { UuidParam } from '../../shared/http/uuid-param';
import { CheckpointResponseDto } from '../runs/dto/checkpoint-response.dto';
import { CheckpointsService } from './checkpoints.service';
import {
  ForkCheckpointDto,
  ForkCheckpointResponseDto,
  RestoreCheckpointDto,
  RestoreCheckpointResponseDto,
} from './dto/restore-checkpoint.dto';

@ApiTags('checkpoints')
@Controller('checkpoints')
export class CheckpointsController {
  constructor(private readonly checkpoints: CheckpointsService) {}

  /** A checkpoint with its messages, metrics and the agent configuration in force. */
  @Get(':id')
  @RequirePermission(Permission.RunRead)
  @ApiErrors(400, 404)
  getCheckpoint(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
  ): Promise<CheckpointResponseDto> {
    return this.checkpoints.get(principal.tenant.id, id);
  }

  /**
   * Continues from the checkpoint: a new run (default, in a session of its own) or the same run
   * when it is not in progress. 409 when its agent has been deactivated or deleted since, or (the
   * same run) while another run of its session runs.
   */
  @Post(':id/restore')
  @RequirePermission(Permission.RunControl)
  @ApiCreatedResponse({ type: RestoreCheckpointResponseDto })
  @ApiErrors(400, 404, 409, 422)
  restoreCheckpoint(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Body() dto: RestoreCheckpointDto,
  ): Promise<RestoreCheckpointResponseDto> {
    return this.checkpoints.restore(principal, id, dto);
  }

  /**
   * Starts a new run from the checkpoint with changes (system prompt, query), linked to its
   * parent, in a session of its own. 409 when its agent has been deactivated or deleted since;
   * 422 when the new system prompt is longer than your tier allows or fails the prompt review, or
   * the model provider is not allowed by your limits.
   */
  @Post(':id/fork')
  @RequirePermission(Permission.RunControl)
  @ApiCreatedResponse({ type: ForkCheckpointResponseDto })
  @ApiErrors(400, 404, 409, 422)
  forkCheckpoint(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Body() dto: ForkCheckpointDto,
  ): Promise<ForkCheckpointResponseDto> {
    return this.checkpoints.fork(principal, id, dto);
  }
}
