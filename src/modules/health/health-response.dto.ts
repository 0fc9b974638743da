import { ApiProperty } from '@nestjs/swagger';

export const COMPONENT_STATES = ['healthy', 'unhealthy', 'disabled'];

export class HealthComponentsDto {
  @ApiProperty({ enum: COMPONENT_STATES })
  database: string;
  /** Redis; `disabled` when `REDIS_URL` is unset (in-process bus). */
  @ApiProperty({ enum: COMPONENT_STATES })
  cache: string;
}

export class HealthResponseDto {
  @ApiProperty({ enum: ['healthy'] })
  status: string;
  /** The running Agentry version. */
  version: string;
  timestamp: string;
  components: HealthComponentsDto;
}

export class LivenessResponseDto {
  @ApiProperty({ enum: ['ok'] })
  status: string;
  /** Seconds since the process started. */
  uptime: number;
}
