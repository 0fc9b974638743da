import Ajv, { ErrorObject } from 'ajv';
import type { Finding } from '../agents/agent-rules';
import { MODEL_PROVIDERS } from '../tenants/dto/tenant-limits.dto';
import type { ComponentType } from './component.entity';

const URL_PATTERN = '^https?://[^\\s/$.?#][^\\s]*$';
const headers = {
  type: 'object',
  maxProperties: 50,
  additionalProperties: {
    oneOf: [
      { type: 'string', maxLength: 8192 },
      {
        type: 'object',
        required: ['secret'],
        additionalProperties: false,
        properties: { secret: { type: 'string', minLength: 1, maxLength: 8192 } },
      },
    ],
  },
};
const toolCall = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    arguments: { type: 'object' },
  },
};

const scriptedReply = {
  type: 'object',
  additionalProperties: false,
  properties: {
    content: { type: 'string', maxLength: 100_000 },
    tool_calls: { type: 'array', maxItems: 32, items: toolCall },
    delay_ms: { type: 'integer', minimum: 0, maximum: 600_000 },
    error: { type: 'string', minLength: 1, maxLength: 1000 },
  },
};
/** A model's fields other than `type`, `api_key` and `replies`: an inline model's too. */
const modelFields = {
  provider: { enum: [...MODEL_PROVIDERS] },
  model: { type: 'string', minLength: 1, maxLength: 200 },
  base_url: { type: 'string', pattern: URL_PATTERN, maxLength: 2048 },
  temperature: { type: 'number', minimum: 0, maximum: 2 },
  max_tokens: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  timeout_ms: { type: 'integer', minimum: 1, maximum: 600_000 },
  // `scripted` only: the pause between streamed tokens.
  token_delay_ms: { type: 'integer', minimum: 0, maximum: 60_000 },
};
const REPLIES_LIMIT = 1000;

/** The strict JSON Schema of each component type (the `type` key itself included). */
export const COMPONENT_SCHEMAS: Record<ComponentType, object> = {
  model: {
    type: 'object',
    required: ['type', 'provider', 'model'],
    additionalProperties: false,
    properties: {
      type: { const: 'model' },
      ...modelFields,
      api_key: { type: 'string', minLength: 1, maxLength: 8192 },
      // `scripted` only: the replies in order, a string being a reply's content. if/else, not
      // oneOf: an object reply's mistakes are reported without "must be string" beside them.
      replies: {
        type: 'array',
        maxItems: REPLIES_LIMIT,
        items: { if: { type: 'string' }, then: { type: 'string', maxLength: 100_000 }, else: scriptedReply },
      },
    },
    if: { properties: { provider: { const: 'scripted' } } },
    then: { required: ['replies'] },
  },
  tool: {
    type: 'object',
    required: ['type', 'description', 'parameters'],
    additionalProperties: false,
    properties: {
      type: { const: 'tool' },
      description: { type: 'string', minLength: 1, maxLength: 4096 },
      parameters: { type: 'object' },
      builtin: { enum: ['calculator', 'current_time'] },
      http: {
        type: 'object',
        required: ['url'],
        additionalProperties: false,
        properties: {
          url: { type: 'string', pattern: URL_PATTERN, maxLength: 2048 },
          method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
          headers,
          timeout_ms: { type: 'integer', minimum: 1, maximum: 600_000 },
          max_response_bytes: { type: 'integer', minimum: 1, maximum: 10 * 1024 * 1024 },
        },
      },
    },
    oneOf: [{ required: ['builtin'] }, { required: ['http'] }],
  },
  memory: {
    type: 'object',
    required: ['type', 'session_window'],
    additionalProperties: false,
    properties: {
      type: { const: 'memory' },
      session_window: {
        type: 'object',
        required: ['max_messages'],
        additionalProperties: false,
        properties: { max_messages: { type: 'integer', minimum: 1, maximum: 10_000 } },
      },
    },
  },
  knowledge: {
    type: 'object',
    required: ['type'],
    additionalProperties: false,
    properties: {
      type: { const: 'knowledge' },
      static_text: {
        type: 'object',
        required: ['documents'],
        additionalProperties: false,
        properties: {
          documents: {
            type: 'array',
            minItems: 1,
            maxItems: 100,
            items: {
              type: 'object',
              required: ['content'],
              additionalProperties: false,
              properties: {
                title: { type: 'string', maxLength: 200 },
                content: { type: 'string', minLength: 1, maxLength: 100_000 },
              },
            },
          },
        },
      },
      http_retrieval: {
        type: 'object',
        required: ['url'],
        additionalProperties: false,
        properties: {
          url: { type: 'string', pattern: URL_PATTERN, maxLength: 2048 },
          headers,
          top_k: { type: 'integer', minimum: 1, maximum: 100 },
          timeout_ms: { type: 'integer', minimum: 1, maximum: 600_000 },
        },
      },
    },
    oneOf: [{ required: ['static_text'] }, { required: ['http_retrieval'] }],
  },
};

