import { Global, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthGuard } from './auth.guard';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { SseOpener } from './sse-opener.service';

/**
 * Authentication and authorization. The tenant resolver and API-key authenticator it needs are
 * provided by the tenants and api-keys modules (see auth.ports.ts), which keeps shared/ free of
 * feature code.
 */
@Global()
@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [JwtStrategy, JwtAuthGuard, AuthGuard, SseOpener],
  exports: [AuthGuard, SseOpener],
})
export class AuthModule {}
