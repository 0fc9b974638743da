import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { actorOf } from '../../shared/auth/principal';
import { commonError } from '../../shared/errors/common.errors';
import { currentRequestContext } from '../../shared/http/request-context';
import { pageOf, Page } from '../../shared/http/pagination.dto';
import { AuditRepository } from './audit.repository';
import { AuditEntryResponseDto, toAuditEntryResponse } from './dto/audit-entry-response.dto';
import type { ListAuditQueryDto } from './dto/list-audit-query.dto';

export interface AuditRecord {
  action: string;
  resourceType: string;
  resourceId: string;
  before?: object | null;
  after?: object | null;
}

/** Features call `record` inside their own transaction, so the change and its audit row commit together. */
@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  async record(manager: EntityManager, tenantId: string, record: AuditRecord): Promise<void> {
    const context = currentRequestContext();
    await this.audit.insert(
      tenantId,
      {
        actor: context?.principal ? actorOf(context.principal) : 'system',
        action: record.action,
        resourceType: record.resourceType,
        resourceId: record.resourceId,
        before: (record.before ?? null) as Record<string, unknown> | null,
        after: (record.after ?? null) as Record<string, unknown> | null,
        requestId: context?.requestId ?? null,
      },
      manager,
    );
  }

  async list(tenantId: string, query: ListAuditQueryDto): Promise<Page<AuditEntryResponseDto>> {
    if (query.from && query.to && query.from >= query.to) {
      throw commonError('VALIDATION_FAILED', 'Validation failed: from must be before to', [
        { field: 'from', code: 'range', message: 'from must be before to' },
      ]);
    }
    const [entries, total] = await this.audit.list(tenantId, {
      resourceType: query.resource_type,
      resourceId: query.resource_id,
      actor: query.actor,
      action: query.action,
      from: query.from,
      to: query.to,
      limit: query.limit,
      offset: query.offset,
    });
    return pageOf(entries.map(toAuditEntryResponse), total, query);
  }
}