// strictRequired off: `then`/`oneOf` branches name properties declared beside them, not inside.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
const validators = Object.fromEntries(
  Object.entries(COMPONENT_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]),
) as Record<ComponentType, ReturnType<Ajv['compile']>>;

/** `root` names the document: "" for a component's config, "model" for an agent's inline model. */
function describe(error: ErrorObject, root = ''): string {
  const where = `${root}${error.instancePath}` || '/';
  if (error.keyword === 'additionalProperties')
    return `${where}: unknown field "${String(error.params.additionalProperty)}"`;
  if (error.keyword === 'enum')
    return `${where} must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  if (error.keyword === 'oneOf' && error.instancePath === '')
    return 'exactly one way of running is needed (builtin or http; static_text or http_retrieval)';
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** The schema's errors worth reporting, once each: if/then and oneOf branches repeat their inner ones. */
function reportedErrors(validate: ReturnType<Ajv['compile']>): ErrorObject[] {
  return (validate.errors ?? []).filter(
    (error) => error.keyword !== 'if' && !(error.keyword === 'oneOf' && error.instancePath !== ''),
  );
}

/** Schema findings of a component config as PUT (errors); a tool's `parameters` compiled with ajv. */
export function checkComponentSchema(config: Record<string, unknown>): Finding[] {
  const type = config.type as ComponentType;
  const validate = Object.hasOwn(validators, type) ? validators[type] : undefined;
  if (!validate) {
    return [
      {
        severity: 'error',
        code: 'COMPONENT_TYPE_INVALID',
        path: '/config/type',
        message: `type must be one of ${Object.keys(COMPONENT_SCHEMAS).join(', ')}`,
      },
    ];
  }
  const findings: Finding[] = [];
  if (!validate(config)) {
    const seen = new Set<string>();
    for (const error of reportedErrors(validate)) {
      const message = describe(error);
      if (seen.has(message)) continue;
      seen.add(message);
      findings.push({
        severity: 'error',
        code: 'SCHEMA_INVALID',
        path: `/config${error.instancePath}`,
        message,
      });
    }
  }
  if (type === 'tool' && typeof config.parameters === 'object' && config.parameters !== null) {
    try {
      // Any valid JSON Schema: unknown keywords and formats are the tool author's business.
      new Ajv({ strict: false, validateFormats: false }).compile(config.parameters);
    } catch (error) {
      findings.push({
        severity: 'error',
        code: 'TOOL_PARAMETERS_INVALID',
        path: '/config/parameters',
        message: `parameters is not a valid JSON Schema: ${(error as Error).message}`,
      });
    }
  }
  return findings;
}

/**
 * What is wrong with an agent's inline model (`{provider, model, …}`), each problem naming its
 * field under `model`: it is held to the model component's schema (its `type` key implied), and
 * holds no `api_key`, since an agent's config is versioned, audited and answered in clear while a
 * model component's key is encrypted and masked. Empty when it is fine.
 */
export function inlineModelProblems(model: Record<string, unknown>): string[] {
  const problems = new Set<string>();
  if ('api_key' in model) {
    problems.add(
      'model/api_key: an inline model cannot hold a key (agent configs are stored and returned in clear); put the model in a model component, whose key is encrypted and masked, and name it',
    );
  }
  const validate = validators.model;
  if (!validate({ type: 'model', ...model })) {
    for (const error of reportedErrors(validate)) problems.add(describe(error, 'model'));
  }
  return [...problems];
}

/**
 * An agent's inline model for the OpenAPI document, which has no if/then: the model component's
 * fields without `type` and `api_key` (see inlineModelProblems).
 */
export const INLINE_MODEL_OPENAPI = {
  type: 'object',
  description:
    "An inline model, held to a model component's schema without its key (use a model component for a model that needs one); the provider must be allowed by your tier",
  required: ['provider', 'model'],
  additionalProperties: false,
  properties: {
    ...modelFields,
    replies: {
      type: 'array',
      maxItems: REPLIES_LIMIT,
      description: '`scripted` only (and required there): the replies in order, a string being its content',
      items: { oneOf: [{ type: 'string', maxLength: 100_000 }, scriptedReply] },
    },
  },
  example: { provider: 'openai', model: 'gpt-4o-mini', base_url: 'https://api.openai.com/v1' },
};
