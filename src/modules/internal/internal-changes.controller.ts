import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiGoneResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { ErrorEnvelopeDto } from '../../shared/errors/error-envelope.dto';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { resumePosition } from '../../shared/http/sse';
import { ApiChangeStream } from '../events/api-change-stream.decorator';
import { ChangeFeedService } from '../events/change-feed.service';
import {
  ChangeListResponseDto,
  ConfigVersionResponseDto,
  ListChangesQueryDto,
  StreamChangesQueryDto,
} from '../events/dto/change-event-response.dto';

/**
 * Read-only change feed for execution services (service keys; platform keys send X-Tenant-Id).
 * Not rate limited: these are the platform's own consumers, and their reads are cheap.
 */
@ApiTags('internal')
@SkipThrottle()
@Controller('internal/v1')
export class InternalChangesController {
  constructor(private readonly feed: ChangeFeedService) {}

  /** Change events after a change id, in order. 410 when that point was pruned. */
  @Get('changes')
  @RequirePermission(Permission.InternalRead)
  @ApiGoneResponse({ type: ErrorEnvelopeDto, description: 'The resume point was pruned' })
  @ApiErrors(400)
  listInternalChanges(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: ListChangesQueryDto,
  ): Promise<ChangeListResponseDto> {
    return this.feed.list(principal.tenant.id, query.after, query.limit);
  }

  /**
   * Change events as Server-Sent Events (`id:` = change id): replays from `Last-Event-ID` (or
   * `?after=`) out of the database, then live with no gap and no duplicate; keep-alive comments.
   */
  @Get('changes/stream')
  @RequirePermission(Permission.InternalRead)
  @ApiChangeStream()
  streamInternalChanges(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: StreamChangesQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.feed.stream(principal.tenant.id, resumePosition(req, query.after), res);
  }

  /** The tenant's latest change sequence: poll it and re-pull when it moves. */
  @Get('config/version')
  @RequirePermission(Permission.InternalRead)
  getInternalConfigVersion(@CurrentTenant() principal: TenantPrincipal): Promise<ConfigVersionResponseDto> {
    return this.feed.version(principal.tenant.id);
  }
}
