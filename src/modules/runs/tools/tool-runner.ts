import { lookup } from 'node:dns/promises';
import Ajv, { ValidateFunction } from 'ajv';
import type { ToolSpec } from '../run-config';
import { calculate } from './calculator';
import { isPrivateAddress } from './private-address';

/** What a tool call gave back: a result for the model, or an error it can read and recover from. */
export interface ToolOutcome {
  ok: boolean;
  result: string;
}

export interface ToolRunnerOptions {
  /** Hosts that may resolve to private addresses (settings `HTTP_TOOL_ALLOW_HOSTS`). */
  allowHosts: readonly string[];
}

class ToolFailure extends Error {}

/**
 * Runs the tools a model asks for: arguments parsed and validated against the tool's JSON Schema,
 * built-ins in process, HTTP tools with a timeout, a response size cap, and private, loopback and
 * link-local addresses refused unless their host is allow-listed.
 */
export class ToolRunner {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly options: ToolRunnerOptions) {}

  async run(
    tool: ToolSpec | undefined,
    name: string,
    rawArgs: string,
    signal: AbortSignal,
  ): Promise<ToolOutcome> {
    try {
      if (!tool) throw new ToolFailure(`unknown tool "${name}"`);
      const args = this.parseArgs(tool, rawArgs);
      const result = await this.execute(tool, args, signal);
      return { ok: true, result };
    } catch (error) {
      if (signal.aborted) throw error;
      return { ok: false, result: `error: ${(error as Error).message}` };
    }
  }

  /** The arguments as an object, or a ToolFailure naming what breaks the schema. */
  parseArgs(tool: ToolSpec, rawArgs: string): Record<string, unknown> {
    let args: unknown;
    try {
      args = rawArgs.trim() === '' ? {} : JSON.parse(rawArgs);
    } catch {
      throw new ToolFailure('arguments are not valid JSON');
    }
    const key = JSON.stringify(tool.parameters);
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(tool.parameters);
      this.validators.set(key, validate);
    }
    if (!validate(args)) {
      const problems = (validate.errors ?? [])
        .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
        .join('; ');
      throw new ToolFailure(`invalid arguments: ${problems}`);
    }
    return args as Record<string, unknown>;
  }

  private async execute(tool: ToolSpec, args: Record<string, unknown>, signal: AbortSignal): Promise<string> {
    const runner = tool.runner;
    if (runner.type === 'builtin') {
      if (runner.name === 'calculator') return String(calculate(String(args.expression)));
      if (runner.name === 'current_time') return currentTime(args.timezone);
      throw new ToolFailure(`unknown built-in tool "${runner.name}"`);
    }
    return this.callHttp(runner, args, signal);
  }

  private async callHttp(
    runner: Extract<ToolSpec['runner'], { type: 'http' }>,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<string> {
    const url = new URL(runner.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ToolFailure('only http(s) tools are allowed');
    await this.assertReachable(url.hostname);
    const hasBody = runner.method !== 'GET' && runner.method !== 'HEAD';
    if (!hasBody) for (const [key, value] of Object.entries(args)) url.searchParams.set(key, String(value));
    const timeout = AbortSignal.timeout(runner.timeout_ms);
    let response: Response;
    try {
      response = await fetch(url, {
        method: runner.method,
        headers: { ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...runner.headers },
        body: hasBody ? JSON.stringify(args) : undefined,
        signal: AbortSignal.any([signal, timeout]),
        redirect: 'error',
      });
    } catch (error) {
      if (timeout.aborted && !signal.aborted)
        throw new ToolFailure(`timed out after ${runner.timeout_ms} ms`);
      throw error instanceof ToolFailure || signal.aborted
        ? error
        : new ToolFailure(`request failed: ${(error as Error).message}`);
    }
    const text = await readCapped(response, runner.max_response_bytes);
    if (!response.ok) throw new ToolFailure(`the tool answered ${response.status}: ${text.slice(0, 200)}`);
    return text;
  }

  private async assertReachable(hostname: string): Promise<void> {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.options.allowHosts.includes(host)) return;
    const addresses = await lookup(host, { all: true }).catch(() => {
      throw new ToolFailure(`cannot resolve ${host}`);
    });
    if (addresses.some((a) => isPrivateAddress(a.address))) {
      throw new ToolFailure(`${host} resolves to a private address; allow-list it in HTTP_TOOL_ALLOW_HOSTS`);
    }
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ToolFailure(`the response is larger than ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}

function currentTime(timezone: unknown): string {
  const now = new Date();
  if (typeof timezone !== 'string' || timezone === '' || timezone === 'UTC') return now.toISOString();
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      dateStyle: 'short',
      timeStyle: 'long',
      hourCycle: 'h23',
    }).format(now);
  } catch {
    throw new ToolFailure(`unknown time zone "${timezone}"`);
  }
}
