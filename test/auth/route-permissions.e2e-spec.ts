import { Controller, DynamicModule, Get, Module, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { __resetOutOfContextForTests as resetPinoRootLogger } from 'nestjs-pino/PinoLogger';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/configure-app';
import { PERMISSION_KEY, PUBLIC_KEY, RequirePermission } from '../../src/shared/auth/auth.decorators';
import { Permission } from '../../src/shared/auth/permissions';
import { API_PREFIX } from '../../src/shared/http/openapi';
import { loadSettings } from '../../src/shared/settings/settings';
import { expectError } from '../helpers/envelope';
import { LogCapture } from '../helpers/log-capture';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { TEST_JWT_SECRET } from '../helpers/tokens';

interface DeclaredRoute {
  method: string;
  path: string;
  /** The permission, `public`, or undefined when the route declares neither. */
  access: string | undefined;
}

function joinPath(...parts: string[]): string {
  return (
    '/' +
    parts
      .flatMap((part) => part.split('/'))
      .filter(Boolean)
      .join('/')
  );
}

/**
 * Every controller route Nest knows, with what it declares to the global guard, at the URL Express
 * serves it: under the global prefix, or without it for the routes excluded from it (/internal).
 */
function declaredRoutes(app: NestExpressApplication): DeclaredRoute[] {
  const served = new Set(servedRoutes(app).map((route) => `${route.method} ${route.path}`));
  return controllerRoutes(app).map((route) => {
    const prefixed = joinPath(API_PREFIX, route.path);
    const path =
      served.has(`${route.method} ${prefixed}`) || !served.has(`${route.method} ${route.path}`)
        ? prefixed
        : route.path;
    return { ...route, path };
  });
}

/** Controller routes with their paths relative to the global prefix. */
function controllerRoutes(app: NestExpressApplication): DeclaredRoute[] {
  const discovery = new DiscoveryService(app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const routes: DeclaredRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Type | null;
    if (!controller) continue;
    const controllerPath = Reflect.getMetadata(PATH_METADATA, controller) as string;
    for (const name of scanner.getAllMethodNames(controller.prototype)) {
      const handler = controller.prototype[name] as () => unknown;
      const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (methodPath === undefined) continue; // a helper method, not a route
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const targets = [handler, controller];
      const isPublic = reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) === true;
      const permission = reflector.getAllAndOverride<string | undefined>(PERMISSION_KEY, targets);
      routes.push({
        method,
        path: joinPath(controllerPath, methodPath),
        access: permission ?? (isPublic ? 'public' : undefined),
      });
    }
  }
  return routes;
}

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * What Express actually serves. Nest mounts module middleware (the request logger) as `all`
 * routes, which answer every method; those are not endpoints and are left out.
 */
function servedRoutes(app: NestExpressApplication): Array<{ method: string; path: string }> {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  return express.router.stack.flatMap((layer) => {
    const route = layer.route;
    if (!route) return [];
    const methods = Object.keys(route.methods);
    if (methods.length > 20) return [];
    return methods.map((method) => ({ method: method.toUpperCase(), path: route.path }));
  });
}

describe('route permissions', () => {
  let ctx: TestApp;

  beforeAll(async () => {
    ctx = await startTestApp();
  });
  afterAll(() => ctx.close());

  it('every route declares a permission or @Public(); the map is a reviewed snapshot', () => {
    const routes = declaredRoutes(ctx.app);
    expect(routes.length).toBeGreaterThan(10);
    const undeclared = routes.filter((route) => route.access === undefined);
    expect(undeclared).toEqual([]);
    const lines = routes.map((route) => `${route.method} ${route.path} -> ${route.access}`).sort();
    expect(lines).toMatchSnapshot();
  });

  it('Express serves exactly the declared routes, plus the Swagger docs', () => {
    const declared = new Set(declaredRoutes(ctx.app).map((route) => `${route.method} ${route.path}`));
    const served = servedRoutes(ctx.app);
    const outsideNest = served
      .map((route) => `${route.method} ${route.path}`)
      .filter((route) => !declared.has(route));
    // Swagger UI and the OpenAPI document are the only routes registered outside Nest's guards.
    expect(outsideNest.filter((route) => !/^GET \/docs(?:[-/]|$)/.test(route))).toEqual([]);
    expect(outsideNest).toEqual(expect.arrayContaining(['GET /docs', 'GET /docs-json']));
    const servedSet = new Set(served.map((route) => `${route.method} ${route.path}`));
    expect([...declared].filter((route) => !servedSet.has(route))).toEqual([]);
  });

  it('public routes are health and the Prometheus scrape target only', () => {
    const publicRoutes = declaredRoutes(ctx.app).filter((route) => route.access === 'public');
    expect(publicRoutes.length).toBeGreaterThan(0);
    // /metrics checks its own scrape token (METRICS_TOKEN) instead of a principal.
    expect(
      publicRoutes.filter(
        (route) =>
          !route.path.startsWith('/api/v1/health/') &&
          route.path !== '/api/v1/health' &&
          route.path !== '/metrics',
      ),
    ).toEqual([]);
  });
});

@Controller('undeclared-probe')
class UndeclaredProbeController {
  @Get()
  probeUndeclared(): { reached: boolean } {
    return { reached: true };
  }
}

@Controller('declared-probe')
class DeclaredProbeController {
  @Get()
  @RequirePermission(Permission.AuditRead)
  probeDeclared(): { reached: boolean } {
    return { reached: true };
  }
}

/** The real AppModule (its global guards included) plus the two probes. */
@Module({})
class ProbeAppModule {}

describe('a route that declares nothing', () => {
  let app: NestExpressApplication;
  let database: TestDatabase;
  let logs: LogCapture;
  let bootstrapKey: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const settings = loadSettings(
      {
        NODE_ENV: 'test',
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: '2',
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_PRETTY: 'false',
      },
      '0.0.0-test',
    );
    logs = new LogCapture();
    resetPinoRootLogger(); // see startTestApp: this app's startup logs go to its own capture
    const probeApp: DynamicModule = {
      module: ProbeAppModule,
      imports: [AppModule.forRoot(settings, { logStream: logs })],
      controllers: [UndeclaredProbeController, DeclaredProbeController],
    };
    app = await NestFactory.create<NestExpressApplication>(probeApp, { bodyParser: false, bufferLogs: true });
    app.useLogger(app.get(Logger));
    configureApp(app, settings);
    await app.listen(0, '127.0.0.1'); // listen, not init: Nest flushes the buffered startup logs there
    bootstrapKey = /AGENTRY_API_KEY=(agt_[\w-]+)/.exec(logs.text)?.[1] ?? '';
    expect(bootstrapKey).toMatch(/^agt_/);
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('is refused with 403 even for an owner, and the refusal is logged', async () => {
    const res = await request(app.getHttpServer())
      .get('/api/v1/undeclared-probe')
      .set('X-API-Key', bootstrapKey);
    const error = expectError(res, 403, 'FORBIDDEN');
    expect(error.message).toBe('This route declares no permission and is refused');
    expect(res.body).not.toHaveProperty('reached');
    expect(logs.text).toMatch(/route GET \/api\/v1\/undeclared-probe declares no permission; refused/);
    // Without credentials too: the declaration is checked before authentication.
    expectError(await request(app.getHttpServer()).get('/api/v1/undeclared-probe'), 403, 'FORBIDDEN');
  });

  it('while a declared probe in the same app is reached by the same key', async () => {
    const res = await request(app.getHttpServer())
      .get('/api/v1/declared-probe')
      .set('X-API-Key', bootstrapKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ reached: true });
  });
});
