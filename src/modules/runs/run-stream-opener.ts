import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { SseStream } from '../../shared/http/sse';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';

/** Opens SSE responses with the configured keep-alive interval. */
@Injectable()
export class RunStreamOpener {
  constructor(@Inject(APP_SETTINGS) private readonly settings: AppSettings) {}

  open(res: Response): SseStream {
    return new SseStream(res, this.settings.sseKeepAliveMs);
  }
}
