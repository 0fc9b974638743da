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

/**
 * A Server-Sent Events response: headers sent at once, `id:`/`event:`/`data:` frames, keep-alive
 * comments, and one close notification whichever side ends it.
 */
export class SseStream {
  private readonly keepAlive: NodeJS.Timeout;
  private closed = false;
  private readonly closeHandlers: Array<() => void> = [];
  /** Why this server ended the stream (its shutdown, its credentials), when its client did not go away. */
  closedByServer: string | null = null;

  constructor(
    private readonly res: Response,
    keepAliveMs: number,
  ) {
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

  send(id: number | string, event: string, data: unknown): void {
    if (this.closed) return;
    this.res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
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
