import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PERMISSION_KEY, PUBLIC_KEY } from '../../src/shared/auth/auth.decorators';
import { API_PREFIX } from '../../src/shared/http/openapi';

/** One route of the running app, as the global guard sees it. */
export interface DeclaredRoute {
  method: string;
  /** The Express path, e.g. `/api/v1/agents/:id`. */
  path: string;
  /** The permission, `public`, or undefined when the route declares neither. */
  access: string | undefined;
}

export function joinPath(...parts: string[]): string {
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
export function declaredRoutes(app: NestExpressApplication): DeclaredRoute[] {
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
export function controllerRoutes(app: NestExpressApplication): DeclaredRoute[] {
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
export function servedRoutes(app: NestExpressApplication): Array<{ method: string; path: string }> {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  return express.router.stack.flatMap((layer) => {
    const route = layer.route;
    if (!route) return [];
    const methods = Object.keys(route.methods);
    if (methods.length > 20) return [];
    return methods.map((method) => ({ method: method.toUpperCase(), path: route.path }));
  });
}
