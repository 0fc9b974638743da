import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { canGrantRole, Role } from '../../shared/auth/permissions';
import { actorOf, Principal, TenantPrincipal } from '../../shared/auth/principal';
import { commonError } from '../../shared/errors/common.errors';
import { pageOf, Page } from '../../shared/http/pagination.dto';
import { AuditService } from '../audit/audit.service';
import type { ApiKeyEntity } from './api-key.entity';
import { generateApiKey } from './api-key-secret';
import { ApiKeyAuthenticatorService } from './api-key-authenticator.service';
import { apiKeyError } from './api-keys.errors';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeyResponseDto, CreatedApiKeyResponseDto, toApiKeyResponse } from './dto/api-key-response.dto';
import type { CreateApiKeyDto, CreatePlatformKeyDto } from './dto/create-api-key.dto';
import type { ListApiKeysQueryDto } from './dto/list-api-keys-query.dto';

export interface NewApiKey {
  name: string;
  role: Role;
  expiresAt?: Date | null;
  createdBy: string;
  allowSecrets?: boolean;
}

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger('ApiKeys');

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ApiKeysRepository,
    private readonly authenticator: ApiKeyAuthenticatorService,
    private readonly audit: AuditService,
  ) {}

  async create(principal: TenantPrincipal, dto: CreateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    if (!canGrantRole(principal.roles, dto.role)) {
      throw apiKeyError('ROLE_NOT_GRANTABLE', `Your roles cannot create a key with role ${dto.role}`, [
        { field: 'role', code: 'notGrantable', message: `role ${dto.role} exceeds your own permissions` },
      ]);
    }
    if (dto.allow_secrets && dto.role !== 'service') {
      throw commonError('VALIDATION_FAILED', 'Validation failed: only service keys may be allowed secrets', [
        { field: 'allow_secrets', code: 'serviceOnly', message: 'allow_secrets needs role service' },
      ]);
    }
    // Secrets are read back by no role; a key that reads them is the owner's to hand out.
    if (dto.allow_secrets && !principal.roles.includes('owner')) {
      throw apiKeyError('ROLE_NOT_GRANTABLE', 'Only an owner may create a key allowed secrets', [
        { field: 'allow_secrets', code: 'notGrantable', message: 'allow_secrets needs the owner role' },
      ]);
    }
    return this.dataSource.transaction((manager) =>
      this.createIn(
        manager,
        principal.tenant.id,
        {
          name: dto.name,
          role: dto.role,
          expiresAt: dto.expires_at ?? null,
          createdBy: actorOf(principal),
          allowSecrets: dto.allow_secrets ?? false,
        },
        principal,
      ),
    );
  }

  /**
   * Creates a key inside the caller's transaction; the plain key is in the result and nowhere else.
   * `by` is audited as its maker (null: the system, as at bootstrap).
   */
  async createIn(
    manager: EntityManager,
    tenantId: string,
    input: NewApiKey,
    by: Principal | null,
  ): Promise<CreatedApiKeyResponseDto> {
    const generated = generateApiKey();
    const row = await this.keys.create(
      tenantId,
      {
        name: input.name,
        role: input.role,
        platform: false,
        allowSecrets: input.allowSecrets ?? false,
        prefix: generated.prefix,
        keyHash: generated.hash,
        createdBy: input.createdBy,
        expiresAt: input.expiresAt ?? null,
      },
      manager,
    );
    const response = toApiKeyResponse(row);
    await this.audit.record(manager, tenantId, {
      by,
      action: 'api_key.created',
      resourceType: 'api_key',
      resourceId: row.id,
      after: response,
    });
    return { ...response, key: generated.key };
  }

  async list(tenantId: string, query: ListApiKeysQueryDto): Promise<Page<ApiKeyResponseDto>> {
    const [rows, total] = await this.keys.list(tenantId, query.include_revoked, query.limit, query.offset);
    return pageOf(rows.map(toApiKeyResponse), total, query);
  }

  async get(tenantId: string, id: string): Promise<ApiKeyResponseDto> {
    return toApiKeyResponse(await this.require(tenantId, id));
  }

  /** Revokes at once on this instance and, through the bus, on the others. Revoking twice is fine. */
  async revoke(principal: TenantPrincipal, id: string): Promise<void> {
    const tenantId = principal.tenant.id;
    const revoked = await this.dataSource.transaction(async (manager) => {
      const key = await this.require(tenantId, id, manager);
      if (key.revokedAt) return null;
      const at = new Date();
      // Of revokes racing for one key, only the one whose update finds it unrevoked records it.
      if ((await this.keys.revoke(tenantId, id, at, manager)) === 0) return null;
      await this.audit.record(manager, tenantId, {
        by: principal,
        action: 'api_key.revoked',
        resourceType: 'api_key',
        resourceId: id,
        before: toApiKeyResponse(key),
        after: toApiKeyResponse({ ...key, revokedAt: at }),
      });
      return key;
    });
    if (revoked) await this.authenticator.revoked(revoked.keyHash);
  }

  /** A platform service key: `service` role, no tenant, reads `/internal` of the tenant in X-Tenant-Id. */
  async createPlatformKey(
    principal: Principal,
    dto: CreatePlatformKeyDto,
  ): Promise<CreatedApiKeyResponseDto> {
    const generated = generateApiKey();
    const row = await this.dataSource.transaction(async (manager) => {
      const created = await this.keys.createPlatform(
        {
          name: dto.name,
          prefix: generated.prefix,
          keyHash: generated.hash,
          createdBy: actorOf(principal),
          expiresAt: dto.expires_at ?? null,
        },
        manager,
      );
      await this.audit.recordPlatform(manager, {
        by: principal,
        action: 'platform_key.created',
        resourceType: 'platform_key',
        resourceId: created.id,
        after: toApiKeyResponse(created),
      });
      return created;
    });
    this.logger.log(`platform service key ${row.id} (${row.prefix}) created by ${actorOf(principal)}`);
    return { ...toApiKeyResponse(row), key: generated.key };
  }

  async listPlatformKeys(query: ListApiKeysQueryDto): Promise<Page<ApiKeyResponseDto>> {
    const [rows, total] = await this.keys.listPlatform(query.include_revoked, query.limit, query.offset);
    return pageOf(rows.map(toApiKeyResponse), total, query);
  }

  async revokePlatformKey(principal: Principal, id: string): Promise<void> {
    const key = await this.keys.findPlatformById(id);
    if (!key) throw apiKeyError('API_KEY_NOT_FOUND', `Platform key ${id} was not found`);
    if (key.revokedAt) return;
    const at = new Date();
    const revoked = await this.dataSource.transaction(async (manager) => {
      // Of revokes racing for one key, only the one whose update finds it unrevoked records it.
      if ((await this.keys.revokePlatform(id, at, manager)) === 0) return false;
      await this.audit.recordPlatform(manager, {
        by: principal,
        action: 'platform_key.revoked',
        resourceType: 'platform_key',
        resourceId: id,
        before: toApiKeyResponse(key),
        after: toApiKeyResponse({ ...key, revokedAt: at }),
      });
      return true;
    });
    if (!revoked) return;
    this.logger.log(`platform service key ${id} revoked by ${actorOf(principal)}`);
    await this.authenticator.revoked(key.keyHash);
  }

  private async require(tenantId: string, id: string, manager?: EntityManager): Promise<ApiKeyEntity> {
    const key = await this.keys.findById(tenantId, id, manager);
    if (!key) throw apiKeyError('API_KEY_NOT_FOUND', `API key ${id} was not found`);
    return key;
  }
}
