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
 *
 * Each piece is scanned once, for the line ends in it only: the unfinished line's earlier pieces
 * wait in a list and are joined once, when its end arrives. Rescanning a growing buffer instead
 * would cost time quadratic in a line's length (a very long line, seconds).
 */
export class SseParser {
  /** The unfinished line's text, in the pieces it came in. */
  private pending: string[] = [];
  private event: string | null = null;
  private data: string[] = [];
  /** The last piece ended with CR: an LF opening the next one belongs to that line end. */
  private afterCr = false;
  private started = false;

  constructor(private readonly dispatch: (message: SseMessage) => void) {}

  push(text: string): void {
    // An empty piece (a decoder holding half a character) carries nothing, not even the CR's state.
    if (text.length === 0) return;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    if (this.afterCr && text.charCodeAt(0) === 10) start = 1;
    this.afterCr = false;
    // The next CR and LF at or after `start`, searched again only once passed: one scan in all.
    let cr = text.indexOf('\r', start);
    let lf = text.indexOf('\n', start);
    for (;;) {
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
      if (lf !== -1 && lf < start) lf = text.indexOf('\n', start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr === text.length - 1) {
          this.afterCr = true;
          next = cr + 1;
        } else {
          next = text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.line(this.complete(text.slice(start, end)));
      start = next;
    }
    if (start < text.length) this.pending.push(start === 0 ? text : text.slice(start));
  }

  /** The whole line whose last piece is `tail`. */
  private complete(tail: string): string {
    if (this.pending.length === 0) return tail;
    this.pending.push(tail);
    const line = this.pending.join('');
    this.pending = [];
    return line;
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
