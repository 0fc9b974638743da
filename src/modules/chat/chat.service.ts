import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TenantPrincipal } from '../../shared/auth/principal';
import type { SseStream } from '../../shared/http/sse';
import { toRunResponse } from '../runs/dto/run-response.dto';
import type { RunEntity } from '../runs/run.entity';
import { runError } from '../runs/runs.errors';
import { RunsService } from '../runs/runs.service';
import type { ChatRequestDto } from './dto/chat-request.dto';
import type { ChatResponseDto } from './dto/chat-response.dto';

/** Chat: a message becomes a run of the agent, streamed as it happens or answered when done. */
@Injectable()
export class ChatService {
  constructor(private readonly runs: RunsService) {}

  /**
   * Admits the run (errors are JSON envelopes), then opens the stream for it (a run queued behind
   * its session's running one too, before its first event) and follows the run.
   */
  async stream(
    principal: TenantPrincipal,
    dto: ChatRequestDto,
    open: (run: RunEntity) => SseStream,
  ): Promise<void> {
    let following: Promise<void> = Promise.resolve();
    await this.runs.create(principal, this.toNewRun(dto), (run) => {
      following = this.runs.follow(principal.tenant.id, run, open(run));
    });
    await following;
  }

  /** Waits for the run's end and answers it; `onClientGone` is how this learns its client left. */
  async answer(
    principal: TenantPrincipal,
    dto: ChatRequestDto,
    onClientGone: (handler: () => void) => void = () => undefined,
  ): Promise<ChatResponseDto> {
    const created = await this.runs.create(principal, this.toNewRun(dto));
    // Nobody waits for the answer once the client has gone: the run goes on (or is cancelled).
    const gone = new AbortController();
    onClientGone(() => {
      gone.abort();
      this.runs.clientGone(created);
    });
    const run = await this.runs.waitForEnd(principal.tenant.id, created.id, gone.signal);
    const detail = [{ code: run.status, message: run.error ?? `the run is ${run.status}`, run_id: run.id }];
    if (run.status === 'failed')
      throw runError('RUN_FAILED', `The run failed: ${run.error ?? 'unknown reason'}`, detail);
    if (run.status === 'paused' || run.status === 'interrupted') {
      throw runError(
        'RUN_STOPPED',
        `The run is ${run.status}: resume it with POST /api/v1/runs/${run.id}/resume and read its answer from GET /api/v1/runs/${run.id}`,
        detail,
      );
    }
    if (run.status !== 'completed') throw runError('RUN_CANCELLED', `The run ended ${run.status}`, detail);
    const response = toRunResponse(run);
    return {
      run_id: run.id,
      session_id: run.sessionId,
      response: run.responseContent ?? '',
      metrics: response.metrics,
    };
  }

  private toNewRun(dto: ChatRequestDto) {
    return {
      agentIdOrName: dto.agent_id,
      label: dto.label,
      version: dto.version,
      message: dto.message,
      userId: dto.user_id ?? null,
      sessionId: dto.session_id ?? randomUUID(),
      newSession: dto.session_id === undefined,
      multitask: dto.multitask ?? 'reject',
      onDisconnect: dto.on_disconnect ?? 'continue',
    };
  }
}
