import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { estimateTokens, ModelCall, ModelError } from '../../src/modules/runs/providers/model-provider';
import { MAX_ANSWER_BYTES, OpenAiProvider } from '../../src/modules/runs/providers/openai.provider';
import { toRunConfig } from '../../src/modules/runs/run-config';
import { eventually } from '../factories/change.factory';
import { OpenAiCompatibleServer, RawReply } from '../helpers/openai-compatible-server';

type Behaviour = 'answer' | 'stall' | 'slow' | 'fail' | 'error' | 'garbage' | 'cut' | 'crlf';

/**
 * A local OpenAI-compatible upstream: `answer` streams three tokens, `stall` sends one and then
 * nothing, `slow` sends five 150 ms apart, `fail` answers 500; after one token, `error` sends an
 * error object, `garbage` a chunk that is not JSON, `cut` closes the connection; `crlf` streams the
 * answer with CRLF line ends and comments, written a few bytes at a time. Counts requests, and
 * records when one's connection closes before its end.
 */
async function upstream() {
  let behaviour: Behaviour = 'answer';
  const cutOff: string[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      if (behaviour === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'upstream exploded' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.on('close', () => {
        if (!res.writableEnded) cutOff.push(behaviour);
      });
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
        res.write(
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
        );
      if (behaviour === 'crlf') {
        const text = ['one ', 'two ', 'three']
          .map(
            (content) =>
              `: keep-alive\r\ndata: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\r\n\r\n`,
          )
          .join('')
          .concat('data: [DONE]\r\n\r\n');
        let at = 0;
        const next = setInterval(() => {
          res.write(text.slice(at, (at += 7)));
          if (at >= text.length) {
            clearInterval(next);
            res.end();
          }
        }, 1);
        return;
      }
      chunk({ role: 'assistant', content: 'one ' });
      if (behaviour === 'stall') return;
      if (behaviour === 'error') return void res.end('data: {"error":{"message":"overloaded"}}\n\n');
      if (behaviour === 'garbage') return void res.write('data: {"choices": [\n\n');
      if (behaviour === 'cut') return void setTimeout(() => res.socket?.destroy(), 20);
      if (behaviour === 'slow') {
        let sent = 1;
        const next = setInterval(() => {
          if (sent++ < 5) return void chunk({ content: `${sent} ` });
          clearInterval(next);
          chunk({}, 'stop');
          res.end('data: [DONE]\n\n');
        }, 150);
        return;
      }
      chunk({ content: 'two ' });
      chunk({ content: 'three' });
      chunk({}, 'stop');
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    cutOff,
    requests: () => requests,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    set: (next: Behaviour) => (behaviour = next),
  };
}

describe('OpenAiProvider against a local OpenAI-compatible server', () => {
  let model: Awaited<ReturnType<typeof upstream>>;
  const provider = new OpenAiProvider();

  beforeAll(async () => {
    model = await upstream();
  });
  afterAll(async () => {
    model.server.closeAllConnections();
    await new Promise((resolve) => model.server.close(resolve));
  });

  const call = (signal: AbortSignal, deltas: string[] = [], timeoutMs?: number): ModelCall => ({
    model: { provider: 'openai', model: 'm', base_url: model.url, timeout_ms: timeoutMs },
    run: toRunConfig({ system_prompt: 'Be brief.' }),
    messages: [{ role: 'user', content: 'hello' }],
    tools: [],
    signal,
    onDelta: (text) => deltas.push(text),
  });

  it('streams the answer and leaves no listener on the run signal', async () => {
    model.set('answer');
    const run = new AbortController();
    const deltas: string[] = [];
    const turn = await provider.complete(call(run.signal, deltas));
    expect(turn.content).toBe('one two three');
    expect(deltas).toEqual(['one ', 'two ', 'three']);
    expect(turn.finishReason).toBe('stop');
    // A listener left behind would keep every call's request state alive as long as the run.
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('an upstream error is a ModelError with its reason, and no listener is left', async () => {
    model.set('fail');
    const run = new AbortController();
    await expect(provider.complete(call(run.signal))).rejects.toThrow(ModelError);
    await expect(provider.complete(call(run.signal))).rejects.toThrow(/500/);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('a stream that goes quiet fails after timeout_ms and the upstream connection is closed', async () => {
    model.set('stall');
    const run = new AbortController();
    const deltas: string[] = [];
    await expect(provider.complete(call(run.signal, deltas, 300))).rejects.toThrow(
      new ModelError('model request timed out after 300 ms without data'),
    );
    expect(deltas).toEqual(['one ']);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    await eventually(() => model.cutOff.includes('stall'), 'the upstream connection to close');
  });

  it('timeout_ms bounds the silence between chunks, not the whole answer', async () => {
    model.set('slow');
    const deltas: string[] = [];
    // Five chunks 150 ms apart: about 750 ms in all, never 300 ms without data.
    const turn = await provider.complete(call(new AbortController().signal, deltas, 300));
    expect(turn.content).toBe('one 2 3 4 5 ');
    expect(deltas).toHaveLength(5);
  });

  it('cancelling the run aborts the call with the run signal reason', async () => {
    model.set('stall');
    const run = new AbortController();
    const deltas: string[] = [];
    const pending = provider.complete(call(run.signal, deltas));
    await eventually(() => deltas.length === 1, 'the first delta');
    const reason = new Error('cancelled by the operator');
    run.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('a run already cancelled never reaches the upstream', async () => {
    model.set('answer');
    const run = new AbortController();
    const reason = new Error('cancelled before the call');
    run.abort(reason);
    const before = model.requests();
    await expect(provider.complete(call(run.signal))).rejects.toBe(reason);
    expect(model.requests()).toBe(before);
  });

  it('reads a stream with CRLF line ends and comments, cut anywhere', async () => {
    model.set('crlf');
    const deltas: string[] = [];
    const turn = await provider.complete(call(new AbortController().signal, deltas));
    expect(turn.content).toBe('one two three');
    expect(deltas).toEqual(['one ', 'two ', 'three']);
  });

  it('an error, a chunk that is not JSON or a cut connection mid-stream fails the call with why', async () => {
    const run = new AbortController();
    model.set('error');
    await expect(provider.complete(call(run.signal))).rejects.toThrow(
      new ModelError('model server answered an error: overloaded'),
    );
    model.set('garbage');
    await expect(provider.complete(call(run.signal))).rejects.toThrow(
      new ModelError('model server sent a chunk that is not JSON: {"choices": ['),
    );
    // Nothing more is read from an answer that failed: its connection is closed.
    await eventually(() => model.cutOff.includes('garbage'), 'the upstream connection to close');
    model.set('cut');
    const deltas: string[] = [];
    await expect(provider.complete(call(run.signal, deltas))).rejects.toThrow(ModelError);
    expect(deltas).toEqual(['one ']);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });
});

/** One server-sent event carrying `payload` as JSON. */
const sse = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
/** A chunk of the first choice with this delta. */
const delta = (value: Record<string, unknown>, finish: string | null = null) =>
  sse({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: value, finish_reason: finish }],
  });
const DONE = 'data: [DONE]\n\n';

describe('OpenAiProvider against answers a well-behaved server never sends', () => {
  let server: OpenAiCompatibleServer;
  const provider = new OpenAiProvider();

  beforeAll(async () => {
    server = await new OpenAiCompatibleServer(() => ({})).start();
  });
  afterAll(() => server.close());

  /** Calls the model with `raw` as the server's answer. */
  const complete = (
    raw: RawReply,
    options: { deltas?: string[]; timeoutMs?: number; onDelta?: (text: string) => void } = {},
  ) => {
    server.respondWith(() => ({ raw }));
    return provider.complete({
      model: { provider: 'openai', model: 'm', base_url: server.baseUrl, timeout_ms: options.timeoutMs },
      run: toRunConfig({ system_prompt: 'Be brief.' }),
      messages: [{ role: 'user', content: 'hello' }],
      tools: [],
      signal: new AbortController().signal,
      onDelta: options.onDelta ?? ((text) => options.deltas?.push(text)),
    });
  };

  it('a chunk of the wrong shape fails the call with a ModelError saying what is wrong', async () => {
    const invalid: Array<[string, string]> = [
      ['null', 'the chunk is null, not an object'],
      ['42', 'the chunk is a number, not an object'],
      ['[]', 'the chunk is an array, not an object'],
      ['{"choices":{}}', 'choices is not an array'],
      ['{"choices":[7]}', 'choices[0] is not an object'],
      ['{"choices":[{"index":0,"delta":"one"}]}', 'choices[0].delta is not an object'],
      ['{"choices":[{"index":0,"delta":{"content":5}}]}', 'choices[0].delta.content is not a string'],
      [
        '{"choices":[{"index":0,"delta":{"tool_calls":{"0":{}}}}]}',
        'choices[0].delta.tool_calls is not an array',
      ],
      [
        '{"choices":[{"index":0,"delta":{"tool_calls":"abc"}}]}',
        'choices[0].delta.tool_calls is not an array',
      ],
      [
        '{"choices":[{"index":0,"delta":{"tool_calls":[null]}}]}',
        'choices[0].delta.tool_calls[0] is not an object',
      ],
      [
        '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":"a"}]}}]}',
        'choices[0].delta.tool_calls[0].index is not a non-negative integer',
      ],
      [
        '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":1}}]}}]}',
        'choices[0].delta.tool_calls[0].function.name is not a string',
      ],
    ];
    for (const [data, reason] of invalid) {
      const deltas: string[] = [];
      await expect(
        complete(
          { pieces: [delta({ content: 'one ' }), `data: ${data}\n\n`, delta({ content: 'two' }), DONE] },
          { deltas },
        ),
      ).rejects.toThrow(new ModelError(`model server sent an invalid chunk: ${reason}`));
      expect(deltas).toEqual(['one ']);
    }
  });

  it('an exception while a chunk is handled fails the call, not the process', async () => {
    const onDelta = () => {
      throw new TypeError('no room for it');
    };
    await expect(complete({ pieces: [delta({ content: 'one ' }), DONE] }, { onDelta })).rejects.toThrow(
      new ModelError('model server sent an invalid chunk: no room for it'),
    );
  });

  it('null fields and chunks without choices are read as absent', async () => {
    const turn = await complete({
      pieces: [
        sse({
          choices: [
            { index: 0, delta: { role: 'assistant', content: null, tool_calls: null }, finish_reason: null },
          ],
          usage: null,
        }),
        sse({ choices: [{ index: 0, delta: null }] }),
        sse({ choices: [] }),
        sse({ id: 'c' }),
        delta({ content: 'hi' }, 'stop'),
        DONE,
      ],
    });
    expect(turn).toMatchObject({ content: 'hi', toolCalls: [], finishReason: 'stop' });
  });

  it('usage that is not a non-negative safe integer is replaced by the estimate', async () => {
    const estimate = { prompt_tokens: estimateTokens('hello'), completion_tokens: 2 };
    const usageOf = (usage: unknown) =>
      complete({
        pieces: [
          delta({ content: 'one ' }),
          delta({ content: 'two' }, 'stop'),
          sse({ choices: [], usage }),
          DONE,
        ],
      }).then((turn) => turn.usage);
    for (const bad of ['12', 1.5, 1.5e300, -3, null, 2 ** 53]) {
      await expect(usageOf({ prompt_tokens: bad, completion_tokens: bad })).resolves.toEqual(estimate);
    }
    await expect(usageOf('many')).resolves.toEqual(estimate);
    // Each count stands alone: a good one is kept beside a bad one.
    await expect(usageOf({ prompt_tokens: 7, completion_tokens: '3' })).resolves.toEqual({
      prompt_tokens: 7,
      completion_tokens: 2,
    });
    await expect(usageOf({ prompt_tokens: 0, completion_tokens: 9 })).resolves.toEqual({
      prompt_tokens: 0,
      completion_tokens: 9,
    });
  });

  it('an answer that is not an event stream, or ends before any chunk, fails the call', async () => {
    await expect(
      complete({ contentType: 'text/html', pieces: ['<html>Bad gateway</html>'] }),
    ).rejects.toThrow(new ModelError('the model server answered text/html, not an event stream'));
    const completion = {
      id: 'c',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
    };
    await expect(
      complete({ contentType: 'application/json; charset=utf-8', pieces: [JSON.stringify(completion)] }),
    ).rejects.toThrow(new ModelError('the model server answered application/json, not an event stream'));
    await expect(complete({ pieces: [] })).rejects.toThrow(
      new ModelError("the model server's answer ended before any chunk"),
    );
    await expect(complete({ pieces: [': keep-alive\n\n', 'data: {"choices": [\n'] })).rejects.toThrow(
      new ModelError("the model server's answer ended before any chunk"),
    );
  });

  it('a stream that ends after chunks without [DONE] is the answer, whatever its charset parameter', async () => {
    const turn = await complete({
      contentType: 'text/event-stream; charset=utf-8',
      pieces: [delta({ content: 'one ' }), delta({ content: 'two' }, 'stop')],
    });
    expect(turn).toMatchObject({ content: 'one two', finishReason: 'stop' });
  });

  it(`an answer over ${MAX_ANSWER_BYTES} bytes fails the call and its connection is closed`, async () => {
    const piece = delta({ content: 'x'.repeat(1024 ** 2) });
    const pending = complete({ pieces: [piece], times: Math.ceil((4 * MAX_ANSWER_BYTES) / piece.length) });
    await expect(pending).rejects.toThrow(
      new ModelError(`the model answer is over ${MAX_ANSWER_BYTES} bytes`),
    );
    await expect(server.requests.at(-1)!.clientClosed).resolves.toBe(true);
  });

  it('keep-alive comments and half chunks count as data for timeout_ms', async () => {
    const last = delta({ content: 'two' }, 'stop');
    const halves = [last.slice(0, 20), last.slice(20, 40), last.slice(40)];
    const deltas: string[] = [];
    // 100 ms apart: 700 ms between the two chunks, never 300 ms without a byte.
    const turn = await complete(
      {
        pieces: [
          delta({ content: 'one ' }),
          ': ping\n\n',
          ': ping\n\n',
          ':\n',
          ': ping\n\n',
          ...halves,
          DONE,
        ],
        pieceDelayMs: 100,
      },
      { deltas, timeoutMs: 300 },
    );
    expect(turn.content).toBe('one two');
    expect(deltas).toEqual(['one ', 'two']);
  });

  it('a tool call name repeated in every chunk is taken once, its arguments joined', async () => {
    const tool = (entries: unknown[]) => delta({ tool_calls: entries });
    const turn = await complete({
      pieces: [
        tool([{ index: 0, id: 'call_a', type: 'function', function: { name: 'calculator', arguments: '' } }]),
        tool([{ index: 0, function: { name: 'calculator', arguments: '{"a":' } }]),
        tool([{ index: 0, function: { name: 'calculator', arguments: '1}' } }]),
        tool([{ index: 1, function: { name: 'clock', arguments: '{}' } }]),
        delta({}, 'tool_calls'),
        DONE,
      ],
    });
    expect(turn.finishReason).toBe('tool_calls');
    expect(turn.toolCalls).toEqual([
      { id: 'call_a', name: 'calculator', arguments: '{"a":1}' },
      { id: 'call_1', name: 'clock', arguments: '{}' },
    ]);
  });
});
