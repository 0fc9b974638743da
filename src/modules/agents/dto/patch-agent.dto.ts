import { IsString, Matches, ValidateIf } from 'class-validator';
import { IsChangeNote, IsTagList, AGENT_NAME_PATTERN, AGENT_NAME_RULE } from '../agent-validators';
import { AgentConfigFieldsDto } from './agent-config-fields.dto';

/**
 * `PATCH /agents/:id`, a JSON Merge Patch (RFC 7396): a field left out is unchanged, `null`
 * clears it, and `config` and `metadata` merge key by key.
 */
export class PatchAgentDto extends AgentConfigFieldsDto {
  /** New name, unique within your tenant; cannot be cleared. */
  @ValidateIf((dto: PatchAgentDto) => dto.name !== undefined)
  @IsString()
  @Matches(AGENT_NAME_PATTERN, { message: `name must be ${AGENT_NAME_RULE}` })
  name?: string;

  /** Replaces all tags; `null` clears them. */
  @IsTagList()
  tags?: string[] | null;

  /** Change note stored with the version this writes; not part of the config. */
  @IsChangeNote()
  note?: string;
}

/** `POST /agents/:id/validate`: changes to check against the agent's current config (none: as it is). */
export class ValidateAgentChangesDto extends PatchAgentDto {}
