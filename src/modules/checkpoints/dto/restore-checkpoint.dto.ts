import { Type } from 'class-transformer';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { IsStorableText } from '../../agents/agent-validators';

/** What to change when continuing from a checkpoint. */
export class CheckpointModificationsDto {
  /** Replaces the run's query (its last user message). */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100_000)
  @IsStorableText()
  modified_query?: string;

  /** Replaces the system prompt (fork only). */
  @IsOptional()
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
  @ValidateNested()
  @Type(() => CheckpointModificationsDto)
  modifications?: CheckpointModificationsDto;
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
  @ValidateNested()
  @Type(() => CheckpointModificationsDto)
  modifications?: CheckpointModificationsDto;
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
