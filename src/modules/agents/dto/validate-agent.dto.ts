import { IsOptional, IsString, Matches } from 'class-validator';
import { IsTagList, AGENT_NAME_PATTERN, AGENT_NAME_RULE } from '../agent-validators';
import { AgentConfigFieldsDto } from './agent-config-fields.dto';

/** `POST /agents/validate`: a would-be new agent; nothing is saved. */
export class ValidateAgentDto extends AgentConfigFieldsDto {
  /** When given, also checked for being free in your tenant. */
  @IsOptional()
  @IsString()
  @Matches(AGENT_NAME_PATTERN, { message: `name must be ${AGENT_NAME_RULE}` })
  name?: string;

  /** Checked as on create: up to 20 distinct tags. */
  @IsTagList()
  tags?: string[] | null;
}
