import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { closeOpenSseStreams } from './sse';

/**
 * Ends the open event streams once every module has stopped (runs executing here have written
 * their `run_interrupted` by then) and before the HTTP server closes, which waits for them.
 */
@Injectable()
export class SseShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger('SseShutdown');

  beforeApplicationShutdown(): void {
    const closed = closeOpenSseStreams();
    if (closed > 0) this.logger.log({ streams: closed }, 'event streams ended for the shutdown');
  }
}
