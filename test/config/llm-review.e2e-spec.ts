import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { agentBody } from '../factories/agent.factory';
import { componentConfigs, putComponent } from '../factories/component.factory';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';

const REVIEWER_KEY = 'sk-reviewer-key-0123456789abcdefghij';

interface ChatRequest {
  authorization?: string;
  body: { model: string; messages: Array<{ role: string; content: string }> };
}

/** A real OpenAI-compatible chat completions server: answers findings by what the config holds. */
async function startReviewModel(): Promise<{ url: string; requests: ChatRequest[]; close(): Promise<void> }> {
  const requests: ChatRequest[] = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest['body'];
  };
  const server: Server = createServer((req, res) => {
    void read(req).then((body) => {
      requests.push({ authorization: req.headers.authorization, body });
      const prompt = body.messages.map((message) => message.content).join('\n');
      if (req.url !== '/v1/chat/completions' || prompt.includes('MAKE-IT-FAIL')) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'boom', type: 'server_error' } }));
        return;
      }
      const findings = prompt.includes('forbidden topic')
        ? [
            {
              severity: 'error',
              code: 'POLICY',
              path: '/system_prompt',
              message: 'Discusses a forbidden topic',
            },
          ]
        : prompt.includes('be rude')
          ? [{ severity: 'warning', code: 'TONE', path: '/system_prompt', message: 'Asks for a rude tone' }]
          : [];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: body.model,
          choices: [
            {
              index: 0,
              finish_reason: 'stop',
              message: { role: 'assistant', content: JSON.stringify({ findings }) },
            },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('model-based review (ENABLE_LLM_REVIEW)', () => {
  let ctx: TestApp;
  let model: Awaited<ReturnType<typeof startReviewModel>>;
  let tenant: TestTenant;
  let editor: string;

  beforeAll(async () => {
    model = await startReviewModel();
    ctx = await startTestApp({ env: { ENABLE_LLM_REVIEW: 'true', LLM_REVIEW_MODEL: 'reviewer' } });
    tenant = await createTenant(ctx);
    editor = `Bearer ${tenant.token('editor')}`;
    await putComponent(
      ctx,
      tenant,
      'reviewer',
      componentConfigs.model({ base_url: model.url, api_key: REVIEWER_KEY, model: 'review-1' }),
    );
  });
  afterAll(async () => {
    await ctx.close();
    await model.close();
  });

  const validate = (systemPrompt: string, t = tenant) =>
    ctx.http
      .post('/api/v1/agents/validate')
      .set('Authorization', `Bearer ${t.token('editor')}`)
      .send({ system_prompt: systemPrompt, model: 'gpt4' });

  it("adds the model's findings, asking it once per config", async () => {
    const before = model.requests.length;
    const first = await validate('Answer questions, and be rude about it.');
    expect(first.status).toBe(200);
    expect(first.body.findings).toEqual(
      expect.arrayContaining([
        { severity: 'warning', code: 'LLM_TONE', path: '/system_prompt', message: 'Asks for a rude tone' },
      ]),
    );
    expect(first.body.valid).toBe(true);
    expect(model.requests.length).toBe(before + 1);
    const request = model.requests[model.requests.length - 1];
    expect(request.authorization).toBe(`Bearer ${REVIEWER_KEY}`);
    expect(request.body.model).toBe('review-1');
    expect(request.body.messages[1].content).toContain('be rude about it');

    // Same config: answered from the cache, the model is not asked again.
    const second = await validate('Answer questions, and be rude about it.');
    expect(second.body.findings).toEqual(first.body.findings);
    expect(model.requests.length).toBe(before + 1);
    expect(ctx.logs.text).not.toContain(REVIEWER_KEY);
  });

  it('never sends a config holding a pasted secret to the model', async () => {
    const before = model.requests.length;
    const secret = 'sk-proj-neverforwarded0123456789abcdef';
    const res = await validate(`Use ${secret} for lookups.`);
    expect(res.body.findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'SECRET_IN_PROMPT' })]),
    );
    expect(model.requests.length).toBe(before);
  });

  it("the model's errors refuse a save", async () => {
    const res = await ctx.http
      .post('/api/v1/agents')
      .set('Authorization', editor)
      .send(agentBody({ system_prompt: 'Talk about the forbidden topic.' }));
    expect(expectError(res, 422, 'CONFIG_REVIEW_FAILED').details).toEqual([
      expect.objectContaining({ code: 'LLM_POLICY', path: '/system_prompt' }),
    ]);
  });

  it('a failing or missing review model is an info finding, not cached, and blocks nothing', async () => {
    const failed = await validate('Please MAKE-IT-FAIL now.');
    expect(failed.body.valid).toBe(true);
    expect(failed.body.findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ severity: 'info', code: 'LLM_REVIEW_UNAVAILABLE' })]),
    );
    const asked = model.requests.length;
    await validate('Please MAKE-IT-FAIL now.');
    expect(model.requests.length).toBe(asked + 1);

    const without = await createTenant(ctx);
    const skipped = await validate('A prompt in a tenant without a reviewer.', without);
    expect(skipped.body.findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'LLM_REVIEW_UNAVAILABLE' })]),
    );
    await putComponent(
      ctx,
      without,
      'reviewer',
      componentConfigs.model({ base_url: model.url, model: 'review-1' }),
    );
    const reviewed = await validate('A prompt in a tenant without a reviewer.', without);
    expect(reviewed.body.findings.map((f: { code: string }) => f.code)).not.toContain(
      'LLM_REVIEW_UNAVAILABLE',
    );
  });
});
