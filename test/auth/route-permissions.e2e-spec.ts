import { Controller, DynamicModule, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/configure-app';
import { AppLogger } from '../../src/shared/logging/logging.module';
import { RequirePermission } from '../../src/shared/auth/auth.decorators';
import { Permission } from '../../src/shared/auth/permissions';
import { loadSettings } from '../../src/shared/settings/settings';
import { expectError } from '../helpers/envelope';
import { LogCapture } from '../helpers/log-capture';
import { declaredRoutes, servedRoutes } from '../helpers/route-table';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { TEST_JWT_SECRET } from '../helpers/tokens';

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
    const probeApp: DynamicModule = {
      module: ProbeAppModule,
      imports: [AppModule.forRoot(settings, { logStream: logs })],
      controllers: [UndeclaredProbeController, DeclaredProbeController],
    };
    app = await NestFactory.create<NestExpressApplication>(probeApp, { bodyParser: false, bufferLogs: true });
    app.useLogger(app.get(AppLogger));
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
