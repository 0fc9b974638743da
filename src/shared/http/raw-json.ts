import type { TransformFnParams } from 'class-transformer';

/**
 * For free-form JSON fields of a DTO: the value exactly as parsed. class-transformer, copying a
 * plain object into a DTO, skips keys named like `Object.prototype` methods (`toString`,
 * `valueOf`, `constructor` …), so `{"toString": null}` in metadata or a tool's JSON Schema would
 * silently vanish; `@Transform(rawJson, { toClassOnly: true })` keeps them.
 */
export function rawJson({ obj, key }: TransformFnParams): unknown {
  return (obj as Record<string, unknown>)[key];
}
