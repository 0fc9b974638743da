import type { Response } from 'supertest';
import type { Role } from '../../src/shared/auth/permissions';
import type { TestTenant } from '../factories/tenant.factory';
import { expectError } from './envelope';
import type { TestApp } from './test-app';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One route and the requests that prove its five answers, on resources `F` of tenant A. */
export interface MatrixRoute<F> {
  op: string;
  method: Method;
  path: (f: F) => string;
  body?: (f: F) => object;
  ok: number;
  /** A role of the same tenant that lacks the route's permission. */
  weaker: Role;
  /** A request that breaks the input rules. */
  bad: { path?: (f: F) => string; body?: object };
  /** The error code another tenant gets for A's resource; none for collection routes. */
  notFound?: string;
  /** What else a happy answer must hold besides its status. */
  answer?: (res: Response, f: F) => void;
}

export interface RouteMatrix<F, R extends MatrixRoute<F>> {
  routes: R[];
  /** The app, tenant A (owns the resources) and tenant B (the other one); read once they exist. */
  env: () => { ctx: TestApp; a: TestTenant; b: TestTenant };
  /** A's role for the happy path, and one allowed past the permission check for the 400. */
  roles: { ok: Role; bad: Role };
  /** Fresh resources of A: the happy path gets its own (`happy`), the other cases share one. */
  fixture: (route: R, happy: boolean) => Promise<F>;
  /** After B's request for one of A's resources: A's resources are as they were. */
  untouched: (f: F) => Promise<void>;
  /** After B's request to a collection route: B saw and changed none of A's resources. */
  unseen: (route: R, f: F, res: Response) => Promise<void>;
}

/**
 * The five answers every endpoint owes, one `describe` per route: the happy path, 400 on bad
 * input, 401 without credentials, 403 to a weaker role of the same tenant, and 404 to another
 * tenant (which leaves the resource untouched) or, on a collection, nothing of A's shown to it.
 */
export function describeRouteMatrix<F, R extends MatrixRoute<F>>(matrix: RouteMatrix<F, R>): void {
  function send(route: R, f: F, token: string | null, path = route.path(f), body = route.body?.(f)) {
    let req = matrix.env().ctx.http[route.method](path);
    if (token) req = req.set('Authorization', `Bearer ${token}`);
    return body === undefined ? req : req.send(body);
  }

  describe.each(matrix.routes)('$op', (route) => {
    let f: F;
    beforeAll(async () => {
      f = await matrix.fixture(route, false);
    });

    it(`answers ${route.ok} on the happy path`, async () => {
      const fresh = await matrix.fixture(route, true);
      const res = await send(route, fresh, matrix.env().a.token(matrix.roles.ok));
      expect({ status: res.status, body: res.body }).toEqual({ status: route.ok, body: expect.anything() });
      route.answer?.(res, fresh);
    });

    it('answers 400 VALIDATION_FAILED on bad input', async () => {
      const res = await send(
        route,
        f,
        matrix.env().a.token(matrix.roles.bad),
        route.bad.path?.(f) ?? route.path(f),
        route.bad.body ?? route.body?.(f),
      );
      expectError(res, 400, 'VALIDATION_FAILED');
    });

    it('answers 401 UNAUTHENTICATED without credentials', async () => {
      expectError(await send(route, f, null), 401, 'UNAUTHENTICATED');
    });

    it(`answers 403 FORBIDDEN to a ${route.weaker}`, async () => {
      expectError(await send(route, f, matrix.env().a.token(route.weaker)), 403, 'FORBIDDEN');
    });

    if (route.notFound) {
      const code = route.notFound;
      it(`answers 404 ${code} to another tenant, even its owner`, async () => {
        expectError(await send(route, f, matrix.env().b.token('owner')), 404, code);
        await matrix.untouched(f);
      });
    } else {
      it("shows another tenant none of this tenant's resources", async () => {
        const res = await send(route, f, matrix.env().b.token('owner'));
        expect(res.status).toBeLessThan(300);
        await matrix.unseen(route, f, res);
      });
    }
  });
}
