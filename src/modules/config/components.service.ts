import { assertIfMatch, readIfMatch } from '../../shared/http/if-match';
import { canonicalHash, canonicalJson } from '../../shared/canonical-json';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { actorOf, TenantPrincipal } from '../../shared/auth/principal';
import { commonError } from '../../shared/errors/common.errors';
import { OutboxService } from '../../shared/events/outbox.service';
import { SecretBox } from '../../shared/secrets/secret-box';
import { maskSecrets, plainSecrets, sealSecrets } from '../../shared/secrets/secret-fields';
import { AuditService } from '../audit/audit.service';
import { Finding, findingsAsDetails, hasErrors } from '../agents/agent-rules';
import { NAME_PATTERN, NAME_RULE } from '../agents/agent-validators';
import { toValidationResult } from '../agents/dto/validation-result.dto';
import { checkComponentSchema } from './component-schemas';
import type { ComponentEntity, ComponentType } from './component.entity';
import { ComponentChangesRepository, ComponentsRepository } from './components.repository';
import { ConfigReviewService } from './config-review.service';
import { configError } from './config.errors';
import {
  ComponentHistoryResponseDto,
  ComponentListResponseDto,
  componentDocument,
  ComponentResponseDto,
  PutComponentResponseDto,
  toComponentChange,
  toComponentResponse,
  toComponentSummary,
} from './dto/component-response.dto';
import type { ListComponentsQueryDto } from './dto/list-components-query.dto';
import type { PutComponentDto } from './dto/put-component.dto';
import type { PageQueryDto } from '../../shared/http/pagination.dto';

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** The result of a PUT, and the ETag version to send with it. */
export interface PutOutcome {
  body: PutComponentResponseDto;
  etag: number | null;
}

/**
 * Named components of a tenant. Every change runs in one transaction: lock, write the component,
 * its history row (masked), its audit row (masked) and, last, its change event naming the agents
 * that use it, so execution services refresh exactly those.
 */
