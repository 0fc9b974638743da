/** One dispatched server-sent event: its `event` field (null when it had none) and its data lines. */
export interface SseMessage {
  event: string | null;
  data: string;
}

/**
 * Incremental text/event-stream parsing as the WHATWG HTML standard's "event stream
 * interpretation" has it: lines end with CRLF, LF or CR; `:` starts a comment; a field's value
 * loses one leading space; `data` lines join with LF; an empty line dispatches the event (when it
 * has data); an event cut off by the end of the stream is not dispatched. Only `event` and `data`
 * are kept (`id` and `retry` mean nothing to a model answer); a leading byte order mark is
 * dropped. Fed decoded text, in chunks cut anywhere.
 */
export class SseParser {
  private buffer = '';
  private event: string | null = null;
  private data: string[] = [];
  /** The last chunk ended with CR: an LF opening the next one belongs to that line end. */
  private afterCr = false;
  private started = false;

  constructor(private readonly dispatch: (message: SseMessage) => void) {}

  push(text: string): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    if (this.afterCr && text.startsWith('\n')) start = 1;
    this.afterCr = false;
    const buffer = this.buffer + (start ? text.slice(start) : text);
    start = 0;
    let cr = buffer.indexOf('\r');
    for (;;) {
      const lf = buffer.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = buffer.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        next = buffer.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        if (cr === buffer.length - 1) this.afterCr = true;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.line(buffer.slice(start, end));
      start = next;
    }
    this.buffer = start === 0 ? buffer : buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.dispatch({ event: this.event, data: this.data.join('\n') });
      this.event = null;
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' a comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
  }
}
