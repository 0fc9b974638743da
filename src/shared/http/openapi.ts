import { INestApplication, RequestMethod } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const API_PREFIX = 'api/v1';

/** `/api/v1` for every route but the execution services' `/internal/v1` and Prometheus' `/metrics`. */
export function applyGlobalPrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'internal/v1/{*path}', method: RequestMethod.ALL },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
}

/**
 * The OpenAPI document: operationIds are the controller method names (unique across the app).
 * `schemas` are named schemas that are no DTO class, which properties reference by `$ref`.
 */
export function buildOpenApiDocument(
  app: INestApplication,
  version: string,
  schemas: Record<string, object> = {},
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Agentry API')
    .setDescription(
      [
        'Multi-tenant backend for AI agents: versioned agent configurations, change propagation and agent runs.',
        '',
        'Authenticate with an API key (`X-API-Key`, or `Authorization: Bearer agt_…`) or a JWT (`Authorization: Bearer …`).',
        'Each operation lists the permission it needs under `x-permission`. Every error answers with the one error envelope.',
      ].join('\n'),
    )
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT or API key' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...schemas } };
  return document;
}
