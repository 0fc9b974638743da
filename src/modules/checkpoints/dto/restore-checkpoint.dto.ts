import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsStorableText } from '../../agents/agent-validators';
import { IsNestedObject, IsNotBlank, IsOmittable } from '../../../shared/http/validation';

/** What a restore may change: the query. */
export class RestoreModificationsDto {
  /** Replaces the run's query (its last user message). */
  @IsOmittable()
  @IsString()
  @IsNotBlank()
  @MaxLength(100_000)
  @IsStorableText()
  modified_query?: string;
}

/** What a fork may change: the query and the system prompt. */
export class ForkModificationsDto extends RestoreModificationsDto {
  /** Replaces the system prompt; held to your tier's `max_prompt_length` as an agent's is. */
  @IsOmittable()
  @IsString()
  @MaxLength(200_000)
  @IsStorableText()
  system_prompt?: string;
}

/** `POST /checkpoints/:id/restore`. */
export class RestoreCheckpointDto {
  /** A new run from the checkpoint (default), or the same run continued from it. */
  @IsOptional()
  @IsBoolean()
  create_new_run?: boolean;

  @IsOptional()
  @IsNestedObject(() => RestoreModificationsDto)
  modifications?: RestoreModificationsDto;
}

/** `POST /checkpoints/:id/fork`. */
export class ForkCheckpointDto {
  /** What the fork tries. */
  @IsOptional()
  @IsString()
  @MaxLength(1_000)
  @IsStorableText()
  description?: string;

  @IsOptional()
  @IsNestedObject(() => ForkModificationsDto)
  modifications?: ForkModificationsDto;
}

export class RestoreCheckpointResponseDto {
  new_run_id: string;
  message: string;
}

export class ForkCheckpointResponseDto {
  new_run_id: string;
  /** The new run's first checkpoint, where the fork starts. */
  checkpoint_id: string;
  message: string;
}
