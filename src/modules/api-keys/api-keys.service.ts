import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { canGrantRole, Role } from '../../shared/auth/permissions';
import { actorOf, TenantPrincipal } from '../../shared/auth/principal';
import { pageOf, Page } from '../../shared/http/pagination.dto';
import { AuditService } from '../audit/audit.service';
import type { ApiKeyEntity } from './api-key.entity';
import { generateApiKey } from './api-key-secret';
import { ApiKeyAuthenticatorService } from './api-key-authenticator.service';
import { apiKeyError } from './api-keys.errors';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeyResponseDto, CreatedApiKeyResponseDto, toApiKeyResponse } from './dto/api-key-response.dto';
import type { CreateApiKeyDto } from './dto/create-api-key.dto';
import type { ListApiKeysQueryDto } from './dto/list-api-keys-query.dto';

export interface NewApiKey {
  name: string;
  role: Role;
  expiresAt?: Date | null;
  createdBy: string;
}

@Injectable()
export class ApiKeysService {
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
    return this.dataSource.transaction((manager) =>
      this.createIn(manager, principal.tenant.id, {
        name: dto.name,
        role: dto.role,
        expiresAt: dto.expires_at ?? null,
        createdBy: actorOf(principal),
      }),
    );
  }

  /** Creates a key inside the caller's transaction; the plain key is in the result and nowhere else. */
  async createIn(
    manager: EntityManager,
    tenantId: string,
    input: NewApiKey,
  ): Promise<CreatedApiKeyResponseDto> {
    const generated = generateApiKey();
    const row = await this.keys.create(
      tenantId,
      {
        name: input.name,
        role: input.role,
        platform: false,
        prefix: generated.prefix,
        keyHash: generated.hash,
        createdBy: input.createdBy,
        expiresAt: input.expiresAt ?? null,
      },
      manager,
    );
    const response = toApiKeyResponse(row);
    await this.audit.record(manager, tenantId, {
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
  async revoke(tenantId: string, id: string): Promise<void> {
    const revoked = await this.dataSource.transaction(async (manager) => {
      const key = await this.require(tenantId, id, manager);
      if (key.revokedAt) return null;
      const at = new Date();
      await this.keys.revoke(tenantId, id, at, manager);
      await this.audit.record(manager, tenantId, {
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

  private async require(tenantId: string, id: string, manager?: EntityManager): Promise<ApiKeyEntity> {
    const key = await this.keys.findById(tenantId, id, manager);
    if (!key) throw apiKeyError('API_KEY_NOT_FOUND', `API key ${id} was not found`);
    return key;
  }
}
