import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches } from 'class-validator';
import { NAME_PATTERN, NAME_RULE, IsStorableText } from '../agent-validators';
import { AgentConfigFieldsDto } from './agent-config-fields.dto';

/** `POST /agents/validate`: a would-be new agent; nothing is saved. */
export class ValidateAgentDto extends AgentConfigFieldsDto {
  /** When given, also checked for being free in your tenant. */
  @IsOptional()
  @IsString()
  @Matches(NAME_PATTERN, { message: `name must be ${NAME_RULE}` })
  name?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @IsStorableText({ each: true })
  tags?: string[] | null;
}
