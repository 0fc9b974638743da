import { bucketStart } from './metrics.service';

describe('bucketStart', () => {
  const at = (iso: string) => new Date(iso);

  it('truncates to the UTC hour, day and Monday-started week', () => {
    const time = at('2026-12-03T17:45:12.345Z'); // a Thursday
    expect(bucketStart(time, 'hour').toISOString()).toBe('2026-12-03T17:00:00.000Z');
    expect(bucketStart(time, 'day').toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(bucketStart(time, 'week').toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(bucketStart(at('2026-11-30T00:00:00Z'), 'week').toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it('keeps the years 0 to 99 and times before 1970 where they are', () => {
    expect(bucketStart(at('0050-06-15T10:30:00Z'), 'hour').toISOString()).toBe('0050-06-15T10:00:00.000Z');
    expect(bucketStart(at('0050-06-15T10:30:00Z'), 'day').toISOString()).toBe('0050-06-15T00:00:00.000Z');
    expect(bucketStart(at('1969-12-31T23:59:59Z'), 'hour').toISOString()).toBe('1969-12-31T23:00:00.000Z');
  });
});
