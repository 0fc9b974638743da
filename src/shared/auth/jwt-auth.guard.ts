import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { AppError } from '../errors/app-error';
import { commonError } from '../errors/common.errors';
import type { Principal } from './principal';

/** Runs the passport-jwt strategy and turns its failures into the envelope's 401. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<T = Principal>(err: unknown, user: T | false, info: unknown): T {
    if (err instanceof AppError) throw err;
    if (err || !user) {
      const reason = (info as Error | undefined)?.message ?? (err as Error | undefined)?.message;
      throw commonError('UNAUTHENTICATED', describe(info, reason));
    }
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
