import { DURATION_BOUNDS, HISTOGRAM_SIZE, histogramQuantile, mergeHistograms } from './duration-histogram';

describe('duration histogram', () => {
  const empty = () => new Array<number>(HISTOGRAM_SIZE).fill(0);

  it('answers 0 without runs', () => {
    expect(histogramQuantile(empty(), 0.95)).toBe(0);
  });

  it('answers the upper bound of the bucket where the quantile falls', () => {
    const histogram = empty();
    histogram[3] = 90; // [0.5, 1)
    histogram[6] = 10; // [3, 5)
    expect(histogramQuantile(histogram, 0.5)).toBe(1);
    expect(histogramQuantile(histogram, 0.9)).toBe(1);
    expect(histogramQuantile(histogram, 0.95)).toBe(5);
  });

  it('answers the last bound for runs longer than every bound', () => {
    const histogram = empty();
    histogram[HISTOGRAM_SIZE - 1] = 1;
    expect(histogramQuantile(histogram, 0.95)).toBe(DURATION_BOUNDS[DURATION_BOUNDS.length - 1]);
  });

  it('merges element by element', () => {
    const a = empty();
    const b = empty();
    a[0] = 2;
    b[0] = 3;
    b[19] = 1;
    expect(mergeHistograms(a, b).slice(0, 1).concat(a[19])).toEqual([5, 1]);
  });
});