@Injectable()
export class ComponentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly components: ComponentsRepository,
    private readonly changes: ComponentChangesRepository,
    private readonly review: ConfigReviewService,
    private readonly box: SecretBox,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  async list(tenantId: string, query: ListComponentsQueryDto): Promise<ComponentListResponseDto> {
    const [rows, total] = await this.components.list(tenantId, query);
    return { total, limit: query.limit, offset: query.offset, configs: rows.map(toComponentSummary) };
  }

  async get(tenantId: string, name: string): Promise<ComponentResponseDto> {
    this.checkName(name);
    return toComponentResponse(await this.require(tenantId, name));
  }

  async history(tenantId: string, name: string, query: PageQueryDto): Promise<ComponentHistoryResponseDto> {
    this.checkName(name);
    const [rows, total] = await this.changes.list(tenantId, name, query.limit, query.offset);
    if (total === 0) throw this.notFound(name);
    return {
      component_name: name,
      total,
      limit: query.limit,
      offset: query.offset,
      history: rows.map(toComponentChange),
    };
  }

  /** Creates or replaces a component; with `validate_only` answers the findings and saves nothing. */
  async put(
    principal: TenantPrincipal,
    name: string,
    dto: PutComponentDto,
    ifMatch: string | undefined,
  ): Promise<PutOutcome> {
    this.checkName(name);
    const condition = readIfMatch(ifMatch);
    const tenantId = principal.tenant.id;
    const input = dto.config;
    const findings = checkComponentSchema(input);
    if (!hasErrors(findings))
      findings.push(
        ...(await this.review.review(tenantId, 'component', maskSecrets(this.secretsHidden(input)))),
      );
    if (!hasErrors(findings)) findings.push(...this.checkTier(principal, input));

    if (dto.validate_only) {
      const existing = await this.components.findByName(tenantId, name);
      if (existing) findings.push(...this.typeChange(existing, input));
      if (existing && dto.enabled === false)
        findings.push(...(await this.disablingInUse(tenantId, existing)));
      const valid = !hasErrors(findings);
      return {
        body: {
          success: valid,
          message: valid
            ? 'The component is valid; nothing was saved'
            : 'The component is invalid; nothing was saved',
          version: existing?.version ?? null,
          findings: toValidationResult(findings).findings,
        },
        etag: existing?.version ?? null,
      };
    }
    this.refuse(findings);

    return this.dataSource.transaction(async (manager) => {
      await this.components.lockName(tenantId, name, manager);
      const existing = await this.components.lockByName(tenantId, name, manager);
      assertIfMatch(condition, existing?.version ?? null, `Component ${name}`);
      if (existing) this.refuse(this.typeChange(existing, input));
      const sealed = sealSecrets(input, existing?.config ?? null, this.box);
      if (sealed.unknownMasks.length > 0) {
        this.refuse(
          sealed.unknownMasks.map((path) => ({
            severity: 'error' as const,
            code: 'SECRET_MASK_UNKNOWN',
            path,
            message: 'A masked value was sent where no secret is stored: send the secret itself',
          })),
        );
      }
      const { type, ...stored } = sealed.stored;
      const { type: _type, ...plain } = sealed.plain;
      const meta = {
        description: dto.description !== undefined ? dto.description : (existing?.description ?? null),
        enabled: dto.enabled ?? existing?.enabled ?? true,
        tags: dto.tags ?? existing?.tags ?? [],
      };
      if (existing && meta.enabled === false && existing.enabled) {
        findings.push(...(await this.disablingInUse(tenantId, existing, manager)));
      }
      const answer = (message: string, version: number): PutOutcome => ({
        body: { success: true, message, version, findings: toValidationResult(findings).findings },
        etag: version,
      });
      if (
        existing &&
        sameJson(plainSecrets(existing.config, this.box), plain) &&
        sameJson({ description: existing.description, enabled: existing.enabled, tags: existing.tags }, meta)
      ) {
        return answer('No change: the component is already so', existing.version);
      }

      const version = (existing?.version ?? 0) + 1;
      let saved: ComponentEntity;
      if (existing) {
        const updatedAt = await this.components.update(
          tenantId,
          existing.id,
          { ...meta, config: stored, version },
          manager,
        );
        saved = { ...existing, ...meta, config: stored, version, updatedAt };
      } else {
        saved = await this.components.insert(
          tenantId,
          { name, type: type as ComponentType, ...meta, config: stored, version },
          manager,
        );
      }
      const before = existing ? componentDocument(existing) : null;
      const after = componentDocument(saved);
      const changeType = existing ? 'updated' : 'created';
      await this.changes.insert(
        tenantId,
        {
          componentId: saved.id,
          componentName: name,
          version,
          changeType,
          oldConfig: before,
          newConfig: after,
          actor: actorOf(principal),
        },
        manager,
      );
      await this.audit.record(manager, tenantId, {
        by: principal,
        action: `component.${changeType}`,
        resourceType: 'component',
        resourceId: saved.id,
        before: existing ? toComponentResponse(existing) : null,
        after: toComponentResponse(saved),
      });
      const agents = await this.components.agentsUsing(tenantId, name, manager);
      await this.outbox.append(manager, {
        tenantId,
        type: `component.${changeType}`,
        resourceType: 'component',
        resourceId: saved.id,
        version,
        configHash: canonicalHash({ ...after, version }),
        payload: { name, component_type: saved.type, agents: agents.map((agent) => agent.id) },
      });
      return answer(existing ? `Component ${name} updated` : `Component ${name} created`, version);
    });
  }

  /** Deletes a component no agent uses; its history stays. */
  async remove(principal: TenantPrincipal, name: string, ifMatch: string | undefined): Promise<void> {
    this.checkName(name);
    const condition = readIfMatch(ifMatch);
    const tenantId = principal.tenant.id;
    await this.dataSource.transaction(async (manager) => {
      const existing = await this.components.lockByName(tenantId, name, manager);
      if (!existing) throw this.notFound(name);
      assertIfMatch(condition, existing.version, `Component ${name}`);
      const agents = await this.components.agentsUsing(tenantId, name, manager);
      if (agents.length > 0) {
        throw configError(
          'COMPONENT_IN_USE',
          `Component ${name} is used by ${agents.length} agent(s): ${agents.map((agent) => agent.name).join(', ')}`,
          agents.map((agent) => ({
            field: 'name',
            code: 'inUse',
            message: `used by agent ${agent.name}`,
            agent_id: agent.id,
            agent_name: agent.name,
          })),
        );
      }
      await this.components.delete(tenantId, existing.id, manager);
      const before = componentDocument(existing);
      await this.changes.insert(
        tenantId,
        {
          componentId: existing.id,
          componentName: name,
          version: existing.version,
          changeType: 'deleted',
          oldConfig: before,
          newConfig: null,
          actor: actorOf(principal),
        },
        manager,
      );
      await this.audit.record(manager, tenantId, {
        by: principal,
        action: 'component.deleted',
        resourceType: 'component',
        resourceId: existing.id,
        before: toComponentResponse(existing),
      });
      await this.outbox.append(manager, {
        tenantId,
        type: 'component.deleted',
        resourceType: 'component',
        resourceId: existing.id,
        version: existing.version,
        configHash: canonicalHash({ ...before, version: existing.version }),
        payload: { name, component_type: existing.type, agents: [] },
      });
    });
  }

  /** Secret values replaced by a placeholder: what a review may see and hash. */
  private secretsHidden(input: Record<string, unknown>): Record<string, unknown> {
    const copy = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
    if (copy.type === 'model' && typeof copy.api_key === 'string') copy.api_key = '<secret>';
    for (const holder of [copy.http, copy.http_retrieval] as Array<
      { headers?: Record<string, unknown> } | undefined
    >) {
      for (const [key, value] of Object.entries(holder?.headers ?? {})) {
        if (typeof value === 'object' && value !== null)
          (holder?.headers as Record<string, unknown>)[key] = { secret: '<secret>' };
      }
    }
    return copy;
  }

  private checkTier(principal: TenantPrincipal, input: Record<string, unknown>): Finding[] {
    const { limits, tier } = principal.tenant;
    if (input.type !== 'model' || limits.allowed_model_providers.includes(input.provider as string))
      return [];
    return [
      {
        severity: 'error',
        code: 'MODEL_PROVIDER_NOT_ALLOWED',
        path: '/config/provider',
        message: `Model provider "${String(input.provider)}" is not allowed on the ${tier} tier`,
        limit: 'allowed_model_providers',
        value: limits.allowed_model_providers,
        tier,
      },
    ];
  }

  private typeChange(existing: ComponentEntity, input: Record<string, unknown>): Finding[] {
    if (existing.type === input.type) return [];
    return [
      {
        severity: 'error',
        code: 'COMPONENT_TYPE_CHANGE',
        path: '/config/type',
        message: `Component ${existing.name} is a ${existing.type}; its type cannot change (delete it and create it anew)`,
      },
    ];
  }

  private async disablingInUse(
    tenantId: string,
    existing: ComponentEntity,
    manager?: Parameters<ComponentsRepository['agentsUsing']>[2],
  ): Promise<Finding[]> {
    const agents = await this.components.agentsUsing(tenantId, existing.name, manager);
    if (agents.length === 0) return [];
    return [
      {
        severity: 'warning',
        code: 'COMPONENT_DISABLED_IN_USE',
        path: '/enabled',
        message: `Disabling ${existing.name}, used by ${agents.map((agent) => agent.name).join(', ')}: their next save is refused until they stop using it`,
      },
    ];
  }

  private refuse(findings: Finding[]): void {
    if (!hasErrors(findings)) return;
    const errors = findings.filter((finding) => finding.severity === 'error');
    throw configError(
      'COMPONENT_CONFIG_INVALID',
      `The component config is invalid: ${errors.map((finding) => finding.message).join('; ')}`,
      findingsAsDetails(errors),
    );
  }

  private async require(tenantId: string, name: string): Promise<ComponentEntity> {
    const component = await this.components.findByName(tenantId, name);
    if (!component) throw this.notFound(name);
    return component;
  }

  private notFound(name: string) {
    return configError('COMPONENT_NOT_FOUND', `Component ${name} was not found`);
  }

  private checkName(name: string): void {
    if (NAME_PATTERN.test(name)) return;
    throw commonError('VALIDATION_FAILED', `Validation failed: name must be ${NAME_RULE}`, [
      { field: 'name', code: 'matches', message: `name must be ${NAME_RULE}` },
    ]);
  }
}
