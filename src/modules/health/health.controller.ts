import { Controller, Get } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../../shared/auth/auth.decorators';
import { ErrorEnvelopeDto } from '../../shared/errors/error-envelope.dto';
import { HealthResponseDto, LivenessResponseDto } from './health-response.dto';
import { HealthService } from './health.service';

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Version and the state of the database and Redis; 503 when one is down. */
  @Get()
  @ApiServiceUnavailableResponse({ type: ErrorEnvelopeDto, description: 'A dependency is down' })
  getHealth(): Promise<HealthResponseDto> {
    return this.health.check();
  }

  /** Liveness: the process serves HTTP. Checks no dependency. */
  @Get('live')
  getLiveness(): LivenessResponseDto {
    return { status: 'ok', uptime: Math.round(process.uptime()) };
  }

  /** Readiness: the database (and Redis, when configured) answer; 503 otherwise. */
  @Get('ready')
  @ApiServiceUnavailableResponse({ type: ErrorEnvelopeDto, description: 'Not ready' })
  getReadiness(): Promise<HealthResponseDto> {
    return this.health.check();
  }
}
