import { IsOptional, IsString, Matches } from 'class-validator';
import { IsChangeNote, IsTagList, AGENT_NAME_PATTERN, AGENT_NAME_RULE } from '../../agents/agent-validators';
import { AgentConfigFieldsDto } from '../../agents/dto/agent-config-fields.dto';
import { IsNestedObject } from '../../../shared/http/validation';

/** Changes to the template's config for this agent (JSON Merge Patch: `null` clears a field). */
export class TemplateOverridesDto extends AgentConfigFieldsDto {}

export class InstantiateTemplateDto {
  /** The new agent's name, unique within your tenant. */
  @IsString()
  @Matches(AGENT_NAME_PATTERN, { message: `name must be ${AGENT_NAME_RULE}` })
  name: string;

  /** The new agent's tags; the template's when omitted. */
  @IsTagList()
  tags?: string[] | null;

  /** Applied over the template's config. */
  @IsOptional()
  @IsNestedObject(() => TemplateOverridesDto)
  overrides?: TemplateOverridesDto;

  /** Change note of the agent's version 1. */
  @IsChangeNote()
  note?: string;
}
