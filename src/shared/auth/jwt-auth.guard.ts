import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { commonError } from '../errors/common.errors';
import type { Principal } from './principal';

/** Runs the passport-jwt strategy and turns its failures into the envelope's 401. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<T = Principal>(err: unknown, user: T | false, info: unknown): T {
    // passport-jwt reports a bad token through `info`; `err` is what JwtStrategy.validate threw:
    // its own 401s, or a failed tenant read, which the global filter answers (503 when the
    // database is down), never a 401 that would tell a client its valid token is wrong.
    if (err) throw err;
    if (!user) throw commonError('UNAUTHENTICATED', describe(info, (info as Error | undefined)?.message));
    return user;
  }
}

function describe(info: unknown, reason: string | undefined): string {
  const name = (info as Error | undefined)?.name;
  if (name === 'TokenExpiredError') return 'Token has expired';
  if (name === 'NotBeforeError') return 'Token is not valid yet';
  if (reason === 'No auth token')
    return 'Authentication required: send a Bearer token or an X-API-Key header';
  return `Invalid token${reason ? `: ${reason}` : ''}`;
}
