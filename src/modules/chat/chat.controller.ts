import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import { SseOpener } from '../../shared/auth/sse-opener.service';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { ApiErrorResponse, ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { ChatService } from './chat.service';
import { ChatRequestDto } from './dto/chat-request.dto';
import { ChatResponseDto } from './dto/chat-response.dto';

@ApiTags('chat')
@Controller('chat')
export class ChatController {
  constructor(
    private readonly chatService: ChatService,
    private readonly opener: SseOpener,
  ) {}

  /**
   * Sends a message to an agent. With `stream: true`, answers `text/event-stream` with the run's
   * events (`id:` = seq; join again later with `GET /runs/{id}/stream`); otherwise waits and
   * answers `{run_id, response, metrics}`. 409 for an inactive agent or a busy session
   * (`multitask: reject`), 422 when the agent's model cannot run (or its provider is no longer
   * allowed by your limits), 429 over your tier's concurrent runs, 502 when the run fails.
   */
  @Post()
  @HttpCode(200)
  @RequirePermission(Permission.AgentExecute)
  @ApiExtraModels(ChatResponseDto)
  @ApiOkResponse({
    description:
      'JSON, or text/event-stream when stream is true. A stream names its run and session in headers at once, before any event (a run queued behind its session sends its first event only when it starts).',
    headers: {
      'X-Run-Id': { description: 'The run the stream follows (streams only)', schema: { type: 'string' } },
      'X-Session-Id': {
        description: 'The session of the run, made up when the request named none (streams only)',
        schema: { type: 'string' },
      },
    },
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ChatResponseDto) } },
      'text/event-stream': { schema: { type: 'string' } },
    },
  })
  @ApiErrors(400, 404, 409, 422)
  @ApiErrorResponse(
    502,
    'The run failed (its model or a tool): the JSON answer of a non-streamed chat (RUN_FAILED)',
  )
  async chat(
    @CurrentTenant() principal: TenantPrincipal,
    @Body() dto: ChatRequestDto,
    @Res() res: Response,
  ): Promise<void> {
    // The response is written here in both modes: Nest must not end an SSE response it did not open.
    if (dto.stream) {
      await this.chatService.stream(principal, dto, (run) => {
        res.setHeader('X-Run-Id', run.id);
        res.setHeader('X-Session-Id', run.sessionId);
        return this.opener.open(res);
      });
    } else {
      // The connection closing before the answer is written is the client giving up on it.
      const answer = await this.chatService.answer(principal, dto, (handler) => {
        const gone = () => {
          if (!res.writableEnded) handler();
        };
        if (!res.socket || res.socket.destroyed) gone();
        else res.on('close', gone);
      });
      res.status(200).json(answer);
    }
  }
}
