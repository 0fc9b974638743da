import Ajv, { ValidateFunction } from 'ajv';
import type { ToolSpec } from '../run-config';
import { calculate } from './calculator';
import { Resolver, safeRequest } from './safe-request';

/** What a tool call gave back: a result for the model, or an error it can read and recover from. */
export interface ToolOutcome {
  ok: boolean;
  result: string;
}

export interface ToolRunnerOptions {
  /** Hosts that may resolve to private addresses (settings `HTTP_TOOL_ALLOW_HOSTS`). */
  allowHosts: readonly string[];
  /** How host names are resolved (the system resolver unless a test simulates DNS). */
  resolve?: Resolver;
}

class ToolFailure extends Error {}

/**
 * Runs the tools a model asks for: arguments parsed and validated against the tool's JSON Schema,
 * built-ins in process, HTTP tools through `safeRequest` (a timeout, a response size cap, no
 * redirects, and private, loopback and link-local addresses refused unless their host is
 * allow-listed, checked on the very address connected to).
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
    const hasBody = runner.method !== 'GET' && runner.method !== 'HEAD';
    if (!hasBody) for (const [key, value] of Object.entries(args)) url.searchParams.set(key, String(value));
    const response = await safeRequest(url, {
      method: runner.method,
      headers: { ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...runner.headers },
      body: hasBody ? JSON.stringify(args) : undefined,
      timeoutMs: runner.timeout_ms,
      maxResponseBytes: runner.max_response_bytes,
      signal,
      allowHosts: this.options.allowHosts,
      resolve: this.options.resolve,
    });
    if (response.status < 200 || response.status >= 300)
      throw new ToolFailure(`the tool answered ${response.status}: ${response.body.slice(0, 200)}`);
    return response.body;
  }
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
