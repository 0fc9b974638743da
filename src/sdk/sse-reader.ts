export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Reads Server-Sent Events from a fetch response body. Written here rather than taken from the
 * `eventsource` package because that one only dispatches named events to listeners registered
 * per name, while a change stream carries open-ended event names (`agent.*`, `component.*` …).
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  try {
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const message: SseMessage = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of frame.split('\n')) {
          if (line === '' || line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') message.id = value;
          else if (field === 'event') message.event = value;
          else if (field === 'data') data.push(value);
        }
        if (data.length === 0) continue;
        message.data = data.join('\n');
        yield message;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
