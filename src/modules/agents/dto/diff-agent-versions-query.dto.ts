import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { QueryInteger } from '../../../shared/http/validation';

export class DiffAgentVersionsQueryDto {
  /** The version to compare from. */
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  from: number;

  /** The version to compare to; the current version when omitted. */
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  to?: number;
}
