import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class DiffAgentVersionsQueryDto {
  /** The version to compare from. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  from: number;

  /** The version to compare to; the current version when omitted. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  to?: number;
}
