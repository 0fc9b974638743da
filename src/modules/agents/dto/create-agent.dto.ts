import { IsString, Matches } from 'class-validator';
import { IsChangeNote, IsTagList, AGENT_NAME_PATTERN, AGENT_NAME_RULE } from '../agent-validators';
import { AgentConfigFieldsDto } from './agent-config-fields.dto';

/** A whole agent: `POST /agents` and `PUT /agents/:id` (fields left out are reset to none). */
export class CreateAgentDto extends AgentConfigFieldsDto {
  /** Unique within your tenant: 1-100 letters, digits, `_`, `.` or `-`. */
  @IsString()
  @Matches(AGENT_NAME_PATTERN, { message: `name must be ${AGENT_NAME_RULE}` })
  name: string;

  /** Labels for finding agents (`?tag=`); not versioned. */
  @IsTagList()
  tags?: string[] | null;

  /** Change note stored with the version this writes; not part of the config. */
  @IsChangeNote()
  note?: string;
}

/** `PUT /agents/:id`: the whole agent; fields left out are reset to none. */
export class UpdateAgentDto extends CreateAgentDto {}
