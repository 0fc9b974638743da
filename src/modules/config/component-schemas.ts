import Ajv, { ErrorObject } from 'ajv';
import type { Finding } from '../agents/agent-rules';
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

/** The strict JSON Schema of each component type (the `type` key itself included). */
export const COMPONENT_SCHEMAS: Record<ComponentType, object> = {
  model: {
    type: 'object',
    required: ['type', 'provider', 'model'],
    additionalProperties: false,
    properties: {
      type: { const: 'model' },
      provider: { enum: ['openai', 'scripted'] },
      model: { type: 'string', minLength: 1, maxLength: 200 },
      base_url: { type: 'string', pattern: URL_PATTERN, maxLength: 2048 },
      api_key: { type: 'string', minLength: 1, maxLength: 8192 },
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      max_tokens: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      timeout_ms: { type: 'integer', minimum: 1, maximum: 600_000 },
      replies: {
        type: 'array',
        maxItems: 1000,
        items: {
          type: 'object',
          additionalProperties: false,
          properties: {
            content: { type: 'string', maxLength: 100_000 },
            tool_calls: { type: 'array', maxItems: 32, items: toolCall },
          },
        },
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

function describe(error: ErrorObject): string {
  const where = error.instancePath || '/';
  if (error.keyword === 'additionalProperties')
    return `${where}: unknown field "${String(error.params.additionalProperty)}"`;
  if (error.keyword === 'oneOf' && error.instancePath === '')
    return 'exactly one way of running is needed (builtin or http; static_text or http_retrieval)';
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** Schema findings of a component config as PUT (errors); a tool's `parameters` compiled with ajv. */
export function checkComponentSchema(config: Record<string, unknown>): Finding[] {
  const type = config.type as ComponentType;
  const validate = validators[type];
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
    const errors = (validate.errors ?? []).filter(
      // if/then and oneOf branches repeat what their inner errors say.
      (error) => error.keyword !== 'if' && !(error.keyword === 'oneOf' && error.instancePath !== ''),
    );
    const seen = new Set<string>();
    for (const error of errors) {
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
