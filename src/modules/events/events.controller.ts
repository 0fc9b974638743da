import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { resumePosition } from '../../shared/http/sse';
import { ApiChangeStream } from './api-change-stream.decorator';
import { ChangeFeedService } from './change-feed.service';
import { StreamChangesQueryDto } from './dto/change-event-response.dto';

@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(private readonly feed: ChangeFeedService) {}

  /**
   * Your tenant's change events as Server-Sent Events (`id:` = change id): replays from
   * `Last-Event-ID` (or `?after=`), then live, with keep-alive comments. 410 when that point was pruned.
   */
  @Get('stream')
  @RequirePermission(Permission.AgentRead)
  @ApiChangeStream()
  streamEvents(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: StreamChangesQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.feed.stream(principal.tenant.id, resumePosition(req, query.after), res);
  }
}
