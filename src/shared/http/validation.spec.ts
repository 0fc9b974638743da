import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min, validate } from 'class-validator';
import { flattenValidationErrors, IsIsoDateTime } from './validation';

class Sample {
  @IsString()
  @MaxLength(5)
  name!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  count?: number;
}

async function detailsFor(body: object) {
  return flattenValidationErrors(await validate(plainToInstance(Sample, body)));
}

describe('flattenValidationErrors', () => {
  it('reports only the type when a value has the wrong type', async () => {
    expect(await detailsFor({ name: 42, count: 'many' })).toEqual([
      { field: 'name', code: 'isString', message: 'name must be a string' },
      { field: 'count', code: 'isInt', message: 'count must be an integer number' },
    ]);
  });

  it('reports a missing required field as required, whatever its constraints', async () => {
    expect(await detailsFor({ count: 2 })).toEqual([
      { field: 'name', code: 'required', message: 'name is required' },
    ]);
    expect(await detailsFor({ name: undefined })).toEqual([
      { field: 'name', code: 'required', message: 'name is required' },
    ]);
  });

  it('reports every other failed constraint of a value of the right type', async () => {
    expect(await detailsFor({ name: 'too long', count: 0 })).toEqual([
      { field: 'name', code: 'maxLength', message: 'name must be shorter than or equal to 5 characters' },
      { field: 'count', code: 'min', message: 'count must not be less than 1' },
    ]);
  });
});

class Dated {
  @IsIsoDateTime()
  at!: Date;
}

describe('IsIsoDateTime', () => {
  const read = async (at: unknown) => {
    const dated = plainToInstance(Dated, { at });
    return { at: dated.at, details: flattenValidationErrors(await validate(dated)) };
  };

  it('takes a date or date-time, an offset-less one as UTC', async () => {
    for (const [text, iso] of [
      ['2026-01-31', '2026-01-31T00:00:00.000Z'],
      ['2026-01-31T12:30', '2026-01-31T12:30:00.000Z'],
      ['2026-01-31T12:30:15.5', '2026-01-31T12:30:15.500Z'],
      ['2026-01-31T12:30:15Z', '2026-01-31T12:30:15.000Z'],
      ['2026-01-31T12:30:15+02:00', '2026-01-31T10:30:15.000Z'],
      ['2024-02-29', '2024-02-29T00:00:00.000Z'],
      ['2000-02-29T08:00Z', '2000-02-29T08:00:00.000Z'],
      ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000Z'],
      ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z'],
    ]) {
      const { at, details } = await read(text);
      expect(details).toEqual([]);
      expect(at.toISOString()).toBe(iso);
    }
  });

  it('refuses what Date would guess at, and impossible dates, saying what it wants', async () => {
    const rolledOver = ['2026-02-30', '2026-02-29T10:00Z', '1900-02-29', '2026-04-31', '2026-01-00'];
    const beyondYears = ['9999-12-31T23:59:59-14:00', '0000-01-01T00:00:00+02:00'];
    for (const text of [
      '1',
      'tomorrow',
      '12/03/2026',
      '2026-01-31 12:30',
      '2026-13-45',
      ...rolledOver,
      ...beyondYears,
      42,
      null,
    ]) {
      expect((await read(text)).details).toEqual([
        {
          field: 'at',
          code: 'isDate',
          message: 'at must be an ISO 8601 date or date-time, e.g. 2026-01-31T12:00:00Z',
        },
      ]);
    }
  });
});
