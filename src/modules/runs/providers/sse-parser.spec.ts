import { SseMessage, SseParser } from './sse-parser';

/** The messages `chunks` dispatch, fed in that order. */
function parse(...chunks: string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = new SseParser((message) => messages.push(message));
  for (const chunk of chunks) parser.push(chunk);
  return messages;
}

const STREAM = 'data: {"a":1}\n\nevent: error\ndata: {"b":2}\n\ndata: [DONE]\n\n';
const EXPECTED = [
  { event: null, data: '{"a":1}' },
  { event: 'error', data: '{"b":2}' },
  { event: null, data: '[DONE]' },
];

describe('SseParser', () => {
  it('dispatches each event at its empty line, with its event field', () => {
    expect(parse(STREAM)).toEqual(EXPECTED);
  });

  it('gives the same events whichever way the text is cut, CR LF pairs included', () => {
    for (const newline of ['\n', '\r\n', '\r']) {
      const text = STREAM.replace(/\n/g, newline);
      for (let cut = 0; cut <= text.length; cut++) {
        expect(parse(text.slice(0, cut), text.slice(cut))).toEqual(EXPECTED);
      }
      expect(parse(...text.split(''))).toEqual(EXPECTED);
    }
  });

  it('joins data lines with LF, drops one leading space, skips comments and other fields', () => {
    const text = ': keep-alive\nid: 7\nretry: 100\ndata:  two spaces\ndata\ndata:x\nfoo: bar\n\n';
    expect(parse(text)).toEqual([{ event: null, data: ' two spaces\n\nx' }]);
  });

  it('dispatches nothing for an event without data, nor for one cut off by the end', () => {
    expect(parse('event: ping\n\n', 'data: half')).toEqual([]);
  });

  it('drops a byte order mark at the start only, and keeps characters beyond ASCII', () => {
    expect(parse('\ufeffdata: é 日本 🙂\n\n', 'data: \ufeff\n\n')).toEqual([
      { event: null, data: 'é 日本 🙂' },
      { event: null, data: '\ufeff' },
    ]);
  });

  it('an empty piece between a CR and its LF changes nothing', () => {
    expect(parse('data: a\r', '', '\ndata: b\r\n\r\n')).toEqual([{ event: null, data: 'a\nb' }]);
  });

  it('reads a very long line cut into many pieces whole, once', () => {
    const piece = 'x'.repeat(16 * 1024);
    const lengths: number[] = [];
    const parser = new SseParser((message) => lengths.push(message.data.length));
    parser.push('data: ');
    for (let i = 0; i < 1024; i++) parser.push(piece);
    parser.push('\n\n');
    expect(lengths).toEqual([16 * 1024 * 1024]);
  });
});
