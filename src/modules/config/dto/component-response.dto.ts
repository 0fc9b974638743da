import { ApiProperty } from '@nestjs/swagger';
import { maskSecrets } from '../../../shared/secrets/secret-fields';
import {
  COMPONENT_CHANGE_TYPES,
  ComponentChangeEntity,
  ComponentChangeType,
} from '../component-change.entity';
import { COMPONENT_TYPES, ComponentEntity, ComponentType } from '../component.entity';
import { FindingDto } from '../../agents/dto/validation-result.dto';

export class ComponentSummaryDto {
  name: string;
  @ApiProperty({ enum: COMPONENT_TYPES })
  type: ComponentType;
  description: string | null;
  enabled: boolean;
  tags: string[];
  version: number;
  updated_at: string;
}

export class ComponentListResponseDto {
  total: number;
  limit: number;
  offset: number;
  configs: ComponentSummaryDto[];
}

export class ComponentResponseDto extends ComponentSummaryDto {
  id: string;
  /** The component's fields with its `type`; secrets masked (`****abcd`). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  config: Record<string, unknown>;
  created_at: string;
}

export class PutComponentResponseDto {
  /** True when saved (or, with `validate_only`, when it would be). */
  success: boolean;
  message: string;
  /** The component's version after the call; null when it does not exist. */
  @ApiProperty({ type: 'integer', nullable: true })
  version: number | null;
  findings: FindingDto[];
}

export class ComponentChangeDto {
  @ApiProperty({ enum: COMPONENT_CHANGE_TYPES })
  change_type: ComponentChangeType;
  version: number;
  timestamp: string;
  actor: string;
  /** The component before the change (secrets masked); null for `created`. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  old_config: Record<string, unknown> | null;
  /** The component after the change (secrets masked); null for `deleted`. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  new_config: Record<string, unknown> | null;
}

export class ComponentHistoryResponseDto {
  component_name: string;
  total: number;
  limit: number;
  offset: number;
  /** Newest first. */
  history: ComponentChangeDto[];
}

/** The component's config as answered: its type first, secrets masked. */
export function maskedConfigOf(component: Pick<ComponentEntity, 'type' | 'config'>): Record<string, unknown> {
  return { type: component.type, ...maskSecrets(component.config) };
}

/** What history and audit keep of a component: everything but ids and times, secrets masked. */
export function componentDocument(component: ComponentEntity): Record<string, unknown> {
  return {
    type: component.type,
    description: component.description,
    enabled: component.enabled,
    tags: component.tags,
    config: maskedConfigOf(component),
  };
}

export function toComponentSummary(component: ComponentEntity): ComponentSummaryDto {
  return {
    name: component.name,
    type: component.type,
    description: component.description,
    enabled: component.enabled,
    tags: component.tags,
    version: component.version,
    updated_at: component.updatedAt.toISOString(),
  };
}

export function toComponentResponse(component: ComponentEntity): ComponentResponseDto {
  return {
    id: component.id,
    ...toComponentSummary(component),
    config: maskedConfigOf(component),
    created_at: component.createdAt.toISOString(),
  };
}

export function toComponentChange(change: ComponentChangeEntity): ComponentChangeDto {
  return {
    change_type: change.changeType,
    version: change.version,
    timestamp: change.createdAt.toISOString(),
    actor: change.actor,
    old_config: change.oldConfig,
    new_config: change.newConfig,
  };
}
