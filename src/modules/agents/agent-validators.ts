import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  buildMessage,
  IsArray,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { inlineModelProblems } from '../config/component-schemas';
import { UUID_SHAPE } from '../../shared/http/uuid-param';
import type { ErrorDetail } from '../../shared/errors/app-error';
import { isStorableText } from '../../shared/http/validation';

/** Component and agent names: letters, digits, `_`, `.`, `-`; they appear in URLs. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
export const NAME_RULE = '1-100 letters, digits, "_", "." or "-", starting with a letter or digit';
/** Routes take an agent by id or name, so an agent's name never has the shape of a UUID. */
export const AGENT_NAME_PATTERN = new RegExp(`(?!${UUID_SHAPE.source})${NAME_PATTERN.source}`, 'i');
export const AGENT_NAME_RULE = `${NAME_RULE}, and not shaped like a UUID`;
/** Tags and label names: lowercase-friendly tokens. */
export const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const LABEL_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const METADATA_MAX_BYTES = 16_384;
const INLINE_MODEL_MAX_BYTES = 4_096;
const MAX_DEPTH = 10;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when every string (keys too) can be stored, nesting stays shallow and no key is `__proto__`. */
function isStorableJson(value: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  if (typeof value === 'string') return isStorableText(value);
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value === 'boolean') return true;
  if (Array.isArray(value)) return value.every((item) => isStorableJson(item, depth + 1));
  if (isPlainObject(value)) {
    return Object.entries(value).every(
      ([key, item]) => key !== '__proto__' && isStorableText(key) && isStorableJson(item, depth + 1),
    );
  }
  return false;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** A string PostgreSQL can store (no U+0000, no unpaired surrogates). */
export function IsStorableText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStorableText',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || isStorableText(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must not contain U+0000 or unpaired surrogates`,
          options,
        ),
      },
    },
    options,
  );
}

/** A JSON object of at most `maxBytes` serialised, with storable strings and at most 10 levels. */
export function IsJsonObject(maxBytes = METADATA_MAX_BYTES, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isJsonObject',
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) && isStorableJson(value) && jsonBytes(value) <= maxBytes,
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be a JSON object of at most ${maxBytes} bytes, 10 levels deep, without U+0000`,
          options,
        ),
      },
    },
    options,
  );
}

/**
 * A model component's name, or an inline `{provider, model, …options}` of at most 4 KB that
 * passes the model component's schema and holds no key (see inlineModelProblems).
 */
export function IsModelRef(options?: ValidationOptions): PropertyDecorator {
  const shape = `a model component name (${NAME_RULE}) or an object {provider, model, …} of at most ${INLINE_MODEL_MAX_BYTES} bytes`;
  // An object that fits (storable, small enough) is then held to the model schema.
  const fits = (value: unknown): value is Record<string, unknown> =>
    isPlainObject(value) && isStorableJson(value) && jsonBytes(value) <= INLINE_MODEL_MAX_BYTES;
  const inlineProblems = (value: unknown): string[] => (fits(value) ? inlineModelProblems(value) : []);
  return ValidateBy(
    {
      name: 'isModelRef',
      validator: {
        validate: (value: unknown) => {
          if (typeof value === 'string') return NAME_PATTERN.test(value);
          return fits(value) && inlineModelProblems(value).length === 0;
        },
        defaultMessage: buildMessage((each, args) => {
          const problems = inlineProblems(args?.value);
          return problems.length > 0
            ? `${each}$property is not a valid inline model: ${problems.join('; ')}`
            : `${each}$property must be ${shape}`;
        }, options),
      },
    },
    options,
  );
}

/**
 * What a merged config breaks of the per-field rules, as details of a 400. A PATCH's fields each
 * pass on their own; merged into the stored config, `metadata` or an inline `model` may still
 * outgrow its cap, or an inline model keep fields its new provider does not take.
 */
export function mergedConfigDetails(config: { metadata?: unknown; model?: unknown }): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const metadata = config.metadata ?? {};
  if (!isPlainObject(metadata) || !isStorableJson(metadata) || jsonBytes(metadata) > METADATA_MAX_BYTES) {
    details.push({
      field: 'metadata',
      code: 'isJsonObject',
      message: `metadata, merged with the stored one, must be a JSON object of at most ${METADATA_MAX_BYTES} bytes, 10 levels deep`,
    });
  }
  const model = config.model;
  if (isPlainObject(model)) {
    const problems =
      isStorableJson(model) && jsonBytes(model) <= INLINE_MODEL_MAX_BYTES
        ? inlineModelProblems(model)
        : [`it is over ${INLINE_MODEL_MAX_BYTES} bytes`];
    if (problems.length > 0) {
      details.push({
        field: 'model',
        code: 'isModelRef',
        message: `model, merged with the stored one, is not a valid inline model: ${problems.join('; ')}`,
      });
    }
  }
  return details;
}

/**
 * An optional list of up to 20 distinct tags (agents and templates); `null` clears it. The
 * constraints are declared to Swagger here: its plugin does not see through composed decorators.
 */
export function IsTagList(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: [String],
      nullable: true,
      maxItems: 20,
      uniqueItems: true,
      items: { type: 'string', pattern: TAG_PATTERN.source },
    }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(20),
    ArrayUnique(),
    IsString({ each: true }),
    Matches(TAG_PATTERN, {
      each: true,
      message: 'each tag must be 1-64 letters, digits, "_", ".", ":" or "-"',
    }),
  );
}

/** An optional change note stored with the version a write makes (up to 500 characters). */
export function IsChangeNote(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, maxLength: 500 }),
    IsOptional(),
    IsString(),
    MaxLength(500),
    IsStorableText(),
  );
}
