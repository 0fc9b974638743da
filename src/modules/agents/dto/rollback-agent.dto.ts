import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsStorableText } from '../agent-validators';

export class RollbackAgentDto {
  /** The version whose config becomes the new current version. */
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  version: number;

  /** Change note for the new version; `Rollback to version N` when omitted. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsStorableText()
  note?: string;
}
