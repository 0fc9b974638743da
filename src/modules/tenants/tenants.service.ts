import { isDeepStrictEqual } from 'node:util';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { Principal, TenantLimits } from '../../shared/auth/principal';
import { pageOf, Page } from '../../shared/http/pagination.dto';
import { AuditService } from '../audit/audit.service';
import type { CreateTenantDto } from './dto/create-tenant.dto';
import type { ListTenantsQueryDto } from './dto/list-tenants-query.dto';
import type { TenantLimitOverridesDto } from './dto/tenant-limits.dto';
import { TenantResponseDto, toTenantResponse } from './dto/tenant-response.dto';
import type { UpdateTenantDto } from './dto/update-tenant.dto';
import { TenantDirectory } from './tenant-directory.service';
import type { TenantEntity } from './tenant.entity';
import { tenantError } from './tenants.errors';
import { TenantsRepository } from './tenants.repository';
import { Tier, TIER_LIMITS } from './tiers';

const UNIQUE_VIOLATION = '23505';

/** Whether a limit's value is the tier's own (a provider list in any order). */
function sameAsTier(value: unknown, tierValue: unknown): boolean {
  if (Array.isArray(value) && Array.isArray(tierValue)) {
    return value.length === tierValue.length && value.every((item) => tierValue.includes(item));
  }
  return isDeepStrictEqual(value, tierValue);
}

/**
 * The overrides after a patch: `null` removes one, and a value equal to the tier's is no override
 * (kept, it would pin the tier's value when the tier changes later). A tier change keeps the
 * overrides set before it: each was a choice that the tier then did not make.
 */
function mergeOverrides(
  current: Partial<TenantLimits>,
  patch: TenantLimitOverridesDto | undefined,
  tier: Tier,
): Partial<TenantLimits> {
  const merged: Record<string, unknown> = { ...current };
  const tierLimits = TIER_LIMITS[tier] as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === undefined) continue;
    if (value === null || sameAsTier(value, tierLimits[key])) delete merged[key];
    else merged[key] = value;
  }
  return merged as Partial<TenantLimits>;
}

@Injectable()
export class TenantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsRepository,
    private readonly directory: TenantDirectory,
    private readonly audit: AuditService,
  ) {}

  async create(principal: Principal, dto: CreateTenantDto): Promise<TenantResponseDto> {
    try {
      const tenant = await this.dataSource.transaction((manager) => this.createIn(manager, dto, principal));
      await this.directory.changed();
      return toTenantResponse(tenant);
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw tenantError('TENANT_SLUG_TAKEN', `A tenant with slug "${dto.slug}" already exists`, [
          { field: 'slug', code: 'unique', message: 'slug is taken' },
        ]);
      }
      throw error;
    }
  }

  /**
   * Creates a tenant inside the caller's transaction (also used by the first-start bootstrap);
   * `by` is audited as its maker (null: the system).
   */
  async createIn(manager: EntityManager, dto: CreateTenantDto, by: Principal | null): Promise<TenantEntity> {
    const tenant = await this.tenants.insert(
      {
        slug: dto.slug,
        name: dto.name,
        tier: dto.tier ?? 'free',
        limitOverrides: mergeOverrides({}, dto.limits, dto.tier ?? 'free'),
      },
      manager,
    );
    await this.audit.record(manager, tenant.id, {
      by,
      action: 'tenant.created',
      resourceType: 'tenant',
      resourceId: tenant.id,
      after: toTenantResponse(tenant),
    });
    return tenant;
  }

  async list(query: ListTenantsQueryDto): Promise<Page<TenantResponseDto>> {
    const [tenants, total] = await this.tenants.list(query);
    return pageOf(tenants.map(toTenantResponse), total, query);
  }

  async get(id: string): Promise<TenantResponseDto> {
    return toTenantResponse(await this.require(id));
  }

  update(principal: Principal, id: string, dto: UpdateTenantDto): Promise<TenantResponseDto> {
    return this.change(principal, id, 'tenant.updated', (tenant) => {
      if (dto.name !== undefined) tenant.name = dto.name;
      if (dto.tier !== undefined) tenant.tier = dto.tier;
      if (dto.limits !== undefined) {
        tenant.limitOverrides = mergeOverrides(tenant.limitOverrides, dto.limits, tenant.tier);
      }
    });
  }

  deactivate(principal: Principal, id: string): Promise<TenantResponseDto> {
    return this.change(principal, id, 'tenant.deactivated', (tenant) => {
      if (!tenant.active) return;
      tenant.active = false;
      tenant.deactivatedAt = new Date();
    });
  }

  activate(principal: Principal, id: string): Promise<TenantResponseDto> {
    return this.change(principal, id, 'tenant.activated', (tenant) => {
      tenant.active = true;
      tenant.deactivatedAt = null;
    });
  }

  private async require(id: string, manager?: EntityManager): Promise<TenantEntity> {
    const tenant = manager ? await this.tenants.lockById(id, manager) : await this.tenants.findById(id);
    if (!tenant) throw tenantError('TENANT_NOT_FOUND', `Tenant ${id} was not found`);
    return tenant;
  }

  /**
   * Locks the row, applies `mutate`, and audits before/after, all in one transaction. A change that
   * changes nothing (deactivating twice, an empty patch) writes no row and no audit entry.
   */
  private async change(
    principal: Principal,
    id: string,
    action: string,
    mutate: (tenant: TenantEntity) => void,
  ): Promise<TenantResponseDto> {
    let changed = false;
    const response = await this.dataSource.transaction(async (manager) => {
      const tenant = await this.require(id, manager);
      const before = toTenantResponse(tenant);
      mutate(tenant);
      if (isDeepStrictEqual(toTenantResponse(tenant), before)) return before;
      changed = true;
      const saved = await this.tenants.save(tenant, manager);
      const after = toTenantResponse(saved);
      await this.audit.record(manager, saved.id, {
        by: principal,
        action,
        resourceType: 'tenant',
        resourceId: saved.id,
        before,
        after,
      });
      return after;
    });
    if (changed) await this.directory.changed();
    return response;
  }
}
