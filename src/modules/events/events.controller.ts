import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiGoneResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { ErrorEnvelopeDto } from '../../shared/errors/error-envelope.dto';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { resumePosition } from '../../shared/http/sse';
import { ChangeStreamOpener } from './change-stream-opener';
import { ChangeFeedService } from './change-feed.service';
import { StreamChangesQueryDto } from './dto/change-event-response.dto';

@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(
    private readonly feed: ChangeFeedService,
    private readonly opener: ChangeStreamOpener,
  ) {}

  /**
   * Your tenant's change events as Server-Sent Events (`id:` = change id): replays from
   * `Last-Event-ID` (or `?after=`), then live, with keep-alive comments. 410 when that point was pruned.
   */
  @Get('stream')
  @RequirePermission(Permission.AgentRead)
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream of change events' })
  @ApiGoneResponse({ type: ErrorEnvelopeDto, description: 'The resume point was pruned' })
  @ApiErrors(400)
  streamEvents(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: StreamChangesQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.feed.stream(principal.tenant.id, resumePosition(req, query.after), () =>
      this.opener.open(res),
    );
  }
}
