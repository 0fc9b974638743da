import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { IsStorableText, NAME_PATTERN, NAME_RULE, TAG_PATTERN } from '../agent-validators';
import { AgentConfigFieldsDto } from './agent-config-fields.dto';

/** A whole agent: `POST /agents` and `PUT /agents/:id` (fields left out are reset to none). */
export class CreateAgentDto extends AgentConfigFieldsDto {
  /** Unique within your tenant: 1-100 letters, digits, `_`, `.` or `-`. */
  @IsString()
  @Matches(NAME_PATTERN, { message: `name must be ${NAME_RULE}` })
  name: string;

  /** Labels for finding agents (`?tag=`); not versioned. */
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

  /** Change note stored with the version this writes; not part of the config. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsStorableText()
  note?: string;
}

/** `PUT /agents/:id`: the whole agent; fields left out are reset to none. */
export class UpdateAgentDto extends CreateAgentDto {}
