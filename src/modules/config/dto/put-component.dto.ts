import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { rawJson } from '../../../shared/http/raw-json';
import { IsJsonObject, IsStorableText, TAG_PATTERN } from '../../agents/agent-validators';

export const COMPONENT_CONFIG_MAX_BYTES = 256 * 1024;

/** `PUT /config/:name`: creates the component or replaces its config. */
export class PutComponentDto {
  /**
   * The component's fields with its `type` (`model`, `tool`, `memory`, `knowledge`), e.g.
   * `{"type": "model", "provider": "openai", "model": "gpt-4o-mini", "api_key": "sk-…"}`. Secrets
   * (`api_key`, header values given as `{"secret": "…"}`) are encrypted at rest and only ever
   * shown masked; sending a mask back as read keeps the stored secret.
   */
  @ApiProperty({ type: 'object', additionalProperties: true })
  @IsJsonObject(COMPONENT_CONFIG_MAX_BYTES)
  @Transform(rawJson, { toClassOnly: true })
  config: Record<string, unknown>;

  /** Check only: answers the findings and saves nothing. */
  @IsOptional()
  @IsBoolean()
  validate_only?: boolean;

  /** Left out: unchanged (none on create). */
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @IsStorableText()
  description?: string | null;

  /** A disabled component cannot be referenced by a new agent config. Left out: unchanged (true on create). */
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  /** Left out: unchanged (none on create). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(TAG_PATTERN, {
    each: true,
    message: 'each tag must be 1-64 letters, digits, "_", ".", ":" or "-"',
  })
  tags?: string[];
}
