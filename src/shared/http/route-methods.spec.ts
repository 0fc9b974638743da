import type { OpenAPIObject } from '@nestjs/swagger';
import { RouteMethods } from './route-methods';

const op = { responses: {} };
const document = {
  openapi: '3.0.0',
  info: { title: 't', version: '1' },
  paths: {
    '/api/v1/agents': { get: op, post: op },
    '/api/v1/agents/validate': { post: op },
    '/api/v1/agents/{id}': { get: op, put: op, patch: op, delete: op },
    '/api/v1/agents/{id}/versions/{version}': { get: op },
    '/api/v1/a.b': { post: op },
  },
} as unknown as OpenAPIObject;

describe('RouteMethods', () => {
  const routes = RouteMethods.fromDocument(document);

  it('lists the methods of a path in a fixed order, with HEAD beside GET and OPTIONS', () => {
    expect(routes.allowed('/api/v1/agents')).toEqual(['GET', 'HEAD', 'POST', 'OPTIONS']);
    expect(routes.allowed('/api/v1/agents/')).toEqual(['GET', 'HEAD', 'POST', 'OPTIONS']);
  });

  it('matches parameters one segment each, and joins the paths a request could mean', () => {
    expect(routes.allowed('/api/v1/agents/x/versions/3')).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(routes.allowed('/api/v1/agents/validate')).toEqual([
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'PATCH',
      'DELETE',
      'OPTIONS',
    ]);
    expect(routes.allowed('/api/v1/agents/x/y/versions/3')).toEqual([]);
  });

  it('knows no path outside the document, and reads dots literally', () => {
    expect(routes.allowed('/api/v1/nope')).toEqual([]);
    expect(routes.allowed('/')).toEqual([]);
    expect(routes.allowed('/api/v1/a.b')).toEqual(['POST', 'OPTIONS']);
    expect(routes.allowed('/api/v1/aXb')).toEqual([]);
  });
});
