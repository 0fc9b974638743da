import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiErrorResponse } from '../http/api-error-responses.decorator';
import { Permission } from './permissions';
import type { Principal, TenantPrincipal } from './principal';

export const PERMISSION_KEY = 'agentry:permission';
export const PUBLIC_KEY = 'agentry:public';

/**
 * Declares the one permission a route needs, and documents it: security schemes, the 401/403/429
 * envelopes, and an `x-permission` extension that Swagger UI shows beside the route.
 */
export function RequirePermission(permission: Permission): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(PERMISSION_KEY, permission),
    ApiSecurity('bearer'),
    ApiSecurity('api-key'),
    // JSON whatever the route produces (a stream's errors are JSON envelopes too).
    ApiErrorResponse(401, 'Missing, invalid or expired credentials'),
    ApiErrorResponse(403, `Requires permission \`${permission}\``),
    ApiErrorResponse(429, 'Rate limit of the tenant exceeded'),
    ApiExtension('x-permission', permission),
  );
}

/** For health and docs only: no principal needed. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** The authenticated principal of this request. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<Request & { user: Principal }>().user;
});

/** The authenticated principal, known to be bound to a tenant (the guard checked it). */
export const CurrentTenant = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): TenantPrincipal => {
    return ctx.switchToHttp().getRequest<Request & { user: TenantPrincipal }>().user;
  },
);
