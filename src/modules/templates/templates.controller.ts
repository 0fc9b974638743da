import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
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
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { UuidParam } from '../../shared/http/uuid-param';
import { AgentResponseDto } from '../agents/dto/agent-response.dto';
import { etagOf } from '../../shared/http/if-match';
import { CreateTemplateDto, UpdateTemplateDto } from './dto/create-template.dto';
import { InstantiateTemplateDto } from './dto/instantiate-template.dto';
import { ListTemplatesQueryDto } from './dto/list-templates-query.dto';
import { TemplateListResponseDto, TemplateResponseDto } from './dto/template-response.dto';
import { TemplatesService } from './templates.service';

const IfMatchHeader = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The template version you last read (`"2"`); a stale one answers 412 VERSION_CONFLICT',
  });

function withEtag<T extends { version: number }>(res: Response, body: T): T {
  res.setHeader('ETag', etagOf(body.version));
  return body;
}

@ApiTags('templates')
@Controller('templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  /** Lists the global templates and your tenant's own, by name. */
  @Get()
  @RequirePermission(Permission.AgentRead)
  @ApiErrors(400)
  listTemplates(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: ListTemplatesQueryDto,
  ): Promise<TemplateListResponseDto> {
    return this.templates.list(principal.tenant.id, query);
  }

  /**
   * Creates a template for your tenant, or a global one (`global: true`, platform operators only).
   * 422 CONFIG_REVIEW_FAILED when its config fails the content review an agent's does (an
   * instruction override or a key pasted into the system prompt; a description only warns there).
   */
  @Post()
  @RequirePermission(Permission.TemplateWrite)
  @ApiCreatedResponse({ type: TemplateResponseDto })
  @ApiErrors(400, 409, 422)
  async createTemplate(
    @CurrentTenant() principal: TenantPrincipal,
    @Body() dto: CreateTemplateDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TemplateResponseDto> {
    const template = await this.templates.create(principal, dto);
    res.location(`/api/v1/templates/${template.id}`);
    return withEtag(res, template);
  }

  /** Gets a global template or one of yours (`ETag: "<version>"`). */
  @Get(':id')
  @RequirePermission(Permission.AgentRead)
  @ApiErrors(400, 404)
  async getTemplate(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TemplateResponseDto> {
    return withEtag(res, await this.templates.get(principal.tenant.id, id));
  }

  /** Replaces a template; its version goes up by one when anything changes. 422 as on create. */
  @Put(':id')
  @RequirePermission(Permission.TemplateWrite)
  @IfMatchHeader()
  @ApiErrors(400, 404, 409, 412, 422)
  async updateTemplate(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Body() dto: UpdateTemplateDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TemplateResponseDto> {
    return withEtag(res, await this.templates.update(principal, id, dto, ifMatch));
  }

  /** Deletes a template; agents made from it are unaffected. */
  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.TemplateWrite)
  @IfMatchHeader()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404, 412)
  deleteTemplate(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    return this.templates.remove(principal, id, ifMatch);
  }

  /** Creates an agent at version 1 from the template and your overrides; needs the template's tier. */
  @Post(':id/instantiate')
  @RequirePermission(Permission.AgentWrite)
  @ApiCreatedResponse({ type: AgentResponseDto })
  @ApiErrors(400, 404, 409, 422)
  async instantiateTemplate(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
    @Body() dto: InstantiateTemplateDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    const agent = await this.templates.instantiate(principal, id, dto);
    res.location(`/api/v1/agents/${agent.id}`);
    return withEtag(res, agent);
  }
}
