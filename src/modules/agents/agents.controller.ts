import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  PipeTransform,
  Patch,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { commonError } from '../../shared/errors/common.errors';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { PageQueryDto } from '../../shared/http/pagination.dto';
import { UuidParam } from '../../shared/http/uuid-param';
import { AgentsService } from './agents.service';
import { AgentDiffResponseDto } from './dto/agent-diff-response.dto';
import { AgentLabelListResponseDto, AgentLabelResponseDto } from './dto/agent-label-response.dto';
import { AgentListResponseDto, AgentResponseDto } from './dto/agent-response.dto';
import { AgentVersionListResponseDto, AgentVersionResponseDto } from './dto/agent-version-response.dto';
import { CreateAgentDto, UpdateAgentDto } from './dto/create-agent.dto';
import { DiffAgentVersionsQueryDto } from './dto/diff-agent-versions-query.dto';
import { ListAgentsQueryDto } from './dto/list-agents-query.dto';
import { PatchAgentDto, ValidateAgentChangesDto } from './dto/patch-agent.dto';
import { RollbackAgentDto } from './dto/rollback-agent.dto';
import { SetAgentLabelDto } from './dto/set-agent-label.dto';
import { ValidateAgentDto } from './dto/validate-agent.dto';
import { ValidationResultDto } from './dto/validation-result.dto';
import { etagOf } from '../../shared/http/if-match';

/** A version number as the `integer` column holds it; a larger one was a 500 (found by fuzzing). */
const VersionParam: PipeTransform<string, number> = {
  transform: (value) => {
    const version = Number(value);
    if (!/^\d{1,10}$/.test(value) || version < 1 || version > 2_147_483_647) {
      throw commonError('VALIDATION_FAILED', 'Validation failed: version must be an integer', [
        { field: 'version', code: 'isInt', message: 'version must be an integer from 1 to 2147483647' },
      ]);
    }
    return version;
  },
};

const IfMatchHeader = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The version you last read, as its ETag (`"3"`); a stale one answers 412 VERSION_CONFLICT',
  });

/** Sets `ETag: "<version>"` and hands the agent back. */
function withEtag(res: Response, agent: AgentResponseDto): AgentResponseDto {
  res.setHeader('ETag', etagOf(agent.version));
  return agent;
}

