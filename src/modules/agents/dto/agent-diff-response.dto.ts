import { ApiProperty } from '@nestjs/swagger';

export class JsonPatchOperationDto {
  @ApiProperty({ enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] })
  op: string;
  /** JSON Pointer into the version's config. */
  path: string;
  @ApiProperty({ required: false, description: 'The new value (add, replace, test)' })
  value?: unknown;
  from?: string;
}

export class AgentDiffResponseDto {
  from: number;
  to: number;
  /** RFC 6902 JSON Patch turning version `from`'s config into version `to`'s. */
  patch: JsonPatchOperationDto[];
  /** The changed paths, cut before array indexes, e.g. `["/config/temperature", "/tools"]`. */
  changed_paths: string[];
}
