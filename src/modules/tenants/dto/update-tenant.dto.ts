import { Type } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { Tier, TIERS } from '../tiers';
import { TenantLimitOverridesDto } from './tenant-limits.dto';

/** Partial update; the slug never changes. */
export class UpdateTenantDto {
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @IsOptional()
  @IsIn(TIERS)
  tier?: Tier;

  /** Merged into the current overrides; a `null` value removes that override. */
  @IsOptional()
  @ValidateNested()
  @Type(() => TenantLimitOverridesDto)
  limits?: TenantLimitOverridesDto;
}
