import { Global, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthGuard } from './auth.guard';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';

/**
 * Authentication and authorization. The tenant resolver and API-key authenticator it needs are
 * provided by the tenants and api-keys modules (see auth.ports.ts), which keeps shared/ free of
 * feature code.
 */
@Global()
@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [JwtStrategy, JwtAuthGuard, AuthGuard],
  exports: [AuthGuard],
})
export class AuthModule {}
