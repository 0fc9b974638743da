import type { TestApp } from '../helpers/test-app';
import type { SseEvent } from '../helpers/sse-client';
import { createAgent, AgentJson } from '../factories/agent.factory';
import type { TestTenant } from '../factories/tenant.factory';

/** An agent whose model is an inline OpenAI-compatible endpoint. */
export function openAiAgent(
  ctx: TestApp,
  tenant: TestTenant,
  baseUrl: string,
  overrides: Record<string, unknown> = {},
): Promise<AgentJson> {
  return createAgent(ctx, tenant, {
    model: { provider: 'openai', model: 'test-model', base_url: baseUrl },
    tools: [],
    memory: null,
    knowledge: null,
    ...overrides,
  });
}

/** An agent whose model replays scripted replies. */
export function scriptedAgent(
  ctx: TestApp,
  tenant: TestTenant,
  replies: unknown[],
  overrides: Record<string, unknown> = {},
): Promise<AgentJson> {
  return createAgent(ctx, tenant, {
    model: { provider: 'scripted', model: 'script', replies },
    tools: [],
    memory: null,
    knowledge: null,
    ...overrides,
  });
}

export function dataOf(event: SseEvent): Record<string, unknown> {
  return JSON.parse(event.data) as Record<string, unknown>;
}

/** The concatenated `content_delta` text of a stream. */
export function textOf(events: SseEvent[]): string {
  return events
    .filter((e) => e.event === 'content_delta')
    .map((e) => dataOf(e).content as string)
    .join('');
}

/** Polls the run until it has one of the statuses. */
export async function waitForStatus(
  ctx: TestApp,
  auth: string,
  runId: string,
  statuses: string[],
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await ctx.http.get(`/api/v1/runs/${runId}`).set('Authorization', auth);
    if (statuses.includes(res.body.status)) return res.body as Record<string, unknown>;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} is ${res.body.status}, expected ${statuses.join('|')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves when a predicate over the client's events holds. */
export async function waitUntil(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
