import { ApiProperty } from '@nestjs/swagger';
import { Role, ROLES } from '../../../shared/auth/permissions';
import { PageMetaDto } from '../../../shared/http/pagination.dto';
import type { ApiKeyEntity } from '../api-key.entity';

export class ApiKeyResponseDto {
  id: string;
  name: string;
  @ApiProperty({ enum: ROLES })
  role: Role;
  /** The key's first characters, to tell keys apart; the key itself is never shown again. */
  prefix: string;
  /** Whether this service key reads component secrets decrypted on `/internal` routes. */
  allow_secrets: boolean;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  /** The key. Shown this once only: store it now. */
  key: string;
}

export class ApiKeyListResponseDto extends PageMetaDto {
  items: ApiKeyResponseDto[];
}

export function toApiKeyResponse(key: ApiKeyEntity): ApiKeyResponseDto {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    prefix: key.prefix,
    allow_secrets: key.allowSecrets,
    created_by: key.createdBy,
    created_at: key.createdAt.toISOString(),
    expires_at: key.expiresAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
  };
}
