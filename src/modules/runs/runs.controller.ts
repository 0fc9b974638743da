import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { SseOpener } from '../../shared/auth/sse-opener.service';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { PageQueryDto } from '../../shared/http/pagination.dto';
import { resumePosition } from '../../shared/http/sse';
import { UuidParam } from '../../shared/http/uuid-param';
import { CheckpointListResponseDto, CheckpointSummaryDto } from './dto/checkpoint-response.dto';
import { CreateCheckpointDto } from './dto/create-checkpoint.dto';
import { ListRunsQueryDto } from './dto/list-runs-query.dto';
import {
  RunControlResponseDto,
  RunDetailResponseDto,
  RunEventListResponseDto,
  RunListResponseDto,
} from './dto/run-response.dto';
import { RunsService } from './runs.service';

@ApiTags('runs')
@Controller('runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly opener: SseOpener,
  ) {}

  /** Lists your tenant's runs, newest first, by agent, user, session and status. */
  @Get()
  @RequirePermission(Permission.RunRead)
  @ApiErrors(400)
  listRuns(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: ListRunsQueryDto,
  ): Promise<RunListResponseDto> {
    return this.runs.list(principal.tenant.id, query);
  }

  /** A run with its steps: messages sent, model response, tool calls and metrics of each. */
  @Get(':id')
  @RequirePermission(Permission.RunRead)
  @ApiErrors(400, 404)
  getRun(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
  ): Promise<RunDetailResponseDto> {
    return this.runs.get(principal.tenant.id, id);
  }

  /** The run's stored event log in seq order, paged: the same events that were streamed. */
  @Get(':id/events')
  @RequirePermission(Permission.RunRead)
  @ApiErrors(400, 404)
  listRunEvents(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Query() query: PageQueryDto,
  ): Promise<RunEventListResponseDto> {
    return this.runs.listEvents(principal.tenant.id, id, query.offset, query.limit);
  }

  /**
   * Joins the run's events as Server-Sent Events (`id:` = seq): replays the stored events after
   * `Last-Event-ID` (or `?after=`), then follows live ones, from whichever instance executes it.
   * Ends after `run_completed`, `run_failed` or `run_cancelled`; joined after that event, 204.
   */
  @Get(':id/stream')
  @RequirePermission(Permission.RunRead)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The last seq you received' })
  @ApiOkResponse({
    description: 'text/event-stream of run events',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiNoContentResponse({
    description: 'The run has ended and nothing follows the position: an EventSource stops reconnecting',
  })
  @ApiErrors(400, 404)
  streamRun(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Query('after') after: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.runs.stream(
      principal.tenant.id,
      id,
      resumePosition(req, after),
      () => this.opener.open(res),
      () => void res.status(204).end(),
    );
  }

  /** Asks the run to pause at its next step boundary (wherever it executes); 409 unless running. */
  @Post(':id/pause')
  @HttpCode(200)
  @RequirePermission(Permission.RunControl)
  @ApiErrors(400, 404, 409)
  pauseRun(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
  ): Promise<RunControlResponseDto> {
    return this.runs.pause(principal.tenant.id, id);
  }

  /**
   * Resumes a paused or interrupted run from its latest checkpoint, on this instance; 409 otherwise,
   * when its agent has been deactivated or deleted since, or while another run of its session runs.
   */
  @Post(':id/resume')
  @HttpCode(200)
  @RequirePermission(Permission.RunControl)
  @ApiErrors(400, 404, 409, 422)
  resumeRun(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
  ): Promise<RunControlResponseDto> {
    return this.runs.resume(principal, id);
  }

  /** Cancels the run, aborting its in-flight model call; 409 once it has ended. */
  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermission(Permission.RunControl)
  @ApiErrors(400, 404, 409)
  cancelRun(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
  ): Promise<RunControlResponseDto> {
    return this.runs.cancel(principal.tenant.id, id);
  }

  /** The run's checkpoints: automatic after each step and on pause, and those made on request. */
  @Get(':id/checkpoints')
  @RequirePermission(Permission.RunRead)
  @ApiErrors(400, 404)
  listRunCheckpoints(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Query() query: PageQueryDto,
  ): Promise<CheckpointListResponseDto> {
    return this.runs.listCheckpoints(principal.tenant.id, id, query.offset, query.limit);
  }

  /** Marks the run's latest state (its last completed step) as a named checkpoint. */
  @Post(':id/checkpoints')
  @RequirePermission(Permission.RunControl)
  @ApiCreatedResponse({ type: CheckpointSummaryDto })
  @ApiErrors(400, 404)
  createRunCheckpoint(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Body() dto: CreateCheckpointDto,
  ): Promise<CheckpointSummaryDto> {
    return this.runs.createCheckpoint(principal.tenant.id, id, dto);
  }
}
