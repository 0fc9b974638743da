import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../../shared/http/pagination.dto';
import type { AuditEntryEntity } from '../audit-entry.entity';

export class AuditEntryResponseDto {
  id: string;
  /** `user:<sub>`, `api_key:<id>` or `system`. */
  actor: string;
  /** What happened, e.g. `tenant.updated`. */
  action: string;
  resource_type: string;
  resource_id: string;
  /** The resource before the change (secrets masked); null on creation. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  before: Record<string, unknown> | null;
  /** The resource after the change (secrets masked); null on deletion. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  after: Record<string, unknown> | null;
  /** The request that made the change. */
  request_id: string | null;
  created_at: string;
}

export class AuditListResponseDto extends PageMetaDto {
  items: AuditEntryResponseDto[];
}

export function toAuditEntryResponse(
  entry: Omit<AuditEntryEntity, 'tenantId' | 'tenant'>,
): AuditEntryResponseDto {
  return {
    id: entry.id,
    actor: entry.actor,
    action: entry.action,
    resource_type: entry.resourceType,
    resource_id: entry.resourceId,
    before: entry.before,
    after: entry.after,
    request_id: entry.requestId,
    created_at: entry.createdAt.toISOString(),
  };
}
