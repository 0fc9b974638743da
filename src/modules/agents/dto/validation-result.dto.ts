import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Finding, FindingSeverity } from '../agent-rules';

export class FindingDto {
  @ApiProperty({ enum: ['error', 'warning', 'info'] })
  severity: FindingSeverity;
  /** e.g. `TOO_MANY_TOOLS`, `MODEL_PROVIDER_NOT_ALLOWED`, `AGENT_NAME_TAKEN`, `MODEL_MISSING`. */
  code: string;
  /** JSON Pointer into the agent document. */
  path: string;
  message: string;
  /** For tier findings: the limit's name. */
  limit?: string;
  /** For tier findings: the limit's value. */
  @ApiPropertyOptional({ description: "For tier findings: the limit's value" })
  value?: unknown;
  /** For tier findings: the tier. */
  tier?: string;
}

export class ValidationResultDto {
  /** False when any finding is an error: saving this would be refused. */
  valid: boolean;
  findings: FindingDto[];
}

export function toValidationResult(findings: Finding[]): ValidationResultDto {
  return {
    valid: !findings.some((finding) => finding.severity === 'error'),
    findings: findings.map(({ actual: _actual, ...finding }) => finding),
  };
}
