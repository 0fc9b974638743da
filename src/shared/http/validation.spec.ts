import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min, validate } from 'class-validator';
import { flattenValidationErrors } from './validation';

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
