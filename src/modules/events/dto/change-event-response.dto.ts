import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min, ValidateBy } from 'class-validator';
import { QueryInteger } from '../../../shared/http/validation';
import type { ChangeMessage } from '../../../shared/events/change-message';

export class ChangeEventResponseDto {
  /** The change sequence: increasing, resumable with `after=` or `Last-Event-ID`. */
  id: number;
  /** e.g. `agent.updated`, `agent.label_moved`, `template.created`, `component.updated`. */
  type: string;
  tenant_id: string;
  resource_type: string;
  resource_id: string;
  /** The resource's version after the change, when it is versioned. */
  version: number | null;
  /** The canonical hash of the configuration after the change, when there is one. */
  config_hash: string | null;
  /** Extra facts: names, labels, affected agents. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  payload: Record<string, unknown>;
  /** When the change committed. */
  at: string;
}

export class ChangeListResponseDto {
  items: ChangeEventResponseDto[];
  /** Pass as `after` to read on; equal to the request's `after` when there was nothing new. */
  next_after: number;
}

export class ConfigVersionResponseDto {
  /** The tenant's latest change sequence (0 before any change). */
  version: number;
  /** When that change committed; null before any change. */
  updated_at: string | null;
}

/**
 * A change id is a bigint; past 2^53 a JS number is no longer exact, and past 2^63 PostgreSQL
 * refuses the query (a 500 found by the fuzz suite). Custom rather than @Max so the published
 * schema, which says "a change id", is unchanged.
 */
function IsChangeId(): PropertyDecorator {
  return ValidateBy({
    name: 'isChangeId',
    validator: {
      validate: (value: unknown) => typeof value !== 'number' || Number.isSafeInteger(value),
      defaultMessage: () => '$property must be a change id (at most 2^53 - 1)',
    },
  });
}

export class ListChangesQueryDto {
  /** Changes after this change id (exclusive); 0 for all that are kept. */
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @IsChangeId()
  @ApiPropertyOptional({ default: 0 })
  after: number = 0;

  /** Most changes to return, 1 to 1000. */
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(1000)
  @ApiPropertyOptional({ default: 100 })
  limit: number = 100;
}

export class StreamChangesQueryDto {
  /** Replay changes after this id before going live (the `Last-Event-ID` header wins). */
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  after?: number;
}

export function toChangeEventResponse(message: ChangeMessage): ChangeEventResponseDto {
  return message;
}
