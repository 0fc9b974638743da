import { applyDecorators, ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { IsDate, IsObject, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
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

/** A text with something in it: not empty, and not only spaces, tabs or line breaks. */
export function IsNotBlank(): PropertyDecorator {
  return ValidateBy({
    name: 'isNotBlank',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && /\S/.test(value),
      defaultMessage: () => '$property must not be empty or blank',
    },
  });
}

/**
 * A query parameter holding an integer, written in decimal digits (with a leading minus, for the
 * range check to refuse): `1e2`, `0x10` or ` 5` stay text, which the integer check refuses,
 * where a plain conversion to a number would have taken them.
 */
export function QueryInteger(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,20}$/.test(value) ? Number(value) : value,
  );
}

/** A field that may be left out, but not sent as null (where null would mean nothing, or the wrong thing). */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
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
 * not have (2026-02-30) is none: `Date` would roll it over into the next month. Nor is a time
 * whose offset takes it out of the years 0000 to 9999 in UTC.
 */
function isoDate(value: unknown): unknown {
  const match = typeof value === 'string' ? ISO_8601.exec(value) : null;
  if (!match) return value;
  const { year, month, day, time, offset } = match.groups ?? {};
  if (Number(day) < 1 || Number(day) > daysInMonth(Number(year), Number(month))) return value;
  const date = new Date(time && !offset ? `${value as string}Z` : (value as string));
  // Its offset may carry it past the four-digit years, which no answer could write back in kind.
  const utcYear = date.getUTCFullYear();
  return utcYear < 0 || utcYear > 9999 ? value : date;
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

/** Types a DTO field may declare with `@Type` that hold no fields of their own. */
const LEAF_TYPES = new Set<unknown>([Object, Number, String, Boolean, Date, Array]);
const MAX_DTO_DEPTH = 10;

/**
 * The paths of keys class-transformer drops unseen where `value` becomes a DTO (a key named like a
 * member of every object, such as `toString`, reads as that member there), in the DTO and in the
 * nested DTOs its `@Type` fields declare. Free-form JSON fields (metadata, a tool's parameters)
 * keep such keys as data and are not looked into.
 */
function droppedKeys(value: unknown, type: object, path: string, found: string[], depth = 0): void {
  if (depth > MAX_DTO_DEPTH || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => droppedKeys(item, type, `${path}.${index}`, found, depth + 1));
    return;
  }
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key in Object.prototype) {
      found.push(at);
      continue;
    }
    const nested = defaultMetadataStorage.findTypeMetadata(type as new () => unknown, key)?.typeFunction();
    if (nested && !LEAF_TYPES.has(nested)) {
      droppedKeys((value as Record<string, unknown>)[key], nested, at, found, depth + 1);
    }
  }
}

/**
 * The validation pipe, refusing first what class-transformer would drop without a word, so that
 * `{"toString": …}` or `?valueOf=1` is a 400 naming it like any other field no DTO declares.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype, type } = metadata;
    if (
      (type === 'body' || type === 'query') &&
      typeof metatype === 'function' &&
      !LEAF_TYPES.has(metatype)
    ) {
      const found: string[] = [];
      droppedKeys(value, metatype, '', found);
      if (found.length > 0) throw validationFailed(found.map((field) => unknownField(field)));
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    // Each error keeps the value it judged, so that an absent one is reported as required.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
}
