import { applyDecorators, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import { IsDate, IsObject, ValidateNested } from 'class-validator';
import { AppError, ErrorDetail } from '../errors/app-error';
import { commonError } from '../errors/common.errors';

// PostgreSQL's text and jsonb cannot hold U+0000, nor jsonb unpaired surrogates: refuse them up front.
// eslint-disable-next-line no-control-regex -- matching U+0000 is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/**
 * Constraints on a value's type. When one fails, the field's other constraints say nothing useful
 * (a number is not "longer than 200 characters"), so only the type is reported.
 */
const TYPE_CHECKS = new Set(['isString', 'isInt', 'isNumber', 'isBoolean', 'isArray', 'isObject', 'isDate']);

/** The failed constraints worth reporting: the type ones alone when the value has the wrong type. */
function reported(constraints: Record<string, string>): Array<[string, string]> {
  const all = Object.entries(constraints);
  const types = all.filter(([code]) => TYPE_CHECKS.has(code));
  return types.length > 0 ? types : all;
}

/**
 * A field holding one object of the DTO `type`, validated field by field. An array is refused:
 * `ValidateNested` alone would validate its items instead, and let `[{…}]` be stored as `{"0": {…}}`.
 */
export function IsNestedObject(type: () => new () => object): PropertyDecorator {
  return applyDecorators(IsObject(), ValidateNested(), Type(type));
}

/** A date, or a date-time with its seconds, fraction and offset optional (no offset: UTC). */
const ISO_8601 =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?<time>T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(?<offset>Z|[+-]\d{2}:?\d{2})?)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * The Date an ISO 8601 text names, or the value unchanged when it is none. A day the month does
 * not have (2026-02-30) is none: `Date` would roll it over into the next month.
 */
function isoDate(value: unknown): unknown {
  const match = typeof value === 'string' ? ISO_8601.exec(value) : null;
  if (!match) return value;
  const { year, month, day, time, offset } = match.groups ?? {};
  if (Number(day) < 1 || Number(day) > daysInMonth(Number(year), Number(month))) return value;
  return new Date(time && !offset ? `${value as string}Z` : (value as string));
}

/**
 * A field holding an ISO 8601 date or date-time, handed on as a Date. Anything else is refused
 * with a message that says so: `Date`'s own parsing would take "1" for the year 2001, and
 * class-validator would answer "must be a Date instance".
 */
export function IsIsoDateTime(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => isoDate(value), { toClassOnly: true }),
    IsDate({ message: '$property must be an ISO 8601 date or date-time, e.g. 2026-01-31T12:00:00Z' }),
  );
}

/** The detail of a field no DTO declares; `why` adds the reason where the route says more. */
export function unknownField(field: string, why?: string): ErrorDetail {
  const message = `property ${field} is not allowed`;
  return { field, code: 'unknownField', message: why ? `${message}: ${why}` : message };
}

/** The 400 for these details: the one detail's message, or how many there are. */
export function validationFailed(details: ErrorDetail[]): AppError {
  const summary = details.length === 1 ? details[0].message : `${details.length} problems in the request`;
  return commonError('VALIDATION_FAILED', `Validation failed: ${summary}`, details);
}

/** Flattens class-validator's tree into one detail per failed constraint, with a dotted field path. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // Optional fields are not validated when absent: a failure on an absent value means required.
    if (error.value === undefined && error.constraints && !error.constraints.whitelistValidation) {
      details.push({ field, code: 'required', message: `${field} is required` });
      continue;
    }
    const failed = reported(error.constraints ?? {});
    for (const [code, message] of failed) {
      details.push(code === 'whitelistValidation' ? unknownField(field) : { field, code, message });
    }
    // A value of the wrong type (an array for an object) has no fields worth reporting.
    const wrongType = failed.some(([code]) => TYPE_CHECKS.has(code));
    if (error.children?.length && !wrongType) details.push(...flattenValidationErrors(error.children, field));
  }
  return details;
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    // Each error keeps the value it judged, so that an absent one is reported as required.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
}
