import { assertIfMatch, IfMatch, readIfMatch } from '../../shared/http/if-match';
import { Injectable } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { actorOf, TenantPrincipal } from '../../shared/auth/principal';
import { OutboxService } from '../../shared/events/outbox.service';
import { pageOf } from '../../shared/http/pagination.dto';
import { AgentConfig, configFieldsOf, normalizeConfig, patchConfig } from '../agents/agent-config';
import { assertReviewPassed } from '../agents/agent-rules';
import { AgentsService } from '../agents/agents.service';
import type { AgentResponseDto } from '../agents/dto/agent-response.dto';
import { AuditService } from '../audit/audit.service';
import { ConfigReviewService } from '../config/config-review.service';
import { Tier, TIERS } from '../tenants/tiers';
import type { CreateTemplateDto, UpdateTemplateDto } from './dto/create-template.dto';
import type { InstantiateTemplateDto } from './dto/instantiate-template.dto';
import type { ListTemplatesQueryDto } from './dto/list-templates-query.dto';
import {
  TemplateListResponseDto,
  TemplateResponseDto,
  toTemplateResponse,
} from './dto/template-response.dto';
import type { TemplateEntity } from './template.entity';
import { templateError } from './templates.errors';
import { TemplatesRepository } from './templates.repository';

const UNIQUE_VIOLATION = '23505';
const NAME_INDEXES = new Set(['UQ_templates_global_name', 'UQ_templates_tenant_name']);

function tierRank(tier: string): number {
  return (TIERS as readonly string[]).indexOf(tier);
}

/**
 * Templates: global ones (platform operators) and each tenant's own. Changes follow the agents'
 * pattern: lock, check, write, audit, outbox last, in one transaction. A global template's audit
 * row and change event are filed under the operator's tenant (both tables need one) and say
 * `global: true`.
 */
