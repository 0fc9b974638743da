import { IsIn, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { Tier, TIERS } from '../tiers';
import { TenantLimitOverridesDto } from './tenant-limits.dto';
import { IsStorableText } from '../../agents/agent-validators';
import { IsNestedObject, IsNotBlank } from '../../../shared/http/validation';

/** Omitted is no change; null is not a value of these columns (it was a 500, found by fuzzing). */
const IsOmittable = () => ValidateIf((_, value: unknown) => value !== undefined);

/** Partial update; the slug never changes. */
export class UpdateTenantDto {
  @IsOmittable()
  @IsString()
  @IsNotBlank()
  @MaxLength(200)
  @IsStorableText()
  name?: string;

  @IsOmittable()
  @IsIn(TIERS)
  tier?: Tier;

  /** Merged into the current overrides; a `null` value removes that override. */
  @IsOptional()
  @IsNestedObject(() => TenantLimitOverridesDto)
  limits?: TenantLimitOverridesDto;
}
