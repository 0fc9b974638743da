import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Max,
  Min,
} from 'class-validator';
import { IsStorableText, NAME_PATTERN } from '../../agents/agent-validators';
import { IsNotBlank } from '../../../shared/http/validation';

export const MULTITASK_MODES = ['reject', 'enqueue', 'interrupt'] as const;
export const ON_DISCONNECT_MODES = ['continue', 'cancel'] as const;

/** `POST /chat`: one message to an agent, answered as a run. */
export class ChatRequestDto {
  /** The agent's id (or name). */
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(NAME_PATTERN, { message: 'agent_id must be an agent id or name' })
  agent_id: string;

  /** The user's message. */
  @IsString()
  @IsNotBlank()
  @MaxLength(100_000)
  @IsStorableText()
  message: string;

  /** Who is chatting (free text, for filtering runs). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @IsStorableText()
  user_id?: string;

  /**
   * The conversation: runs of one session see its earlier messages. A new one when absent. A
   * session is the tenant's: another agent given it continues the conversation.
   */
  @IsOptional()
  @IsString()
  @Matches(/^[\w.:-]{1,200}$/)
  session_id?: string;

  /** Server-Sent Events when true, one JSON answer otherwise. */
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  /** Run the version this label points at (default: latest). Excludes `version`. */
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_.-]{0,62}$/)
  label?: string;

  /** Run this version (a JSON integer). Excludes `label`. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 2_147_483_647 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  version?: number;

  /** When the session already has a run in progress: `reject` (409, default), `enqueue`, or `interrupt` (cancels it). */
  @IsOptional()
  @IsIn(MULTITASK_MODES)
  multitask?: (typeof MULTITASK_MODES)[number];

  /**
   * When the client goes away before the run ends (its stream closed, or it stopped waiting for
   * the JSON answer): `continue` (default) or `cancel` the run.
   */
  @IsOptional()
  @IsIn(ON_DISCONNECT_MODES)
  on_disconnect?: (typeof ON_DISCONNECT_MODES)[number];
}
