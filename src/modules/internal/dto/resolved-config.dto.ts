import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { QueryInteger } from '../../../shared/http/validation';

export class ResolvedConfigQueryDto {
  /** Serve the version this label points at (`latest` is implicit). Not with `version`. */
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_.-]{0,62}$/, { message: 'label must be 1-63 lowercase letters, digits, _ . -' })
  label?: string;

  /** Serve this exact version. Not with `label`. */
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  version?: number;
}

export class ResolvedConfigResponseDto {
  agent_id: string;
  name: string;
  /** The version served. */
  version: number;
  /** The label asked for, `latest` when none. */
  @ApiPropertyOptional()
  label?: string;
  /** SHA-256 of the resolved configuration's canonical JSON (RFC 8785); also the ETag. */
  config_hash: string;
  /** The version's configuration with its references resolved. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  config: Record<string, unknown>;
}

export class ResolvedAgentEntryDto extends ResolvedConfigResponseDto {
  /** Labels of this agent and the versions they point at. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } })
  labels: Record<string, number>;
}

export class ResolvedConfigSetResponseDto {
  /** The tenant's change sequence this snapshot is at least as new as; resume the change stream from it. */
  version: number;
  synced_at: string;
  /** Every active agent at its latest version. */
  agents: ResolvedAgentEntryDto[];
}
