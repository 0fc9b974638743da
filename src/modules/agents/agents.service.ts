import { assertIfMatch, IfMatch, readIfMatch } from '../../shared/http/if-match';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { actorOf, TenantPrincipal } from '../../shared/auth/principal';
import { commonError } from '../../shared/errors/common.errors';
import { pageOf } from '../../shared/http/pagination.dto';
import { UUID_SHAPE } from '../../shared/http/uuid-param';
import { isStorableText, validationFailed } from '../../shared/http/validation';
import { OutboxService } from '../../shared/events/outbox.service';
import { AuditService } from '../audit/audit.service';
import { ConfigReviewService } from '../config/config-review.service';
import {
  AgentConfig,
  configFieldsOf,
  configHash,
  diffConfigs,
  normalizeConfig,
  patchConfig,
} from './agent-config';
import type { AgentLabelEntity } from './agent-label.entity';
import {
  adviseOn,
  assertReviewPassed,
  checkAgentCount,
  checkTierLimits,
  Finding,
  findingsAsDetails,
  hasErrors,
} from './agent-rules';
import { LABEL_PATTERN } from './agent-validators';
import type { AgentVersionEntity } from './agent-version.entity';
import type { AgentEntity, AgentStatus } from './agent.entity';
import { AgentLabelsRepository } from './agent-labels.repository';
import { AgentVersionsRepository } from './agent-versions.repository';
import { agentError } from './agents.errors';
import { AgentsRepository } from './agents.repository';
import type { AgentDiffResponseDto } from './dto/agent-diff-response.dto';
import {
  AgentLabelListResponseDto,
  AgentLabelResponseDto,
  toAgentLabelResponse,
} from './dto/agent-label-response.dto';
import {
  AgentListResponseDto,
  AgentResponseDto,
  toAgentResponse,
  toAgentSummary,
} from './dto/agent-response.dto';
import {
  AgentVersionListResponseDto,
  AgentVersionResponseDto,
  toAgentVersionResponse,
  toAgentVersionSummary,
} from './dto/agent-version-response.dto';
import type { CreateAgentDto, UpdateAgentDto } from './dto/create-agent.dto';
import type { DiffAgentVersionsQueryDto } from './dto/diff-agent-versions-query.dto';
import type { ListAgentsQueryDto } from './dto/list-agents-query.dto';
import type { PatchAgentDto, ValidateAgentChangesDto } from './dto/patch-agent.dto';
import type { RollbackAgentDto } from './dto/rollback-agent.dto';
import type { SetAgentLabelDto } from './dto/set-agent-label.dto';
import { toValidationResult, ValidationResultDto } from './dto/validation-result.dto';
import type { ValidateAgentDto } from './dto/validate-agent.dto';
import type { PageQueryDto } from '../../shared/http/pagination.dto';

const UNIQUE_VIOLATION = '23505';
const NAME_INDEX = 'UQ_agents_tenant_name';
const IMPLICIT_LABEL = 'latest';
/** Moving this label needs the admin or owner role. */
const PROTECTED_LABEL = 'production';
const LABEL_ADMIN_ROLES = new Set(['admin', 'owner']);

/** What a new agent is made of (by `POST /agents` or by instantiating a template). */
export interface NewAgent {
  name: string;
  tags: string[];
  config: AgentConfig;
  note: string | null;
  templateId?: string | null;
  templateVersion?: number | null;
}

/** What a change wants the agent to be. */
interface Desired {
  name: string;
  tags: string[];
  config: AgentConfig;
  note: string | null;
}

interface Locked {
  agent: AgentEntity;
  current: AgentVersionEntity;
  labels: AgentLabelEntity[];
}

function sameTags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((tag, i) => tag === b[i]);
}

/**
 * Agents and their versions. Every change runs in one transaction that locks the agent row first
 * (so concurrent writers queue instead of sharing or skipping a version number), then writes the
 * version, the agent, its audit row and, last, its outbox event.
 */
