import { ApiProperty } from '@nestjs/swagger';

export class JsonPatchOperationDto {
  @ApiProperty({ enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] })
  op: string;
  /** JSON Pointer into the version's config. */
  path: string;
  // Any JSON value (a prompt is a string, a temperature a number); without `oneOf` the schema
  // said `object`, which the fuzz suite's response check caught on every string change.
  @ApiProperty({
    required: false,
    nullable: true,
    description: 'The new value (add, replace, test): any JSON value',
    oneOf: [
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'object', additionalProperties: true },
      { type: 'array', items: {} },
    ],
  })
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