@Injectable()
export class TemplatesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly templates: TemplatesRepository,
    private readonly agents: AgentsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly review: ConfigReviewService,
  ) {}

  async list(tenantId: string, query: ListTemplatesQueryDto): Promise<TemplateListResponseDto> {
    const [rows, total] = await this.templates.list(tenantId, query);
    return pageOf(rows.map(toTemplateResponse), total, query);
  }

  async get(tenantId: string, id: string): Promise<TemplateResponseDto> {
    return toTemplateResponse(await this.require(tenantId, id));
  }

  create(principal: TenantPrincipal, dto: CreateTemplateDto): Promise<TemplateResponseDto> {
    const global = dto.global === true;
    if (global) this.requirePlatform(principal);
    const owner = global ? null : principal.tenant.id;
    const config = normalizeConfig(configFieldsOf(dto.config ?? {}));
    return this.nameConflictsAs409(dto.name, async () => {
      await this.assertContentPasses(principal, config);
      return this.dataSource.transaction(async (manager) => {
        await this.assertNameFree(owner, dto.name, null, manager);
        const template = await this.templates.insert(
          {
            tenantId: owner,
            name: dto.name,
            description: dto.description ?? null,
            tags: dto.tags ?? [],
            minTier: dto.min_tier ?? 'free',
            config,
            createdBy: actorOf(principal),
          },
          manager,
        );
        const after = toTemplateResponse(template);
        await this.audit.record(manager, principal.tenant.id, {
          by: principal,
          action: 'template.created',
          resourceType: 'template',
          resourceId: template.id,
          after,
        });
        await this.publish(manager, principal, 'template.created', after);
        return after;
      });
    });
  }

  update(
    principal: TenantPrincipal,
    id: string,
    dto: UpdateTemplateDto,
    ifMatch: string | undefined,
  ): Promise<TemplateResponseDto> {
    const condition = readIfMatch(ifMatch);
    const config = normalizeConfig(configFieldsOf(dto.config ?? {}));
    return this.nameConflictsAs409(dto.name, () =>
      this.dataSource.transaction(async (manager) => {
        const template = await this.lockForChange(principal, id, condition, manager);
        await this.assertContentPasses(principal, config);
        const before = toTemplateResponse(template);
        const next = {
          name: dto.name,
          description: dto.description ?? null,
          tags: dto.tags ?? [],
          minTier: dto.min_tier ?? 'free',
          config,
        };
        const same =
          canonicalize(next) ===
          canonicalize({
            name: template.name,
            description: template.description,
            tags: template.tags,
            minTier: template.minTier,
            config: template.config,
          });
        if (same) return before;
        if (next.name !== template.name) await this.assertNameFree(template.tenantId, next.name, id, manager);
        const version = template.version + 1;
        const updatedAt = await this.templates.update(id, { ...next, version }, manager);
        const after = toTemplateResponse({ ...template, ...next, version, updatedAt });
        await this.audit.record(manager, principal.tenant.id, {
          by: principal,
          action: 'template.updated',
          resourceType: 'template',
          resourceId: id,
          before,
          after,
        });
        await this.publish(manager, principal, 'template.updated', after);
        return after;
      }),
    );
  }

  /**
   * A template's config passes the content review an agent's does (instruction overrides, secrets
   * pasted into the prompt; its description only warns, as an agent's): it is stored, audited and
   * shown as it is. What depends on the tenant that instantiates it (components, tier) is checked
   * then.
   */
  private async assertContentPasses(principal: TenantPrincipal, config: AgentConfig): Promise<void> {
    const texts = { system_prompt: config.system_prompt, description: config.description };
    assertReviewPassed(await this.review.reviewTexts(principal.tenant.id, texts, '/config'), 'The template');
  }

  /** Deletes a template; agents made from it keep their configs and remember its id and version. */
  async remove(principal: TenantPrincipal, id: string, ifMatch: string | undefined): Promise<void> {
    const condition = readIfMatch(ifMatch);
    await this.dataSource.transaction(async (manager) => {
      const template = await this.lockForChange(principal, id, condition, manager);
      const before = toTemplateResponse(template);
      await this.templates.delete(id, manager);
      await this.audit.record(manager, principal.tenant.id, {
        by: principal,
        action: 'template.deleted',
        resourceType: 'template',
        resourceId: id,
        before,
      });
      await this.publish(manager, principal, 'template.deleted', before);
    });
  }

  /** Creates an agent at version 1 from the template (with overrides), remembering its version. */
  instantiate(
    principal: TenantPrincipal,
    id: string,
    dto: InstantiateTemplateDto,
  ): Promise<AgentResponseDto> {
    const tenant = principal.tenant;
    return this.agents.createWith(principal, async (manager) => {
      const template = await this.require(tenant.id, id, manager);
      if (tierRank(tenant.tier) < tierRank(template.minTier)) {
        throw templateError(
          'TIER_LIMIT_EXCEEDED',
          `Template ${template.name} needs the ${template.minTier} tier or above; your tenant is on ${tenant.tier}`,
          [
            {
              field: 'min_tier',
              code: 'TEMPLATE_TIER_TOO_LOW',
              message: `requires ${template.minTier}`,
              limit: 'min_tier',
              value: template.minTier,
              tier: tenant.tier,
            },
          ],
        );
      }
      return {
        name: dto.name,
        tags: dto.tags === undefined ? template.tags : (dto.tags ?? []),
        config: patchConfig(template.config, configFieldsOf(dto.overrides ?? {})),
        note: dto.note ?? `From template ${template.name} version ${template.version}`,
        templateId: template.id,
        templateVersion: template.version,
      };
    });
  }

  private async require(tenantId: string, id: string, manager?: EntityManager): Promise<TemplateEntity> {
    const template = await this.templates.findVisible(tenantId, id, manager);
    if (!template) throw templateError('TEMPLATE_NOT_FOUND', `Template ${id} was not found`);
    return template;
  }

  /** Locks a template the principal may change: a global one needs a platform operator. */
  private async lockForChange(
    principal: TenantPrincipal,
    id: string,
    condition: IfMatch | undefined,
    manager: EntityManager,
  ): Promise<TemplateEntity> {
    const template = await this.templates.lockVisible(principal.tenant.id, id, manager);
    if (!template) throw templateError('TEMPLATE_NOT_FOUND', `Template ${id} was not found`);
    if (template.tenantId === null) this.requirePlatform(principal);
    assertIfMatch(condition, template.version, `Template ${id}`);
    return template;
  }

  private requirePlatform(principal: TenantPrincipal): void {
    if (principal.platform) return;
    throw templateError('PLATFORM_REQUIRED', 'Only platform operators may create or change global templates');
  }

  private async assertNameFree(
    owner: string | null,
    name: string,
    exceptId: string | null,
    manager: EntityManager,
  ): Promise<void> {
    if (await this.templates.nameTaken(owner, name, exceptId, manager)) throw this.nameTaken(name);
  }

  private nameTaken(name: string) {
    return templateError('TEMPLATE_NAME_TAKEN', `A template named "${name}" already exists`, [
      { field: 'name', code: 'unique', message: 'name is taken' },
    ]);
  }

  private async nameConflictsAs409<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const driverError = (error as QueryFailedError).driverError as
        { code?: string; constraint?: string } | undefined;
      if (
        error instanceof QueryFailedError &&
        driverError?.code === UNIQUE_VIOLATION &&
        NAME_INDEXES.has(driverError.constraint ?? '')
      ) {
        throw this.nameTaken(name);
      }
      throw error;
    }
  }

  private publish(
    manager: EntityManager,
    principal: TenantPrincipal,
    type: string,
    template: TemplateResponseDto,
  ): Promise<string> {
    return this.outbox.append(manager, {
      tenantId: principal.tenant.id,
      type,
      resourceType: 'template',
      resourceId: template.id,
      version: template.version,
      configHash: template.config_hash,
      payload: { name: template.name, global: template.global, min_tier: template.min_tier as Tier },
    });
  }
}