@Injectable()
export class AgentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly agents: AgentsRepository,
    private readonly versions: AgentVersionsRepository,
    private readonly labels: AgentLabelsRepository,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly review: ConfigReviewService,
  ) {}

  async list(tenantId: string, query: ListAgentsQueryDto): Promise<AgentListResponseDto> {
    const after = query.cursor === undefined ? undefined : readCursor(query.cursor, query.offset);
    const [found, total] = await this.agents.list(tenantId, { ...query, after });
    const agents = found.slice(0, query.limit);
    const versions = await this.versions.findMany(
      tenantId,
      agents.map((agent) => ({ agentId: agent.id, version: agent.currentVersion })),
    );
    const byAgent = new Map(versions.map((version) => [version.agentId, version]));
    const last = agents[agents.length - 1];
    return {
      ...pageOf(
        agents.map((agent) => toAgentSummary(agent, byAgent.get(agent.id) as AgentVersionEntity)),
        total,
        query,
      ),
      next_cursor: found.length > query.limit ? writeCursor(last) : null,
    };
  }

  async get(tenantId: string, id: string): Promise<AgentResponseDto> {
    const agent = await this.requireAgent(tenantId, id);
    const current = await this.requireVersion(tenantId, agent, agent.currentVersion);
    const labels = await this.labels.listForAgent(tenantId, id);
    return toAgentResponse(agent, current, labels);
  }

  create(principal: TenantPrincipal, dto: CreateAgentDto): Promise<AgentResponseDto> {
    return this.createWith(principal, () =>
      Promise.resolve({
        name: dto.name,
        tags: dto.tags ?? [],
        config: normalizeConfig(configFieldsOf(dto)),
        note: dto.note ?? null,
      }),
    );
  }

  /**
   * Creates an agent at version 1 in one transaction. `prepare` runs first inside it, so a caller
   * (templates) can read what the agent is made from in the same transaction.
   */
  async createWith(
    principal: TenantPrincipal,
    prepare: (manager: EntityManager) => Promise<NewAgent>,
  ): Promise<AgentResponseDto> {
    const tenant = principal.tenant;
    let name = '';
    return this.nameConflictsAs409(
      () =>
        this.dataSource.transaction(async (manager) => {
          const input = await prepare(manager);
          name = input.name;
          this.enforce(checkTierLimits(input.config, tenant.limits, tenant.tier));
          assertReviewPassed(await this.review.reviewAgent(tenant, input.config, manager));
          await this.agents.lockCreation(tenant.id, manager);
          const count = await this.agents.countActive(tenant.id, manager);
          this.enforce(checkAgentCount(count, tenant.limits, tenant.tier));
          await this.assertNameFree(tenant.id, input.name, null, manager);

          const agent = await this.agents.insert(
            tenant.id,
            {
              name: input.name,
              tags: input.tags,
              status: 'active',
              currentVersion: 1,
              templateId: input.templateId ?? null,
              templateVersion: input.templateVersion ?? null,
            },
            manager,
          );
          const version = await this.versions.insert(
            tenant.id,
            {
              agentId: agent.id,
              version: 1,
              config: input.config,
              configHash: configHash(input.config),
              createdBy: actorOf(principal),
              note: input.note,
            },
            manager,
          );
          const after = toAgentResponse(agent, version, []);
          await this.audit.record(manager, tenant.id, {
            by: principal,
            action: 'agent.created',
            resourceType: 'agent',
            resourceId: agent.id,
            after,
          });
          await this.outbox.append(manager, {
            tenantId: tenant.id,
            type: 'agent.created',
            resourceType: 'agent',
            resourceId: agent.id,
            version: 1,
            configHash: version.configHash,
            payload: { name: agent.name, status: agent.status, template_id: agent.templateId },
          });
          return after;
        }),
      () => name,
    );
  }

  /** `PUT`: the whole agent; what the body leaves out is reset. */
  replace(
    principal: TenantPrincipal,
    id: string,
    dto: UpdateAgentDto,
    ifMatch: string | undefined,
  ): Promise<AgentResponseDto> {
    return this.change(principal, id, ifMatch, 'agent.updated', () => ({
      name: dto.name,
      tags: dto.tags ?? [],
      config: normalizeConfig(configFieldsOf(dto)),
      note: dto.note ?? null,
    }));
  }

  /** `PATCH`: a JSON Merge Patch of the agent. */
  patch(
    principal: TenantPrincipal,
    id: string,
    dto: PatchAgentDto,
    ifMatch: string | undefined,
  ): Promise<AgentResponseDto> {
    return this.change(principal, id, ifMatch, 'agent.updated', ({ agent, current }) => ({
      name: dto.name ?? agent.name,
      tags: dto.tags === undefined ? agent.tags : (dto.tags ?? []),
      config: patchConfig(current.config, configFieldsOf(dto)),
      note: dto.note ?? null,
    }));
  }

  /** A new version carrying an earlier version's config (nothing new when it is the current one). */
  rollback(
    principal: TenantPrincipal,
    id: string,
    dto: RollbackAgentDto,
    ifMatch: string | undefined,
  ): Promise<AgentResponseDto> {
    return this.change(principal, id, ifMatch, 'agent.rolled_back', async ({ agent }, manager) => {
      const target = await this.requireVersion(principal.tenant.id, agent, dto.version, manager);
      return {
        name: agent.name,
        tags: agent.tags,
        config: target.config,
        note: dto.note ?? `Rollback to version ${dto.version}`,
      };
    });
  }

  /** Soft delete: gone from lists and reads, versions kept, the name free again. */
  async remove(principal: TenantPrincipal, id: string, ifMatch: string | undefined): Promise<void> {
    const condition = readIfMatch(ifMatch);
    const tenantId = principal.tenant.id;
    await this.dataSource.transaction(async (manager) => {
      const { agent, current, labels } = await this.lock(tenantId, id, condition, manager);
      await this.agents.update(tenantId, id, { deletedAt: new Date() }, manager);
      await this.audit.record(manager, tenantId, {
        by: principal,
        action: 'agent.deleted',
        resourceType: 'agent',
        resourceId: id,
        before: toAgentResponse(agent, current, labels),
      });
      await this.outbox.append(manager, {
        tenantId,
        type: 'agent.deleted',
        resourceType: 'agent',
        resourceId: id,
        version: current.version,
        configHash: current.configHash,
        payload: { name: agent.name },
      });
    });
  }

  /** Activates or deactivates; status is audited but not versioned. */
  setStatus(principal: TenantPrincipal, id: string, status: AgentStatus): Promise<AgentResponseDto> {
    const tenantId = principal.tenant.id;
    return this.dataSource.transaction(async (manager) => {
      const { agent, current, labels } = await this.lock(tenantId, id, undefined, manager);
      const before = toAgentResponse(agent, current, labels);
      if (agent.status === status) return before;
      const updatedAt = await this.agents.update(tenantId, id, { status }, manager);
      const after = toAgentResponse({ ...agent, status, updatedAt }, current, labels);
      await this.audit.record(manager, tenantId, {
        by: principal,
        action: status === 'active' ? 'agent.activated' : 'agent.deactivated',
        resourceType: 'agent',
        resourceId: id,
        before,
        after,
      });
      await this.outbox.append(manager, {
        tenantId,
        type: 'agent.status_changed',
        resourceType: 'agent',
        resourceId: id,
        version: current.version,
        configHash: current.configHash,
        payload: { name: agent.name, status },
      });
      return after;
    });
  }

  async listVersions(
    tenantId: string,
    id: string,
    query: PageQueryDto,
  ): Promise<AgentVersionListResponseDto> {
    await this.requireAgent(tenantId, id);
    const [rows, total] = await this.versions.list(tenantId, id, query.limit, query.offset);
    return pageOf(rows.map(toAgentVersionSummary), total, query);
  }

  async getVersion(tenantId: string, id: string, version: number): Promise<AgentVersionResponseDto> {
    const agent = await this.requireAgent(tenantId, id);
    return toAgentVersionResponse(await this.requireVersion(tenantId, agent, version));
  }

  async diff(tenantId: string, id: string, query: DiffAgentVersionsQueryDto): Promise<AgentDiffResponseDto> {
    const agent = await this.requireAgent(tenantId, id);
    const to = query.to ?? agent.currentVersion;
    const fromVersion = await this.requireVersion(tenantId, agent, query.from);
    const toVersion = await this.requireVersion(tenantId, agent, to);
    return { from: query.from, to, ...diffConfigs(fromVersion.config, toVersion.config) };
  }

  async listLabels(tenantId: string, id: string): Promise<AgentLabelListResponseDto> {
    const agent = await this.requireAgent(tenantId, id);
    const labels = await this.labels.listForAgent(tenantId, id);
    const hashes = new Map<number, string>();
    for (const version of new Set([agent.currentVersion, ...labels.map((label) => label.version)])) {
      hashes.set(version, (await this.requireVersion(tenantId, agent, version)).configHash);
    }
    const latest: AgentLabelResponseDto = {
      label: IMPLICIT_LABEL,
      version: agent.currentVersion,
      config_hash: hashes.get(agent.currentVersion) as string,
      implicit: true,
      updated_by: null,
      updated_at: agent.updatedAt.toISOString(),
    };
    return {
      agent_id: id,
      items: [
        latest,
        ...labels.map((label) => toAgentLabelResponse(label, hashes.get(label.version) as string)),
      ],
    };
  }

  /** Points a label at a version; a move is audited and is a change event. */
  async setLabel(
    principal: TenantPrincipal,
    id: string,
    label: string,
    dto: SetAgentLabelDto,
    ifMatch: string | undefined,
  ): Promise<AgentLabelResponseDto> {
    this.checkLabelName(label);
    const condition = readIfMatch(ifMatch);
    const tenantId = principal.tenant.id;
    return this.dataSource.transaction(async (manager) => {
      const { agent } = await this.lock(tenantId, id, condition, manager);
      this.checkLabelRole(principal, label);
      const target = await this.requireVersion(tenantId, agent, dto.version, manager);
      const existing = await this.labels.find(tenantId, id, label, manager);
      if (existing && existing.version === dto.version)
        return toAgentLabelResponse(existing, target.configHash);
      const saved = await this.labels.set(
        tenantId,
        { agentId: id, label, version: dto.version, updatedBy: actorOf(principal) },
        manager,
      );
      await this.audit.record(manager, tenantId, {
        by: principal,
        action: 'agent.label_moved',
        resourceType: 'agent',
        resourceId: id,
        before: existing ? { label, version: existing.version } : null,
        after: { label, version: dto.version },
      });
      await this.outbox.append(manager, {
        tenantId,
        type: 'agent.label_moved',
        resourceType: 'agent',
        resourceId: id,
        version: dto.version,
        configHash: target.configHash,
        payload: { name: agent.name, label, from: existing?.version ?? null, to: dto.version },
      });
      return toAgentLabelResponse(saved, target.configHash);
    });
  }

  async deleteLabel(
    principal: TenantPrincipal,
    id: string,
    label: string,
    ifMatch: string | undefined,
  ): Promise<void> {
    this.checkLabelName(label);
    const condition = readIfMatch(ifMatch);
    const tenantId = principal.tenant.id;
    await this.dataSource.transaction(async (manager) => {
      const { agent } = await this.lock(tenantId, id, condition, manager);
      this.checkLabelRole(principal, label);
      const existing = await this.labels.find(tenantId, id, label, manager);
      if (!existing) throw agentError('LABEL_NOT_FOUND', `Agent ${id} has no label "${label}"`);
      await this.labels.delete(tenantId, id, label, manager);
      await this.audit.record(manager, tenantId, {
        by: principal,
        action: 'agent.label_deleted',
        resourceType: 'agent',
        resourceId: id,
        before: { label, version: existing.version },
      });
      await this.outbox.append(manager, {
        tenantId,
        type: 'agent.label_moved',
        resourceType: 'agent',
        resourceId: id,
        version: null,
        payload: { name: agent.name, label, from: existing.version, to: null },
      });
    });
  }

  /** Checks a would-be new agent; saves nothing. */
  async validateNew(principal: TenantPrincipal, dto: ValidateAgentDto): Promise<ValidationResultDto> {
    const tenant = principal.tenant;
    const config = normalizeConfig(configFieldsOf(dto));
    const findings = [
      ...checkTierLimits(config, tenant.limits, tenant.tier),
      ...checkAgentCount(await this.agents.countActive(tenant.id), tenant.limits, tenant.tier),
    ];
    if (dto.name !== undefined) findings.push(...(await this.nameFindings(tenant.id, dto.name, null)));
    findings.push(...(await this.review.reviewAgent(tenant, config)));
    return toValidationResult([...findings, ...adviseOn(config)]);
  }

  /** Checks the agent as it would be after these changes (merge-patch semantics); saves nothing. */
  async validateExisting(
    principal: TenantPrincipal,
    id: string,
    dto: ValidateAgentChangesDto,
  ): Promise<ValidationResultDto> {
    const tenant = principal.tenant;
    const agent = await this.requireAgent(tenant.id, id);
    const current = await this.requireVersion(tenant.id, agent, agent.currentVersion);
    const config = patchConfig(current.config, configFieldsOf(dto));
    const findings = checkTierLimits(config, tenant.limits, tenant.tier);
    if (dto.name !== undefined && dto.name !== agent.name) {
      findings.push(...(await this.nameFindings(tenant.id, dto.name, id)));
    }
    findings.push(...(await this.review.reviewAgent(tenant, config)));
    return toValidationResult([...findings, ...adviseOn(config)]);
  }

  /**
   * The one path of every versioned change: lock, check If-Match, compute what the agent should
   * be, and write a version only when the config's canonical hash changes. A change that alters
   * nothing at all writes nothing and answers the agent as it is.
   */
  private async change(
    principal: TenantPrincipal,
    id: string,
    ifMatch: string | undefined,
    action: string,
    desire: (locked: Locked, manager: EntityManager) => Desired | Promise<Desired>,
  ): Promise<AgentResponseDto> {
    const condition = readIfMatch(ifMatch);
    const tenant = principal.tenant;
    let name = '';
    return this.nameConflictsAs409(
      () =>
        this.dataSource.transaction(async (manager) => {
          const locked = await this.lock(tenant.id, id, condition, manager);
          const { agent, current, labels } = locked;
          const before = toAgentResponse(agent, current, labels);
          const desired = await desire(locked, manager);
          name = desired.name;
          const hash = configHash(desired.config);
          const configChanged = hash !== current.configHash;
          const nameChanged = desired.name !== agent.name;
          const tagsChanged = !sameTags(desired.tags, agent.tags);
          if (!configChanged && !nameChanged && !tagsChanged) return before;

          if (configChanged) {
            this.enforce(checkTierLimits(desired.config, tenant.limits, tenant.tier));
            assertReviewPassed(await this.review.reviewAgent(tenant, desired.config, manager));
          }
          if (nameChanged) await this.assertNameFree(tenant.id, desired.name, id, manager);
          const version = configChanged
            ? await this.versions.insert(
                tenant.id,
                {
                  agentId: id,
                  version: agent.currentVersion + 1,
                  config: desired.config,
                  configHash: hash,
                  createdBy: actorOf(principal),
                  note: desired.note,
                },
                manager,
              )
            : current;
          const updatedAt = await this.agents.update(
            tenant.id,
            id,
            { name: desired.name, tags: desired.tags, currentVersion: version.version },
            manager,
          );
          const after = toAgentResponse(
            { ...agent, name: desired.name, tags: desired.tags, currentVersion: version.version, updatedAt },
            version,
            labels,
          );
          await this.audit.record(manager, tenant.id, {
            by: principal,
            action,
            resourceType: 'agent',
            resourceId: id,
            before,
            after,
          });
          await this.outbox.append(manager, {
            tenantId: tenant.id,
            type: 'agent.updated',
            resourceType: 'agent',
            resourceId: id,
            version: version.version,
            configHash: version.configHash,
            payload: {
              name: desired.name,
              previous_version: agent.currentVersion,
              config_changed: configChanged,
            },
          });
          return after;
        }),
      () => name,
    );
  }

  /** Locks the live agent, then checks the precondition against the version it is really at. */
  private async lock(
    tenantId: string,
    id: string,
    condition: IfMatch | undefined,
    manager: EntityManager,
  ): Promise<Locked> {
    const agent = await this.agents.lockActive(tenantId, id, manager);
    if (!agent) throw agentError('AGENT_NOT_FOUND', `Agent ${id} was not found`);
    assertIfMatch(condition, agent.currentVersion, `Agent ${id}`);
    const current = await this.requireVersion(tenantId, agent, agent.currentVersion, manager);
    const labels = await this.labels.listForAgent(tenantId, id, manager);
    return { agent, current, labels };
  }

  private async requireAgent(tenantId: string, id: string): Promise<AgentEntity> {
    const agent = await this.agents.findActive(tenantId, id);
    if (!agent) throw agentError('AGENT_NOT_FOUND', `Agent ${id} was not found`);
    return agent;
  }

  private async requireVersion(
    tenantId: string,
    agent: AgentEntity,
    version: number,
    manager?: EntityManager,
  ): Promise<AgentVersionEntity> {
    const found = await this.versions.find(tenantId, agent.id, version, manager);
    if (!found) {
      throw agentError(
        'VERSION_NOT_FOUND',
        `Agent ${agent.id} has no version ${version} (versions run from 1 to ${agent.currentVersion})`,
      );
    }
    return found;
  }

  private async assertNameFree(
    tenantId: string,
    name: string,
    exceptId: string | null,
    manager: EntityManager,
  ): Promise<void> {
    if (await this.agents.nameTaken(tenantId, name, exceptId, manager)) throw this.nameTaken(name);
  }

  private async nameFindings(tenantId: string, name: string, exceptId: string | null): Promise<Finding[]> {
    if (!(await this.agents.nameTaken(tenantId, name, exceptId))) return [];
    return [
      {
        severity: 'error',
        code: 'AGENT_NAME_TAKEN',
        path: '/name',
        message: `An agent named "${name}" already exists`,
      },
    ];
  }

  private nameTaken(name: string) {
    return agentError('AGENT_NAME_TAKEN', `An agent named "${name}" already exists`, [
      { field: 'name', code: 'unique', message: 'name is taken' },
    ]);
  }

  /** The unique index is the last word when two renames race past the check. */
  private async nameConflictsAs409<T>(work: () => Promise<T>, name: () => string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const driverError = (error as QueryFailedError).driverError as
        { code?: string; constraint?: string } | undefined;
      if (
        error instanceof QueryFailedError &&
        driverError?.code === UNIQUE_VIOLATION &&
        driverError.constraint === NAME_INDEX
      ) {
        throw this.nameTaken(name());
      }
      throw error;
    }
  }

  private enforce(findings: Finding[]): void {
    if (!hasErrors(findings)) return;
    const errors = findings.filter((finding) => finding.severity === 'error');
    throw agentError(
      'TIER_LIMIT_EXCEEDED',
      `Tier limit exceeded: ${errors.map((finding) => finding.message).join('; ')}`,
      findingsAsDetails(errors),
    );
  }

  /** The review's errors refuse the save (422 with them); its warnings do not. */
  private checkLabelName(label: string): void {
    if (label === IMPLICIT_LABEL) {
      throw agentError('LABEL_RESERVED', '"latest" always follows the current version and cannot be set', [
        { field: 'label', code: 'reserved', message: 'latest is implicit' },
      ]);
    }
    if (!LABEL_PATTERN.test(label)) {
      throw commonError(
        'VALIDATION_FAILED',
        'Validation failed: label must be 1-63 lowercase letters, digits, "_", "." or "-"',
        [
          {
            field: 'label',
            code: 'matches',
            message: 'label must be 1-63 lowercase letters, digits, "_", "." or "-"',
          },
        ],
      );
    }
  }

  private checkLabelRole(principal: TenantPrincipal, label: string): void {
    if (label !== PROTECTED_LABEL) return;
    if (principal.roles.some((role) => LABEL_ADMIN_ROLES.has(role))) return;
    throw agentError(
      'LABEL_PROTECTED',
      `Moving the "${PROTECTED_LABEL}" label needs the admin or owner role`,
      [{ field: 'label', code: 'protected', message: `${PROTECTED_LABEL} is protected` }],
    );
  }
}

/** A list cursor: the last agent of a page, as base64url JSON `[name, id]`. */
function writeCursor(agent: Pick<AgentEntity, 'name' | 'id'>): string {
  return Buffer.from(JSON.stringify([agent.name, agent.id])).toString('base64url');
}

function readCursor(cursor: string, offset: number): { name: string; id: string } {
  const refuse = (message: string) => validationFailed([{ field: 'cursor', code: 'invalidCursor', message }]);
  if (offset !== 0)
    throw refuse('cursor and offset cannot be combined: the cursor says where the page starts');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'string' ||
    !isStorableText(decoded[0]) ||
    typeof decoded[1] !== 'string' ||
    !UUID_SHAPE.test(decoded[1])
  ) {
    throw refuse('cursor must be a next_cursor of this list');
  }
  return { name: decoded[0], id: decoded[1] };
}
