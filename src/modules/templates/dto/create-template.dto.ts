import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsStorableText, IsTagList, NAME_PATTERN, NAME_RULE } from '../../agents/agent-validators';
import { AgentConfigFieldsDto } from '../../agents/dto/agent-config-fields.dto';
import { Tier, TIERS } from '../../tenants/tiers';
import { IsNestedObject } from '../../../shared/http/validation';

/** The agent config a template holds; the same fields as an agent version. */
export class TemplateAgentConfigDto extends AgentConfigFieldsDto {}

/** `PUT /templates/:id`: the whole template (its scope, global or yours, never changes). */
export class UpdateTemplateDto {
  /** Unique among the global templates, or among yours: 1-100 letters, digits, `_`, `.` or `-`. */
  @IsString()
  @Matches(NAME_PATTERN, { message: `name must be ${NAME_RULE}` })
  name: string;

  /** What the template is for. */
  @IsOptional()
  @IsString()
  @MaxLength(2_000)
  @IsStorableText()
  description?: string | null;

  @IsTagList()
  tags?: string[] | null;

  /** Lowest tier that may instantiate it; `free` when omitted. */
  @IsOptional()
  @IsIn(TIERS)
  min_tier?: Tier;

  /** The agent config instances start from. */
  @IsOptional()
  @IsNestedObject(() => TemplateAgentConfigDto)
  config?: TemplateAgentConfigDto;
}

export class CreateTemplateDto extends UpdateTemplateDto {
  /** A global template, seen by every tenant; only platform operators may create one. */
  @IsOptional()
  @IsBoolean()
  global?: boolean;
}
