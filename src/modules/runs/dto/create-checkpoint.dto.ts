import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsStorableText, IsTagList } from '../../agents/agent-validators';

/** `POST /runs/:id/checkpoints`: a named checkpoint of the run's latest state. */
export class CreateCheckpointDto {
  /** What this checkpoint marks. */
  @IsOptional()
  @IsString()
  @MaxLength(1_000)
  @IsStorableText()
  description?: string;

  /** Free tags, each once (the same rule as an agent's). */
  @IsTagList()
  tags?: string[] | null;
}
