/** One problem with one part of a request, such as a field that failed validation. */
export interface ErrorDetail {
  field?: string;
  path?: string;
  code?: string;
  message: string;
  [key: string]: unknown;
}

/**
 * Base of every domain error. `code` is API contract; `message` is for people. The HTTP status
 * comes from each module's exhaustive code-to-status map, so a new code cannot ship without one.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = toTypeName(code);
  }
}

/** `AGENT_NOT_FOUND` -> `AgentNotFound`, the envelope's `type`. */
export function toTypeName(code: string): string {
  return code
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Defines a module's error factory from its exhaustive code -> status map. */
export function defineErrors<C extends string>(statusByCode: Record<C, number>) {
  return (code: C, message: string, details: ErrorDetail[] = [], headers: Record<string, string> = {}) =>
    new AppError(code, message, statusByCode[code], details, headers);
}
