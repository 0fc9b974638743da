import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { Tier, TIERS } from '../tiers';
import { TenantLimitOverridesDto } from './tenant-limits.dto';
import { IsStorableText } from '../../agents/agent-validators';
import { IsNestedObject, IsNotBlank } from '../../../shared/http/validation';
import { UUID_SHAPE } from '../../../shared/http/uuid-param';

export class CreateTenantDto {
  /**
   * Unique, lowercase, never changes: letters, digits and inner hyphens, 1 to 63 characters. Not
   * shaped like a UUID: a token's tenant claim is read as an id when it has that shape.
   */
  @IsString()
  @Matches(new RegExp(`(?!${UUID_SHAPE.source})^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`), {
    message: 'slug must be 1-63 lowercase letters, digits or inner hyphens, not shaped like a UUID',
  })
  slug: string;

  /** Display name. */
  @IsString()
  @IsNotBlank()
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
