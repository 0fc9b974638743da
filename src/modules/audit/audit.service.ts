import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { actorOf, Principal } from '../../shared/auth/principal';
import { commonError } from '../../shared/errors/common.errors';
import { pageOf, Page } from '../../shared/http/pagination.dto';
import { AuditFilter, AuditRepository, PlatformAuditRepository } from './audit.repository';
import { AuditEntryResponseDto, toAuditEntryResponse } from './dto/audit-entry-response.dto';
import type { ListAuditQueryDto } from './dto/list-audit-query.dto';

export interface AuditRecord {
  /** Who made the change, under the request it authenticated; null for the system's own work. */
  by: Principal | null;
  action: string;
  resourceType: string;
  resourceId: string;
  before?: object | null;
  after?: object | null;
}

/** The row of a record, with who made it under which request. */
function entryOf(record: AuditRecord) {
  return {
    actor: record.by ? actorOf(record.by) : 'system',
    action: record.action,
    resourceType: record.resourceType,
    resourceId: record.resourceId,
    before: (record.before ?? null) as Record<string, unknown> | null,
    after: (record.after ?? null) as Record<string, unknown> | null,
    requestId: record.by?.requestId ?? null,
  };
}

/** The repositories' filter of a list query; 400 when its range is empty. */
function filterOf(query: ListAuditQueryDto): AuditFilter {
  if (query.from && query.to && query.from >= query.to) {
    throw commonError('VALIDATION_FAILED', 'Validation failed: from must be before to', [
      { field: 'from', code: 'range', message: 'from must be before to' },
    ]);
  }
  return {
    resourceType: query.resource_type,
    resourceId: query.resource_id,
    actor: query.actor,
    action: query.action,
    from: query.from,
    to: query.to,
    limit: query.limit,
    offset: query.offset,
  };
}

/** Features call `record` inside their own transaction, so the change and its audit row commit together. */
@Injectable()
export class AuditService {
  constructor(
    private readonly audit: AuditRepository,
    private readonly platformAudit: PlatformAuditRepository,
  ) {}

  async record(manager: EntityManager, tenantId: string, record: AuditRecord): Promise<void> {
    await this.audit.insert(tenantId, entryOf(record), manager);
  }

  /** A platform operator's action outside any tenant, in the platform's own log. */
  async recordPlatform(manager: EntityManager, record: AuditRecord): Promise<void> {
    await this.platformAudit.insert(entryOf(record), manager);
  }

  async list(tenantId: string, query: ListAuditQueryDto): Promise<Page<AuditEntryResponseDto>> {
    const [entries, total] = await this.audit.list(tenantId, filterOf(query));
    return pageOf(entries.map(toAuditEntryResponse), total, query);
  }

  async listPlatform(query: ListAuditQueryDto): Promise<Page<AuditEntryResponseDto>> {
    const [entries, total] = await this.platformAudit.list(filterOf(query));
    return pageOf(entries.map(toAuditEntryResponse), total, query);
  }
}
