import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsStorableText, NAME_PATTERN, NAME_RULE, TAG_PATTERN } from '../../agents/agent-validators';
import { AgentConfigFieldsDto } from '../../agents/dto/agent-config-fields.dto';

/** Changes to the template's config for this agent (JSON Merge Patch: `null` clears a field). */
export class TemplateOverridesDto extends AgentConfigFieldsDto {}

export class InstantiateTemplateDto {
  /** The new agent's name, unique within your tenant. */
  @IsString()
  @Matches(NAME_PATTERN, { message: `name must be ${NAME_RULE}` })
  name: string;

  /** The new agent's tags; the template's when omitted. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(TAG_PATTERN, {
    each: true,
    message: 'each tag must be 1-64 letters, digits, "_", ".", ":" or "-"',
  })
  tags?: string[] | null;

  /** Applied over the template's config. */
  @IsOptional()
  @ValidateNested()
  @Type(() => TemplateOverridesDto)
  overrides?: TemplateOverridesDto;

  /** Change note of the agent's version 1. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsStorableText()
  note?: string;
}
