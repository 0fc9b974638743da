import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorDetailDto {
  /** Field or JSON path the problem is about, when there is one. */
  @ApiPropertyOptional({ example: 'name' })
  field?: string;

  /** Machine-readable code of this one problem. */
  @ApiPropertyOptional({ example: 'isString' })
  code?: string;

  /** What is wrong, for people. */
  @ApiProperty({ example: 'name must be a string' })
  message: string;
}

export class ErrorBodyDto {
  /** Error class name, derived from the code. */
  @ApiProperty({ example: 'AgentNotFound' })
  type: string;

  /** Stable, machine-readable error code: this is API contract. */
  @ApiProperty({ example: 'AGENT_NOT_FOUND' })
  code: string;

  /** Human-readable explanation; may change between releases. */
  @ApiProperty({ example: 'Agent 3f2c… was not found' })
  message: string;

  @ApiProperty({ type: [ErrorDetailDto] })
  details: ErrorDetailDto[];

  /** Path of the request that failed. */
  @ApiProperty({ example: '/api/v1/agents/3f2c…' })
  path: string;

  /** The request id, also sent as the `X-Request-Id` response header. */
  @ApiProperty({ example: '5b8f2c1e-…' })
  request_id: string;
}

/** The one error envelope every failing request answers with. */
export class ErrorEnvelopeDto {
  @ApiProperty({ type: ErrorBodyDto })
  error: ErrorBodyDto;
}
