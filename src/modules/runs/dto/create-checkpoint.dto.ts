import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsStorableText } from '../../agents/agent-validators';

/** `POST /runs/:id/checkpoints`: a named checkpoint of the run's latest state. */
export class CreateCheckpointDto {
  /** What this checkpoint marks. */
  @IsOptional()
  @IsString()
  @MaxLength(1_000)
  @IsStorableText()
  description?: string;

  /** Free tags. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, { each: true })
  tags?: string[];
}
