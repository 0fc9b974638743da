import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { rawJson } from '../../../shared/http/raw-json';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import type { ModelRef } from '../agent-config';
import {
  IsJsonObject,
  IsModelRef,
  IsStorableText,
  METADATA_MAX_BYTES,
  NAME_PATTERN,
  NAME_RULE,
} from '../agent-validators';
import { IsNestedObject } from '../../../shared/http/validation';
import { INLINE_MODEL_OPENAPI } from '../../config/component-schemas';

export const MODEL_REF_SCHEMA = {
  oneOf: [
    { type: 'string', description: 'A model component name', example: 'gpt4' },
    { $ref: '#/components/schemas/InlineModel' },
  ],
};

/** Named schemas that are no DTO class, for the OpenAPI document. */
export const AGENT_OPENAPI_SCHEMAS = { InlineModel: INLINE_MODEL_OPENAPI };

/** Run parameters; in a partial update, `null` removes one (back to the model's default). */
export class RunParametersDto {
  /** Sampling temperature, 0 to 2. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number | null;

  /** Nucleus sampling mass, 0 to 1. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  top_p?: number | null;

  /** Most tokens the model may produce per call. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_tokens?: number | null;

  /** Most model calls in one run, 1 to 50. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  max_steps?: number | null;
}

/** The versioned part of an agent: every field is optional; absent or `null` means none. */
export class AgentConfigFieldsDto {
  /** What the agent is for. */
  @IsOptional()
  @IsString()
  @MaxLength(2_000)
  @IsStorableText()
  description?: string | null;

  /** The system prompt; its length is capped by your tier (`max_prompt_length`). */
  @IsOptional()
  @IsString()
  @MaxLength(1_000_000)
  @IsStorableText()
  system_prompt?: string | null;

  /** A model component's name, or an inline `{provider, model, …}`. */
  @ApiPropertyOptional({ ...MODEL_REF_SCHEMA, nullable: true })
  @IsOptional()
  @IsModelRef()
  @Transform(rawJson, { toClassOnly: true })
  model?: ModelRef | null;

  /** Tool component names; how many is capped by your tier (`max_tools_per_agent`). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1_000)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(NAME_PATTERN, { each: true, message: `each tool must be a component name: ${NAME_RULE}` })
  tools?: string[] | null;

  /** A memory component's name. */
  @IsOptional()
  @IsString()
  @Matches(NAME_PATTERN, { message: `memory must be a component name: ${NAME_RULE}` })
  memory?: string | null;

  /** A knowledge component's name. */
  @IsOptional()
  @IsString()
  @Matches(NAME_PATTERN, { message: `knowledge must be a component name: ${NAME_RULE}` })
  knowledge?: string | null;

  /** Run parameters. */
  @IsOptional()
  @IsNestedObject(() => RunParametersDto)
  config?: RunParametersDto | null;

  /** Free-form JSON object, at most 16 KB. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsJsonObject(METADATA_MAX_BYTES)
  @Transform(rawJson, { toClassOnly: true })
  metadata?: Record<string, unknown> | null;
}
