import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, MinDate } from 'class-validator';
import { IsIsoDateTime, IsNotBlank } from '../../../shared/http/validation';
import { Role, ROLES } from '../../../shared/auth/permissions';
import { IsStorableText } from '../../agents/agent-validators';

export class CreateApiKeyDto {
  /** What the key is for, e.g. `ci-deployer`. */
  @IsString()
  @IsNotBlank()
  @MaxLength(100)
  @IsStorableText()
  name: string;

  /** The role the key acts with; at most the permissions of its creator. `service` keys read `/internal`. */
  @IsIn(ROLES)
  role: Role;

  /** When the key stops working (ISO 8601, in the future); never when omitted. */
  @IsOptional()
  @IsIsoDateTime()
  @MinDate(() => new Date(), { message: 'expires_at must be in the future' })
  expires_at?: Date;

  /**
   * A `service` key only: `/internal` resolved configs carry component secrets (model API keys,
   * secret headers) decrypted. Default false: they are masked. Only an owner may create one: no
   * other role can read a secret back.
   */
  @IsOptional()
  @IsBoolean()
  allow_secrets?: boolean;
}

export class CreatePlatformKeyDto {
  /** What the key is for, e.g. `executor-eu-1`. */
  @IsString()
  @IsNotBlank()
  @MaxLength(100)
  @IsStorableText()
  name: string;

  /** When the key stops working (ISO 8601, in the future); never when omitted. */
  @IsOptional()
  @IsIsoDateTime()
  @MinDate(() => new Date(), { message: 'expires_at must be in the future' })
  expires_at?: Date;
}
