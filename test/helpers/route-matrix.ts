import http from 'node:http';
import type { Role } from '../../src/shared/auth/permissions';
import type { TestTenant } from '../factories/tenant.factory';
import { expectError } from './envelope';
import type { TestApp } from './test-app';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a case sees of an answer: supertest's response, or an event stream's status and headers. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // The parsed JSON body, whatever its shape (undefined for a stream).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

/** One route and the requests that prove its five answers, on resources `F` of tenant A. */
export interface MatrixRoute<F> {
  op: string;
  method: Method;
  path: (f: F) => string;
  body?: (f: F) => object;
  ok: number;
  /** The role of tenant A that calls it on the happy path and for the 400, if not the matrix's. */
  as?: Role;
  /** A role of the same tenant that lacks the route's permission. */
  weaker: Role;
  /**
   * A request that breaks the input rules, or `'no input'` for a route that takes no parameter,
   * query or body (openapi.json lists none), and so has no 400 to give.
   */
  bad: { path?: (f: F) => string; body?: object } | 'no input';
  /** The happy answer is an endless event stream: the case reads its status and headers, then hangs up. */
  stream?: true;
  /** The error code another tenant gets for A's resource; none for collection routes. */
  notFound?: string;
  /** What else a happy answer must hold besides its status. */
  answer?: (res: Answer, f: F) => void;
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
  unseen: (route: R, f: F, res: Answer) => Promise<void>;
}

/** A GET of an event stream, answered once its headers arrive; then it hangs up. */
function openStream(url: string, token: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } },
      (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: undefined, text: '' });
        req.destroy();
      },
    );
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
  });
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

  /** A request expected to succeed: an endless stream is read to its headers only. */
  function succeed(route: R, f: F, token: string): Promise<Answer> {
    return route.stream ? openStream(matrix.env().ctx.url + route.path(f), token) : send(route, f, token);
  }

  describe.each(matrix.routes)('$op', (route) => {
    const role = route.as ?? matrix.roles.ok;
    let f: F;
    beforeAll(async () => {
      f = await matrix.fixture(route, false);
    });

    it(`answers ${route.ok} on the happy path`, async () => {
      const fresh = await matrix.fixture(route, true);
      const res = await succeed(route, fresh, matrix.env().a.token(role));
      if (route.stream) {
        expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
          status: route.ok,
          type: expect.stringMatching(/^text\/event-stream/),
        });
      } else {
        expect({ status: res.status, body: res.body }).toEqual({ status: route.ok, body: expect.anything() });
      }
      route.answer?.(res, fresh);
    });

    const bad = route.bad;
    if (bad !== 'no input') {
      it('answers 400 VALIDATION_FAILED on bad input', async () => {
        const res = await send(
          route,
          f,
          matrix.env().a.token(route.as ?? matrix.roles.bad),
          bad.path?.(f) ?? route.path(f),
          bad.body ?? route.body?.(f),
        );
        expectError(res, 400, 'VALIDATION_FAILED');
      });
    }

    it('answers 401 UNAUTHENTICATED without credentials', async () => {
      expectError(await send(route, f, null), 401, 'UNAUTHENTICATED');
    });

    it(`answers 403 FORBIDDEN to a ${route.weaker}`, async () => {
      expectError(await send(route, f, matrix.env().a.token(route.weaker)), 403, 'FORBIDDEN');
    });

    if (route.notFound) {
      const code = route.notFound;
      it(`answers 404 ${code} to another tenant's ${route.as ?? 'owner'}`, async () => {
        expectError(await send(route, f, matrix.env().b.token(route.as ?? 'owner')), 404, code);
        await matrix.untouched(f);
      });
    } else {
      it("shows another tenant none of this tenant's resources", async () => {
        const res = await succeed(route, f, matrix.env().b.token(route.as ?? 'owner'));
        expect(res.status).toBeLessThan(300);
        await matrix.unseen(route, f, res);
      });
    }
  });
}
