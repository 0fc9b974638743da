import type { Request, Response } from 'express';
import { commonError } from '../errors/common.errors';
import { activeSseStreams } from '../metrics/metrics';

/** The streams this process has open, so that a shutdown can end them (see closeOpenSseStreams). */
const openStreams = new Set<SseStream>();

/**
 * Ends every open stream (after the events already written), so that a shutting-down server is
 * not held open by its endless streams until the shutdown timeout: their clients reconnect, with
 * `Last-Event-ID`, to an instance that is up. Answers how many it ended.
 */
export function closeOpenSseStreams(): number {
  const streams = [...openStreams];
  for (const stream of streams) stream.end('the server is shutting down');
  return streams.length;
}

/** Why a stream whose client fell too far behind is ended; the client resumes where it stopped. */
export const SLOW_CLIENT_REASON = 'the client reads too slowly; reconnect with Last-Event-ID to resume';
/** How long a stream ended for a slow client may take to deliver what it holds before its socket goes. */
const SLOW_CLIENT_GRACE_MS = 5_000;

export interface SseOptions {
  keepAliveMs: number;
  /**
   * Most bytes written and not yet taken by the client before the stream is ended. A client that
   * stops reading would otherwise hold every event of a long run in this process's memory; ended,
   * it reconnects with `Last-Event-ID` and is replayed from the stored log at its own pace.
   */
  maxBufferedBytes: number;
}

/**
 * A Server-Sent Events response: headers sent at once, `id:`/`event:`/`data:` frames, keep-alive
 * comments, and one close notification whichever side ends it.
 */
export class SseStream {
  private readonly keepAlive: NodeJS.Timeout;
  private readonly maxBufferedBytes: number;
  private closed = false;
  private readonly closeHandlers: Array<() => void> = [];
  /** Why this server ended the stream (its shutdown, its credentials), when its client did not go away. */
  closedByServer: string | null = null;

  constructor(
    private readonly res: Response,
    { keepAliveMs, maxBufferedBytes }: SseOptions,
  ) {
    this.maxBufferedBytes = maxBufferedBytes;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // Proxies such as nginx would otherwise buffer the stream.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    this.keepAlive = setInterval(() => this.comment('keep-alive'), keepAliveMs);
    activeSseStreams.inc();
    openStreams.add(this);
    res.on('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** More is written than the client has taken (past the socket's high-water mark). */
  get backedUp(): boolean {
    return this.res.writableNeedDrain;
  }

  /**
   * Writes one event. A client already more than the buffer limit behind gets no more: the stream
   * ends, and the client resumes from the last event it took. The check comes before the write, so
   * one event larger than the limit still reaches a client that keeps up.
   */
  send(id: number | string, event: string, data: unknown): void {
    if (this.closed) return;
    if (this.res.writableLength > this.maxBufferedBytes) return this.endSlow();
    this.res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /**
   * Resolves once the client has taken what was written (the socket drained) or the stream has
   * closed: a replay writes its next event only then, so a slow client is replayed at its own pace
   * instead of from memory.
   */
  writable(): Promise<void> {
    if (this.closed || !this.backedUp) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        // A long replay waits many times: each wait leaves no handler behind.
        const index = this.closeHandlers.indexOf(done);
        if (index >= 0) this.closeHandlers.splice(index, 1);
        resolve();
      };
      this.res.on('drain', done);
      this.onClose(done);
    });
  }

  comment(text: string): void {
    if (!this.closed) this.res.write(`: ${text}\n\n`);
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  /** Ends the stream from this side, saying why in a last comment; its client may reconnect. */
  end(reason: string): void {
    if (this.closed) return;
    this.closedByServer = reason;
    this.comment(`closed: ${reason}`);
    this.close();
  }

  /** Ends a stream whose client fell behind; a socket that still takes nothing is then dropped. */
  private endSlow(): void {
    this.end(SLOW_CLIENT_REASON);
    const drop = setTimeout(() => {
      if (!this.res.writableFinished) this.res.destroy();
    }, SLOW_CLIENT_GRACE_MS);
    drop.unref();
    this.res.once('finish', () => clearTimeout(drop));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    activeSseStreams.dec();
    openStreams.delete(this);
    for (const handler of this.closeHandlers.splice(0)) handler();
    this.res.end();
  }
}

/** The position to resume after: `Last-Event-ID` header first, then `?after=`; 0 when neither. */
export function resumePosition(req: Request, after: unknown): number {
  const header = req.headers['last-event-id'];
  const fromHeader = typeof header === 'string' && header.trim() !== '';
  const raw = fromHeader ? header.trim() : after;
  if (raw === undefined || raw === null || raw === '') return 0;
  const text = String(raw);
  if (!/^\d{1,15}$/.test(text)) {
    const field = fromHeader ? 'Last-Event-ID' : 'after';
    throw commonError('VALIDATION_FAILED', 'Validation failed: the resume position must be an event id', [
      { field, code: 'isInt', message: `${field} must be a non-negative integer` },
    ]);
  }
  return Number(text);
}
