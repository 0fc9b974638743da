import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { AGENT_OPENAPI_SCHEMAS } from './modules/agents/dto/agent-config-fields.dto';
import { applyGlobalPrefix, buildOpenApiDocument } from './shared/http/openapi';
import { packageVersion } from './shared/settings/package-version';
import { loadSettings } from './shared/settings/settings';

/**
 * Writes openapi.json without starting a server: preview mode builds the module graph but
 * instantiates no provider, so no database or Redis is touched.
 */
async function writeOpenApi(): Promise<void> {
  const settings = loadSettings({ NODE_ENV: 'development', LOG_LEVEL: 'silent' }, packageVersion());
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(settings), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  applyGlobalPrefix(app);
  const document = buildOpenApiDocument(app, settings.version, AGENT_OPENAPI_SCHEMAS);
  const target = join(process.cwd(), 'openapi.json');
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${target}: ${Object.keys(document.paths).length} paths`);
}

void writeOpenApi();
