import type { OpenAPIObject } from '@nestjs/swagger';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface RoutePattern {
  matches: RegExp;
  methods: string[];
}

/**
 * The methods each documented path answers, for telling "no such route" (404) from "not with
 * this method" (405 with `Allow`, RFC 9110 §15.5.6). Read off the OpenAPI document, which lists
 * every API route; the few paths outside it (`/metrics`, `/docs`) answer other methods with 404.
 */
export class RouteMethods {
  private constructor(private readonly patterns: RoutePattern[]) {}

  static fromDocument(document: OpenAPIObject): RouteMethods {
    const patterns = Object.entries(document.paths).map(([path, operations]) => {
      const source = path
        .split(/\{[^}]+\}/)
        .map((literal) => literal.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
        .join('[^/]+');
      const methods = METHODS.filter((method) => operations[method] !== undefined).map((method) =>
        method.toUpperCase(),
      );
      return { matches: new RegExp(`^${source}$`), methods };
    });
    return new RouteMethods(patterns);
  }

  /**
   * The methods `path` is served with, as an `Allow` header lists them (HEAD wherever GET is,
   * as Express answers it, and OPTIONS); empty when no route has that path.
   */
  allowed(path: string): string[] {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const methods = new Set<string>();
    for (const pattern of this.patterns) {
      if (pattern.matches.test(trimmed)) for (const method of pattern.methods) methods.add(method);
    }
    if (methods.size === 0) return [];
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    const order = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
    return order.filter((method) => methods.has(method));
  }
}