@ApiTags('agents')
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  /** Lists your tenant's agents by name, with their current version's headline. */
  @Get()
  @RequirePermission(Permission.AgentRead)
  @ApiErrors(400)
  listAgents(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: ListAgentsQueryDto,
  ): Promise<AgentListResponseDto> {
    return this.agents.list(principal.tenant.id, query);
  }

  /** Creates an agent at version 1. */
  @Post()
  @RequirePermission(Permission.AgentWrite)
  @ApiCreatedResponse({ type: AgentResponseDto, headers: { ETag: { description: '"1"' } } })
  @ApiErrors(400, 409, 422)
  async createAgent(
    @CurrentTenant() principal: TenantPrincipal,
    @Body() dto: CreateAgentDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    const agent = await this.agents.create(principal, dto);
    res.location(`/api/v1/agents/${agent.id}`);
    return withEtag(res, agent);
  }

  /** Checks a would-be agent against the tier rules and returns findings; saves nothing. */
  @Post('validate')
  @HttpCode(200)
  @RequirePermission(Permission.AgentWrite)
  @ApiErrors(400)
  validateAgentConfig(
    @CurrentTenant() principal: TenantPrincipal,
    @Body() dto: ValidateAgentDto,
  ): Promise<ValidationResultDto> {
    return this.agents.validateNew(principal, dto);
  }

  /** Gets an agent with its current config inline (`ETag: "<version>"`). */
  @Get(':id')
  @RequirePermission(Permission.AgentRead)
  @ApiErrors(400, 404)
  async getAgent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.get(principal.tenant.id, id));
  }

  /** Replaces the whole agent; a new version only when the config changes. */
  @Put(':id')
  @RequirePermission(Permission.AgentWrite)
  @IfMatchHeader()
  @ApiErrors(400, 404, 409, 412, 422)
  async updateAgent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Body() dto: UpdateAgentDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.replace(principal, id, dto, ifMatch));
  }

  /** Changes part of an agent (JSON Merge Patch: left out = unchanged, `null` = cleared). */
  @Patch(':id')
  @RequirePermission(Permission.AgentWrite)
  @IfMatchHeader()
  @ApiErrors(400, 404, 409, 412, 422)
  async patchAgent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Body() dto: PatchAgentDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.patch(principal, id, dto, ifMatch));
  }

  /** Deletes an agent: gone from lists and reads, its versions kept for audit, its name free. */
  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.AgentDelete)
  @IfMatchHeader()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404, 412)
  deleteAgent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    return this.agents.remove(principal, id, ifMatch);
  }

  /** Checks the agent as it would be after these changes (none: as it is); saves nothing. */
  @Post(':id/validate')
  @HttpCode(200)
  @RequirePermission(Permission.AgentWrite)
  @ApiErrors(400, 404)
  validateAgent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Body() dto: ValidateAgentChangesDto,
  ): Promise<ValidationResultDto> {
    return this.agents.validateExisting(principal, id, dto);
  }

  /** Activates an agent so that it can run. */
  @Post(':id/activate')
  @HttpCode(200)
  @RequirePermission(Permission.AgentWrite)
  @ApiErrors(400, 404)
  async activateAgent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.setStatus(principal, id, 'active'));
  }

  /** Deactivates an agent: it keeps its config but cannot run. */
  @Post(':id/deactivate')
  @HttpCode(200)
  @RequirePermission(Permission.AgentWrite)
  @ApiErrors(400, 404)
  async deactivateAgent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.setStatus(principal, id, 'inactive'));
  }

  /** Lists an agent's versions, newest first. */
  @Get(':id/versions')
  @RequirePermission(Permission.AgentRead)
  @ApiErrors(400, 404)
  listAgentVersions(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Query() query: PageQueryDto,
  ): Promise<AgentVersionListResponseDto> {
    return this.agents.listVersions(principal.tenant.id, id, query);
  }

  /** Gets one version with its full config. */
  @Get(':id/versions/:version')
  @RequirePermission(Permission.AgentRead)
  @ApiErrors(400, 404)
  getAgentVersion(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Param('version', VersionParam) version: number,
  ): Promise<AgentVersionResponseDto> {
    return this.agents.getVersion(principal.tenant.id, id, version);
  }

  /** Compares two versions' configs: an RFC 6902 JSON Patch and the changed paths. */
  @Get(':id/diff')
  @RequirePermission(Permission.AgentRead)
  @ApiErrors(400, 404)
  diffAgentVersions(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Query() query: DiffAgentVersionsQueryDto,
  ): Promise<AgentDiffResponseDto> {
    return this.agents.diff(principal.tenant.id, id, query);
  }

  /** Makes a new version carrying an earlier version's config; history is never edited. */
  @Post(':id/rollback')
  @HttpCode(200)
  @RequirePermission(Permission.AgentWrite)
  @IfMatchHeader()
  @ApiErrors(400, 404, 412, 422)
  async rollbackAgent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Body() dto: RollbackAgentDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.rollback(principal, id, dto, ifMatch));
  }

  /** Lists the agent's labels, the implicit `latest` first. */
  @Get(':id/labels')
  @RequirePermission(Permission.AgentRead)
  @ApiErrors(400, 404)
  listAgentLabels(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
  ): Promise<AgentLabelListResponseDto> {
    return this.agents.listLabels(principal.tenant.id, id);
  }

  /** Points a label at a version. `production` needs the admin or owner role; `latest` cannot be set. */
  @Put(':id/labels/:label')
  @RequirePermission(Permission.AgentWrite)
  @IfMatchHeader()
  @ApiErrors(400, 404, 412)
  setAgentLabel(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Param('label') label: string,
    @Body() dto: SetAgentLabelDto,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<AgentLabelResponseDto> {
    return this.agents.setLabel(principal, id, label, dto, ifMatch);
  }

  /** Removes a label. `production` needs the admin or owner role. */
  @Delete(':id/labels/:label')
  @HttpCode(204)
  @RequirePermission(Permission.AgentWrite)
  @IfMatchHeader()
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(400, 404, 412)
  deleteAgentLabel(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Param('label') label: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    return this.agents.deleteLabel(principal, id, label, ifMatch);
  }
}
