import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { Tier, TIERS } from '../tiers';
import { TenantLimitOverridesDto } from './tenant-limits.dto';
import { IsStorableText } from '../../agents/agent-validators';
import { IsNestedObject } from '../../../shared/http/validation';

export class CreateTenantDto {
  /** Unique, lowercase, never changes: letters, digits and inner hyphens, 1 to 63 characters. */
  @IsString()
  @Matches(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
    message: 'slug must be 1-63 lowercase letters, digits or inner hyphens',
  })
  slug: string;

  /** Display name. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsStorableText()
  name: string;

  /** Tier whose limits apply; `free` when omitted. */
  @IsOptional()
  @IsIn(TIERS)
  tier?: Tier;

  /** Overrides of single tier limits. */
  @IsOptional()
  @IsNestedObject(() => TenantLimitOverridesDto)
  limits?: TenantLimitOverridesDto;
}
