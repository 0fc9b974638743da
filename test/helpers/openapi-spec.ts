import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export type JsonSchema = Record<string, unknown> & {
  $ref?: string;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  allOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  pattern?: string;
};

export interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: JsonSchema;
}

export interface SpecOperation {
  method: string;
  /** The OpenAPI path, e.g. `/api/v1/agents/{id}`. */
  path: string;
  operationId: string;
  permission: string | undefined;
  parameters: SpecParameter[];
  requestBody: JsonSchema | undefined;
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, JsonSchema> };
}

/**
 * openapi.json at the repository root, as `npm run openapi` generated it from the code (or the
 * file named by OPENAPI_FILE, e.g. to fuzz a spec generated elsewhere).
 */
export function loadSpec(): OpenApiDocument {
  const file = process.env.OPENAPI_FILE ?? resolve(__dirname, '..', '..', 'openapi.json');
  return JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function specOperations(spec: OpenApiDocument): SpecOperation[] {
  const operations: SpecOperation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const op = raw as {
        operationId: string;
        'x-permission'?: string;
        parameters?: SpecParameter[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
        responses?: SpecOperation['responses'];
      };
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        permission: op['x-permission'],
        parameters: op.parameters ?? [],
        requestBody: op.requestBody?.content?.['application/json']?.schema,
        responses: op.responses ?? {},
      });
    }
  }
  return operations;
}

/** `/api/v1/agents/:id` (Express) -> `/api/v1/agents/{id}` (OpenAPI). */
export function toSpecPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

/** Follows `$ref`s and merges `allOf`, so the result has its properties inline. */
export function deref(spec: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema {
  if (!schema) return {};
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() as string;
    return deref(spec, spec.components.schemas[name]);
  }
  if (schema.allOf) {
    const merged: JsonSchema = { ...schema, allOf: undefined, properties: {}, required: [] };
    for (const part of schema.allOf.map((s) => deref(spec, s))) {
      Object.assign(merged.properties as object, part.properties ?? {});
      (merged.required as string[]).push(...(part.required ?? []));
      if (part.type) merged.type = part.type;
    }
    return merged;
  }
  return schema;
}

/**
 * The smallest value the schema describes: required properties only, the first enum value, the
 * minimum of a number. Not always valid for the app's own rules (cross-field checks, references),
 * but past the shape checks of the validation pipe for the DTOs in the spec.
 */
export function minimalValue(spec: OpenApiDocument, raw: JsonSchema | undefined, depth = 0): unknown {
  const schema = deref(spec, raw);
  if (schema.enum?.length) return schema.enum[0];
  if (schema.oneOf?.length) return minimalValue(spec, schema.oneOf[0], depth + 1);
  if (schema.anyOf?.length) return minimalValue(spec, schema.anyOf[0], depth + 1);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'date-time') return new Date().toISOString();
      if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default: {
      if (depth > 5) return {};
      const value: Record<string, unknown> = {};
      for (const name of schema.required ?? []) {
        value[name] = minimalValue(spec, schema.properties?.[name], depth + 1);
      }
      return value;
    }
  }
}
