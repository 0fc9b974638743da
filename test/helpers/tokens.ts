import { sign, SignOptions } from 'jsonwebtoken';
import type { Role } from '../../src/shared/auth/permissions';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

export interface TokenClaims {
  sub?: string;
  tenant?: string;
  roles?: Role[];
  platform?: boolean;
}

/** A JWT as an identity provider would issue it, signed with the test app's secret. */
export function signToken(claims: TokenClaims, options: SignOptions = {}, secret = TEST_JWT_SECRET): string {
  const payload: Record<string, unknown> = { sub: claims.sub ?? 'user-1', roles: claims.roles ?? [] };
  if (claims.tenant !== undefined) payload.tenant_id = claims.tenant;
  if (claims.platform) payload.platform = true;
  return sign(payload, secret, { algorithm: 'HS256', expiresIn: '10m', ...options });
}

export function platformToken(): string {
  return signToken({ sub: 'operator-1', platform: true });
}
